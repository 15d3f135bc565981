"""Log records carry the current request and job ids (core.observe), and a logging call's own
`extra` may name them too: RQ logs a failed job with `extra={"job_id": ...}`, which raised
KeyError inside the logging call and made every `oms worker` quit on its first failing job."""

from __future__ import annotations

import io
import json
import logging

from core import observe


def _one_line(fmt: str, log: logging.Logger, *args, **kwargs) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observe.JsonFormatter() if fmt == "json" else observe.TextFormatter())
    log.addHandler(handler)
    try:
        log.error(*args, **kwargs)
    finally:
        log.removeHandler(handler)
    return stream.getvalue()


def test_a_call_naming_the_job_id_in_extra_inside_a_job_is_logged():
    log = logging.getLogger("tests.records.rq_like")
    log.propagate = False
    with observe.bound("req-1", job_id="job-7"):
        line = _one_line("json", log, "job %s failed", "job-7",
                         extra={"job_id": "job-7", "queue": "default"})
    entry = json.loads(line)
    assert (entry["job_id"], entry["request_id"], entry["queue"]) == ("job-7", "req-1",
                                                                       "default")
    assert line.count('"job_id"') == 1


def test_records_carry_the_current_job_id_and_none_outside_a_job():
    log = logging.getLogger("tests.records.plain")
    log.propagate = False
    with observe.bound("req-2", job_id="job-8"):
        inside = json.loads(_one_line("json", log, "inside"))
    outside = json.loads(_one_line("json", log, "outside"))
    assert (inside["job_id"], inside["request_id"]) == ("job-8", "req-2")
    assert "job_id" not in outside and outside["request_id"] is None
    record = logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, "m", (), None)
    assert not hasattr(record, "job_id")
    with observe.bound(None, job_id="job-9"):
        record = logging.getLogRecordFactory()("x", logging.INFO, "f", 1, "m", (), None)
    assert record.job_id == "job-9"  # kept after the job: pytest's caplog reads it later


def test_the_call_s_own_job_id_wins_over_the_current_one():
    log = logging.getLogger("tests.records.other")
    log.propagate = False
    with observe.bound(None, job_id="current"):
        entry = json.loads(_one_line("json", log, "m", extra={"job_id": "named"}))
        text = _one_line("text", log, "m", extra={"job_id": "named"})
    assert entry["job_id"] == "named"
    assert "m" in text
