"""Read side for customer service and integrators: order and customer views, search."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.db import read_session
from core.errors import InvalidInput, NotFound
from core.http import decode_cursor, encode_cursor
from fulfillment import queries as fulfillment_queries
from fulfillment.models import Fulfillment
from inventory import ledger, snapshot
from oms import money_view, policy
from oms.customers import search_name
from oms.identity import normalise_email, phone_search_key, phone_tail_key
from oms.kpis import Segment
from oms.models import Customer, CustomerIdentity, CustomerMerge, Order, TimelineEvent
from returns import queries as return_queries


def _iso(value) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def line_view(order: Order, line) -> dict:
    handed_over = order.fulfillment_method in ("pickup", "carry_out")
    return {
        "line_id": line.id, "line_no": line.line_no, "sku": line.sku, "name": line.name,
        "external_id": line.external_id, "unit_price": f"{line.unit_price:.2f}",
        "discount": f"{line.discount or 0:.2f}", "tax": f"{line.tax or 0:.2f}",
        "tax_lines": [{"title": t.get("title"), "rate": t.get("rate"), "amount": t["amount"]}
                      for t in line.tax_lines or []],
        "discount_allocations": line.discount_allocations,
        "paid": f"{money_view.paid_line(line, bool(order.taxes_included)).paid:.2f}",
        "ordered": line.quantity, "allocated": line.allocated,
        "backordered": line.backordered, "fulfilled": line.fulfilled,
        "shipped": 0 if handed_over else line.fulfilled,
        "picked_up": line.fulfilled if handed_over else 0,
        "returned": line.returned, "cancelled": line.cancelled,
    }


def with_catalogue_names(session: Session, lines: list[dict]) -> list[dict]:
    """Lines the channel sent without a name show the catalogue's product name."""
    names = snapshot.item_names(session, {ln["sku"] for ln in lines if not ln["name"]})
    for ln in lines:
        ln["name"] = ln["name"] or names.get(ln["sku"])
    return lines


def event_view(e: TimelineEvent) -> dict:
    return {"id": e.id, "at": _iso(e.created_at), "kind": e.kind, "message": e.message,
            "actor": e.actor, "source": e.source, "contact_channel": e.contact_channel}


def order_summary(order: Order) -> dict:
    return {
        "id": order.id, "number": order.number, "channel": order.channel,
        "external_id": order.external_id, "channel_name": order.channel_name,
        "status": order.status, "customer_id": order.customer_id,
        "customer_name": order.customer_name, "email": order.email, "phone": order.phone,
        "currency": order.currency, "subtotal": f"{order.subtotal:.2f}",
        "total": f"{order.total:.2f}",
        "fulfillment_method": order.fulfillment_method, "created_at": _iso(order.created_at),
        "hold": None if order.status != "on_hold" else {
            "code": order.hold_code, "reason": order.hold_reason, "since": _iso(order.held_at),
            "unknown_skus": (order.hold_detail or {}).get("unknown_skus") or []},
    }


def order_view(session: Session, order: Order) -> dict:
    timeline = session.scalars(select(TimelineEvent).where(TimelineEvent.order_id == order.id)
                               .order_by(TimelineEvent.id)).all()
    return compose_order_view(
        order, lines=with_catalogue_names(session, [line_view(order, ln) for ln in order.lines]),
        fulfillments=fulfillment_queries.for_order(session, order.id),
        returns=return_queries.for_order(session, order.id), timeline=timeline)


def new_order_view(order: Order, fulfillments: Sequence[Fulfillment],
                   timeline: Sequence[TimelineEvent]) -> dict:
    """The view of an order its own use case has just placed, built from the rows it wrote
    (in hand after the commit) instead of reading them back: a new order has no returns, and
    its fulfillments and timeline are those the use case recorded. The same as `get_order`
    would give (a test compares them)."""
    lines = [line_view(order, ln) for ln in order.lines]
    if any(not ln["name"] for ln in lines):
        with read_session() as session:
            lines = with_catalogue_names(session, lines)
    return compose_order_view(
        order, lines=lines, returns=[], timeline=timeline,
        fulfillments=[fulfillment_queries.fulfillment_view(f)
                      for f in sorted(fulfillments, key=lambda f: f.id)])


