"""`stock.changed`, coalesced, and the desired Shopify quantities, from the ledger.

The reservation and receipt paths are hot, so they do nothing for the outside world: no write,
no query. Instead a periodic pass (`publish`, every OMS_STOCK_PUBLISH_SECONDS) reads which
(location, SKU) pairs have movements it may not have seen, reads their balances as they are
now (one query), compares them with what was last published (`integ_stock_published`) and,
in one unit of work, writes one outbox row per pair whose figures differ and records the new
figures; for pairs at a Shopify location mapped to ours it sets the desired `available` of the
shop's sync row (`integ_shopify_inventory_sync`), which `integrations.shopify.inventory`
pushes. Many movements between two passes make one event carrying the absolute figures.

Which movements: transactions commit out of id order (a movement takes its id when it is
inserted, and becomes visible when its transaction commits), so "everything above the highest
id seen" would miss a movement committed late with a smaller id. The cursor keeps two marks:
`safe` (every movement up to it was committed and read) and `pending` (the highest id that
existed when a pass started, and when). A pass reads every movement above `safe`; `pending`
becomes `safe` once OMS_STOCK_LOOKBACK_SECONDS have gone by since it was taken. Ids come from
one increasing sequence, so every movement at or below `pending` had its id when that pass
started; if no write transaction stays open longer than the lookback after inserting a
movement, they have all committed by the time `pending` is promoted, and the pass that
promotes it reads them (it reads above the old `safe`). Each pass therefore re-reads between
one and two lookback windows of movements (by primary key, grouped per pair) and republishes
nothing unless the figures changed.

Some changes have no movement (a new safety stock, a location made inactive), and a
transaction held open beyond the lookback would slip through: `reconcile` (every
OMS_STOCK_RECONCILE_SECONDS) compares every balance, a page at a time, the same way.

Passes and reconcile pages lock the cursor row first, so they never run at the same time and
never publish one change twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import and_, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import jobs
from core.db import UnitOfWork, read_session, run_in_unit_of_work, utcnow
from integrations.models import ShopifyShop
from integrations.stock import settings
from integrations.stock.models import (
    PUBLISHER,
    PublishedStock,
    ShopifyInventorySync,
    StockCursor,
)
from integrations.stock.schemas import StockChangedData
from inventory.models import Balance, Item, Location, Movement
from oms import catalogue, events

TOPIC = "stock.changed"
catalogue.register(
    TOPIC, StockChangedData,
    "a balance's figures changed (coalesced: at most one per location and SKU per pass)")
AGGREGATE = "stock"        # aggregate_id: the balance id, so deliveries are ordered per pair
ACTOR = "oms:stock-publisher"
RECONCILE_PAGE = 1000
CHUNK = 500                # ids per IN (...) list
PUSH_JOB = "integrations.stock.jobs.push_shopify"
PUSH_QUEUE = "webhooks"

T = TypeVar("T")


def iso(value: dt.datetime) -> str:
    return value.isoformat() + "Z"


@dataclass(frozen=True)
class Figures:
    """One balance as it is now, with its location code and SKU."""

    balance_id: int
    item_id: int
    location_id: int
    sku: str
    location: str
    active: bool
    on_hand: int
    reserved: int
    safety_stock: int
    in_transit: int
    changed_at: dt.datetime

    @property
    def available(self) -> int:
        """What routing may promise here (`inventory.snapshot.availability`): on hand less
        reserved and safety stock, never negative, and none at an inactive location."""
        if not self.active:
            return 0
        return max(0, self.on_hand - self.reserved - self.safety_stock)

    def counts(self) -> tuple[int, int, int, int, int]:
        return (self.on_hand, self.reserved, self.safety_stock, self.in_transit,
                self.available)

    def payload(self) -> dict[str, Any]:
        """The event's `data` (README, "Stock changes")."""
        return {"location": self.location, "sku": self.sku, "on_hand": self.on_hand,
                "reserved": self.reserved, "safety_stock": self.safety_stock,
                "in_transit": self.in_transit, "available": self.available,
                "changed_at": iso(self.changed_at)}


def published_counts(p: PublishedStock | None) -> tuple[int, int, int, int, int]:
    """What subscribers were told; a balance never published was all zeros to them."""
    if p is None:
        return (0, 0, 0, 0, 0)
    return (p.on_hand, p.reserved, p.safety_stock, p.in_transit, p.available)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --------------------------------------------------------------------------- reading

def _figures_query(changed_at: Any) -> Any:
    return (select(Balance.id, Balance.item_id, Balance.location_id, Item.sku, Location.code,
                   Location.active, Balance.on_hand, Balance.reserved, Balance.safety_stock,
                   Balance.in_transit, changed_at)
            .join(Item, Item.id == Balance.item_id)
            .join(Location, Location.id == Balance.location_id))


def _figures(rows: Iterable[Any]) -> list[Figures]:
    return [Figures(*row) for row in rows]


