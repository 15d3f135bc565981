"""The soak's webhook subscriber, a process of its own: `python bench/soak/receiver.py PORT FILE
SECRET`. POST /hook checks the signature and appends `delivery id, event id, type` to FILE (one
line each, flushed before the 200), so what arrived survives the receiver being stopped and
started again as a fault: the soak compares it with the deliveries the database calls
delivered (every one must be in the file). Threaded, HTTP/1.1 keep-alive, like
bench/delivery_receiver.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(port: int, path: str, secret: str) -> None:
    out = open(path, "a", buffering=1)  # noqa: SIM115 (open for the life of the process)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-OMS-Signature", "")):
                self._send(401)
                return
            event = json.loads(body)
            with lock:
                out.write(f"{self.headers['X-OMS-Delivery-Id']} {event['id']} {event['type']}\n")
            self._send(200)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], sys.argv[3])
