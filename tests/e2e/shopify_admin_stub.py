"""A stand-in for Shopify's Admin GraphQL API: a real HTTP server on a loopback port that keeps
a few orders' state (line items, fulfillment orders, edits, refunds, transactions), checks
each operation and its variables the way Shopify's schema and rules would, and answers in
Shopify's documented shapes: `data` with the payload and its `userErrors`, GraphQL `errors`
(THROTTLED, unknown directive), `extensions.cost`. Tests read what it was asked and what it
holds now."""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "shpat_push_0123456789abcdef"
COST = {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
                 "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990,
                                    "restoreRate": 100.0}}}
MONEY = re.compile(r"^\d+(\.\d{1,2})?$")  # Shopify's Money scalar: a decimal string
IDEMPOTENT_FROM = "2026-01"


class LostAnswer(Exception):
    """The mutation was applied, then the connection broke: the caller sees an HTTP 500."""


def tail(value: Any) -> str:
    return str(value or "").rsplit("/", 1)[-1]


@dataclass
class FulfillmentOrder:
    id: str
    method: str                     # SHIPPING | PICK_UP
    location: str                   # Shopify location id
    remaining: dict[str, int]       # line item id -> remaining quantity
    status: str = "OPEN"
    prepared: bool = False

    def item_gid(self, line_item: str) -> str:
        index = list(self.remaining).index(line_item) + 1
        return f"gid://shopify/FulfillmentOrderLineItem/{self.id[-1]}{index}"

    def node(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status,
                "deliveryMethod": {"methodType": self.method},
                "assignedLocation": {"location": {"id": f"gid://shopify/Location/{self.location}"}},
                "lineItems": {"nodes": [
                    {"id": self.item_gid(li), "remainingQuantity": left,
                     "lineItem": {"id": f"gid://shopify/LineItem/{li}"}}
                    for li, left in self.remaining.items()]}}


@dataclass
class Order:
    id: str                                   # bare Shopify order id
    quantities: dict[str, int]                # line item id -> current quantity
    fulfillment_orders: list[FulfillmentOrder]
    paid: Decimal
    currency: str = "USD"
    presentment_currency: str = "USD"
    fulfilled: dict[str, int] = field(default_factory=dict)
    cancelled_at: str | None = None
    transactions: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    commits: int = 0

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.id}"


