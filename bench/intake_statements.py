"""Statements and round trips per order through the HTTP path, for one tree, in-process.

Run by bench/intake_compare.py as a subprocess whose sys.path starts with the tree being
measured (cwd = the tree, PYTHONPATH = the tree), so that the tree's own `create_app()` is what
runs. It builds the app, posts 2-line ship orders with Flask's test client (the whole HTTP
path: API key, validation, the use case, the 201 body; no socket, no gunicorn), and counts
per order:

- statements: SQLAlchemy's `before_cursor_execute` events on the app's engine, and the pool's
  checkouts (each may add a pre-ping);
- round trips, on the wire: the app reaches PostgreSQL through a relay in this process that
  counts every time the client speaks after the server has answered (BEGIN, COMMIT, pre-pings
  and DEALLOCATE included, which the events do not see), and the protocol messages: simple
  queries by verb, named Parse messages (server-side prepares), Executes.

Prints one JSON object on its last line (bench/intake_compare.py reads it).

usage: intake_statements.py --url postgresql+psycopg://... --key KEY [--orders 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import struct
import sys
import threading
import time
from collections import Counter
from contextlib import suppress

import psycopg
from bench_common import conninfo, statement_shape
from orders_bench import order_body
from sqlalchemy.engine import make_url

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


class WireCounter:
    """A TCP relay to PostgreSQL that counts the client's round trips and messages."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.round_trips = 0
        self.messages: Counter = Counter()  # protocol message type -> count
        self.simple: Counter = Counter()  # simple-protocol queries by first word
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def snapshot(self) -> tuple[int, Counter, Counter]:
        with self.lock:
            return self.round_trips, Counter(self.messages), Counter(self.simple)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections += 1
            state = {"server_spoke": True}
            threading.Thread(target=self._client_to_server, args=(client, server, state),
                             daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(server, client, state),
                             daemon=True).start()

    def _server_to_client(self, server: socket.socket, client: socket.socket,
                          state: dict) -> None:
        try:
            while data := server.recv(65536):
                state["server_spoke"] = True
                client.sendall(data)
        except OSError:
            return
        finally:
            for s in (client, server):
                with suppress(OSError):
                    s.close()

    def _client_to_server(self, client: socket.socket, server: socket.socket,
                          state: dict) -> None:
        buffer = b""
        startup = True  # untyped messages until the StartupMessage
        try:
            while data := client.recv(65536):
                with self.lock:
                    if state["server_spoke"]:
                        self.round_trips += 1
                        state["server_spoke"] = False
                server.sendall(data)
                buffer += data
                while True:
                    if startup:
                        if len(buffer) < 8:
                            break
                        length, code = struct.unpack("!ii", buffer[:8])
                        if len(buffer) < length:
                            break
                        buffer = buffer[length:]
                        if code not in (SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST):
                            startup = False
                        continue
                    if len(buffer) < 5:
                        break
                    kind = chr(buffer[0])
                    length = struct.unpack("!i", buffer[1:5])[0]
                    if len(buffer) < 1 + length:
                        break
                    payload = buffer[5:1 + length]
                    buffer = buffer[1 + length:]
                    self._count(kind, payload)
        except OSError:
            return
        finally:
            for s in (client, server):
                with suppress(OSError):
                    s.close()

    def _count(self, kind: str, payload: bytes) -> None:
        with self.lock:
            if kind == "Q":
                text = payload.rstrip(b"\0").decode(errors="replace").strip()
                verb = " ".join(text.split()[:2]).upper() if text.upper().startswith(
                    "DEALLOCATE") else (text.split() or ["?"])[0].upper()
                self.simple[verb] += 1
                self.messages["Q"] += 1
            elif kind == "P":
                name = payload.split(b"\0", 1)[0]
                self.messages["Parse (named: server-side prepare)" if name
                              else "Parse (unnamed)"] += 1
            elif kind == "E":
                self.messages["Execute"] += 1
            elif kind == "B":
                self.messages["Bind"] += 1
            elif kind == "S":
                self.messages["Sync"] += 1


def catalog(url: str) -> list[dict]:
    """The SKUs to order (same as the HTTP load: every item, by SKU)."""
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute("SELECT sku, name, price FROM inv_items ORDER BY sku").fetchall()
    return [{"sku": sku, "name": name, "price": f"{price:.2f}"} for sku, name, price in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the tree's database (SQLAlchemy URL)")
    parser.add_argument("--key", required=True, help="an admin API key of that database")
    parser.add_argument("--orders", type=int, default=30, help="measured orders")
    parser.add_argument("--warmup", type=int, default=30,
                        help="orders before counting (at least --orders)")
    args = parser.parse_args()

    url = make_url(args.url)
    relay = WireCounter(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=relay.port,
                      query={**url.query, "sslmode": "disable", "gssencmode": "disable"})
    os.environ["OMS_DATABASE_URL"] = proxied.render_as_string(hide_password=False)
    items = catalog(args.url)

    from oms.app import create_app  # the tree first on sys.path (see the docstring)

    app = create_app()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {args.key}"}
    tag = f"stmts-{time.time_ns()}"
    # The measured orders repeat the warm-up's customers, SKUs and addresses (returning
    # customers, as in the HTTP load, where 2,000 customers place thousands of orders).
    rng = random.Random("statements")

    def post(n: int) -> None:
        body = order_body(rng, 2, items, f"{tag}-{n}")
        r = client.post("/api/v1/orders", json=body, headers=headers)
        if r.status_code != 201:
            raise SystemExit(f"POST /api/v1/orders: HTTP {r.status_code} "
                             f"{r.get_data(as_text=True)[:500]}")

    for n in range(max(args.warmup, args.orders)):
        post(n)
    rng.seed("statements")

    engine = None
    try:
        from core.db import get_database

        engine = get_database().engine
    except Exception as exc:  # a tree without this accessor: the wire counts still stand
        print(f"no engine events ({type(exc).__name__}: {exc})", file=sys.stderr)
    shapes: Counter = Counter()
    checkouts = [0]

    def on_execute(_conn, _cursor, statement, _params, _context, _many) -> None:
        shapes[statement_shape(statement)] += 1

    def on_checkout(*_args) -> None:
        checkouts[0] += 1

    if engine is not None:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", on_execute)
        event.listen(engine.pool, "checkout", on_checkout)
    trips0, messages0, simple0 = relay.snapshot()
    connections0 = relay.connections
    for n in range(args.orders):
        post(100_000 + n)
    trips1, messages1, simple1 = relay.snapshot()
    n = args.orders
    modules = {name: getattr(sys.modules.get(name), "__file__", None)
               for name in ("oms", "oms.app", "oms.orders", "core.db", "inventory.ledger",
                            "fulfillment.planning")}
    print(json.dumps({
        "orders": n,
        "statements": sum(shapes.values()) / n if engine is not None else None,
        "checkouts": checkouts[0] / n if engine is not None else None,
        "round_trips": (trips1 - trips0) / n,
        "messages": {k: v / n for k, v in sorted((messages1 - messages0).items())},
        "simple": {k: v / n for k, v in (simple1 - simple0).most_common()},
        "shapes": {k: v / n for k, v in shapes.most_common()},
        "new_connections": relay.connections - connections0,
        "modules": modules,
    }))


if __name__ == "__main__":
    main()
