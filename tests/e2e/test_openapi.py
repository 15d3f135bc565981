"""The OpenAPI document (`GET /api/v1/openapi.json`) is complete, valid and honest.

- it validates against the OpenAPI 3.0 specification (`openapi-spec-validator`);
- every operation has a summary, a success response with a schema, and error responses that
  use the contract's error body (`{"error": {"code", "message", "fields"}}`);
- schemathesis generates requests from it for every operation, on both databases, with an
  admin key and with narrower roles (cs, channel, a store key and a wms key at their
  locations), against real records (each operation is seen succeeding), plus input the
  document calls invalid; every answer must have a documented status code, content type and
  headers, match its documented schema, and never be a 5xx. The run is bounded
  (derandomized, a fixed number of examples per operation and role) and its failures are
  collected and reported together, grouped by operation, role and check.

`tests/e2e/test_bad_input_fuzz.py` sends malformed input to the same operations (5xx hunting);
this file checks that well-formed traffic gets what the document promises.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import os
import time
from collections import Counter, defaultdict
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV30SpecValidator
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from core.db import read_session
from integrations.shopify import shops
from inventory import services
from oms.models import Order
from tests.e2e.test_shopify_webhooks import load
from tests.support import CAUSE

API = "/api/v1"
DOC = f"{API}/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
ERROR_REF = "#/components/schemas/ErrorOut"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "US",
            "latitude": 40.7484, "longitude": -73.9857}

SHOP = "oa.myshopify.com"
SECRET = "shpss_openapi_test"
# Examples per operation: with an admin key against real records, with an admin key and
# generated path parameters, and per narrower role against real records.
ADMIN_EXAMPLES = int(os.environ.get("OMS_OPENAPI_EXAMPLES", "30"))
GENERATED_PATH_EXAMPLES = max(1, ADMIN_EXAMPLES // 4)
ROLE_EXAMPLES = max(1, ADMIN_EXAMPLES // 6)
NEGATIVE_EXAMPLES = max(1, ADMIN_EXAMPLES // 3)


@pytest.fixture
def document(client) -> dict:
    response = client.get(DOC)
    assert response.status_code == 200
    return response.get_json()


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = doc["components"][section][name]
    return node


# ---------------------------------------------------------------- the document itself

def test_the_document_validates_against_the_openapi_specification(document):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
              for e in OpenAPIV30SpecValidator(document).iter_errors()]
    assert errors == []
    assert document["info"]["description"].strip()


def test_every_operation_is_documented_with_summary_success_and_error_responses(document):
    problems = []
    count = 0
    for path, method, op in _operations(document):
        count += 1
        where = f"{method.upper()} {path}"
        if not (op.get("summary") or "").strip() or "\n" in op["summary"]:
            problems.append(f"{where}: no one-line summary")
        responses = {code: _resolve(document, r) for code, r in op["responses"].items()}
        if "default" in responses:
            problems.append(f"{where}: a catch-all `default` response hides what it answers")
        success = [c for c in responses if c.startswith("2")]
        if not success:
            problems.append(f"{where}: no success response")
        for code in success:
            if "schema" not in responses[code].get("content", {}).get("application/json", {}):
                problems.append(f"{where}: {code} has no JSON schema")
        errors = [c for c in responses if c[0] in "45"]
        if not errors:
            problems.append(f"{where}: no error responses")
        for code in errors:
            schema = responses[code].get("content", {}).get("application/json", {}).get("schema")
            if schema != {"$ref": ERROR_REF}:
                problems.append(f"{where}: {code} is not the contract's error body: {schema}")
        if path.startswith(API):
            expected = {"401", "403", "422", "429", "503"} | (
                {"404"} if "{" in path else set()) | (
                {"400", "413", "415"} if "requestBody" in op else set())
            if missing := expected - set(responses):
                problems.append(f"{where}: undocumented {sorted(missing)}")
    assert count >= 35
    assert problems == []


def test_the_error_body_and_limits_are_stated(document):
    schemas = document["components"]["schemas"]
    detail = schemas["ErrorDetailOut"]
    assert set(detail["required"]) == {"code", "message", "fields"}
    assert {"code", "message", "fields", "details"} <= set(detail["properties"])
    assert schemas["ErrorOut"]["required"] == ["error"]
    # Limits are numbers, money is a decimal string, enforced bounds are visible.
    price = schemas["ItemIn"]["properties"]["price"]
    assert price["type"] == "string" and "pattern" in price
    unit_price = schemas["LineIn"]["properties"]["unit_price"]
    assert unit_price["type"] == "string" and "pattern" in unit_price
    assert schemas["ClaimIn"]["properties"]["lease_seconds"]["maximum"] == 86400
    assert schemas["RenewIn"]["properties"]["lease_seconds"]["minimum"] == 1
    assert schemas["LineIn"]["properties"]["quantity"]["maximum"] == 1_000_000
    assert schemas["MovementIn"]["properties"]["quantity"]["minimum"] == -1_000_000
    assert schemas["CancelLineIn"]["properties"]["line_id"]["maximum"] == 2**31 - 1
    assert schemas["ItemOut"]["properties"]["price"]["type"] == "string"

    def numbers_only(node: Any, where: str = "") -> list[str]:
        bad = []
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("minimum", "maximum", "minLength", "maxLength", "minItems",
                           "maxItems") and not isinstance(value, int | float):
                    bad.append(f"{where}.{key}={value!r}")
                bad += numbers_only(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                bad += numbers_only(value, f"{where}.{i}")
        return bad

    assert numbers_only(document) == []
    # Responses allow fields added later: no response schema forbids additional properties.
    for name, schema in schemas.items():
        if name.endswith("Out"):
            assert schema.get("additionalProperties", True) is not False, name


def test_idempotency_key_is_documented_where_it_is_honoured(document):
    idempotent = {(method, path) for path, method, op in _operations(document)
                  if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))}
    assert idempotent == {("post", f"{API}/orders"), ("post", f"{API}/orders/{{order_id}}/lines"),
                          ("post", f"{API}/locations"), ("post", f"{API}/items"),
                          ("post", f"{API}/stock/movements"),
                          ("post", f"{API}/transfers/{{transfer_id}}/receive"),
                          ("post", f"{API}/returns"),
                          ("post", f"{API}/returns/{{return_id}}/receive"),
                          ("post", f"{API}/returns/{{return_id}}/cancel"),
                          ("post", f"{API}/refunds/{{refund_id}}/settle")}


def test_the_shopify_webhook_is_in_the_document(document):
    op = document["paths"]["/webhooks/shopify"]["post"]
    assert op["security"] == []
    assert {"200", "400", "401"} <= set(op["responses"])
    headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
    assert {"X-Shopify-Hmac-Sha256", "X-Shopify-Shop-Domain", "X-Shopify-Topic",
            "X-Shopify-Webhook-Id"} <= headers


# ---------------------------------------------------------------- HTTP conventions

def test_405_names_the_allowed_methods(network, admin):
    response = admin.client.delete(f"{API}/items", headers={
        "Authorization": f"Bearer {admin.key}"})
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          None])
def test_a_body_that_is_not_sent_as_json_is_a_415_naming_content_type(network, admin,
                                                                       content_type):
    body = b'{"sku": "NEW-1", "name": "New", "price": "1.00"}'
    response = admin.client.post(f"{API}/items", data=body, content_type=content_type,
                                 headers={"Authorization": f"Bearer {admin.key}"})
    assert response.status_code == 415, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], list(error["fields"])) == ("unsupported_media_type",
                                                      ["Content-Type"])
    # Authentication still comes first.
    anonymous = admin.client.post(f"{API}/items", data=body, content_type=content_type)
    assert anonymous.status_code == 401


def test_money_is_refused_as_a_json_number(network, admin):
    response = admin.post(f"{API}/items", {"sku": "NEW-2", "name": "New", "price": 1.5})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["price"]
    for price in ("1.005", "10000000.01", "-1"):
        response = admin.post(f"{API}/items", {"sku": "NEW-3", "name": "New", "price": price})
        assert response.status_code == 422, price
    made = admin.post(f"{API}/items", {"sku": "NEW-4", "name": "New", "price": "10000000"})
    assert made.status_code == 201 and made.get_json()["price"] == "10000000.00"


def test_a_pattern_is_matched_by_the_whole_value(network, admin):
    """As JSON Schema means `pattern`: a trailing newline is not part of a valid code."""
    for code in ("store-new\n", "store-new\n\n"):
        response = admin.post(f"{API}/locations", {
            "code": code, "name": "New", "kind": "store", "latitude": 1.0, "longitude": 2.0})
        assert response.status_code == 422, code
        assert list(response.get_json()["error"]["fields"]) == ["code"]
    response = admin.get(f"{API}/pick-lists?location=store-soho%0A")
    assert response.status_code == 422


# ---------------------------------------------------------------- schema conformance fuzz

class World:
    """Real records for the path parameters and valid bodies, made through the API. Each
    operation that changes or uses up a record (ship, cancel, merge...) gets its own fresh one,
    so that every operation is seen succeeding, not only refusing."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.seq = itertools.count(1)
        services.receive("JKT-1", "dc-east", 100_000, CAUSE)
        services.receive("BOOT-1", "dc-central", 100_000, CAUSE)
        services.receive("SOCK-1", "store-soho", 100_000, CAUSE)
        self.ids = {"code": "store-soho", "sku": "JKT-1", "location": "store-soho"}
        shops.save(SHOP, secret=SECRET, locations={"48752903": "store-soho"})
        self.held_order()  # so that the holds summary and `?status=on_hold` have one to show

    def must(self, path: str, body: Any = None, status: int = 200) -> dict:
        response = self.admin.post(f"{API}{path}", body)
        assert response.status_code in (status, 201), (path, response.get_json())
        return response.get_json()

    def order_body(self, method: str = "ship") -> dict:
        n = next(self.seq)
        if method == "pickup":
            lines = [{"sku": "SOCK-1", "quantity": 2, "unit_price": "12.50"}]
            fulfillment = {"method": "pickup", "pickup_location": "store-soho"}
        else:
            lines = [{"sku": "BOOT-1", "quantity": 2, "unit_price": "160.00"}]
            fulfillment = {"method": "ship", "address": NEW_YORK}
        return {"channel": "web", "external_id": f"OA-{n}", "currency": "USD",
                "customer": {"email": f"oa{n}@example.com", "name": f"Ann Lee {n}"},
                "lines": lines, "fulfillment": fulfillment}

    def order(self, method: str = "ship") -> dict:
        order = self.must("/orders", self.order_body(method))
        [f] = order["fulfillments"]
        return {"order_id": order["id"], "customer_id": order["customer_id"],
                "fulfillment_id": f["id"], "line_id": order["lines"][0]["line_id"]}

    def return_body(self, made: dict) -> dict:
        """The order's units shipped, and a return of one of them at store-soho."""
        self.must(f"/fulfillments/{made['fulfillment_id']}/ship",
                  {"carrier": "UPS", "tracking_number": f"1Z{next(self.seq):08d}"})
        return {"order_id": made["order_id"], "location": "store-soho",
                "lines": [{"line_id": made["line_id"], "quantity": 1, "reason": "other"}]}

    def held_order(self) -> int:
        """A Shopify order naming a SKU we did not know (on hold), whose SKU and stock then
        arrive: releasing it succeeds."""
        n = next(self.seq)
        sku = f"HOLD-{n}"
        payload = load("orders_create")
        payload["id"] = 9_000_000 + n
        payload["line_items"][1]["sku"] = sku
        response = self.admin.client.post("/webhooks/shopify", data=json.dumps(payload),
                                          headers=signed(json.dumps(payload).encode(),
                                                         "orders/create", f"hold-{n}"))
        assert response.status_code == 200, response.get_json()
        with read_session() as session:
            order_id = session.scalars(select(Order.id).where(Order.status == "on_hold")
                                       .order_by(Order.id.desc())).first()
        assert order_id is not None
        services.create_item(dict(sku=sku, name="Wool Hat", price="30.00", weight_grams=100))
        services.receive(sku, "dc-east", 100, CAUSE)
        return order_id

    def fresh(self, method: str, path: str) -> tuple[dict[str, Any], Any]:
        """(path parameters, a valid body or NOT_SET) for one run of an operation."""
        op = f"{method.upper()} {path.removeprefix(API)}"
        made = self.order("pickup" if "pickup" in path else "ship")
        params = {**self.ids, **made}
        body: Any = NOT_SET
        fid = made["fulfillment_id"]
        if op == "POST /orders":
            body = self.order_body()
        elif op == "POST /orders/{order_id}/cancel":
            body = {"lines": [{"line_id": made["line_id"], "quantity": 1}], "reason": "oa"}
        elif op == "POST /orders/{order_id}/lines":
            body = {"lines": [{"line_id": made["line_id"], "quantity": 1}]}
        elif op == "POST /orders/{order_id}/reroute":
            body = {"exclude_locations": []}
        elif op == "POST /customers/{customer_id}/merge":
            body = {"customer_id": self.order()["customer_id"]}
        elif op == "POST /customers/{customer_id}/unmerge":
            other = self.order()["customer_id"]
            self.must(f"/customers/{made['customer_id']}/merge", {"customer_id": other})
            body = {"customer_id": other}
        elif op == "POST /stock/movements":
            body = {"sku": "JKT-1", "location": "dc-east", "kind": "transfer", "quantity": 1,
                    "to_location": "store-soho"}
        elif op == "POST /transfers/{transfer_id}/receive":
            params["transfer_id"] = self.must("/stock/movements", {
                "sku": "JKT-1", "location": "dc-east", "kind": "transfer", "quantity": 5,
                "to_location": "store-soho"})["transfer"]["id"]
            body = {"quantity": 1}
        elif op == "POST /pick-lists/claim":
            body = {"location": "dc-central", "limit": 2, "lease_seconds": 60}
        elif op == "POST /fulfillments/{fulfillment_id}/renew":
            while (claimed := self.must("/pick-lists/claim", {
                    "location": "dc-central", "limit": 100})["items"]) and \
                    fid not in {c["id"] for c in claimed}:
                pass
            body = {"lease_seconds": 120}
        elif op == "POST /fulfillments/{fulfillment_id}/pick":
            body = {"lines": [{"line_id": made["line_id"], "picked_quantity": 2}]}
        elif op == "POST /fulfillments/{fulfillment_id}/ship":
            body = {"carrier": "UPS", "tracking_number": f"1Z{next(self.seq):08d}"}
        elif op == "POST /fulfillments/{fulfillment_id}/reject":
            body = {"reason": "water damage"}
        elif op == "POST /fulfillments/{fulfillment_id}/pickup":
            ready = self.must(f"/fulfillments/{fid}/ready-for-pickup")
            body = {"code": ready["pickup_code"]}
        elif op == "POST /orders/{order_id}/release-hold":
            params["order_id"] = self.held_order()
        elif op == "POST /returns":
            body = self.return_body(made)
        elif op in ("GET /returns/{return_id}", "POST /returns/{return_id}/receive"):
            params["return_id"] = self.must("/returns", self.return_body(made))["id"]
            if op.startswith("POST"):
                body = {"lines": [{"line_id": made["line_id"], "quantity": 1,
                                   "disposition": "restock"}]}
        elif op == "POST /returns/{return_id}/cancel":
            params["return_id"] = self.must("/returns", self.return_body(made))["id"]
            body = {"reason": "the customer kept it"}
        elif op == "POST /refunds/{refund_id}/settle":
            ret = self.must("/returns", self.return_body(made))
            params["refund_id"] = self.must(f"/returns/{ret['id']}/receive", {"lines": [
                {"line_id": made["line_id"], "quantity": 1,
                 "disposition": "restock"}]})["refund"]["id"]
            body = {"external_ref": f"oa-refund-{next(self.seq)}", "method": "card"}
        elif op == "POST /returns/{return_id}/exchange-payment":
            owed = {**self.return_body(made), "exchange_lines": [{"sku": "BOOT-1",
                                                                  "quantity": 2}]}
            params["return_id"] = self.must("/returns", owed)["id"]
            body = {"amount": "160.00", "reference": "oa-payment"}
        elif op == "POST /fulfillment-options":
            body = {"lines": [{"sku": "JKT-1", "quantity": 2}, {"sku": "SOCK-1", "quantity": 1}],
                    "destination": NEW_YORK, "pickup_location": "store-soho"}
        elif op == "PUT /stock/{sku}/{location}/safety-stock":
            body = {"safety_stock": 1}
        elif op == "POST /subscriptions":
            body = {"url": "http://127.0.0.1:9/hook", "topics": ["stock.*"],
                    "secret": "conformance-secret"}
        elif op == "DELETE /subscriptions/{subscription_id}":
            params["subscription_id"] = self.must("/subscriptions", {
                "url": "http://127.0.0.1:9/hook", "topics": ["stock.*"],
                "secret": "conformance-secret"})["id"]
        elif op == "POST /deliveries/{delivery_id}/retry":
            params["delivery_id"] = self.failed_delivery()
        return params, body

    def failed_delivery(self) -> int:
        """A dead delivery: one order.created to a closed port, its budget declared spent."""
        from sqlalchemy import update

        from core.db import unit_of_work
        from integrations.outbound.models import Delivery, Subscription

        sub = self.must("/subscriptions", {"url": "http://127.0.0.1:9/hook",
                                           "topics": ["order.created"],
                                           "secret": "conformance-secret"})
        self.order()
        with unit_of_work() as uow:  # dead, and no more events for it
            uow.session.execute(update(Delivery).where(Delivery.subscription_id == sub["id"])
                                .values(status="failed"))
            uow.session.execute(update(Subscription).where(Subscription.id == sub["id"])
                                .values(topics=["stock.*"]))
            uow.commit()
        return self.admin.get(f"{API}/deliveries?status=failed").get_json()["items"][0]["id"]


