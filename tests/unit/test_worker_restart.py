"""How long `oms worker` waits before a new RQ worker replaces one that quit on an error
(`oms.cli.restart_pause`): short at first, growing while Redis stays away, bounded."""

from oms.cli import restart_pause


def test_the_pause_doubles_while_workers_keep_failing_and_stops_at_30_s() -> None:
    assert [restart_pause(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_first_failure_after_a_long_run_waits_a_second() -> None:
    assert restart_pause(1) == restart_pause(0) == 1
