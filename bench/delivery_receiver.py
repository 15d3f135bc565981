"""The webhook receiver of bench/deliveries.py, run as a process of its own:
`python bench/delivery_receiver.py PORT`.

POST /hook: check the signature, record (delivery id, event id, arrival time), answer 200 at
once. GET /receipts?from=N: what arrived from the N-th receipt on, with the total and the
number of bad signatures. Threaded, HTTP/1.1 keep-alive (the relay pools one connection per
destination and worker), nothing else: as fast as a receiver can be, so that the figures are
the relay's."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SECRET = "bench-secret-bench-secret"


def serve(port: int) -> None:
    receipts: list[tuple[int, int, float]] = []
    bad = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            now = time.time()
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-OMS-Signature", "")):
                with lock:
                    bad[0] += 1
                self._send(401)
                return
            row = (int(self.headers["X-OMS-Delivery-Id"]), json.loads(body)["id"], now)
            with lock:
                receipts.append(row)
            self._send(200)

        def do_GET(self) -> None:
            start = int(parse_qs(urlsplit(self.path).query).get("from", ["0"])[0])
            with lock:
                rows, total, bad_now = receipts[start:], len(receipts), bad[0]
            self._send(200, json.dumps({"receipts": rows, "total": total,
                                        "bad_signatures": bad_now}).encode())

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
