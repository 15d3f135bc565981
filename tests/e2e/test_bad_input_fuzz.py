"""Bad input never gets a 500: a deterministic fuzz of every operation in the OpenAPI document.

The contract (design/API.md): bad input is answered with a 4xx whose JSON body is
`{"error": {"code", "message", "fields", ...}}`; never a 500, never an HTML or empty error body.
A request without a key gets 401, a key outside its role or location gets 403.

Every operation is read from `GET /api/v1/openapi.json` and sent, with an admin key so auth
does not short-circuit:

- bodies (POST/PUT): not JSON, other JSON values, wrong Content-Type, an empty body, and every
  documented field (nested ones too, e.g. `lines.0.sku`, `fulfillment.address.latitude`) set
  in turn to a battery of wrong values, on top of a valid base body built from real records;
- query strings (GET): every documented parameter set to malformed values, raw and encoded;
- path parameters: real ids and bogus ones (0, -1, 2**31, 20 digits, 'abc', '/', unicode...);
- other methods on every path, unknown paths;
- missing, garbage and malformed keys (401), and keys outside their scope (403);
- signed and unsigned Shopify webhook deliveries with malformed headers and bodies.

Failures are collected, not raised one by one: each test asserts once at the end with a report
grouped by root cause (operation, status, exception and the deepest frame of project code,
taken from the server's logged traceback).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import itertools
import json
import logging
import math
import os
import re
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.auth import create_api_key
from core.db import read_session
from inventory import services
from inventory.invariants import find_drift
from tests.support import CAUSE

API = "/api/v1"
PROJECT = str(Path(__file__).resolve().parents[2])
MISSING = object()
DELETE = object()  # as a fuzz value: drop the field
NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "US",
            "latitude": 40.7484, "longitude": -73.9857}
LONG = "x" * 10_000
# Example inputs shown per operation and cause in the report (OMS_FUZZ_EXAMPLES=100: all).
EXAMPLES = int(os.environ.get("OMS_FUZZ_EXAMPLES", "2"))

# (label, value): each documented field of each body is set to each of these in turn.
BAD_VALUES: list[tuple[str, Any]] = [
    ("<missing>", DELETE),
    ("'abc'", "abc"),
    ("7", 7),
    ("-1", -1),
    ("0", 0),
    ("1.5", 1.5),
    ("10**30", 10**30),
    ("-10**30", -(10**30)),
    ("2**31", 2**31),
    ("2**63", 2**63),
    ("true", True),
    ("null", None),
    ("[1]", [1]),
    ("[]", []),
    ("{'a': 1}", {"a": 1}),
    ("''", ""),
    ("' '", " "),
    ("'x'*10000", LONG),
    ("unicode", "Ünïcødé 😀 ☃"),
    ("NUL", "a\u0000b"),
    ("lone surrogate", "\ud800"),
    ("Infinity", math.inf),
    ("NaN", math.nan),
    ("'1e400'", "1e400"),
    ("'NaN'", "NaN"),
    ("arabic digits '١٢'", "١٢"),
]
# Extra shapes for fields documented as arrays / objects.
ARRAY_VALUES: list[tuple[str, Any]] = [
    ("[{}]", [{}]), ("[null]", [None]), ("['x']", ["x"]), ("[[1]]", [[1]]),
    ("[{'a': 1}]", [{"a": 1}]),
]
OBJECT_VALUES: list[tuple[str, Any]] = [("{}", {}), ("{'unknown': 1}", {"unknown": 1})]

QUERY_VALUES: list[tuple[str, str | None, str | None]] = [
    # (label, value to url-encode, or raw text put in the query string as is)
    ("-1", "-1", None), ("0", "0", None), ("abc", "abc", None), ("1.5", "1.5", None),
    ("10**30", str(10**30), None), ("2**31", str(2**31), None), ("2**63", str(2**63), None),
    ("''", "", None), ("'x'*10000", LONG, None), ("'%' encoded", "%", None),
    ("'%' raw", None, "%"), ("'%zz' raw", None, "%zz"), ("unicode", "Ünï 😀", None),
    ("NUL encoded", "a\x00b", None), ("%00 raw", None, "a%00b"), ("%FF raw", None, "%FF"),
    ("surrogate raw", None, "%ED%A0%80"), ("true", "true", None), ("null", "null", None),
    ("'_'", "_", None), ("backslash", "\\", None), ("quotes", "'\"", None),
    ("1e400", "1e400", None), ("NaN", "NaN", None), ("inf", "inf", None),
    ("arabic digits", "١٢", None), ("' 5 '", " 5 ", None),
]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSOR_VALUES: list[tuple[str, str]] = [
    ("garbage '!!!!'", "!!!!"), ("'===='", "===="), ("'a'", "a"), ("'x'*10000", LONG),
    ("b64(10**30)", _b64(str(10**30).encode())), ("b64(-1)", _b64(b"-1")),
    ("b64(2**31)", _b64(str(2**31).encode())), ("b64(2**63)", _b64(str(2**63).encode())),
    ("b64(1.5)", _b64(b"1.5")), ("b64(' 7 ')", _b64(b" 7 ")),
    ("b64(arabic 3)", _b64("٣".encode())), ("b64(\\xff\\xfe)", _b64(b"\xff\xfe")),
    ("b64(NUL)", _b64(b"\x00")), ("b64(0)", _b64(b"0")), ("b64('1_0')", _b64(b"1_0")),
    ("b64(10**5000 digits)", _b64(b"1" * 5000)),
]
INT_PATH_VALUES = ["0", "-1", "2147483648", "99999999999999999999", "abc", "1.5", "%20",
                   "\u0661", "00000001", "1e3"]
STR_PATH_VALUES = ["NOPE", "a/b", "a%2Fb", "Ünï😀", "%00", "x" * 3000, "%FF", "..", "a%20b",
                   "%25", "'", "-", "~"]


# ------------------------------------------------------------------ recording

class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _short(value: Any, limit: int = 160) -> str:
    """A readable summary of a payload: long strings shortened, bytes decoded."""
    if isinstance(value, bytes):
        text = repr(value[:limit]) + (f"...({len(value)} bytes)" if len(value) > limit else "")
        return text
    text = json.dumps(value, default=str, ensure_ascii=True) if not isinstance(value, str) \
        else value
    text = text.replace(LONG, "'x'*10000")
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


def _rel(frame: traceback.FrameSummary) -> str:
    name = Path(frame.filename).as_posix()
    for prefix in (PROJECT + "/.venv/lib/", PROJECT + "/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    name = re.sub(r"^python3\.\d+/site-packages/", "", name)
    return f"{name}:{frame.lineno} in {frame.name}"


def _trace_tail(exc_info: Any) -> tuple[str, str, str]:
    """(cause, where, tail): the exception (message normalised, so one root cause is one
    group), the deepest frame of project code and where it was raised, the traceback's end."""
    etype, exc, tb = exc_info
    frames = traceback.extract_tb(tb)
    ours = [f for f in frames if f.filename.startswith(PROJECT) and "/.venv/" not in f.filename
            and "/tests/" not in f.filename]
    where = _rel(ours[-1]) if ours else "?"
    if frames and (not ours or frames[-1] is not ours[-1]):
        where += f" (raised in {_rel(frames[-1])})"
    message = str(exc).splitlines()[0][:200] if str(exc) else ""
    cause = f"{etype.__name__}: {_normalise(message)}"
    tail = "".join(traceback.format_exception(etype, exc, tb)[-4:])
    return cause, where, tail[-1500:]


def _normalise(message: str) -> str:
    """Messages differ by the values in them; the cause does not."""
    message = re.sub(r"'[^']*'", "'…'", message)
    message = re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "N", message)
    return message[:160]


