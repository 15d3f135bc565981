"""The Admin GraphQL calls behind the pushes to Shopify (`integrations.shopify.push`), one
function per kind of push. Each takes a `push.Push` (everything read from our database in the
relay's claim: no database here) and returns the user errors' text, or None when Shopify took
it; network failures, GraphQL errors and timeouts raise `client.ShopifyApiError` (THROTTLED:
`client.Throttled`).

Every push must be safe to repeat: the relay retries an attempt whose answer was lost.
- a shipment or hand-over (`fulfillmentCreate`, not idempotent on Shopify's side) is sent
  once per fulfillment by the relay's per-order chain and `push`'s dedupe;
- ready for pickup answers NO_LINE_ITEMS_TO_PREPARE... the second time: taken as done;
- an order edit sets each line to a target quantity (never decrements), so a retry finds
  nothing left to change and commits nothing;
- a cancel asks `cancelledAt` first;
- a refund carries `@idempotent(key:)` (API 2026-01 on) and a marker in its note that a
  retry looks for among the order's refunds (any version, and after Shopify's key window);
  either way it answers Shopify's refund id, which settles our refund.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.money import ZERO, to_cents
from integrations.shopify import client

if TYPE_CHECKING:
    from integrations.shopify.push import Push

OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
PICK_UP = "PICK_UP"
ALREADY_PREPARED = "NO_LINE_ITEMS_TO_PREPARE_FOR_FULFILLMENT_ORDER"
# The first API version whose refundCreate takes `@idempotent` (2026-04 requires it).
IDEMPOTENT_FROM = "2026-01"
PAID_KINDS = ("SALE", "CAPTURE")

OPEN_FULFILLMENT_ORDERS_QUERY = """
query OmsOpenFulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 20) {
      nodes {
        id
        status
        deliveryMethod { methodType }
        lineItems(first: 100) {
          nodes { id remainingQuantity lineItem { id } }
        }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation OmsFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

PREPARED_FOR_PICKUP = """
mutation OmsPreparedForPickup($input: FulfillmentOrderLineItemsPreparedForPickupInput!) {
  fulfillmentOrderLineItemsPreparedForPickup(input: $input) {
    userErrors { field message code }
  }
}
"""

ORDER_CANCELLED_QUERY = """
query OmsOrderCancelled($id: ID!) {
  order(id: $id) { id cancelledAt }
}
"""

ORDER_CANCEL = """
mutation OmsOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
                        $restock: Boolean!, $notifyCustomer: Boolean) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
              notifyCustomer: $notifyCustomer) {
    job { id done }
    orderCancelUserErrors { field message code }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_BEGIN = """
mutation OmsOrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder {
      id
      lineItems(first: 250) { nodes { id quantity editableQuantity } }
    }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_SET_QUANTITY = """
mutation OmsOrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!,
                                 $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity,
                       restock: $restock) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_COMMIT = """
mutation OmsOrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order { id }
    userErrors { field message }
  }
}
"""

REFUND_CONTEXT_QUERY = """
query OmsRefundContext($id: ID!) {
  order(id: $id) {
    id
    currencyCode
    presentmentCurrencyCode
    refunds(first: 100) { id note }
    transactions(first: 100) {
      id
      kind
      status
      gateway
      amountSet { shopMoney { amount currencyCode } }
      parentTransaction { id }
    }
  }
}
"""

_REFUND_SELECTION = """{
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }"""

REFUND_CREATE = ("mutation OmsRefundCreate($input: RefundInput!) {\n"
                 f"  refundCreate(input: $input) {_REFUND_SELECTION}\n}}\n")

REFUND_CREATE_IDEMPOTENT = (
    "mutation OmsRefundCreate($input: RefundInput!, $idempotencyKey: String!) {\n"
    f"  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {_REFUND_SELECTION}\n}}\n")


# --------------------------------------------------------------------------- helpers

def gid(kind: str, value: Any) -> str:
    """`gid://shopify/<kind>/<id>` from a bare id or another kind's gid of the same number
    (a calculated line item has its line item's number)."""
    return f"gid://shopify/{kind}/{tail(value)}"


def tail(value: Any) -> str:
    return str(value or "").rsplit("/", 1)[-1]


def user_errors(result: Mapping[str, Any] | None, *keys: str,
                tolerated: Iterable[str] = ()) -> str | None:
    """The text of the payload's user errors (under each of `keys`), None if there are none
    besides those whose `code` is `tolerated`."""
    skip = set(tolerated)
    errors: list[str] = []
    for key in keys:
        for e in (result or {}).get(key) or []:
            if not isinstance(e, dict) or e.get("code") in skip:
                continue
            field = ".".join(str(f) for f in (e.get("field") or []))
            errors.append(f"{field}: {e.get('message')}" if field else str(e.get("message")))
    return ("userErrors: " + "; ".join(errors))[:1000] if errors else None


def _call(push: Push, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    return client.graphql(push.domain, push.api_version, push.token or "", query, variables)


def _order(push: Push, data: Mapping[str, Any]) -> dict[str, Any]:
    order = data.get("order")
    if not isinstance(order, dict):
        raise client.ShopifyApiError(f"Shopify does not know order {push.order_gid}")
    return order


# --------------------------------------------------------------------------- fulfillment orders

def open_fulfillment_orders(push: Push) -> list[dict[str, Any]]:
    order = _order(push, _call(push, OPEN_FULFILLMENT_ORDERS_QUERY, {"id": push.order_gid}))
    nodes = (order.get("fulfillmentOrders") or {}).get("nodes") or []
    return [n for n in nodes if isinstance(n, dict) and n.get("status") in OPEN_STATUSES]


def is_pickup(fulfillment_order: Mapping[str, Any]) -> bool:
    return (fulfillment_order.get("deliveryMethod") or {}).get("methodType") == PICK_UP


def _items(fulfillment_order: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [i for i in (fulfillment_order.get("lineItems") or {}).get("nodes") or []
            if isinstance(i, dict)]


def _holds(fulfillment_order: Mapping[str, Any], line_item: str) -> bool:
    return any(tail((i.get("lineItem") or {}).get("id")) == tail(line_item)
               for i in _items(fulfillment_order))


def line_items_by_fulfillment_order(push: Push, fulfillment_orders: list[dict[str, Any]]
                                    ) -> list[dict[str, Any]]:
    """Our shipped or handed-over lines spread over the open fulfillment orders' remaining
    quantities: a hand-over takes the pickup fulfillment orders first, a shipment the others
    (Shopify keeps a pickup and a shipment of one order in separate fulfillment orders)."""
    ordered = sorted(fulfillment_orders, key=lambda fo: is_pickup(fo) != push.pickup)
    picked: dict[str, list[dict[str, Any]]] = {}
    for ext, quantity in push.lines:
        left = quantity
        for fo in ordered:
            for item in _items(fo):
                if left <= 0 or tail((item.get("lineItem") or {}).get("id")) != tail(ext):
                    continue
                take = min(left, int(item.get("remainingQuantity") or 0))
                if take > 0:
                    picked.setdefault(fo["id"], []).append({"id": item["id"],
                                                            "quantity": take})
                    left -= take
        if left > 0:
            raise client.ShopifyApiError(
                f"no open fulfillment order line on {push.order_gid} for line item {ext} "
                f"({left} unit(s))")
    return [{"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items}
            for fo_id, items in picked.items()]


def fulfillment_create(push: Push) -> str | None:
    """`fulfillmentCreate` for the shipped (with tracking) or handed-over (without: that is
    how Shopify marks a pickup picked up) lines; the customer is not notified."""
    groups = line_items_by_fulfillment_order(push, open_fulfillment_orders(push))
    if not groups:
        raise client.ShopifyApiError(f"nothing shipped to report on {push.order_gid}")
    fulfillment: dict[str, Any] = {"lineItemsByFulfillmentOrder": groups,
                                   "notifyCustomer": False}
    if push.tracking_number:
        fulfillment["trackingInfo"] = {"company": push.carrier, "number": push.tracking_number}
    data = _call(push, FULFILLMENT_CREATE, {"fulfillment": fulfillment})
    return user_errors(data.get("fulfillmentCreate"), "userErrors")


def prepared_for_pickup(push: Push) -> str | None:
    """`fulfillmentOrderLineItemsPreparedForPickup` on the order's open pickup fulfillment
    orders that hold our pickup's lines. Shopify emails the customer itself. Already prepared
    (a retry after a lost answer) is done, not an error."""
    pickups = [fo for fo in open_fulfillment_orders(push)
               if is_pickup(fo) and any(_holds(fo, ext) for ext, _ in push.lines)]
    if not pickups:
        raise client.ShopifyApiError(
            f"no open pickup fulfillment order on {push.order_gid} for line item(s) "
            + ", ".join(ext for ext, _ in push.lines))
    data = _call(push, PREPARED_FOR_PICKUP, {"input": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": fo["id"]} for fo in pickups]}})
    return user_errors(data.get("fulfillmentOrderLineItemsPreparedForPickup"), "userErrors",
                       tolerated=(ALREADY_PREPARED,))


# --------------------------------------------------------------------------- cancel

def order_cancel(push: Push) -> str | None:
    """`orderCancel` (reason OTHER, no refund, no restock, customer not notified), unless
    Shopify has it cancelled already (a retry, or Shopify's own cancel crossing ours)."""
    order = _order(push, _call(push, ORDER_CANCELLED_QUERY, {"id": push.order_gid}))
    if order.get("cancelledAt"):
        return None
    data = _call(push, ORDER_CANCEL, {"orderId": push.order_gid, "reason": "OTHER",
                                      "refund": False, "restock": False,
                                      "notifyCustomer": False})
    return user_errors(data.get("orderCancel"), "orderCancelUserErrors", "userErrors")


# --------------------------------------------------------------------------- order edit

def order_edit(push: Push) -> str | None:
    """Units cancelled here off Shopify's order: `orderEditBegin`, `orderEditSetQuantity`
    (restock false: our ledger released them) to each line's target (ordered - cancelled
    here) where Shopify's quantity is above it, `orderEditCommit` (customer not notified).
    Never raises a quantity (units added or returned elsewhere are not this push's). Nothing
    to change (a retry after the commit went through): nothing is committed."""
    data = _call(push, ORDER_EDIT_BEGIN, {"id": push.order_gid})
    begun = data.get("orderEditBegin") or {}
    if error := user_errors(begun, "userErrors"):
        return error
    calculated = begun.get("calculatedOrder") or {}
    if not calculated.get("id"):
        raise client.ShopifyApiError(f"orderEditBegin on {push.order_gid} gave no order")
    current = {tail(n.get("id")): n for n in (calculated.get("lineItems") or {}).get("nodes")
               or [] if isinstance(n, dict)}
    changed = 0
    for ext, target in push.targets:
        node = current.get(tail(ext))
        if node is None:
            raise client.ShopifyApiError(
                f"line item {ext} is not on Shopify's order {push.order_gid}")
        if int(node.get("quantity") or 0) <= target:
            continue
        result = _call(push, ORDER_EDIT_SET_QUANTITY, {
            "id": calculated["id"], "lineItemId": gid("CalculatedLineItem", ext),
            "quantity": target, "restock": False})
        if error := user_errors(result.get("orderEditSetQuantity"), "userErrors"):
            return error  # the edit is not committed: Shopify drops it
        changed += 1
    if not changed:
        return None
    result = _call(push, ORDER_EDIT_COMMIT, {"id": calculated["id"], "notifyCustomer": False,
                                             "staffNote": push.note})
    return user_errors(result.get("orderEditCommit"), "userErrors")


# --------------------------------------------------------------------------- refund

def _amount(value: Any) -> Decimal:
    try:
        return to_cents(str(value))
    except ValueError:
        raise client.ShopifyApiError(
            f"Shopify sent an amount we cannot read: {value!r}") from None


def refund_transactions(push: Push, transactions: list[dict[str, Any]]
                        ) -> list[dict[str, Any]]:
    """The refund's money as REFUND transactions against the order's successful SALE or
    CAPTURE transactions (their gateway, as parent), each up to what is left of it after
    the refunds already made against it; a payment that cannot take it all is an error,
    never an over-refund."""
    assert push.refund is not None
    paid = [t for t in transactions if isinstance(t, dict)
            and t.get("kind") in PAID_KINDS and t.get("status") == "SUCCESS"]
    refunded: dict[str, Decimal] = {}
    for t in transactions:
        if isinstance(t, dict) and t.get("kind") == "REFUND" and t.get("status") == "SUCCESS":
            parent = (t.get("parentTransaction") or {}).get("id")
            money = ((t.get("amountSet") or {}).get("shopMoney") or {}).get("amount")
            refunded[str(parent)] = refunded.get(str(parent), ZERO) + _amount(money)
    left, out = push.refund.amount, []
    for t in paid:
        if left <= ZERO:
            break
        money = ((t.get("amountSet") or {}).get("shopMoney") or {}).get("amount")
        room = _amount(money) - refunded.get(str(t.get("id")), ZERO)
        take = min(left, room)
        if take > ZERO:
            out.append({"orderId": push.order_gid, "parentId": t["id"],
                        "gateway": t.get("gateway"), "kind": "REFUND",
                        "amount": f"{take:.2f}"})
            left -= take
    if left > ZERO:
        raise client.ShopifyApiError(
            f"order {push.order_gid} has {push.refund.amount - left:.2f} "
            f"{push.refund.currency} left to refund on its payments, not "
            f"{push.refund.amount:.2f}: refund the rest by hand")
    return out


@dataclass(frozen=True)
class Refunded:
    """`refundCreate`'s outcome: the user errors' text, or Shopify's refund (its gid), made
    now or found by its marker."""

    error: str | None
    refund_id: str | None = None


def _refund_made(payload: Mapping[str, Any] | None) -> Refunded:
    if error := user_errors(payload, "userErrors"):
        return Refunded(error)
    made = (payload or {}).get("refund") or {}
    if not isinstance(made, dict) or not made.get("id"):
        # Nothing made and nothing said: a retry makes it, or finds it by its marker.
        raise client.ShopifyApiError("refundCreate answered neither a refund nor an error")
    return Refunded(None, str(made["id"]))


def supports_idempotent(api_version: str) -> bool:
    """`@idempotent` exists from 2026-01 (`unstable` has it too); older versions reject the
    unknown directive, and rely on the note marker alone."""
    return not api_version[:1].isdigit() or api_version >= IDEMPOTENT_FROM


def refund_create(push: Push) -> Refunded:
    """`refundCreate` for a refund of our returns: its units by Shopify line item (no
    restock: our ledger restocked them at the returns desk, and a `return` restock would come
    back to us as a return to book), its shipping, and its money against the order's
    payments. Already there (its marker in a refund's note): done, that refund."""
    refund = push.refund
    assert refund is not None
    order = _order(push, _call(push, REFUND_CONTEXT_QUERY, {"id": push.order_gid}))
    made = next((r for r in order.get("refunds") or [] if isinstance(r, dict)
                 and refund.marker in str(r.get("note") or "")), None)
    if made is not None:
        return _refund_made({"refund": made})
    shop_currency, presentment = order.get("currencyCode"), order.get("presentmentCurrencyCode")
    if refund.currency != shop_currency or (presentment and presentment != shop_currency):
        # Our amounts are the shop's money; Shopify refunds in the presentment currency.
        raise client.ShopifyApiError(
            f"refund in {refund.currency} on an order in {shop_currency} (customer paid in "
            f"{presentment}): not pushed, refund it in Shopify by hand")
    refund_input: dict[str, Any] = {
        "orderId": push.order_gid, "note": refund.note, "notify": False,
        "refundLineItems": [{"lineItemId": gid("LineItem", ext), "quantity": quantity,
                             "restockType": "NO_RESTOCK"} for ext, quantity in refund.lines],
        "transactions": refund_transactions(push, order.get("transactions") or []),
    }
    if refund.shipping > ZERO:
        refund_input["shipping"] = {"amount": f"{refund.shipping:.2f}"}
    if supports_idempotent(push.api_version):
        data = _call(push, REFUND_CREATE_IDEMPOTENT, {"input": refund_input,
                                                      "idempotencyKey": refund.key})
    else:
        data = _call(push, REFUND_CREATE, {"input": refund_input})
    return _refund_made(data.get("refundCreate"))
