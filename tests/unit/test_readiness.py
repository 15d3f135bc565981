"""The readiness rule (`oms.health.readiness`): which failed check takes a web server out
(by default any; the balancer's `?optional=replica` keeps it in, degraded)."""

import pytest
from flask import Flask

from oms.health import readiness

OK = {"database": "ok", "replica": "ok", "redis": "ok"}


@pytest.mark.parametrize(("checks", "status", "code"), [
    (OK, "ready", 200),
    ({**OK, "redis": "not configured (embedded background worker)"}, "ready", 200),
    ({"database": "ok", "redis": "ok"}, "ready", 200),  # no replica configured
    ({**OK, "replica": "unreachable: OperationalError"}, "not ready", 503),
    ({**OK, "database": "unreachable: OperationalError"}, "not ready", 503),
    ({**OK, "redis": "unreachable: ConnectionError"}, "not ready", 503),
    ({**OK, "database": "unreachable: X", "replica": "unreachable: X"}, "not ready", 503),
])
def test_any_failed_check_makes_a_server_not_ready(checks, status, code):
    with Flask(__name__).app_context():
        body, got = readiness(checks)
    assert (body.get_json()["status"], got) == (status, code)
    assert body.get_json()["checks"] == checks


@pytest.mark.parametrize(("checks", "status", "code"), [
    (OK, "ready", 200),
    ({**OK, "replica": "unreachable: OperationalError"}, "degraded", 200),
    ({**OK, "database": "unreachable: OperationalError"}, "not ready", 503),
    ({**OK, "redis": "unreachable: ConnectionError"}, "not ready", 503),
    ({**OK, "database": "unreachable: X", "replica": "unreachable: X"}, "not ready", 503),
])
def test_an_optional_replica_down_alone_is_degraded_not_out(checks, status, code):
    with Flask(__name__).app_context():
        body, got = readiness(checks, optional={"replica"})
    assert (body.get_json()["status"], got) == (status, code)