@dataclass
class Failure:
    method: str
    template: str
    path: str
    what: str
    status: int | str
    problem: str
    body: str
    cause: str = ""
    where: str = ""
    trace: str = ""


@dataclass
class Result:
    status: int
    json: Any
    headers: Any


@dataclass
class Fuzzer:
    client: Any
    admin_key: str
    failures: list[Failure] = field(default_factory=list)
    capture: _Capture = field(default_factory=_Capture)
    requests: int = 0
    # The last traceback the server logged, whatever the status (webhooks answer 200 and log).
    last_trace: tuple[str, str, str] = ("", "", "")

    # The app's loggers: their tracebacks go into the report, not (thousands of them) into
    # pytest's captured-log section. Started from inside the test, after pytest attached its
    # own handlers, so pytest does not attach to them once they stop propagating.
    LOGGERS = ("core", "inventory", "fulfillment", "returns", "oms", "integrations")
    _propagate: dict[str, bool] | None = None

    def start_capture(self) -> None:
        if self._propagate is not None:
            return
        self._propagate = {}
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self._propagate[name] = logger.propagate
            logger.propagate = False
            logger.addHandler(self.capture)

    def stop_capture(self) -> None:
        for name, propagate in (self._propagate or {}).items():
            logger = logging.getLogger(name)
            logger.removeHandler(self.capture)
            logger.propagate = propagate
        self._propagate = None

    def call(self, method: str, template: str, path: str, *, what: str,
             json_body: Any = MISSING, raw: bytes | None = None,
             content_type: str | None = "application/json", query: str | None = None,
             headers: dict[str, str] | None = None, key: str | object | None = MISSING,
             expect: tuple[int, ...] | None = None) -> Result | None:
        """Send one request, check the contract, record any failure; None if it crashed."""
        key = self.admin_key if key is MISSING else key
        sent_headers = dict(headers or {})
        if key is not None:
            sent_headers.setdefault("Authorization", f"Bearer {key}")
        data: bytes | None = None
        if raw is not None:
            data = raw
        elif json_body is not MISSING:
            data = json.dumps(json_body).encode()
        url = path + (f"?{query}" if query else "")
        kwargs: dict[str, Any] = {"method": method, "headers": sent_headers}
        if data is not None:
            kwargs["data"] = data
            if content_type is not None:
                kwargs["content_type"] = content_type
        self.start_capture()
        self.capture.records.clear()
        self.requests += 1
        summary = what if raw is None and json_body is MISSING else \
            f"{what} | body={_short(raw if raw is not None else json_body, 110)}"
        try:
            response = self.client.open(url, **kwargs)
        except Exception as exc:
            cause, where, tail = _trace_tail((type(exc), exc, exc.__traceback__))
            self.failures.append(Failure(method, template, _short(url, 120), summary,
                                         "exception", "the request raised in the test client",
                                         "", cause, where, tail))
            return None
        status = response.status_code
        self.last_trace = ("", "", "")
        for record in self.capture.records:
            if record.exc_info:
                self.last_trace = _trace_tail(record.exc_info)
        text = response.get_data(as_text=True)
        body = response.get_json(silent=True)
        problems = []
        if status >= 500:
            problems.append(f"{status} server error")
        elif status >= 400:
            problems.extend(_contract_problems(response, body))
        if expect is not None and status not in expect:
            problems.append(f"expected {'/'.join(map(str, expect))}, got {status}")
        if problems:
            cause, where, tail = "", "", ""
            for record in self.capture.records:
                if record.exc_info and status >= 500:
                    cause, where, tail = _trace_tail(record.exc_info)
            if not cause and status >= 500:
                logged = [r.getMessage() for r in self.capture.records
                          if r.levelno >= logging.ERROR]
                cause = _normalise(logged[-1]) if logged else "(nothing logged)"
            if not cause:
                cause = _normalise("; ".join(problems))
            self.failures.append(Failure(method, template, _short(url, 120), summary, status,
                                         "; ".join(problems), _short(text, 300), cause, where,
                                         tail))
        return Result(status, body, response.headers)

    def must(self, method: str, path: str, json_body: Any = MISSING,
             status: tuple[int, ...] = (200, 201)) -> dict:
        """A setup request that has to work."""
        self.start_capture()
        response = self.client.open(path, method=method, json=None if json_body is MISSING
                                    else json_body,
                                    headers={"Authorization": f"Bearer {self.admin_key}"})
        assert response.status_code in status, (method, path, response.get_data(as_text=True))
        return response.get_json()

    def report(self, title: str) -> str:
        """Failures grouped by root cause (status, exception, normalised message); under each,
        the operations it hits, with the project frame and a couple of example inputs."""
        groups: dict[tuple[str, str], list[Failure]] = {}
        for f in self.failures:
            groups.setdefault((str(f.status), f.cause), []).append(f)
        lines = [f"{title}: {len(self.failures)} failing request(s) of {self.requests} sent, "
                 f"{len(groups)} distinct root cause(s):", ""]
        for n, ((status, cause), items) in enumerate(sorted(
                groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]))), 1):
            lines.append(f"[{n}] -> {status}: {cause}   ({len(items)} request(s))")
            by_op: dict[tuple[str, str, str], list[Failure]] = {}
            for f in items:
                by_op.setdefault((f.method, f.template, f.where), []).append(f)
            for (method, template, where), hits in by_op.items():
                lines.append(f"    {method} {template}  x{len(hits)}"
                             + (f"  @ {where}" if where else ""))
                for f in hits[:EXAMPLES]:
                    lines.append(f"        e.g. {f.path} :: {f.what}")
            lines.append(f"    problem: {items[0].problem}")
            lines.append(f"    response: {items[0].body}")
            if items[0].trace:
                lines.extend("    | " + t for t in items[0].trace.rstrip().splitlines()[-3:])
            lines.append("")
        return "\n".join(lines)

    def assert_clean(self, title: str) -> None:
        with read_session() as session:
            drifts = find_drift(session)
        for drift in drifts:
            self.failures.append(Failure("-", "(ledger)", "-", "after the fuzz", "-",
                                         f"ledger drift: {drift}", "", "ledger drift"))
        if self.failures:
            pytest.fail(self.report(title), pytrace=False)


def _contract_problems(response: Any, body: Any) -> list[str]:
    if body is None:
        return [f"4xx body is not JSON (Content-Type {response.content_type!r})"]
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return ["4xx body has no 'error' object"]
    error = body["error"]
    out = []
    if not isinstance(error.get("code"), str) or not error.get("code"):
        out.append("error.code missing or not a string")
    if not isinstance(error.get("message"), str) or not error.get("message"):
        out.append("error.message missing or not a string")
    if not isinstance(error.get("fields"), dict):
        out.append("error.fields missing or not an object")
    return out


# ------------------------------------------------------------------ the OpenAPI document

@dataclass
class Operation:
    method: str
    template: str
    path_params: list[tuple[str, str]]  # (name, type)
    query_params: list[tuple[str, dict]]
    body_schema: dict | None


def _resolve(spec: dict, schema: dict) -> dict:
    for _ in range(20):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = spec["components"]["schemas"][name]
        elif "anyOf" in schema or "oneOf" in schema:
            options = schema.get("anyOf") or schema.get("oneOf")
            schema = next((o for o in options if "$ref" in o or "properties" in o), options[0])
        else:
            return schema
    return schema