def moved_since(session: Session, after_id: int) -> list[Figures]:
    """The current figures of every balance with a movement above `after_id` (one query:
    the movements grouped per pair, joined to their balances); `changed_at` is the time of
    the pair's newest movement."""
    moved = (select(Movement.item_id, Movement.location_id,
                    func.max(Movement.created_at).label("last_at"))
             .where(Movement.id > after_id)
             .group_by(Movement.item_id, Movement.location_id).subquery())
    stmt = (_figures_query(moved.c.last_at)
            .join(moved, and_(moved.c.item_id == Balance.item_id,
                              moved.c.location_id == Balance.location_id))
            .order_by(Balance.id))
    return _figures(session.execute(stmt))


def balances_page(session: Session, after_balance_id: int, limit: int,
                  now: dt.datetime) -> list[Figures]:
    """Every balance after `after_balance_id`, `limit` of them (reconcile)."""
    stmt = (_figures_query(literal(now, type_=Movement.created_at.type))
            .where(Balance.id > after_balance_id).order_by(Balance.id).limit(limit))
    return _figures(session.execute(stmt))


def highest_movement_id(session: Session) -> int:
    return session.scalar(select(func.max(Movement.id))) or 0


# --------------------------------------------------------------------------- the cursor

def lock_cursor(session: Session) -> StockCursor:
    """The publisher's cursor, locked for this unit of work (created at 0 the first time:
    migration 0015 creates it, a truncated test database does not have it)."""
    cursor = session.scalars(select(StockCursor).where(StockCursor.name == PUBLISHER)
                             .with_for_update()).one_or_none()
    if cursor is not None:
        return cursor
    try:
        with session.begin_nested():
            session.add(StockCursor(name=PUBLISHER, safe_movement_id=0))
    except IntegrityError:  # another pass created it first: take that one
        pass
    return session.scalars(select(StockCursor).where(StockCursor.name == PUBLISHER)
                           .with_for_update()).one()


def advance(cursor: StockCursor, highest: int, started: dt.datetime,
            lookback_seconds: float) -> None:
    """After a pass that read every movement above `cursor.safe_movement_id`: promote the
    pending mark once the lookback has passed since it was taken (every movement up to it
    has committed since, and this pass read it), and take a new one (`highest` existed when
    this pass started)."""
    if cursor.pending_since is not None and \
            cursor.pending_since <= started - dt.timedelta(seconds=lookback_seconds):
        cursor.safe_movement_id = max(cursor.safe_movement_id, cursor.pending_movement_id or 0)
        cursor.pending_movement_id = cursor.pending_since = None
    if cursor.pending_since is None and highest > cursor.safe_movement_id:
        cursor.pending_movement_id, cursor.pending_since = highest, started


# --------------------------------------------------------------------------- writing

@dataclass
class Applied:
    """What one pass (or reconcile) did."""

    pairs: int = 0
    events: int = 0
    shopify_changed: int = 0
    shops: set[str] = field(default_factory=set)   # shops owed a push now

    def add(self, other: Applied) -> None:
        self.pairs += other.pairs
        self.events += other.events
        self.shopify_changed += other.shopify_changed
        self.shops |= other.shops


def publish_figures(uow: UnitOfWork, figures: Sequence[Figures], now: dt.datetime) -> int:
    """One `stock.changed` outbox row per balance whose figures differ from what was last
    published, and the new figures recorded; how many."""
    session = uow.session
    published: dict[int, PublishedStock] = {}
    for part in chunks([f.balance_id for f in figures]):
        published.update((p.balance_id, p) for p in session.scalars(
            select(PublishedStock).where(PublishedStock.balance_id.in_(part))))
    written = 0
    for f in figures:
        before = published.get(f.balance_id)
        if f.counts() == published_counts(before):
            continue
        if before is None:
            before = PublishedStock(balance_id=f.balance_id)
            session.add(before)
        (before.on_hand, before.reserved, before.safety_stock, before.in_transit,
         before.available) = f.counts()
        before.changed_at, before.published_at = f.changed_at, now
        events.record_outbox(uow, topic=TOPIC, aggregate=AGGREGATE, aggregate_id=f.balance_id,
                             payload=f.payload(), actor=ACTOR)
        written += 1
    return written


