"""The WSGI entry point the intake comparison serves: the measured tree's own `wsgi:app`, plus
one path, GET /__bench/modules, that answers (outside Flask: no auth, no app code) which files
this worker process imported the app from, so the benchmark can prove that the baseline's
gunicorn runs the baseline tree and not the editable install. Everything else goes to the
app unchanged; the probe costs one string comparison per request.

Served as `gunicorn -c python:oms.gunicorn_conf ... oms_bench_probe:app` with the tree as the
working directory and this directory on PYTHONPATH after the tree (bench/baseline.py).
"""

import json
import os
import sys

from wsgi import app

PATH = "/__bench/modules"
MODULES = ("wsgi", "oms", "oms.app", "oms.orders", "core.db", "inventory.ledger",
           "fulfillment.planning")


class _Probe:
    def __init__(self, inner):
        self.inner = inner

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH:
            return self.inner(environ, start_response)
        body = json.dumps({
            "pid": os.getpid(),
            "modules": {n: getattr(sys.modules.get(n), "__file__", None) for n in MODULES},
            "sys_path": sys.path[:4],
        }).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]


# Wrap the Flask app's WSGI callable, not the app: gunicorn_conf's hooks get the Flask app.
app.wsgi_app = _Probe(app.wsgi_app)