def operations(spec: dict) -> list[Operation]:
    out = []
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = shared + op.get("parameters", [])
            path_params = [(p["name"], _resolve(spec, p.get("schema", {})).get("type", "string"))
                           for p in params if p["in"] == "path"]
            query_params = [(p["name"], _resolve(spec, p.get("schema", {})))
                            for p in params if p["in"] == "query"]
            content = (op.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            out.append(Operation(method.upper(), template, path_params, query_params,
                                 _resolve(spec, schema) if schema else None))
    return out


def field_paths(spec: dict, schema: dict, prefix: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every documented field, nested objects and array items included: (path, type)."""
    for name, prop in _resolve(spec, schema).get("properties", {}).items():
        resolved = _resolve(spec, prop)
        path = (*prefix, name)
        kind = resolved.get("type") or ("object" if "properties" in resolved else "any")
        yield path, kind
        if "properties" in resolved:
            yield from field_paths(spec, resolved, path)
        elif kind == "array":
            items = _resolve(spec, resolved.get("items", {}))
            if "properties" in items:
                yield from field_paths(spec, items, (*path, 0))


def with_value(body: Any, path: tuple, value: Any) -> Any:
    """A copy of `body` with the field at `path` set to `value` (or removed, for DELETE)."""
    out = copy.deepcopy(body)
    if not isinstance(out, dict):
        out = {}
    node = out
    for step, nxt in itertools.pairwise(path):
        child = node[step] if (isinstance(node, list) and step < len(node)) or \
            (isinstance(node, dict) and step in node) else None
        if not isinstance(child, dict | list):
            child = [{}] if isinstance(nxt, int) else {}
            if isinstance(node, list):
                node[step] = child
            else:
                node[step] = child
        node = child
    last = path[-1]
    if value is DELETE:
        if isinstance(node, dict):
            node.pop(last, None)
        elif isinstance(node, list) and last < len(node):
            node.pop(last)
    elif isinstance(node, list):
        if last < len(node):
            node[last] = value
        else:
            node.append(value)
    else:
        node[last] = value
    return out


def dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


# ------------------------------------------------------------------ real records to act on

class World:
    """Records for the fuzzed operations to act on, made through the API; an operation that
    changes or uses one up (a ship, a cancel...) has it remade for the next case."""

    def __init__(self, fz: Fuzzer) -> None:
        self.fz = fz
        self.cache: dict[str, Any] = {}
        self.seq = itertools.count(1)
        services.receive("JKT-1", "dc-east", 100_000, CAUSE)
        services.receive("JKT-1", "store-brooklyn", 100_000, CAUSE)
        services.receive("BOOT-1", "dc-central", 100_000, CAUSE)
        services.receive("SOCK-1", "store-soho", 100_000, CAUSE)
        services.receive("SOCK-1", "store-chicago", 100_000, CAUSE)

    def get(self, name: str) -> Any:
        if name not in self.cache:
            self.cache[name] = getattr(self, f"_make_{name}")()
        return self.cache[name]

    def spend(self, *names: str) -> None:
        for name in names:
            self.cache.pop(name, None)

    def next(self) -> int:
        return next(self.seq)

    def _place(self, body: dict) -> dict:
        return self.fz.must("POST", f"{API}/orders", body)

    def _ship_order(self) -> dict:
        """A BOOT-1 order: only dc-central holds BOOT-1, so the work lands there."""
        n = self.next()
        order = self._place({
            "channel": "web", "external_id": f"WORLD-{n}", "currency": "USD",
            "customer": {"email": f"world{n}@example.com", "name": f"World {n}"},
            "lines": [{"sku": "BOOT-1", "quantity": 2, "unit_price": "160.00"}],
            "fulfillment": {"method": "ship", "address": NEW_YORK}})
        [f] = order["fulfillments"]
        assert f["location"] == "dc-central", order
        return {"order_id": order["id"], "line_id": order["lines"][0]["line_id"],
                "fulfillment_id": f["id"], "customer_id": order["customer_id"],
                "email": f"world{n}@example.com"}

    _make_order = _ship_order
    _make_ship = _ship_order
    _make_customer = _ship_order

    def _make_claimed(self) -> dict:
        made = self._ship_order()
        for _ in range(50):
            claimed = self.fz.must("POST", f"{API}/pick-lists/claim",
                                   {"location": "dc-central", "limit": 100,
                                    "lease_seconds": 3600})["items"]
            if any(c["id"] == made["fulfillment_id"] for c in claimed):
                return made
            if not claimed:
                break
        raise AssertionError("could not claim the world's fulfillment")

    def _make_pickup_pending(self) -> dict:
        n = self.next()
        order = self._place({
            "channel": "web", "external_id": f"WORLD-P-{n}", "currency": "USD",
            "customer": {"email": f"pickup{n}@example.com"},
            "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00"}],
            "fulfillment": {"method": "pickup", "pickup_location": "store-brooklyn"}})
        [f] = order["fulfillments"]
        assert (f["location"], f["method"]) == ("store-brooklyn", "pickup"), order
        return {"order_id": order["id"], "fulfillment_id": f["id"]}

    def _make_pickup_ready(self) -> dict:
        made = self._make_pickup_pending()
        ready = self.fz.must("POST", f"{API}/fulfillments/{made['fulfillment_id']}"
                                     "/ready-for-pickup")
        return {**made, "code": ready["pickup_code"]}

    def _make_transfer(self) -> dict:
        moved = self.fz.must("POST", f"{API}/stock/movements", {
            "sku": "BOOT-1", "location": "dc-central", "kind": "transfer", "quantity": 5,
            "to_location": "store-chicago"})
        return {"transfer_id": moved["transfer"]["id"]}

    def _make_merge_pair(self) -> tuple[int, int]:
        return (self._ship_order()["customer_id"], self._ship_order()["customer_id"])

    def _make_merged_pair(self) -> tuple[int, int]:
        into, other = self._make_merge_pair()
        self.fz.must("POST", f"{API}/customers/{into}/merge", {"customer_id": other})
        return into, other


@dataclass
class Case:
    """How to call one operation validly: path params, query, body, what it uses up."""

    params: dict[str, str]
    body: Any = MISSING
    query: dict[str, str] = field(default_factory=dict)
    spends: tuple[str, ...] = ()
    # Remade after every call, not only after a success or a 409: a wrong pickup code
    # counts towards the lockout, which would hide what later codes do.
    always: bool = False


def _order_body(w: World) -> dict:
    return {"channel": "web", "external_id": f"FUZZ-{w.next()}", "currency": "USD",
            "customer": {"email": "fuzz@example.com", "phone": "+1 212 555 0100",
                         "name": "Fuzz Roe", "account_id": "acct-1"},
            "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00", "name": "Jacket",
                       "external_id": "L-1"}],
            "fulfillment": {"method": "ship", "address": {**NEW_YORK, "name": "Fuzz",
                                                          "region": "NY"}},
            "bopis_policy": None, "channel_name": "web shop"}


def _cases(w: World) -> dict[tuple[str, str], Callable[[], Case]]:
    """The base (valid) call of each known operation, built fresh for every fuzz case."""
    A = API

    def ship() -> dict:
        return w.get("ship")

    return {
        ("POST", f"{A}/locations"): lambda: Case({}, {
            "code": f"fz-{w.next()}", "name": "Fuzz", "kind": "store", "latitude": 40.0,
            "longitude": -74.0, "ships": True, "pickup": True, "priority": 1,
            "daily_capacity": 10, "city": "NYC", "region": "NY", "country": "US",
            "postal_code": "10001"}),
        ("GET", f"{A}/locations"): lambda: Case({}, query={"kind": "store"}),
        ("GET", f"{A}/locations/{{code}}"): lambda: Case({"code": "dc-east"}),
        ("GET", f"{A}/locations/{{code}}/stock"): lambda: Case(
            {"code": "dc-east"}, query={"limit": "5", "available_only": "true"}),
        ("POST", f"{A}/items"): lambda: Case({}, {
            "sku": f"FZ-{w.next()}", "name": "Fuzz", "price": "1.00", "currency": "USD",
            "weight_grams": 5}),
        ("GET", f"{A}/items"): lambda: Case({}, query={"limit": "5"}),
        ("GET", f"{A}/items/{{sku}}"): lambda: Case({"sku": "JKT-1"}),
        ("POST", f"{A}/stock/movements"): lambda: Case({}, {
            "sku": "SOCK-1", "location": "store-chicago", "kind": "receipt", "quantity": 1,
            "reference": "fuzz", "note": "fuzz"}),
        ("GET", f"{A}/transfers"): lambda: Case({}, query={"location": "store-chicago",
                                                           "status": "in_transit"}),
        ("POST", f"{A}/transfers/{{transfer_id}}/receive"): lambda: Case(
            {"transfer_id": str(w.get("transfer")["transfer_id"])},
            {"quantity": 1, "reference": "fuzz"}, spends=("transfer",)),
        ("GET", f"{A}/stock/{{sku}}"): lambda: Case(
            {"sku": "JKT-1"}, query={"near": "store-soho", "kind": "store",
                                     "min_available": "0"}),
        ("GET", f"{A}/stock/{{sku}}/movements"): lambda: Case(
            {"sku": "JKT-1"}, query={"limit": "5", "location": "dc-east"}),
        ("PUT", f"{A}/stock/{{sku}}/{{location}}/safety-stock"): lambda: Case(
            {"sku": "SOCK-1", "location": "store-chicago"}, {"safety_stock": 1}),
        ("POST", f"{A}/orders"): lambda: Case({}, _order_body(w)),
        ("POST", f"{A}/fulfillment-options"): lambda: Case({}, {
            "lines": [{"sku": "JKT-1", "quantity": 2}, {"sku": "SOCK-1", "quantity": 1}],
            "destination": {**NEW_YORK, "region": "NY"}, "pickup_location": "store-soho",
            "radius_km": 80, "max_stores": 5, "deliver_by": None}),
        ("GET", f"{A}/orders"): lambda: Case({}, query={"q": "fuzz", "limit": "5"}),
        ("GET", f"{A}/orders/{{order_id}}"): lambda: Case(
            {"order_id": str(w.get("order")["order_id"])}),
        ("POST", f"{A}/orders/{{order_id}}/cancel"): lambda: Case(
            {"order_id": str(w.get("order")["order_id"])},
            {"lines": [{"line_id": w.get("order")["line_id"], "quantity": 1}],
             "reason": "fuzz"}, spends=("order",)),
        ("POST", f"{A}/orders/{{order_id}}/reroute"): lambda: Case(
            {"order_id": str(w.get("order")["order_id"])},
            {"exclude_locations": ["dc-east"]}, spends=("order",)),
        ("POST", f"{A}/orders/{{order_id}}/notes"): lambda: Case(
            {"order_id": str(w.get("order")["order_id"])}, {"channel": "phone", "text": "hi"}),
        ("GET", f"{A}/customers"): lambda: Case({}, query={"q": "world", "limit": "5"}),
        ("GET", f"{A}/customers/{{customer_id}}"): lambda: Case(
            {"customer_id": str(w.get("customer")["customer_id"])}),
        ("POST", f"{A}/customers/{{customer_id}}/notes"): lambda: Case(
            {"customer_id": str(w.get("customer")["customer_id"])},
            {"channel": "email", "text": "hi"}),
        ("POST", f"{A}/customers/{{customer_id}}/merge"): lambda: Case(
            {"customer_id": str(w.get("merge_pair")[0])},
            {"customer_id": w.get("merge_pair")[1], "reason": "fuzz"},
            spends=("merge_pair", "merged_pair")),
        ("POST", f"{A}/customers/{{customer_id}}/unmerge"): lambda: Case(
            {"customer_id": str(w.get("merged_pair")[0])},
            {"customer_id": w.get("merged_pair")[1]}, spends=("merged_pair", "merge_pair")),
        ("GET", f"{A}/pick-lists"): lambda: Case({}, query={"location": "dc-east",
                                                            "limit": "5"}),
        ("POST", f"{A}/pick-lists/claim"): lambda: Case(
            {}, {"location": "dc-east", "limit": 1, "lease_seconds": 60}),
        ("GET", f"{A}/fulfillments/{{fulfillment_id}}"): lambda: Case(
            {"fulfillment_id": str(ship()["fulfillment_id"])}),
        ("POST", f"{A}/fulfillments/{{fulfillment_id}}/renew"): lambda: Case(
            {"fulfillment_id": str(w.get("claimed")["fulfillment_id"])},
            {"lease_seconds": 60}),
        ("POST", f"{A}/fulfillments/{{fulfillment_id}}/pick"): lambda: Case(
            {"fulfillment_id": str(ship()["fulfillment_id"])},
            {"lines": [{"line_id": ship()["line_id"], "picked_quantity": 2}]},
            spends=("ship",)),
        ("POST", f"{A}/fulfillments/{{fulfillment_id}}/ship"): lambda: Case(
            {"fulfillment_id": str(ship()["fulfillment_id"])},
            {"carrier": "UPS", "tracking_number": "1Z999"}, spends=("ship",)),
        ("POST", f"{A}/fulfillments/{{fulfillment_id}}/reject"): lambda: Case(
            {"fulfillment_id": str(ship()["fulfillment_id"])}, {"reason": "fuzz"},
            spends=("ship",)),
        ("POST", f"{A}/fulfillments/{{fulfillment_id}}/ready-for-pickup"): lambda: Case(
            {"fulfillment_id": str(w.get("pickup_pending")["fulfillment_id"])},
            spends=("pickup_pending",)),
        ("POST", f"{A}/fulfillments/{{fulfillment_id}}/pickup"): lambda: Case(
            {"fulfillment_id": str(w.get("pickup_ready")["fulfillment_id"])},
            {"code": w.get("pickup_ready")["code"]}, spends=("pickup_ready",), always=True),
    }


def _example(spec: dict, schema: dict) -> Any:
    """A plausible value for an operation nobody described in `_cases` (new endpoints)."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if kind == "object" or "properties" in schema:
        return {k: _example(spec, v) for k, v in schema.get("properties", {}).items()
                if k in schema.get("required", [])}
    if kind == "array":
        return [_example(spec, schema.get("items", {}))]
    return {"integer": 1, "number": 1, "boolean": True}.get(kind or "", "dc-east")


class Runner:
    """Walks the OpenAPI operations with a World and a Fuzzer."""

    def __init__(self, client: Any, admin_key: str) -> None:
        self.fz = Fuzzer(client, admin_key)
        spec = client.get(f"{API}/openapi.json").get_json()
        assert spec and spec.get("paths"), "no OpenAPI document"
        self.spec = spec
        self.ops = operations(spec)
        self.world = World(self.fz)
        self.known = _cases(self.world)

    def base(self, op: Operation) -> Case:
        maker = self.known.get((op.method, op.template))
        if maker is not None:
            return maker()
        params = {name: ("1" if kind == "integer" else "dc-east") for name, kind in
                  op.path_params}
        body = _example(self.spec, op.body_schema) if op.body_schema else MISSING
        return Case(params, body)

    @staticmethod
    def fill(template: str, params: dict[str, str]) -> str:
        path = template
        for name, value in params.items():
            path = path.replace(f"{{{name}}}", value)
        return path

    def send(self, op: Operation, case: Case, what: str, **kw: Any) -> Result | None:
        path = kw.pop("path", None) or self.fill(op.template, case.params)
        if "query" not in kw and case.query:
            kw["query"] = urllib.parse.urlencode(case.query)
        if "json_body" not in kw and "raw" not in kw and case.body is not MISSING:
            kw["json_body"] = case.body
        result = self.fz.call(op.method, op.template, path, what=what, **kw)
        if case.spends and (case.always or result is None or 200 <= result.status < 300
                            or result.status == 409):
            self.world.spend(*case.spends)
        return result


# ------------------------------------------------------------------ fixtures

@pytest.fixture
def runner(client, network, admin) -> Iterator[Runner]:
    made = Runner(client, admin.key)
    yield made
    made.fz.stop_capture()


# ------------------------------------------------------------------ the tests

def _raw_bodies(base: Any, first_field: str | None) -> list[tuple[str, bytes, str | None]]:
    as_json = json.dumps(base if base is not MISSING else {}).encode()
    huge_digits = ("{" + json.dumps(first_field or "x") + ": 1" + "0" * 5000 + "}").encode()
    form = urllib.parse.urlencode({k: str(v) for k, v in (base or {}).items()}
                                  if isinstance(base, dict) else {}).encode()
    return [
        ("not JSON", b"this is not json", "application/json"),
        ("truncated JSON", as_json[: max(1, len(as_json) // 2)], "application/json"),
        ("JSON array []", b"[]", "application/json"),
        ("JSON array of the base body", b"[" + as_json + b"]", "application/json"),
        ("JSON null", b"null", "application/json"),
        ("JSON {}", b"{}", "application/json"),
        ("JSON number", b"42", "application/json"),
        ("JSON string", b'"x"', "application/json"),
        ("JSON true", b"true", "application/json"),
        ("empty body", b"", "application/json"),
        ("empty body, no Content-Type", b"", None),
        ("base body, no Content-Type", as_json, None),
        ("base body as text/plain", as_json, "text/plain"),
        ("base body as form", form, "application/x-www-form-urlencoded"),
        ("base body as multipart", b"--b\r\n\r\n--b--", "multipart/form-data; boundary=b"),
        ("base body, charset latin-1", as_json, "application/json; charset=latin-1"),
        ("base body, bogus charset", as_json, "application/json; charset=nope"),
        ("invalid UTF-8", b'{"a": "\xff\xfe"}', "application/json"),
        ("UTF-16 JSON", as_json.decode().encode("utf-16"), "application/json"),
        ("BOM + JSON", b"\xef\xbb\xbf" + as_json, "application/json"),
        ("NUL byte in JSON text", as_json.replace(b"{", b"{\x00", 1), "application/json"),
        ("deeply nested arrays (50k)", b"[" * 50_000 + b"]" * 50_000, "application/json"),
        ("deeply nested objects (50k)", b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
         "application/json"),
        ("5000-digit number", huge_digits, "application/json"),
        ("NaN literal", b'{"x": NaN}', "application/json"),
        ("duplicate keys", b'{"a": 1, "a": 2}', "application/json"),
    ]


def test_bad_bodies_never_500(runner: Runner):
    """Every POST/PUT/PATCH: malformed bodies, and each field set to each wrong value."""
    fz, w = runner.fz, runner.world
    for op in runner.ops:
        if op.method not in ("POST", "PUT", "PATCH"):
            continue
        base = runner.base(op)
        fields = list(field_paths(runner.spec, op.body_schema)) if op.body_schema else []
        first = fields[0][0][0] if fields else None
        for label, raw, content_type in _raw_bodies(base.body, first):
            case = runner.base(op)
            runner.send(op, case, label, raw=raw, content_type=content_type)
        for path, kind in fields:
            values = list(BAD_VALUES)
            if kind == "array":
                values += ARRAY_VALUES
                values.append(("1000 copies of item", "__copies__"))
            if kind == "object":
                values += OBJECT_VALUES
            for label, value in values:
                case = runner.base(op)
                body = case.body if case.body is not MISSING else {}
                if value == "__copies__":
                    current = body
                    for step in path:
                        current = current.get(step) if isinstance(current, dict) else None
                    value = (current or [1]) * 1000
                runner.send(op, case, f"{dotted(path)}={label}",
                            json_body=with_value(body, path, value))
        for label, mutate in SEMANTIC.get((op.method, op.template), []):
            case = runner.base(op)
            runner.send(op, case, label, json_body=mutate(copy.deepcopy(case.body), w))
    fz.assert_clean("bad bodies")


def _set(path: str, value: Any) -> Callable[[Any, World], Any]:
    keys = tuple(int(p) if p.isdigit() else p for p in path.split("."))
    return lambda body, w: with_value(body, keys, value)


# Inputs of the right types that are still wrong: business rules, not schemas.
SEMANTIC: dict[tuple[str, str], list[tuple[str, Callable[[Any, World], Any]]]] = {
    ("POST", f"{API}/orders"): [
        ("pickup without pickup_location", _set("fulfillment", {"method": "pickup"})),
        ("pickup at unknown location", _set("fulfillment", {"method": "pickup",
                                                            "pickup_location": "NOPE"})),
        ("pickup at a warehouse", _set("fulfillment", {"method": "pickup",
                                                       "pickup_location": "dc-east"})),
        ("pickup at a store with address", _set("fulfillment", {
            "method": "pickup", "pickup_location": "store-soho", "address": NEW_YORK})),
        ("carry_out without location", _set("fulfillment", {"method": "carry_out"})),
        ("carry_out at a warehouse", _set("fulfillment", {"method": "carry_out",
                                                          "location": "dc-east"})),
        ("carry_out at unknown location", _set("fulfillment", {"method": "carry_out",
                                                               "location": "NOPE"})),
        ("carry_out of more than on hand", lambda b, w: with_value(with_value(
            b, ("fulfillment",), {"method": "carry_out", "location": "store-soho"}),
            ("lines", 0, "quantity"), 10**9)),
        ("ship without address", _set("fulfillment", {"method": "ship"})),
        ("ship with empty address", _set("fulfillment.address", {})),
        ("address latitude only", _set("fulfillment.address", {"latitude": 40.0})),
        ("address unknown country, no coords", _set("fulfillment.address", {
            "postal_code": "00000", "country": "ZZ"})),
        ("address at the antimeridian", _set("fulfillment.address", {
            "latitude": -90.0, "longitude": 180.0})),
        ("unknown sku", _set("lines.0.sku", "NOPE-1")),
        ("sku with slash", _set("lines.0.sku", "A/B")),
        ("quantity 10**9 (backorder)", _set("lines.0.quantity", 10**9)),
        ("quantity 2**31-1", _set("lines.0.quantity", 2**31 - 1)),
        ("200 lines", lambda b, w: {**b, "lines": [
            {"sku": "SOCK-1", "quantity": 1, "unit_price": "1.00"}] * 200}),
        ("201 lines", lambda b, w: {**b, "lines": [
            {"sku": "SOCK-1", "quantity": 1, "unit_price": "1.00"}] * 201}),
        ("the same line twice", lambda b, w: {**b, "lines": b["lines"] * 2}),
        ("unit_price 3 decimals", _set("lines.0.unit_price", "0.001")),
        ("unit_price '-0'", _set("lines.0.unit_price", "-0")),
        ("unit_price 10000000.01", _set("lines.0.unit_price", "10000000.01")),
        ("unit_price as a number 1e-30", _set("lines.0.unit_price", 1e-30)),
        ("currency lowercase", _set("currency", "usd")),
        ("currency unknown XXX", _set("currency", "XXX")),
        ("bopis_policy with ship", _set("bopis_policy", "suggest")),
        ("customer {}", _set("customer", {})),
        ("customer null", _set("customer", None)),
        ("customer email not an email", _set("customer.email", "not-an-email")),
        ("customer phone with 30 digits", _set("customer.phone", "+1" + "9" * 30)),
        ("customer phone letters only", _set("customer.phone", "call me")),
    ],
    ("POST", f"{API}/stock/movements"): [
        ("transfer without to_location", _set("kind", "transfer")),
        ("transfer to itself", lambda b, w: {**b, "kind": "transfer",
                                             "to_location": b["location"]}),
        ("transfer to unknown location", lambda b, w: {**b, "kind": "transfer",
                                                       "to_location": "NOPE"}),
        ("transfer more than on hand", lambda b, w: {**b, "kind": "transfer",
                                                     "to_location": "dc-east",
                                                     "quantity": 10**9}),
        ("to_location on a receipt", _set("to_location", "dc-east")),
        ("adjustment -10**9", lambda b, w: {**b, "kind": "adjustment", "quantity": -(10**9)}),
        ("adjustment 0", lambda b, w: {**b, "kind": "adjustment", "quantity": 0}),
        ("damage 10**9", lambda b, w: {**b, "kind": "damage", "quantity": 10**9}),
        ("cycle_count -1", lambda b, w: {**b, "kind": "cycle_count", "quantity": -1}),
        ("cycle_count 2**31-1", lambda b, w: {**b, "kind": "cycle_count",
                                              "quantity": 2**31 - 1}),
        ("receipt 2**31-1 twice", _set("quantity", 2**31 - 1)),
        ("receipt 2**31-1 again", _set("quantity", 2**31 - 1)),
        ("receipt 0", _set("quantity", 0)),
        ("unknown sku", _set("sku", "NOPE-1")),
        ("unknown location", _set("location", "NOPE")),
    ],
    ("PUT", f"{API}/stock/{{sku}}/{{location}}/safety-stock"): [
        ("safety_stock 2**31-1", _set("safety_stock", 2**31 - 1)),
    ],
    ("POST", f"{API}/transfers/{{transfer_id}}/receive"): [
        ("more than outstanding", _set("quantity", 999)),
    ],
    ("POST", f"{API}/orders/{{order_id}}/cancel"): [
        ("cancel more than ordered", _set("lines.0.quantity", 5)),
        ("unknown line", _set("lines.0.line_id", 999_999)),
        ("the same line twice", lambda b, w: {**b, "lines": b["lines"] * 2}),
    ],
    ("POST", f"{API}/orders/{{order_id}}/reroute"): [
        ("exclude every location", _set("exclude_locations", [
            "dc-east", "dc-central", "store-soho", "store-brooklyn", "store-chicago"])),
        ("exclude unknown location", _set("exclude_locations", ["NOPE"])),
        ("exclude 1000 locations", _set("exclude_locations", [f"l{i}" for i in range(1000)])),
    ],
    ("POST", f"{API}/customers/{{customer_id}}/merge"): [
        ("merge into itself", lambda b, w: {**b, "customer_id": w.get("merge_pair")[0]}),
        ("merge an unknown customer", _set("customer_id", 999_999)),
        ("merge an already merged customer", lambda b, w: {
            **b, "customer_id": w.get("merged_pair")[1]}),
    ],
    ("POST", f"{API}/customers/{{customer_id}}/unmerge"): [
        ("unmerge what was never merged", lambda b, w: {
            **b, "customer_id": w.get("merge_pair")[1]}),
        ("unmerge from itself", lambda b, w: {**b, "customer_id": w.get("merged_pair")[0]}),
    ],
    ("POST", f"{API}/pick-lists/claim"): [
        ("unknown location", _set("location", "NOPE")),
        ("lease_seconds 0", _set("lease_seconds", 0)),
        ("lease_seconds 10**9", _set("lease_seconds", 10**9)),
    ],
    ("POST", f"{API}/fulfillments/{{fulfillment_id}}/renew"): [
        ("lease_seconds 10**9", _set("lease_seconds", 10**9)),
    ],
    ("POST", f"{API}/fulfillments/{{fulfillment_id}}/pick"): [
        ("picked more than ordered", _set("lines.0.picked_quantity", 3)),
        ("a line of another fulfillment", _set("lines.0.line_id", 1)),
        ("the same line twice", lambda b, w: {**b, "lines": b["lines"] * 2}),
        ("pick 0 (all short)", _set("lines.0.picked_quantity", 0)),
    ],
    ("POST", f"{API}/fulfillments/{{fulfillment_id}}/pickup"): [
        ("wrong code", _set("code", "WRONG")),
        ("lowercase code", lambda b, w: {**b, "code": b["code"].lower()}),
    ],
}


def test_bad_query_strings_never_500(runner: Runner):
    """Every GET: each documented query parameter set to malformed values."""
    for op in runner.ops:
        if op.method != "GET" or not op.query_params:
            continue
        for name, _schema in op.query_params:
            values = list(QUERY_VALUES)
            if name == "cursor":
                values += [(label, value, None) for label, value in CURSOR_VALUES]
            for label, value, raw in values:
                case = runner.base(op)
                others = {k: v for k, v in case.query.items() if k != name}
                query = urllib.parse.urlencode(others)
                part = (urllib.parse.urlencode({name: value}) if value is not None
                        else f"{name}={raw}")
                runner.send(op, case, f"?{name}={label}",
                            query=f"{query}&{part}" if query else part)
            case = runner.base(op)
            runner.send(op, case, f"?{name} repeated (1, abc)",
                        query=urllib.parse.urlencode({**case.query, name: "1"})
                        + f"&{name}=abc")
            runner.send(op, case, f"?{name} without '='",
                        query=urllib.parse.urlencode(
                            {k: v for k, v in case.query.items() if k != name}) + f"&{name}")
            runner.send(op, case, f"?{name} omitted", query=urllib.parse.urlencode(
                {k: v for k, v in case.query.items() if k != name}))
        case = runner.base(op)
        runner.send(op, case, "unknown parameter", query=urllib.parse.urlencode(
            {**case.query, "bogus": "1"}))
        runner.send(op, case, "raw garbage query", query="&&=&%%%&=x&;")
    runner.fz.assert_clean("bad query strings")


def test_bad_path_parameters_and_methods_never_500(runner: Runner):
    """Every operation with bogus ids and codes in its path; other methods; unknown paths."""
    for op in runner.ops:
        for name, kind in op.path_params:
            values = INT_PATH_VALUES if kind == "integer" else STR_PATH_VALUES
            for value in values:
                case = runner.base(op)
                params = {**case.params, name: value}
                runner.send(op, case, f"{{{name}}}={_short(value, 40)}",
                            path=runner.fill(op.template, params))
    by_path: dict[str, set[str]] = {}
    for op in runner.ops:
        by_path.setdefault(op.template, set()).add(op.method)
    for template, methods in by_path.items():
        op = next(o for o in runner.ops if o.template == template)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method in methods:
                continue
            case = runner.base(op)
            runner.fz.call(method, template, runner.fill(template, case.params),
                           what=f"{method} (not documented)", json_body={},
                           expect=(404, 405))
    for path in (f"{API}/nope", f"{API}/orders/1/nope", f"{API}/", "/api/v2/orders",
                 f"{API}/openapi.json/x"):
        runner.fz.call("GET", path, path, what="unknown path", expect=(404, 405))
    runner.fz.assert_clean("bad path parameters and methods")


AUTH_HEADERS: list[tuple[str, Callable[[str], str]]] = [
    ("empty", lambda k: ""),
    ("'Bearer'", lambda k: "Bearer"),
    ("'Bearer '", lambda k: "Bearer "),
    ("garbage key", lambda k: "Bearer oms_not-a-real-key"),
    ("Basic", lambda k: "Basic Zm9vOmJhcg=="),
    ("Token <key>", lambda k: f"Token {k}"),
    ("key without scheme", lambda k: k),
    ("10k-char key", lambda k: "Bearer " + LONG),
    ("NUL in key", lambda k: "Bearer oms_\x00x"),
    ("latin-1 key", lambda k: "Bearer oms_é"),
    ("key with trailing junk", lambda k: f"Bearer {k}x"),
]


def test_missing_or_bad_key_is_a_json_401(runner: Runner):
    """No key, or a key that is not one, is a 401 with the error body, even with bad input."""
    fz = runner.fz
    for op in runner.ops:
        case = runner.base(op)
        runner.send(op, case, "no Authorization", key=None, expect=(401,))
        runner.send(op, case, "garbage key", key="oms_garbage", expect=(401,))
        if op.method in ("POST", "PUT", "PATCH"):
            runner.send(op, case, "no Authorization, body not JSON", key=None,
                        raw=b"not json", expect=(401,))
            runner.send(op, case, "no Authorization, body {}", key=None, json_body={},
                        expect=(401,))
    get_op = next(o for o in runner.ops if o.method == "GET" and o.template == f"{API}/items")
    post_op = next(o for o in runner.ops if o.method == "POST"
                   and o.template == f"{API}/stock/movements")
    for op in (get_op, post_op):
        for label, header in AUTH_HEADERS:
            case = runner.base(op)
            runner.send(op, case, f"Authorization: {label}", key=None,
                        headers={"Authorization": header(fz.admin_key)}, expect=(401,))
        case = runner.base(op)
        runner.send(op, case, "lowercase 'bearer' scheme", key=None,
                    headers={"Authorization": f"bearer {fz.admin_key}"})
    runner.fz.assert_clean("missing or bad keys")


def test_keys_outside_their_scope_get_a_json_403(runner: Runner):
    """Work at dc-central, Brooklyn and store-chicago, tried with keys from elsewhere."""
    w, fz = runner.world, runner.fz
    wms_east = create_api_key("wms", name="fuzz-wms-east", location_code="dc-east")
    store_soho = create_api_key("store", name="fuzz-store-soho", location_code="store-soho")
    pos_channel = create_api_key("channel", name="fuzz-pos", channel="pos")
    A = API
    ship = w.get("ship")
    claimed = w.get("claimed")
    pending = w.get("pickup_pending")
    ready = w.get("pickup_ready")
    transfer = w.get("transfer")
    order = w.get("order")
    fid = ship["fulfillment_id"]
    checks: list[tuple[str, str, Any, str, str | None]] = [
        # (method, path, body, key, query)
        ("GET", f"{A}/pick-lists", MISSING, wms_east, "location=dc-central"),
        ("POST", f"{A}/pick-lists/claim", {"location": "dc-central"}, wms_east, None),
        ("GET", f"{A}/fulfillments/{fid}", MISSING, wms_east, None),
        ("POST", f"{A}/fulfillments/{claimed['fulfillment_id']}/renew", {}, wms_east, None),
        ("POST", f"{A}/fulfillments/{fid}/pick",
         {"lines": [{"line_id": ship["line_id"], "picked_quantity": 2}]}, wms_east, None),
        ("POST", f"{A}/fulfillments/{fid}/ship", {"carrier": "UPS", "tracking_number": "1"},
         wms_east, None),
        ("POST", f"{A}/fulfillments/{fid}/reject", {"reason": "no"}, wms_east, None),
        ("POST", f"{A}/fulfillments/{pending['fulfillment_id']}/ready-for-pickup", MISSING,
         store_soho, None),
        ("POST", f"{A}/fulfillments/{ready['fulfillment_id']}/pickup", {"code": ready["code"]},
         store_soho, None),
        ("POST", f"{A}/transfers/{transfer['transfer_id']}/receive", {}, store_soho, None),
        ("POST", f"{A}/stock/movements", {"sku": "BOOT-1", "location": "dc-central",
                                          "kind": "receipt", "quantity": 1}, wms_east, None),
        ("PUT", f"{A}/stock/BOOT-1/dc-central/safety-stock", {"safety_stock": 1}, wms_east,
         None),
        ("GET", f"{A}/orders/{order['order_id']}", MISSING, store_soho, None),
        ("GET", f"{A}/orders/{order['order_id']}", MISSING, pos_channel, None),
        ("POST", f"{A}/orders/{order['order_id']}/cancel", {}, store_soho, None),
        ("POST", f"{A}/orders/{order['order_id']}/cancel", {}, pos_channel, None),
        ("POST", f"{A}/orders", {**_order_body(w), "channel": "web"}, pos_channel, None),
        ("POST", f"{A}/locations", {"code": "fz-x", "name": "x", "kind": "store",
                                    "latitude": 1, "longitude": 1}, store_soho, None),
        ("POST", f"{A}/customers/{order['customer_id']}/merge",
         {"customer_id": ship["customer_id"]}, store_soho, None),
    ]
    for method, path, body, key, query in checks:
        fz.call(method, path, path, what="key outside its scope", json_body=body, key=key,
                query=query, expect=(403,))
    # And every operation with every kind of non-admin key: never a 500 or a bare error.
    for key_label, key in (("wms@dc-east", wms_east), ("store@store-soho", store_soho),
                           ("channel@pos", pos_channel),
                           ("cs", create_api_key("cs", name="fuzz-cs"))):
        for op in runner.ops:
            case = runner.base(op)
            runner.send(op, case, f"as {key_label}", key=key)
    fz.assert_clean("keys outside their scope")


def test_idempotency_key_header_never_500(runner: Runner):
    op = next(o for o in runner.ops if o.method == "POST" and o.template == f"{API}/orders")
    for label, value in (("empty", ""), ("blank", "   "), ("201 chars", "k" * 201),
                         ("10k chars", LONG), ("latin-1", "clé"), ("NUL", "k\x00k"),
                         ("control chars", "k\x01\x7fk")):
        case = runner.base(op)
        runner.send(op, case, f"Idempotency-Key: {label}", headers={"Idempotency-Key": value})
        case = runner.base(op)
        runner.send(op, case, f"Idempotency-Key: {label}, reused with another body",
                    headers={"Idempotency-Key": value})
        case = runner.base(op)
        runner.send(op, case, f"Idempotency-Key: {label}, bad body", raw=b"not json",
                    headers={"Idempotency-Key": value})
    runner.fz.assert_clean("Idempotency-Key header")


# ------------------------------------------------------------------ Shopify webhooks

SHOP = "fuzz.myshopify.com"
SECRET = "shpss_fuzz_secret"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"
WEBHOOK_PATHS = [
    ("id",), ("name",), ("email",), ("phone",), ("currency",), ("source_name",),
    ("location_id",), ("updated_at",), ("created_at",), ("cancelled_at",), ("customer",),
    ("customer", "email"), ("customer", "first_name"), ("customer", "id"),
    ("shipping_address",), ("shipping_address", "latitude"), ("shipping_address", "zip"),
    ("shipping_address", "country_code"), ("line_items",), ("line_items", 0),
    ("line_items", 0, "id"), ("line_items", 0, "sku"), ("line_items", 0, "quantity"),
    ("line_items", 0, "current_quantity"), ("line_items", 0, "fulfillable_quantity"),
    ("line_items", 0, "price"), ("line_items", 0, "title"), ("shipping_lines",),
    ("shipping_lines", 0, "code"), ("refunds",),
]
_LINE = ("line_items", 0)
_REFUND_LINE = ("refund_line_items", 0)
FOLLOW_UPS: list[tuple[str, str, str, bool, list[tuple]]] = [
    # (topic, fixture, the field naming the order, a new order for each value?, fields)
    ("orders/updated", "orders_updated", "id", False, [
        ("updated_at",), ("cancelled_at",), ("cancel_reason",), ("line_items",), _LINE,
        (*_LINE, "id"), (*_LINE, "quantity"), (*_LINE, "current_quantity"),
        (*_LINE, "fulfillable_quantity"), (*_LINE, "sku")]),
    ("orders/cancelled", "orders_cancelled", "id", True, [
        ("updated_at",), ("cancelled_at",), ("cancel_reason",), ("line_items",), _LINE,
        (*_LINE, "id"), (*_LINE, "fulfillable_quantity")]),
    ("refunds/create", "refunds_create", "order_id", False, [
        ("id",), ("created_at",), ("refund_line_items",), _REFUND_LINE,
        (*_REFUND_LINE, "line_item_id"), (*_REFUND_LINE, "quantity"),
        (*_REFUND_LINE, "restock_type"), (*_REFUND_LINE, "location_id"),
        (*_REFUND_LINE, "line_item")]),
]
WEBHOOK_VALUES = [v for v in BAD_VALUES if v[0] in {
    "<missing>", "'abc'", "-1", "1.5", "10**30", "2**63", "true", "null", "[1]", "{'a': 1}",
    "''", "'x'*10000", "NUL", "lone surrogate", "NaN", "'1e400'"}]


def _sign(body: bytes) -> str:
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


class Webhooks:
    def __init__(self, runner: Runner) -> None:
        from integrations.shopify import shops

        shops.save(SHOP, secret=SECRET, locations={"48752903": "store-soho"})
        self.fz = runner.fz
        self.ids = itertools.count(1)

    def deliver(self, what: str, payload: Any = MISSING, *, raw: bytes | None = None,
                topic: str = "orders/create", sign: bool = True,
                headers: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                expect: tuple[int, ...] | None = None) -> tuple[str, tuple[str, str, str]]:
        """Deliver; returns the webhook id sent and what the server logged with a traceback."""
        body = raw if raw is not None else json.dumps(payload).encode()
        sent = {
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-API-Version": "2025-10",
            "X-Shopify-Webhook-Id": f"fuzz-{next(self.ids):012d}",
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
            "X-Shopify-Triggered-At": "2025-11-20T15:15:03.000000Z",
        }
        if sign:
            sent["X-Shopify-Hmac-Sha256"] = _sign(body)
        sent.update(headers or {})
        for name in drop:
            sent.pop(name, None)
        self.fz.call("POST", "/webhooks/shopify", "/webhooks/shopify", what=what, raw=body,
                     key=None, headers=sent, expect=expect)
        return sent.get("X-Shopify-Webhook-Id", ""), self.fz.last_trace


def _domain_errors() -> set[str]:
    from core.errors import DomainError

    names, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_shopify_webhook_bad_deliveries_never_500(runner: Runner):
    hooks = Webhooks(runner)
    good = _fixture("orders_create")
    body = json.dumps(good).encode()
    hooks.deliver("unsigned", good, sign=False, expect=(401,))
    hooks.deliver("wrong signature", good, headers={"X-Shopify-Hmac-Sha256": "AAAA"},
                  expect=(401,))
    hooks.deliver("unknown shop", good, headers={"X-Shopify-Shop-Domain": "nope.example"},
                  expect=(401,))
    for label, value in (("NUL", "a\x00b"), ("10k", LONG), ("latin-1", "é"), ("blank", " ")):
        hooks.deliver(f"shop domain {label}", good, headers={"X-Shopify-Shop-Domain": value},
                      expect=(401,))
        hooks.deliver(f"signature {label}", good, headers={"X-Shopify-Hmac-Sha256": value},
                      expect=(401,))
    for label, raw in (("not JSON", b"not json"), ("JSON array", b"[]"), ("null", b"null"),
                       ("empty", b""), ("invalid UTF-8", b'{"a": "\xff"}'),
                       ("deeply nested", b"[" * 50_000 + b"]" * 50_000),
                       ("5000-digit number", b'{"id": 1' + b"0" * 5000 + b"}"),
                       ("UTF-16", body.decode().encode("utf-16"))):
        hooks.deliver(f"signed body {label}", raw=raw, expect=(400,))
    # Not JSON by RFC 8259, though Python's parser takes it: at least never a 500.
    hooks.deliver("signed body with a NaN literal", raw=b'{"id": NaN}')
    hooks.deliver("no topic", good, drop=("X-Shopify-Topic",), expect=(400,))
    hooks.deliver("no webhook id", good, drop=("X-Shopify-Webhook-Id",), expect=(400,))
    for header in ("X-Shopify-Topic", "X-Shopify-Webhook-Id", "X-Shopify-Event-Id",
                   "X-Shopify-API-Version", "X-Shopify-Triggered-At"):
        for label, value in (("NUL", "a\x00b"), ("10k chars", LONG), ("latin-1", "é"),
                             ("garbage", "!!"), ("9999-99-99", "9999-99-99"),
                             ("year 0", "0000-01-01T00:00:00Z"),
                             ("huge year", "+999999-01-01T00:00:00Z"),
                             ("offset 99:99", "2025-01-01T00:00:00+99:99")):
            payload = {**good, "id": 9_000_000 + next(hooks.ids)}
            hooks.deliver(f"header {header}: {label}", payload, headers={header: value})
    runner.fz.assert_clean("Shopify webhook deliveries")


def test_shopify_webhook_bad_payloads_never_500(runner: Runner):
    """Signed orders/create deliveries whose payload has wrong types: the delivery is stored
    (200), never a 500; and processing such a payload must fail the event with a
    TranslationError (or a DomainError), not crash with a TypeError, AttributeError..."""
    from integrations.models import InboundEvent

    hooks = Webhooks(runner)
    runner.world.get("ship")
    good = _fixture("orders_create")
    sent: dict[str, tuple[str, tuple[str, str, str]]] = {}
    for path in WEBHOOK_PATHS:
        for label, value in WEBHOOK_VALUES:
            payload = with_value({**good, "id": 7_000_000 + next(hooks.ids)}, path, value)
            what = f"orders/create {dotted(path)}={label}"
            webhook_id, trace = hooks.deliver(what, payload)
            sent[webhook_id] = (what, trace)
    # Later events about an order we know: created first, then the malformed follow-up.
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for topic, fixture, key, fresh_each, paths in FOLLOW_UPS:
        base = _fixture(fixture)
        for path in paths:
            order_id = 0
            for label, value in WEBHOOK_VALUES:
                if fresh_each or not order_id:
                    order_id = 8_000_000 + next(hooks.ids)
                    hooks.deliver(f"orders/create {order_id} (setup)", {**good, "id": order_id})
                # Newer than anything held (else it is ignored as stale), a refund id not
                # seen before (else ignored as a duplicate); then the broken field.
                n = next(hooks.ids)
                fresh = {**base, key: order_id, "id": base["id"] if key == "id" else 9_000 + n,
                         "updated_at": (start + dt.timedelta(seconds=n)).isoformat()}
                if key == "id":
                    fresh["id"] = order_id
                payload = with_value(fresh, path, value)
                what = f"{topic} {dotted(path)}={label}"
                webhook_id, trace = hooks.deliver(what, payload, topic=topic)
                sent[webhook_id] = (what, trace)
    with read_session() as session:
        failed = session.execute(select(InboundEvent.webhook_id, InboundEvent.topic,
                                        InboundEvent.last_error)
                                 .where(InboundEvent.status == "failed")).all()
    # A TranslationError fails the event for good; a DomainError (unknown SKU, bad email...)
    # fails it visibly for an operator to replay, by design. Anything else is a crash.
    expected = {"TranslationError", *_domain_errors()}
    for webhook_id, topic, error in failed:
        if error and error.partition(":")[0] not in expected:
            kind, _, message = error.splitlines()[0].partition(": ")
            what, (_, where, tail) = sent.get(webhook_id, (webhook_id, ("", "", "")))
            runner.fz.failures.append(Failure(
                "POST", f"/webhooks/shopify {topic} (processing)", "/webhooks/shopify",
                f"{what} -> {_short(error.splitlines()[0], 120)}", 200,
                "processing crashed on the payload (not a TranslationError or DomainError): "
                "treated as transient, logged with a traceback and retried", "",
                f"processing: {kind}: {_normalise(message)}", where, tail))
    runner.fz.assert_clean("Shopify webhook payloads")