def compose_order_view(order: Order, *, lines: list[dict], fulfillments: list[dict],
                       returns: list[dict], timeline: Sequence[TimelineEvent]) -> dict:
    return {
        **order_summary(order),
        "taxes_included": bool(order.taxes_included),
        "shipping_lines": [{"title": s.get("title"), "price": s["price"],
                            "discount": s.get("discount") or "0.00", "tax": s.get("tax") or "0.00"}
                           for s in order.shipping_lines or []],
        "totals": money_view.totals_view(order),
        "fulfillment": {"method": order.fulfillment_method, "location": order.location_code,
                        "address": order.ship_to,
                        "promised_delivery_date": (order.promised_delivery_date.isoformat()
                                                   if order.promised_delivery_date else None)},
        "lines": lines,
        "fulfillments": fulfillments,
        "returns": returns,
        "routing": order.routing,
        "timeline": [event_view(e) for e in timeline],
        "updated_at": _iso(order.updated_at),
    }


def get_order(order_id: int) -> dict:
    with read_session() as session:
        order = session.get(Order, order_id, options=[selectinload(Order.lines)])
        if order is None:
            raise NotFound(f"unknown order {order_id}")
        return order_view(session, order)


def order_access_facts(order_id: int) -> tuple[str, int | None, set[str]] | None:
    """(channel, created_by_key_id, locations with work) for authorising a reader."""
    with read_session() as session:
        order = session.get(Order, order_id)
        if order is None:
            return None
        work = fulfillment_queries.for_order(session, order_id)
        locations = {f["location"] for f in work} | {f["transfer_to"] for f in work
                                                     if f["transfer_to"]}
        if order.location_code:
            locations.add(order.location_code)
        return order.channel, order.created_by_key_id, locations


ORDER_NUMBER = re.compile(r"^([A-Za-z]{1,10})?[\s-]?(\d{1,12})$")


def _order_numbers(q: str) -> list[str]:
    """The order numbers a query may mean: as typed ("NW-100042"), without its prefix
    ("100042", the current prefix is assumed) or without the dash ("nw100042")."""
    numbers = [q.upper()]
    if match := ORDER_NUMBER.match(q):
        prefix = (match.group(1) or policy.current().number_prefix).upper()
        numbers.append(f"{prefix}-{match.group(2)}")
    return numbers


def _name_terms(name_column, surname_column, q: str) -> list:
    """A name prefix ("jon", "jon sn"), a surname alone ("snow", "sno"), or surname first
    ("snow jon", "Snow, Jon"): each an indexed prefix lookup. The surname is the name's last
    word ("van beethoven" is found as "beethoven" or "ludwig van")."""
    name = search_name(q.replace(",", " "))
    if not name:
        return []
    terms = [name_column.startswith(name, autoescape=True)]
    words = name.split()
    if len(words) == 1:
        terms.append(surname_column.startswith(name, autoescape=True))
    else:
        terms.append(and_(surname_column.startswith(words[0], autoescape=True),
                          name_column.startswith(" ".join(words[1:]), autoescape=True)))
    return terms


def _search_terms(session: Session, q: str):
    q = q.strip()
    if not q:
        raise InvalidInput("q", "must not be empty")
    terms = [Order.number.in_(_order_numbers(q)), Order.external_id == q,
             Order.channel_name == q, Order.channel_name == f"#{q.lstrip('#')}"]
    if "@" in q:
        with contextlib.suppress(InvalidInput):
            terms.append(Order.email == normalise_email(q, field="q"))
    digits = sum(ch.isdigit() for ch in q)
    if digits >= 7 and (phone := phone_search_key(q)):
        terms.append(Order.phone == phone)
    if tail := phone_tail_key(q):   # the last 7+ digits, or the whole number in any format
        terms.append(Order.phone_reversed.startswith(tail, autoescape=True))
    terms += _name_terms(Order.name_search, Order.surname_search, q)
    # Looked up first: as an IN (subquery) inside the OR, PostgreSQL gives up on the other
    # arms' indexes and walks the whole table (measured: 0.2 ms vs 400 ms at 1M orders).
    if tracked := fulfillment_queries.orders_with_tracking(session, q):
        terms.append(Order.id.in_(tracked))
    return or_(*terms)


