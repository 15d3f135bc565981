"""gunicorn settings for the OMS (`gunicorn -c python:oms.gunicorn_conf wsgi:app`)."""

import glob
import os
import re
import shutil
import tempfile

bind = os.environ.get("OMS_BIND", "127.0.0.1:8000")
# Embedded mode runs background jobs inside the web worker, so there must be exactly one.
workers = int(os.environ.get("OMS_WEB_WORKERS", "4" if os.environ.get("OMS_REDIS_URL") else "1"))
threads = int(os.environ.get("OMS_WEB_THREADS", "8"))
timeout = 60
# No gunicorn access log: the app writes one line per request itself (logger `oms.access`,
# with the request id, the route and the caller; core/observe.py).
accesslog = None

# ---------------------------------------------------------------- metrics (README, Observability)
# Every worker process writes its metric values to files in PROMETHEUS_MULTIPROC_DIR and a
# scrape adds them up. Set before any worker imports prometheus_client (workers are forked
# from this process and load the app after the fork). Unset: a fresh directory of this server's
# own, removed when it stops; set it to share one with the RQ workers of this host.
_OWNED_DIR = "OMS_METRICS_DIR_OWNED"  # this master made it (kept across config reloads)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="oms-metrics-")
    os.environ[_OWNED_DIR] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w*?_(\d+)\.db$")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server):
    # A shared directory may hold the live gauges of processes that died without saying so
    # (a SIGKILLed server): they would count forever. Counters stay (totals never go down).
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    for path in glob.glob(os.path.join(directory, "gauge_live*.db")):
        found = _LIVE_GAUGE_FILE.search(os.path.basename(path))
        if found and not _alive(int(found.group(1))):
            os.remove(path)


def child_exit(server, worker):
    # A worker that exited (recycled, killed, crashed) leaves the live gauges (pool use).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    owned = os.environ.get(_OWNED_DIR)
    if owned and owned == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(owned, ignore_errors=True)


# ---------------------------------------------------------------- logs
# OMS_LOG_FORMAT=json (the default): gunicorn's own lines (starting, workers booting and
# dying) are JSON objects too, like the app's (core.observe.JsonFormatter).
if os.environ.get("OMS_LOG_FORMAT", "json").strip().lower() in ("", "json"):
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},  # the app adds its own (create_app)
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False,
                               "qualname": "gunicorn.error"},
            # Any logconfig turns gunicorn's access log on; the app's `oms.access` has it.
            "gunicorn.access": {"level": "INFO", "handlers": ["null"], "propagate": False,
                                "qualname": "gunicorn.access"},
        },
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                              "stream": "ext://sys.stderr"},
                     "null": {"class": "logging.NullHandler"}},
        "formatters": {"json": {"()": "core.observe.JsonFormatter"}},
    }


def post_worker_init(worker):
    # Embedded mode: the background jobs run on threads of the (single) web worker.
    from oms.app import start_background_worker

    start_background_worker(worker.wsgi)