def shopify_targets(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Our location code -> [(shop domain, Shopify location id)] for the shops we may push
    to (those with an Admin API access token)."""
    targets: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for domain, mapping in session.execute(
            select(ShopifyShop.domain, ShopifyShop.location_map)
            .where(ShopifyShop.access_token.is_not(None)).order_by(ShopifyShop.domain)):
        for shopify_location_id, code in sorted((mapping or {}).items()):
            targets[code].append((domain, shopify_location_id))
    return dict(targets)


def set_shopify_desired(uow: UnitOfWork, figures: Sequence[Figures],
                        targets: dict[str, list[tuple[str, str]]],
                        now: dt.datetime) -> tuple[int, set[str]]:
    """Each mapped pair's sync row gets `desired = available` (created the first time); a
    change makes it owed (`dirty`) again. Returns how many rows changed and the shops that
    are owed a push now. The rows are locked, in id order, against the push job's settling."""
    wanted = [(f, domain, shop_location) for f in figures
              for domain, shop_location in targets.get(f.location, ())]
    if not wanted:
        return 0, set()
    session = uow.session
    domains = sorted({domain for _, domain, _ in wanted})
    ids: list[int] = []
    for part in chunks(sorted({f.item_id for f, _, _ in wanted})):
        ids += session.scalars(select(ShopifyInventorySync.id).where(
            ShopifyInventorySync.shop_domain.in_(domains),
            ShopifyInventorySync.item_id.in_(part)))
    rows: dict[tuple[str, str, int], ShopifyInventorySync] = {}
    for part in chunks(sorted(ids)):  # locked in id order throughout, as `settle` does
        for held in session.scalars(
                select(ShopifyInventorySync).where(ShopifyInventorySync.id.in_(part))
                .order_by(ShopifyInventorySync.id).with_for_update()):
            rows[(held.shop_domain, held.shopify_location_id, held.item_id)] = held
    changed = 0
    owed: set[str] = set()
    for f, domain, shop_location in wanted:
        row = rows.get((domain, shop_location, f.item_id))
        if row is None:
            row = ShopifyInventorySync(
                shop_domain=domain, shopify_location_id=shop_location,
                location_id=f.location_id, item_id=f.item_id, sku=f.sku, desired=f.available,
                last_pushed=None, dirty=True, version=0, attempts=0, next_attempt_at=now,
                changed_at=now, created_at=now)
            session.add(row)
            rows[(domain, shop_location, f.item_id)] = row
        elif row.desired != f.available or row.location_id != f.location_id:
            row.desired, row.location_id = f.available, f.location_id
            row.version += 1
            row.changed_at = now
            if row.last_error is None:  # one waiting (backoff, throttle, SKU re-check) waits on
                row.next_attempt_at = now
        else:
            continue
        row.dirty = row.last_pushed is None or row.last_pushed != row.desired
        changed += 1
        if row.dirty and row.next_attempt_at <= now:
            owed.add(domain)
    return changed, owed


def apply(uow: UnitOfWork, figures: Sequence[Figures], now: dt.datetime) -> Applied:
    targets = shopify_targets(uow.session)
    changed, owed = set_shopify_desired(uow, figures, targets, now)
    return Applied(pairs=len(figures), events=publish_figures(uow, figures, now),
                   shopify_changed=changed, shops=owed)


def enqueue_pushes(shops: Iterable[str]) -> None:
    for domain in sorted(set(shops)):
        jobs.enqueue(PUSH_JOB, domain, queue=PUSH_QUEUE)


def shops_owed() -> set[str]:
    """Shops with a sync row owed a push and due (a retry after backoff, a lost job)."""
    now = utcnow()
    with read_session() as session:
        return set(session.scalars(
            select(ShopifyInventorySync.shop_domain).distinct().where(
                ShopifyInventorySync.dirty.is_(True),
                ShopifyInventorySync.next_attempt_at <= now,
                (ShopifyInventorySync.lease_until.is_(None))
                | (ShopifyInventorySync.lease_until <= now))))


# --------------------------------------------------------------------------- the passes

def publish() -> Applied:
    """One pass: the pairs moved since the cursor, published and handed to Shopify where
    they changed; then a push for every shop owed one (after the commit)."""
    cfg = settings.current()

    def work(uow: UnitOfWork) -> Applied:
        session = uow.session
        cursor = lock_cursor(session)
        # In this order: every movement up to `highest` took its id before `started`.
        highest = highest_movement_id(session)
        started = utcnow()
        applied = apply(uow, moved_since(session, cursor.safe_movement_id), started)
        advance(cursor, highest, started, cfg.lookback_seconds)
        cursor.last_run_at = started
        return applied

    applied = run_in_unit_of_work(work)
    enqueue_pushes(applied.shops | shops_owed())
    return applied


def reconcile() -> Applied:
    """Every balance compared with what was published and pushed, a page per unit of work
    (changes without a movement, and anything a pass could not see)."""
    total = Applied()
    after = 0
    while True:
        def work(uow: UnitOfWork, after: int = after) -> tuple[int, int, Applied]:
            session = uow.session
            cursor = lock_cursor(session)
            now = utcnow()
            page = balances_page(session, after, RECONCILE_PAGE, now)
            applied = apply(uow, page, now)
            if len(page) < RECONCILE_PAGE:
                cursor.reconciled_at = now
            return len(page), (page[-1].balance_id if page else after), applied

        count, after, applied = run_in_unit_of_work(work)
        total.add(applied)
        if count < RECONCILE_PAGE:
            break
    enqueue_pushes(total.shops | shops_owed())
    return total