class Conformance:
    def __init__(self) -> None:
        self.cases = 0
        self.statuses: Counter[int] = Counter()
        self.by_operation: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: dict[tuple[str, str, str], list[str]] = defaultdict(list)

    def run(self, operation: Any, role: str, key: str | None, examples: int,
            path_parameters: dict[str, Any] | None, body: Any = NOT_SET) -> None:
        """`examples` generated cases; with `body`, the valid body is sent first (with
        generated headers and query) and then generated ones."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if body is not NOT_SET:
            valid = operation.as_strategy(path_parameters=path_parameters or None, body=body,
                                          media_type="application/json")
            self._run(operation, role, headers, 1, valid)
        self._run(operation, role, headers, examples,
                  operation.as_strategy(path_parameters=path_parameters or None))

    def run_negative(self, operation: Any, role: str, key: str, examples: int,
                     path_parameters: dict[str, Any] | None) -> None:
        """Requests the document says are invalid: each must get a documented answer.
        (schemathesis's `negative_data_rejection` is not used: a query parameter it mutates
        into an object reaches the server as a valid string, so it reports false positives,
        e.g. `q` on GET /orders at 200 examples.)"""
        self._run(operation, role, {"Authorization": f"Bearer {key}"}, examples,
                  operation.as_strategy(schemathesis.GenerationMode.NEGATIVE,
                                        path_parameters=path_parameters or None))

    def _run(self, operation: Any, role: str, headers: dict[str, str], examples: int,
             strategy: Any) -> None:
        key = bool(headers)

        @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy, _=st.just(None))
        def one(case: Any, _: None) -> None:
            if key:
                case.headers = {**(case.headers or {}), **headers}
            self.cases += 1
            try:
                response = case.call()
                self._seen(operation, response)
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # collected: reported at the end
                self._failed(operation, role, exc)

        one()

    def check(self, operation: Any, role: str, case: Any, response: Any) -> None:
        """A request made by hand (the signed webhook) validated like the generated ones."""
        self.cases += 1
        self._seen(operation, response)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:
            self._failed(operation, role, exc)

    def _seen(self, operation: Any, response: Any) -> None:
        self.statuses[response.status_code] += 1
        self.by_operation[f"{operation.method.upper()} {operation.path}"][
            response.status_code] += 1

    def _failed(self, operation: Any, role: str, exc: BaseException) -> None:
        parts = getattr(exc, "exceptions", None) or [exc]  # schemathesis groups its failures
        what = "; ".join(f"{type(p).__name__}: {(str(p).strip().splitlines() or [''])[0]}"
                         for p in parts)
        label = f"{operation.method.upper()} {operation.path}"
        self.failures[(label, role, what[:200])].append(
            "\n    ".join(str(exc).strip().splitlines()[:40]))

    def report(self) -> str:
        lines = [f"{len(self.failures)} kinds of mismatch in {self.cases} cases:"]
        for (label, role, what), examples in sorted(self.failures.items()):
            lines.append(f"- {label} as {role}: {what} ({len(examples)}x)\n    {examples[0]}")
        return "\n".join(lines)


ROLE_SCOPES = {"cs": None, "channel": None, "store": "store-soho", "wms": "dc-central"}


def test_generated_requests_get_what_the_document_promises(app, network, admin, as_role,
                                                           backend):
    world = World(admin)
    keys = {role: as_role(role, scope).key for role, scope in ROLE_SCOPES.items()}
    schema = schemathesis.openapi.from_wsgi(DOC, app)
    quiet = [logging.getLogger(name) for name in ("core", "oms", "inventory", "fulfillment",
                                                  "returns", "integrations")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    run = Conformance()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    try:
        for operation in operations:
            if operation.path.startswith("/webhooks/"):
                _webhook_deliveries(app, operation, run)
                run.run(operation, "shopify", None, ADMIN_EXAMPLES, None)
                continue
            names = [p.name for p in operation.path_parameters]
            params, body = world.fresh(operation.method, operation.path)
            real = {name: params[name] for name in names}
            run.run(operation, "admin", admin.key, ADMIN_EXAMPLES, real, body)
            if names:
                run.run(operation, "admin (generated path)", admin.key,
                        GENERATED_PATH_EXAMPLES, None)
            run.run_negative(operation, "admin (invalid input)", admin.key,
                             NEGATIVE_EXAMPLES, real)
            for role in ROLE_SCOPES:
                params, body = world.fresh(operation.method, operation.path)
                real = {name: params[name] for name in names}
                run.run(operation, role, keys[role], ROLE_EXAMPLES, real, body)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    elapsed = time.monotonic() - started
    print(f"\n[{backend}] schemathesis: {len(operations)} operations, {run.cases} cases in "
          f"{elapsed:.1f}s, statuses {dict(sorted(run.statuses.items()))}")
    for label, statuses in sorted(run.by_operation.items()):
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert len(operations) >= 35
    # Every operation was seen succeeding (a real record, a valid body), not only refusing.
    never = [label for label, statuses in run.by_operation.items()
             if not any(200 <= status < 300 for status in statuses)]
    assert never == []
    assert not run.failures, run.report()


def signed(raw: bytes, topic: str, webhook_id: str, sign: bool = True) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic,
               "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": webhook_id}
    if sign:
        headers["X-Shopify-Hmac-Sha256"] = base64.b64encode(
            hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    return headers


def _webhook_deliveries(app: Any, operation: Any, run: Conformance) -> None:
    """Signed deliveries (accepted, duplicate, ignored, malformed) and unsigned ones, checked
    against the document like the generated requests (which cannot sign)."""
    client = app.test_client()
    payload = {"id": 4242, "name": "#4242", "line_items": []}
    for topic, webhook_id, raw, sign in [
        ("orders/create", "oa-1", json.dumps(payload).encode(), True),
        ("orders/create", "oa-1", json.dumps(payload).encode(), True),    # duplicate
        ("products/update", "oa-2", json.dumps(payload).encode(), True),  # ignored
        ("orders/create", "oa-3", b"[1, 2", True),                        # not JSON: 400
        ("orders/create", "oa-4", json.dumps(payload).encode(), False),   # unsigned: 401
    ]:
        headers = signed(raw, topic, webhook_id, sign)
        response = client.post(operation.path, data=raw, headers=headers)
        case = operation.Case(headers=headers, body=payload, media_type="application/json")
        run.check(operation, "shopify (signed)" if sign else "shopify", case, response)
