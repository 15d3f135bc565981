"""gunicorn settings for the OMS (`gunicorn -c python:oms.gunicorn_conf wsgi:app`)."""

import os

bind = os.environ.get("OMS_BIND", "127.0.0.1:8000")
# Embedded mode runs background jobs inside the web worker, so there must be exactly one.
workers = int(os.environ.get("OMS_WEB_WORKERS", "4" if os.environ.get("OMS_REDIS_URL") else "1"))
threads = int(os.environ.get("OMS_WEB_THREADS", "8"))
timeout = 60
accesslog = "-"


def post_worker_init(worker):
    # Embedded mode: the background jobs run on threads of the (single) web worker.
    from oms.app import start_background_worker

    start_background_worker(worker.wsgi)
