"""Checks on a routing request before anything is computed: a malformed request is the caller's
mistake and raises RoutingError with a message saying what to fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from fulfillment.routing.model import (
    PICKUP,
    POLICIES,
    SHIP,
    STORE,
    WAREHOUSE,
    CostModel,
    Node,
    RoutingError,
    RoutingRequest,
)


def validate(request: RoutingRequest, nodes: Sequence[Node], cost: CostModel) -> dict[str, Node]:
    by_code: dict[str, Node] = {}
    for node in nodes:
        if node.code in by_code:
            raise RoutingError(f"node {node.code} is listed twice")
        if node.kind not in (WAREHOUSE, STORE):
            raise RoutingError(
                f"node {node.code}: kind must be warehouse or store, not {node.kind!r}"
            )
        by_code[node.code] = node
    for f in fields(cost):
        if getattr(cost, f.name) < 0:
            raise RoutingError(f"cost model: {f.name} must not be negative")
    if request.method not in (SHIP, PICKUP):
        raise RoutingError(f"method must be 'ship' or 'pickup', not {request.method!r}")
    if not request.lines:
        raise RoutingError("the order has no lines")
    seen: set[str] = set()
    for line in request.lines:
        qty = line.quantity
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise RoutingError(
                f"line {line.line_id}: quantity must be a whole number >= 1, not {qty!r}"
            )
        if line.line_id in seen:
            raise RoutingError(f"line id {line.line_id} appears twice")
        seen.add(line.line_id)
        if not line.sku:
            raise RoutingError(f"line {line.line_id} has no SKU")
    if any(limit is not None and limit < 0
           for limit in (request.max_exact_nodes, request.max_exact_lines)):
        raise RoutingError("max_exact_nodes and max_exact_lines must not be negative")
    if request.time_budget_ms is not None and request.time_budget_ms <= 0:
        raise RoutingError("time_budget_ms must be positive (or None: no time limit)")
    if request.single_package_tolerance < 0 or request.single_package_tolerance_pct < 0:
        raise RoutingError("the single-package tolerance must not be negative")
    if request.deliver_by is not None and request.today is None:
        raise RoutingError("a promised delivery date (deliver_by) needs today's date")
    if request.destination is not None:
        try:
            lat, lon = (float(v) for v in request.destination)
        except (TypeError, ValueError):
            raise RoutingError("destination must be a (latitude, longitude) pair") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise RoutingError(f"destination {request.destination} is not a valid (lat, lon)")
    if request.method == SHIP and request.destination is None:
        raise RoutingError("shipping needs a destination (latitude, longitude)")
    if request.method == PICKUP:
        code = request.pickup_node
        if code is None:
            raise RoutingError("pickup needs a pickup_node")
        store = by_code.get(code)
        if store is None:
            raise RoutingError(f"unknown pickup node {code}")
        if store.kind != STORE or not store.pickup:
            raise RoutingError(f"{code} is not a pickup store")
        if request.bopis_policy not in POLICIES:
            raise RoutingError(f"bopis_policy must be one of {', '.join(POLICIES)}")
    return by_code