class FakeShopify:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.orders: dict[str, Order] = {}
        self.edits: dict[str, dict[str, Any]] = {}   # calculated order id -> staged edit
        self.throttle = 0            # THROTTLED answers to give to the next mutations
        self.throttle_call: dict[str, int] = {}  # mutation -> its call (1-based) to throttle
        self.calls: dict[str, int] = {}
        self.user_errors = False     # fulfillmentCreate answers a user error
        self.lose: set[str] = set()  # mutations whose next answer is lost after applying
        self.ready_notices: list[str] = []   # "Ready for pickup" emails Shopify sent
        self.refused: list[str] = []   # requests Shopify's schema or rules would refuse
        self.api_version = "2026-04"
        self.domain = ""
        self._ids = itertools.count(900001)
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ setup and reading

    def add_order(self, order_id: int, quantities: dict[int, int], *, paid: str,
                  fulfillment_orders: list[FulfillmentOrder]) -> Order:
        order = Order(str(order_id), {str(k): v for k, v in quantities.items()},
                      fulfillment_orders, Decimal(paid))
        order.transactions.append({
            "id": f"gid://shopify/OrderTransaction/{next(self._ids)}", "kind": "SALE",
            "status": "SUCCESS", "gateway": "shopify_payments",
            "amountSet": {"shopMoney": {"amount": paid, "currencyCode": "USD"}},
            "parentTransaction": None})
        self.orders[order.gid] = order
        return order

    def mutations(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if f"{name}(" in r["query"]
                and r["query"].lstrip().startswith("mutation")]

    # ------------------------------------------------------------------ answering

    def answer(self, version: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if query.lstrip().startswith("mutation") and self.throttle:
                self.throttle -= 1
                return {"errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                    "extensions": COST}
            if "@idempotent" in query and version < IDEMPOTENT_FROM:
                return {"errors": [{"message": "Directive 'idempotent' is not defined",
                                    "locations": [{"line": 2, "column": 31}],
                                    "extensions": {"code": "undefinedDirective"}}]}
            for name, handler in self._handlers():
                if f"{name}(" in query:
                    self.calls[name] = self.calls.get(name, 0) + 1
                    if self.throttle_call.get(name) == self.calls[name]:
                        return {"errors": [{"message": "Throttled",
                                            "extensions": {"code": "THROTTLED"}}],
                                "extensions": COST}
                    data = handler(query, variables)
                    if name in self.lose:
                        self.lose.discard(name)
                        raise LostAnswer(name)
                    return {"data": data, "extensions": COST}
            return {"errors": [{"message": "unknown operation"}]}

    def _handlers(self) -> list[tuple[str, Any]]:
        # Mutations first: their selections name fields the queries also use.
        return [("fulfillmentCreate", self._fulfillment_create),
                ("fulfillmentOrderLineItemsPreparedForPickup", self._prepared),
                ("orderCancel", self._order_cancel),
                ("orderEditBegin", self._edit_begin),
                ("orderEditSetQuantity", self._edit_set_quantity),
                ("orderEditCommit", self._edit_commit),
                ("refundCreate", self._refund_create),
                ("fulfillmentOrders", self._fulfillment_orders),
                ("transactions", self._refund_context),
                ("order", self._order_cancelled)]

    def _order(self, gid: str) -> Order:
        assert gid in self.orders, f"unknown order {gid}"
        return self.orders[gid]

    # ------------------------------------------------------------------ queries

    def _fulfillment_orders(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert set(variables) == {"id"}
        order = self.orders.get(variables["id"])
        if order is None:
            return {"order": None}
        return {"order": {"fulfillmentOrders": {"nodes": [
            fo.node() for fo in order.fulfillment_orders]}}}

    def _order_cancelled(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert "cancelledAt" in query and set(variables) == {"id"}
        order = self._order(variables["id"])
        return {"order": {"id": order.gid, "cancelledAt": order.cancelled_at}}

    def _refund_context(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert set(variables) == {"id"}
        order = self._order(variables["id"])
        return {"order": {"id": order.gid, "currencyCode": order.currency,
                          "presentmentCurrencyCode": order.presentment_currency,
                          "refunds": [{"id": r["id"], "note": r["note"]} for r in order.refunds],
                          "transactions": order.transactions}}

    # ------------------------------------------------------------------ fulfillment

    def _fulfillment_create(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        given = variables["fulfillment"]
        assert set(given) <= {"lineItemsByFulfillmentOrder", "notifyCustomer", "trackingInfo"}
        assert given["notifyCustomer"] is False
        if "trackingInfo" in given:
            assert set(given["trackingInfo"]) == {"company", "number"}
        groups = given["lineItemsByFulfillmentOrder"]
        assert groups, "lineItemsByFulfillmentOrder is required"

        def refuse(message: str) -> dict[str, Any]:
            return {"fulfillmentCreate": {"fulfillment": None, "userErrors": [
                {"field": ["fulfillment"], "message": message}]}}

        if self.user_errors:
            return refuse("Fulfillment order 1046000002 has an unfulfillable status= closed.")
        moves = []
        for group in groups:
            fo = self._fo(group["fulfillmentOrderId"])
            if fo is None or fo.status not in ("OPEN", "IN_PROGRESS"):
                return refuse(f"Fulfillment order {group['fulfillmentOrderId']} is not open.")
            for item in group["fulfillmentOrderLineItems"]:
                line_item = next((li for li in fo.remaining if fo.item_gid(li) == item["id"]),
                                 None)
                if line_item is None or not 0 < item["quantity"] <= fo.remaining[line_item]:
                    return refuse(f"Invalid fulfillment order line item quantity requested "
                                  f"for {item['id']}.")
                moves.append((fo, line_item, item["quantity"]))
        for fo, line_item, quantity in moves:
            fo.remaining[line_item] -= quantity
            order = self._order_of(fo)
            order.fulfilled[line_item] = order.fulfilled.get(line_item, 0) + quantity
            fo.status = "CLOSED" if not any(fo.remaining.values()) else "IN_PROGRESS"
        return {"fulfillmentCreate": {"fulfillment": {
            "id": f"gid://shopify/Fulfillment/{next(self._ids)}", "status": "SUCCESS"},
            "userErrors": []}}

    def _prepared(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        groups = variables["input"]["lineItemsByFulfillmentOrder"]
        assert groups and all(set(g) == {"fulfillmentOrderId"} for g in groups), groups
        errors = []
        for group in groups:
            fo = self._fo(group["fulfillmentOrderId"])
            if fo is None or fo.method != "PICK_UP":
                errors.append({"field": ["input", "lineItemsByFulfillmentOrder"],
                               "message": "Invalid fulfillment order ID provided.",
                               "code": "FULFILLMENT_ORDER_INVALID"})
            elif fo.prepared or not any(fo.remaining.values()):
                errors.append({"field": ["input", "lineItemsByFulfillmentOrder"],
                               "message": "The fulfillment order does not have any line "
                                          "items that can be prepared.",
                               "code": "NO_LINE_ITEMS_TO_PREPARE_FOR_FULFILLMENT_ORDER"})
            else:
                fo.prepared = True
                fo.status = "IN_PROGRESS"
                self.ready_notices.append(fo.id)  # Shopify emails the customer itself
        return {"fulfillmentOrderLineItemsPreparedForPickup": {"userErrors": errors}}

    def _fo(self, gid: str) -> FulfillmentOrder | None:
        return next((fo for order in self.orders.values() for fo in order.fulfillment_orders
                     if fo.id == gid), None)

    def _order_of(self, fo: FulfillmentOrder) -> Order:
        return next(o for o in self.orders.values() if fo in o.fulfillment_orders)

    # ------------------------------------------------------------------ cancel

    def _order_cancel(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert set(variables) == {"orderId", "reason", "refund", "restock", "notifyCustomer"}
        order = self._order(variables["orderId"])
        if order.cancelled_at:
            return {"orderCancel": {"job": None, "userErrors": [], "orderCancelUserErrors": [
                {"field": ["orderId"], "message": "Order has already been cancelled",
                 "code": "INVALID"}]}}
        order.cancelled_at = "2025-11-21T10:00:00Z"
        return {"orderCancel": {"job": {"id": f"gid://shopify/Job/{next(self._ids)}",
                                        "done": False},
                                "orderCancelUserErrors": [], "userErrors": []}}

    # ------------------------------------------------------------------ order edit

    def _edit_begin(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert set(variables) == {"id"}
        order = self._order(variables["id"])
        calculated = f"gid://shopify/CalculatedOrder/{next(self._ids)}"
        self.edits[calculated] = {"order": order.gid, "staged": {}}
        return {"orderEditBegin": {"calculatedOrder": {"id": calculated, "lineItems": {
            "nodes": [{"id": f"gid://shopify/CalculatedLineItem/{li}", "quantity": q,
                       "editableQuantity": q - order.fulfilled.get(li, 0)}
                      for li, q in order.quantities.items()]}}, "userErrors": []}}

    def _edit_set_quantity(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert set(variables) == {"id", "lineItemId", "quantity", "restock"}
        assert variables["restock"] is False, "our ledger released the units: no restock"
        edit = self.edits[variables["id"]]
        order = self._order(edit["order"])
        assert variables["lineItemId"].startswith("gid://shopify/CalculatedLineItem/")
        line_item = tail(variables["lineItemId"])
        quantity = variables["quantity"]
        assert line_item in order.quantities and isinstance(quantity, int) and quantity >= 0
        if quantity < order.fulfilled.get(line_item, 0):
            return {"orderEditSetQuantity": {"calculatedLineItem": None, "userErrors": [
                {"field": ["quantity"],
                 "message": "Quantity can't be less than the fulfilled quantity"}]}}
        edit["staged"][line_item] = quantity
        return {"orderEditSetQuantity": {"calculatedLineItem": {
            "id": variables["lineItemId"], "quantity": quantity}, "userErrors": []}}

    def _edit_commit(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert set(variables) == {"id", "notifyCustomer", "staffNote"}
        assert variables["notifyCustomer"] is False
        edit = self.edits.pop(variables["id"])
        order = self._order(edit["order"])
        for line_item, quantity in edit["staged"].items():
            removed = order.quantities[line_item] - quantity
            order.quantities[line_item] = quantity
            for fo in order.fulfillment_orders:  # removed units leave the open work
                take = min(removed, fo.remaining.get(line_item, 0))
                if take and fo.status != "CLOSED":
                    fo.remaining[line_item] -= take
                    removed -= take
        order.commits += 1
        return {"orderEditCommit": {"order": {"id": order.gid}, "userErrors": []}}

    # ------------------------------------------------------------------ refund

    def _refund_create(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        refund_in = variables["input"]
        key = variables.get("idempotencyKey")
        if "@idempotent(key: $idempotencyKey)" in query:
            assert isinstance(key, str) and key, "the idempotency key is required"
            for earlier in (r for o in self.orders.values() for r in o.refunds):
                if earlier["key"] == key:  # a retry: the original outcome, once
                    return {"refundCreate": {"refund": earlier["answer"], "userErrors": []}}
        else:
            assert set(variables) == {"input"}
        assert set(refund_in) <= {"orderId", "note", "notify", "refundLineItems", "shipping",
                                  "transactions", "currency"}
        order = self._order(refund_in["orderId"])

        def refuse(field_: list[str], message: str) -> dict[str, Any]:
            return {"refundCreate": {"refund": None, "userErrors": [
                {"field": field_, "message": message}]}}

        for i, item in enumerate(refund_in.get("refundLineItems") or []):
            assert set(item) <= {"lineItemId", "quantity", "restockType", "locationId"}
            assert item["restockType"] in ("NO_RESTOCK", "CANCEL", "RETURN")
            line_item = tail(item["lineItemId"])
            assert item["lineItemId"] == f"gid://shopify/LineItem/{line_item}"
            refunded = sum(ri["quantity"] for r in order.refunds for ri in r["lines"]
                           if ri["line_item"] == line_item)
            if line_item not in order.quantities or \
                    item["quantity"] > order.quantities[line_item] - refunded:
                return refuse(["refundLineItems", str(i), "quantity"],
                              "Quantity cannot refund more items than were purchased")
        shipping = refund_in.get("shipping")
        if shipping is not None:
            assert set(shipping) <= {"amount", "fullRefund"}
            assert MONEY.match(shipping["amount"]), shipping
        moved = Decimal("0")
        for i, t in enumerate(refund_in.get("transactions") or []):
            assert set(t) == {"orderId", "parentId", "gateway", "kind", "amount"}, t
            assert t["kind"] == "REFUND" and t["orderId"] == order.gid
            assert isinstance(t["amount"], str) and MONEY.match(t["amount"]), t
            parent = next((p for p in order.transactions if p["id"] == t["parentId"]), None)
            if parent is None or parent["kind"] not in ("SALE", "CAPTURE") \
                    or parent["gateway"] != t["gateway"]:
                return refuse(["transactions", str(i), "parentId"],
                              "Parent transaction is not a capture or sale of this gateway")
            left = Decimal(parent["amountSet"]["shopMoney"]["amount"]) - sum(
                (Decimal(c["amountSet"]["shopMoney"]["amount"]) for c in order.transactions
                 if (c.get("parentTransaction") or {}).get("id") == parent["id"]),
                Decimal("0"))
            if Decimal(t["amount"]) > left:
                return refuse(["transactions", str(i), "amount"],
                              f"Refund amount cannot be more than {left}")
            moved += Decimal(t["amount"])
        refund_id = f"gid://shopify/Refund/{next(self._ids)}"
        for t in refund_in.get("transactions") or []:
            order.transactions.append({
                "id": f"gid://shopify/OrderTransaction/{next(self._ids)}", "kind": "REFUND",
                "status": "SUCCESS", "gateway": t["gateway"],
                "amountSet": {"shopMoney": {"amount": t["amount"], "currencyCode": "USD"}},
                "parentTransaction": {"id": t["parentId"]}})
        answer = {"id": refund_id, "totalRefundedSet": {"shopMoney": {
            "amount": f"{moved:.2f}", "currencyCode": order.currency}}}
        order.refunds.append({
            "id": refund_id, "note": refund_in.get("note"), "key": key, "answer": answer,
            "input": refund_in,
            "lines": [{"line_item": tail(i["lineItemId"]), "quantity": i["quantity"]}
                      for i in refund_in.get("refundLineItems") or []]})
        return {"refundCreate": {"refund": answer, "userErrors": []}}


def start(fake: FakeShopify) -> ThreadingHTTPServer:
    """Serve `fake` on a free loopback port (its `domain` is then `127.0.0.1:<port>`)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            match = re.fullmatch(r"/admin/api/([^/]+)/graphql\.json", self.path)
            query, variables = body.get("query", ""), body.get("variables") or {}
            fake.requests.append({"query": query, "variables": variables,
                                  "version": match.group(1) if match else None})
            if not match or match.group(1) != fake.api_version:
                return self._send(404, {"errors": "Not Found"})
            if self.headers.get("X-Shopify-Access-Token") != TOKEN:
                return self._send(401, {"errors": "[API] Invalid API key or access token "
                                                  "(unrecognized login or wrong password)"})
            try:
                payload = fake.answer(match.group(1), query, variables)
            except LostAnswer:
                return self._send(500, {"errors": "Internal Server Error"})
            except AssertionError as exc:  # Shopify would refuse it: the test fails on it
                fake.refused.append(f"{query.split('(')[0].strip()}: {exc!r} {variables}")
                return self._send(400, {"errors": f"stand-in refused: {exc}"})
            self._send(200, payload)

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.domain = f"127.0.0.1:{server.server_address[1]}"
    return server
