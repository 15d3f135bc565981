"""Shopify's Admin GraphQL through the `ShopifyAPI` package, made safe for a job:

- a session is activated for the call and cleared in `finally` (the package keeps it in a
  thread-local that falls back to the last shop's site: never leave one behind);
- `GraphQL().execute` has no timeout (its socket would wait forever): we post its request
  ourselves with a socket timeout (`_post`), on a helper thread that we stop waiting for after
  `OMS_SHOPIFY_TIMEOUT` seconds (default 10) in all, however slowly the bytes trickle in;
- it returns a JSON string: parsed here, GraphQL `errors` (THROTTLED among them) raised;
  `graphql_answer` also returns the answer's `extensions.cost` (`Cost`) so that a caller
  making many calls can pace them by the shop's cost bucket.

`OMS_SHOPIFY_PROTOCOL` (default https) exists for tests that point a shop at a loopback stub.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0

FULFILLMENT_ORDERS_QUERY = """
query OmsOrderDelivery($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 10) {
      nodes {
        deliveryMethod { methodType }
        assignedLocation { location { id } }
      }
    }
  }
}
"""


class ShopifyApiError(Exception):
    """Shopify could not answer (network, HTTP status, GraphQL errors, timeout)."""


class Throttled(ShopifyApiError):
    """The shop's cost bucket is empty: back off and ask again later (`retry_after`: how long
    until it holds what the call asked for, when Shopify said; else None)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Cost:
    """`extensions.cost` of an answer: what the call cost and what is left in the shop's
    bucket (`throttleStatus`), to pace the next calls."""

    requested: float | None
    actual: float | None
    available: float | None
    maximum: float | None
    restore_rate: float | None

    @classmethod
    def of(cls, body: Any) -> Cost | None:
        cost = ((body.get("extensions") or {}).get("cost") if isinstance(body, dict)
                else None)
        if not isinstance(cost, dict):
            return None
        status = cost.get("throttleStatus") or {}

        def num(value: Any) -> float | None:
            return float(value) if isinstance(value, int | float) else None

        return cls(num(cost.get("requestedQueryCost")), num(cost.get("actualQueryCost")),
                   num(status.get("currentlyAvailable")), num(status.get("maximumAvailable")),
                   num(status.get("restoreRate")))

    def seconds_until(self, points: float | None) -> float:
        """How long until the bucket holds `points` again (0 if it does, or if unknown)."""
        if points is None or self.available is None or not self.restore_rate \
                or self.available >= points:
            return 0.0
        return (points - self.available) / self.restore_rate


def protocol() -> str:
    value = os.environ.get("OMS_SHOPIFY_PROTOCOL", "https").strip().lower()
    return value if value in ("http", "https") else "https"


def timeout_seconds() -> float:
    try:
        return float(os.environ.get("OMS_SHOPIFY_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS


def _host(domain: str) -> str:
    text = domain.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
    return text.rstrip("/")


def _bounded(call: Callable[[], str], seconds: float) -> str:
    """Run `call` on a daemon thread and wait at most `seconds` for it."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="shopify-graphql", daemon=True).start()
    if not done.wait(seconds):
        raise ShopifyApiError(f"Shopify did not answer within {seconds:g}s")
    if "error" in outcome:
        raise ShopifyApiError(f"Shopify call failed: {outcome['error']}") from outcome["error"]
    return outcome["value"]


def _post(client: Any, query: str, variables: dict[str, Any], seconds: float) -> str:
    """What ShopifyAPI's `GraphQL.execute` (12.x) sends, with a timeout on the socket: its own
    `urlopen` has none, so a Shopify that accepts the connection and never answers would
    keep the helper thread and its socket for good (one more on every call while it hangs).
    An HTTP error status raises `urllib.error.HTTPError`, as `execute` does."""
    headers = {"Accept": "application/json", "Content-Type": "application/json",
               **client.headers}
    body = json.dumps({"query": query, "variables": variables, "operationName": None})
    request = urllib.request.Request(client.endpoint, body.encode("utf-8"), headers)
    with urllib.request.urlopen(request, timeout=seconds) as response:
        return response.read().decode("utf-8")


def graphql(domain: str, api_version: str, token: str, query: str,
            variables: Mapping[str, Any] | None = None, *,
            timeout: float | None = None) -> dict[str, Any]:
    """One Admin GraphQL call for one shop; returns the parsed `data`."""
    return graphql_answer(domain, api_version, token, query, variables, timeout=timeout)[0]


def graphql_answer(domain: str, api_version: str, token: str, query: str,
                   variables: Mapping[str, Any] | None = None, *,
                   timeout: float | None = None) -> tuple[dict[str, Any], Cost | None]:
    """One Admin GraphQL call for one shop; the parsed `data` and what it cost."""
    import shopify

    try:
        session = shopify.Session(domain, api_version, token)
    except Exception as exc:  # e.g. an api_version ShopifyAPI cannot parse
        raise ShopifyApiError(f"cannot open a Shopify session: {exc!r}") from exc
    # ShopifyAPI rewrites any host to "<first label>.myshopify.com" and drops the port; the
    # domain Shopify sends us already is the shop's myshopify host, so keep it as given.
    session.url = _host(domain)
    session.protocol = protocol()
    shopify.ShopifyResource.activate_session(session)
    try:
        client = shopify.GraphQL()
        # The headers dict is the thread-local one that clear_session() edits: take a copy.
        client.headers = dict(client.headers)
        seconds = timeout if timeout is not None else timeout_seconds()
        raw = _bounded(lambda: _post(client, query, dict(variables or {}), seconds), seconds)
    finally:
        shopify.ShopifyResource.clear_session()
    try:
        body = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise ShopifyApiError("Shopify answered something that is not JSON") from exc
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        codes = {((e or {}).get("extensions") or {}).get("code") for e in errors
                 if isinstance(e, dict)}
        message = "; ".join(str((e or {}).get("message", e)) for e in errors)[:500]
        if "THROTTLED" in codes:
            cost = Cost.of(body)
            raise Throttled(f"throttled by Shopify: {message}",
                            cost.seconds_until(cost.requested) if cost else None)
        raise ShopifyApiError(f"GraphQL errors: {message}")
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ShopifyApiError("Shopify's answer has no data")
    return body["data"], Cost.of(body)


def fulfillment_orders(domain: str, api_version: str, token: str,
                       order_gid: str) -> list[dict[str, Any]]:
    """The order's fulfillment orders: delivery method and assigned location of each."""
    data = graphql(domain, api_version, token, FULFILLMENT_ORDERS_QUERY, {"id": order_gid})
    order = data.get("order")
    if not isinstance(order, dict):
        raise ShopifyApiError(f"Shopify does not know order {order_gid} (or we may not read it)")
    nodes = (order.get("fulfillmentOrders") or {}).get("nodes")
    if not isinstance(nodes, list):
        raise ShopifyApiError("Shopify's answer has no fulfillment orders")
    return [n for n in nodes if isinstance(n, dict)]