@dataclass(frozen=True)
class OrderFilters:
    """What an order listing is narrowed to (by the caller, or by its key's scope)."""

    status: str | None = None
    channel: str | None = None
    location: str | None = None          # work there, or its pickup / selling store
    created_from: dt.datetime | None = None   # naive UTC, inclusive
    created_to: dt.datetime | None = None     # naive UTC, inclusive
    created_by_key_id: int | None = None
    segment: Segment | None = None       # the orders behind a KPI figure (oms.kpis)


def _filtered(session: Session, stmt, f: OrderFilters):
    if f.status is not None:
        stmt = stmt.where(Order.status == f.status)
    if f.channel is not None:
        stmt = stmt.where(Order.channel == f.channel)
    if f.location is not None:
        ledger.location_by_code(session, f.location, field="location")
        stmt = stmt.where(or_(Order.location_code == f.location,
                              Order.id.in_(fulfillment_queries.orders_with_work_at(f.location))))
    if f.created_from is not None:
        stmt = stmt.where(Order.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(Order.created_at <= f.created_to)
    if f.created_by_key_id is not None:
        stmt = stmt.where(Order.created_by_key_id == f.created_by_key_id)
    if f.segment is not None:
        stmt = stmt.where(f.segment.condition())
    return stmt


def find_orders(q: str | None, limit: int, cursor: str | None,
                filters: OrderFilters = OrderFilters()) -> dict:
    """Newest first, cursor-paginated: every order (narrowed by `filters`), or those matching
    `q` by order number (with or without its prefix), channel id or name ("#1042"), email,
    phone (any format, or its last 7+ digits), name, surname, or tracking number."""
    before = decode_cursor(cursor)
    with read_session(stale_ok=True) as session:
        stmt = select(Order).order_by(Order.id.desc()).limit(limit + 1)
        if q is not None:
            stmt = stmt.where(_search_terms(session, q))
        if before is not None:
            stmt = stmt.where(Order.id < before)
        rows = session.scalars(_filtered(session, stmt, filters)).all()
    more = len(rows) > limit
    return {"items": [order_summary(o) for o in rows[:limit]],
            "next_cursor": encode_cursor(rows[limit - 1].id) if more else None}


def count_orders(filters: OrderFilters) -> int:
    """How many orders a listing narrowed by `filters` holds (every page of it)."""
    with read_session(stale_ok=True) as session:
        stmt = _filtered(session, select(func.count()).select_from(Order), filters)
        return int(session.scalar(stmt) or 0)


def order_ids_matching(session: Session, q: str, limit: int) -> list[int]:
    """Ids of every order matching `q` (as `find_orders`), newest first: the returns desk
    finds the order it is handed, whatever channel it came from."""
    return list(session.scalars(select(Order.id).where(_search_terms(session, q))
                                .order_by(Order.id.desc()).limit(limit)))


def search_orders(q: str, limit: int, cursor: str | None, *, channel: str | None = None,
                  created_by_key_id: int | None = None) -> dict:
    """`find_orders` with a query, for callers scoped to a channel or to their own orders."""
    return find_orders(q, limit, cursor, OrderFilters(channel=channel,
                                                      created_by_key_id=created_by_key_id))


HOLD_SUMMARY_SCAN = 10_000


def holds_summary() -> dict:
    """The operations view of orders on hold: how many, why, since when, and which missing
    SKUs and channel locations would release the most orders."""
    with read_session(stale_ok=True) as session:
        rows = session.execute(select(Order.hold_code, Order.held_at, Order.hold_detail)
                               .where(Order.status == "on_hold").order_by(Order.id)
                               .limit(HOLD_SUMMARY_SCAN)).all()
    by_code: dict[str, int] = {}
    skus: dict[str, int] = {}
    locations: dict[str, int] = {}
    for code, _held_at, detail in rows:
        by_code[code] = by_code.get(code, 0) + 1
        for sku in (detail or {}).get("unknown_skus") or []:
            skus[sku] = skus.get(sku, 0) + 1
        if where := (detail or {}).get("location"):
            key = " ".join(str(where[k]) for k in sorted(where) if k not in ("reason", "method"))
            locations[key] = locations.get(key, 0) + 1
    return {
        "total": len(rows), "by_code": by_code,
        "oldest_held_at": _iso(min((r[1] for r in rows if r[1]), default=None)),
        "unknown_skus": [{"sku": k, "orders": n} for k, n in
                         sorted(skus.items(), key=lambda kv: (-kv[1], kv[0]))],
        "unmapped_locations": [{"location": k, "orders": n} for k, n in
                               sorted(locations.items(), key=lambda kv: (-kv[1], kv[0]))],
    }


def _identity_matches(q: str):
    keys = [and_(CustomerIdentity.kind == "account", CustomerIdentity.value == q)]
    if "@" in q:
        with contextlib.suppress(InvalidInput):
            keys.append(and_(CustomerIdentity.kind == "email",
                             CustomerIdentity.value == normalise_email(q, field="q")))
    if sum(ch.isdigit() for ch in q) >= 7 and (phone := phone_search_key(q)):
        keys.append(and_(CustomerIdentity.kind == "phone", CustomerIdentity.value == phone))
    if tail := phone_tail_key(q):
        keys.append(CustomerIdentity.phone_reversed.startswith(tail, autoescape=True))
    return select(CustomerIdentity.customer_id).where(or_(*keys))


IDENTITY_MATCHES_MAX = 1000  # a phone tail shared by more people than this is no lead


def search_customers(q: str, limit: int) -> list[dict]:
    q = q.strip()
    if not q:
        raise InvalidInput("q", "must not be empty")
    with read_session(stale_ok=True) as session:
        # Identities and the customer of an order number (with or without its prefix) are
        # looked up first, each on its own index, and only their ids join the OR: as
        # IN (subquery) arms, PostgreSQL gave up on the name indexes and walked every
        # customer backwards by id (measured: 20 ms at 20,000 customers, growing with them).
        found = set(session.scalars(_identity_matches(q).limit(IDENTITY_MATCHES_MAX)))
        found |= set(session.scalars(select(Order.customer_id).where(
            Order.number.in_(_order_numbers(q)), Order.customer_id.is_not(None))))
        terms: list[ColumnElement[bool]] = [
            *_name_terms(Customer.name_search, Customer.surname_search, q)]
        if found:
            terms.append(Customer.id.in_(sorted(found)))
        if not terms:
            return []
        rows = session.scalars(select(Customer).where(or_(*terms), Customer.merged_into_id
                                                      .is_(None))
                               .order_by(Customer.id.desc()).limit(limit)).all()
        return [_customer_summary(session, c) for c in rows]


def _customer_summary(session: Session, customer: Customer) -> dict:
    identities = session.scalars(select(CustomerIdentity).where(
        CustomerIdentity.customer_id == customer.id).order_by(CustomerIdentity.id)).all()
    return {
        "id": customer.id, "name": customer.name,
        "emails": [i.value for i in identities if i.kind == "email"],
        "phones": [i.value for i in identities if i.kind == "phone"],
        "accounts": [{"id": i.value, "channel": i.channel} for i in identities
                     if i.kind == "account"],
        "merged_into": customer.merged_into_id,
    }


def get_customer(customer_id: int) -> dict:
    with read_session() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"unknown customer {customer_id}")
        orders = session.scalars(select(Order).where(Order.customer_id == customer_id)
                                 .order_by(Order.id.desc()).limit(200)).all()
        # The customer's own timeline: contact notes, merges, and returns and refunds across
        # every channel (an order's routing and fulfillment steps stay on the order's).
        notes = session.scalars(select(TimelineEvent).where(
            TimelineEvent.customer_id == customer_id,
            or_(TimelineEvent.kind.in_(("note", "customer.merged", "customer.unmerged")),
                TimelineEvent.kind.like("return.%"), TimelineEvent.kind.like("refund.%")))
            .order_by(TimelineEvent.id.desc()).limit(200)).all()
        merges = session.scalars(select(CustomerMerge).where(or_(
            CustomerMerge.survivor_id == customer_id, CustomerMerge.merged_id == customer_id))
            .order_by(CustomerMerge.id)).all()
        return {
            **_customer_summary(session, customer),
            "orders": [order_summary(o) for o in orders],
            "channels": sorted({o.channel for o in orders}),
            "returns": return_queries.for_orders(session, [o.id for o in orders]),
            "notes": [event_view(n) for n in notes],
            "merges": [{"id": m.id, "survivor_id": m.survivor_id, "merged_id": m.merged_id,
                        "reason": m.reason, "actor": m.actor, "at": _iso(m.created_at),
                        "undone_at": _iso(m.undone_at)} for m in merges],
        }
