"""Our `available` pushed to Shopify: `inventorySetQuantities` per mapped location and SKU.

The desired state lives in the database: the stock publisher (`integrations.stock.changes`)
keeps one row per (shop, Shopify location, SKU) in `integ_shopify_inventory_sync` with the
quantity we want Shopify to show (`desired`), what Shopify holds as far as we know
(`last_pushed`) and whether a push is owed (`dirty`). `push(domain)` (a job, queue
`webhooks`) claims owed rows with a lease, up to 250 at a time (Shopify's limit per call),
and sets them in one call each. A crash, an outage or a lost job only delays: the rows stay
owed and the publisher's next pass enqueues the push again.

Why not a relay destination: a relay delivery is one outbox event and one call, retried on
its own. Coalescing many changes of one SKU into one push, and many SKUs into one call, needs
the state per quantity rather than per event; the rows are that state, set by the same change
detection that writes `stock.changed` (in its transaction).

Each call:
- `changeFromQuantity` is our last pushed value (null for the first push: there is nothing to
  compare with yet, and the OMS is the source of truth);
- `@idempotent(key: ...)` is derived from what is sent (rows, their versions, quantities and
  compare values): a retry of the same request after a timeout gets Shopify's first answer
  instead of a second change, and any other request gets another key;
- a compare mismatch (`CHANGE_FROM_QUANTITY_STALE`: Shopify's quantity moved, e.g. it sold a
  unit itself) is answered by reading Shopify's quantity and setting ours again from it, up to
  `STALE_ROUNDS` times in the run: the ledger is the source of truth;
- the cost-based throttle: before each call the last answer's `throttleStatus` says whether
  the bucket holds what a call costs; a short wait is waited, a long one (or `THROTTLED`)
  ends the run and moves the shop's owed rows to when the bucket is refilled (no attempt
  counted, nothing lost);
- SKU -> inventory item comes from `productVariants(query: "sku:...")`, cached per shop in
  `integ_shopify_inventory_items`; a SKU Shopify does not know (or has on several inventory
  items) is recorded and looked up again only after OMS_SHOPIFY_SKU_RECHECK_HOURS.

Other failures (userErrors, a GraphQL error, a timeout) are kept on the row (`last_error`,
`attempts`) and retried with the relay's exponential backoff, without a limit: the desired
state is never given up. `GET /api/v1/stock-sync/shopify` shows them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork, read_session, run_in_unit_of_work, utcnow
from integrations.models import ShopifyShop
from integrations.outbound import relay
from integrations.outbound import settings as delivery_settings
from integrations.shopify import client
from integrations.stock import settings
from integrations.stock.models import ShopifyInventoryItem, ShopifyInventorySync

log = logging.getLogger(__name__)

MAX_QUANTITIES = 250        # Shopify's limit of quantities per inventorySetQuantities
SKUS_PER_LOOKUP = 50
VARIANTS_PER_LOOKUP = 250
BATCHES_PER_RUN = 8         # then the job ends; the next pass enqueues the rest
STALE_ROUNDS = 3
MAX_PACING_WAIT = 2.0       # seconds a run waits for the cost bucket; longer ends the run
THROTTLE_SECONDS = 2.0      # when THROTTLED says nothing about the bucket
MIN_API_VERSION = "2026-01"  # changeFromQuantity and @idempotent (both required from 2026-04)
REASON = "correction"
NEW_KEY_CODES = {"IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"}
STALE = "CHANGE_FROM_QUANTITY_STALE"

SET_QUANTITIES = """
mutation OmsInventorySet($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}
"""

VARIANTS_BY_SKU = """
query OmsVariantsBySku($query: String!, $first: Int!) {
  productVariants(first: $first, query: $query) {
    nodes { sku inventoryItem { id } }
    pageInfo { hasNextPage }
  }
}
"""

AVAILABLE_AT = """
query OmsInventoryLevel($id: ID!, $locationId: ID!) {
  inventoryItem(id: $id) {
    inventoryLevel(locationId: $locationId) {
      quantities(names: ["available"]) { name quantity }
    }
  }
}
"""


def location_gid(shopify_location_id: str) -> str:
    return f"gid://shopify/Location/{shopify_location_id}"


def sku_query(skus: Sequence[str]) -> str:
    """Shopify's search syntax for exactly these SKUs (quoted, `"` and `\\` escaped)."""
    def quoted(sku: str) -> str:
        return '"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return " OR ".join(f"sku:{quoted(sku)}" for sku in skus)


# --------------------------------------------------------------------------- the rows

@dataclass(frozen=True)
class Target:
    """A claimed row, as it was when claimed."""

    row_id: int
    sku: str
    shopify_location_id: str
    desired: int
    last_pushed: int | None
    version: int


@dataclass(frozen=True)
class Settlement:
    """How one row's push went."""

    row_id: int
    known: int | None              # Shopify's quantity as far as we know now (None: unknown)
    error: str | None = None
    counts: bool = True            # the error spends an attempt (the backoff grows)
    not_before: dt.datetime | None = None   # no attempt before (throttle, unknown SKU)
    new_key: bool = False          # Shopify wants another idempotency key


def lease_seconds() -> float:
    """Long enough for a batch's calls (lookups, a mutation and its re-reads), each bounded
    by OMS_SHOPIFY_TIMEOUT; a worker that dies leaves the rows to the next run after it."""
    return client.timeout_seconds() * 20 + 60


def claim(domain: str, limit: int = MAX_QUANTITIES) -> list[Target]:
    """Owed, due rows of one shop not leased by another run, oldest first, leased to us."""
    def work(uow: UnitOfWork) -> list[Target]:
        now = utcnow()
        rows = uow.session.scalars(
            select(ShopifyInventorySync).where(
                ShopifyInventorySync.shop_domain == domain,
                ShopifyInventorySync.dirty.is_(True),
                ShopifyInventorySync.next_attempt_at <= now,
                (ShopifyInventorySync.lease_until.is_(None))
                | (ShopifyInventorySync.lease_until <= now))
            .order_by(ShopifyInventorySync.id).limit(limit)
            .with_for_update(skip_locked=True)).all()
        until = now + dt.timedelta(seconds=lease_seconds())
        for row in rows:
            row.lease_until = until
        return [Target(r.id, r.sku, r.shopify_location_id, r.desired, r.last_pushed, r.version)
                for r in rows]

    return run_in_unit_of_work(work)


def settle(settlements: Sequence[Settlement]) -> None:
    """Record how each push went; a row stays owed while `last_pushed` differs from
    `desired` (which the publisher may have changed meanwhile)."""
    if not settlements:
        return
    by_id = {s.row_id: s for s in settlements}

    def work(uow: UnitOfWork) -> None:
        now = utcnow()
        cfg = delivery_settings.current()
        rows = uow.session.scalars(
            select(ShopifyInventorySync).where(ShopifyInventorySync.id.in_(sorted(by_id)))
            .order_by(ShopifyInventorySync.id).with_for_update()).all()
        for row in rows:
            s = by_id[row.id]
            row.lease_until = None
            if s.known is not None:
                row.last_pushed = s.known
            if s.error is None:
                row.attempts, row.last_error, row.pushed_at = 0, None, now
                row.version += 1
                row.next_attempt_at = now
            else:
                row.last_error = s.error[:1000]
                delay = 0.0
                if s.counts:
                    row.attempts += 1
                    delay = relay.backoff_seconds(row.attempts, cfg)
                row.next_attempt_at = max(now + dt.timedelta(seconds=delay),
                                          s.not_before or now)
                if s.new_key:
                    row.version += 1
            row.dirty = row.last_pushed is None or row.last_pushed != row.desired

    run_in_unit_of_work(work)


def defer_shop(domain: str, until: dt.datetime) -> None:
    """Nothing more for this shop before `until` (its cost bucket is empty)."""
    def work(uow: UnitOfWork) -> None:
        now = utcnow()
        uow.session.execute(
            update(ShopifyInventorySync).where(
                ShopifyInventorySync.shop_domain == domain,
                ShopifyInventorySync.dirty.is_(True),
                ShopifyInventorySync.next_attempt_at < until,
                (ShopifyInventorySync.lease_until.is_(None))
                | (ShopifyInventorySync.lease_until <= now))
            .values(next_attempt_at=until).execution_options(synchronize_session=False))

    run_in_unit_of_work(work)


# --------------------------------------------------------------------------- SKU -> item

@dataclass(frozen=True)
class Resolution:
    inventory_item_id: str | None
    error: str | None = None
    recheck_at: dt.datetime | None = None


def _remember(domain: str, results: dict[str, tuple[str, str | None]],
              now: dt.datetime) -> None:
    """Cache what the lookups found (`found`, `unknown`, `ambiguous`) per SKU."""
    def work(uow: UnitOfWork) -> None:
        session = uow.session

        def existing(skus: list[str]) -> dict[str, ShopifyInventoryItem]:
            return {r.sku: r for r in session.scalars(
                select(ShopifyInventoryItem).where(ShopifyInventoryItem.shop_domain == domain,
                                                   ShopifyInventoryItem.sku.in_(skus))
                .order_by(ShopifyInventoryItem.id).with_for_update())}

        rows = existing(sorted(results))
        for sku, (status, item_id) in sorted(results.items()):
            row = rows.get(sku)
            if row is None:
                try:
                    with session.begin_nested():
                        session.add(ShopifyInventoryItem(
                            shop_domain=domain, sku=sku, inventory_item_id=item_id,
                            status=status, checked_at=now))
                    continue
                except IntegrityError:  # another run cached it meanwhile: overwrite
                    row = existing([sku])[sku]
            row.status, row.inventory_item_id, row.checked_at = status, item_id, now

    run_in_unit_of_work(work)


def forget(domain: str, skus: Sequence[str]) -> None:
    """Shopify no longer knows these inventory items: look them up again next time."""
    if not skus:
        return

    def work(uow: UnitOfWork) -> None:
        uow.session.execute(delete(ShopifyInventoryItem).where(
            ShopifyInventoryItem.shop_domain == domain,
            ShopifyInventoryItem.sku.in_(sorted(set(skus)))))

    run_in_unit_of_work(work)


def cached_items(domain: str, skus: Sequence[str]) -> dict[str, ShopifyInventoryItem]:
    with read_session() as session:
        return {r.sku: r for r in session.scalars(
            select(ShopifyInventoryItem).where(ShopifyInventoryItem.shop_domain == domain,
                                               ShopifyInventoryItem.sku.in_(list(skus))))}


# --------------------------------------------------------------------------- one run

class Deferred(Exception):
    """Stop calling this shop for `seconds`: THROTTLED, or the cost bucket is too low."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


@dataclass(frozen=True)
class ShopAccess:
    domain: str
    api_version: str
    token: str | None


@dataclass
class Report:
    calls: int = 0
    pushed: int = 0
    failed: int = 0
    deferred: float | None = None   # seconds the shop was put off for

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "pushed": self.pushed, "failed": self.failed,
                "deferred": self.deferred}


@dataclass
class Sending:
    target: Target
    item_gid: str
    known: int | None    # the changeFromQuantity to send

    def quantity(self) -> dict[str, Any]:
        return {"inventoryItemId": self.item_gid,
                "locationId": location_gid(self.target.shopify_location_id),
                "quantity": self.target.desired, "changeFromQuantity": self.known}


def idempotency_key(domain: str, batch: Sequence[Sending]) -> str:
    """The same for the same request (a retry), different for any other: the rows' ids and
    versions make a request that happens to repeat an old one's quantities new."""
    content = json.dumps([domain, [[s.target.row_id, s.target.version, s.item_gid,
                                    s.target.shopify_location_id, s.target.desired, s.known]
                                   for s in batch]], separators=(",", ":"))
    return "oms-inventory-" + hashlib.sha256(content.encode()).hexdigest()[:40]


def _describe(errors: Sequence[dict[str, Any]]) -> str:
    return "; ".join(f"{e.get('code') or 'ERROR'}: {e.get('message')}" for e in errors)


def _index_of(error: dict[str, Any]) -> int | None:
    """Which quantity a user error is about: `field` is `["input", "quantities", "3", ...]`."""
    path = [str(p) for p in error.get("field") or []]
    if "quantities" in path:
        at = path.index("quantities") + 1
        if at < len(path) and path[at].isdigit():
            return int(path[at])
    return None


class Pusher:
    """One run for one shop: the calls, paced by the shop's cost bucket."""

    def __init__(self, shop: ShopAccess, report: Report) -> None:
        self.shop = shop
        self.report = report
        self.last_cost: client.Cost | None = None

    def refusal(self) -> str | None:
        if not self.shop.token:
            return f"shop {self.shop.domain} has no access token"
        version = self.shop.api_version
        if version != "unstable" and version < MIN_API_VERSION:
            return (f"inventory pushes need Admin API {MIN_API_VERSION} or later "
                    f"(changeFromQuantity, @idempotent); shop {self.shop.domain} is on "
                    f"{version}: add-shop {self.shop.domain} --api-version 2026-04")
        return None

    def call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self.last_cost is not None:
            # The next call costs about what the last one did: wait for the bucket to hold
            # that much, or leave the rest for later when that would take long.
            wait = self.last_cost.seconds_until(self.last_cost.requested)
            if wait > MAX_PACING_WAIT:
                raise Deferred(f"Shopify's cost bucket is low ({self.last_cost.available:g} "
                               f"points left): continuing in {wait:.1f}s", wait)
            if wait > 0:
                time.sleep(wait)
        self.report.calls += 1
        try:
            data, self.last_cost = client.graphql_answer(
                self.shop.domain, self.shop.api_version, self.shop.token or "", query,
                variables)
        except client.Throttled as exc:
            raise Deferred(str(exc), exc.retry_after or THROTTLE_SECONDS) from exc
        return data

    # ---------------------------------------------------------------- SKU lookups

    def lookup(self, skus: Sequence[str]) -> dict[str, set[str]]:
        """Inventory item ids per SKU (exact matches only: Shopify's search is looser)."""
        data = self.call(VARIANTS_BY_SKU, {"query": sku_query(skus),
                                           "first": VARIANTS_PER_LOOKUP})
        connection = data.get("productVariants") or {}
        found: dict[str, set[str]] = defaultdict(set)
        for node in connection.get("nodes") or []:
            if not isinstance(node, dict):
                continue
            item = (node.get("inventoryItem") or {}).get("id")
            if node.get("sku") in skus and item:
                found[node["sku"]].add(str(item))
        missing = [sku for sku in skus if sku not in found]
        if missing and len(skus) > 1 and (connection.get("pageInfo") or {}).get("hasNextPage"):
            for sku in missing:  # the page was full: ask for each missing one alone
                found.update(self.lookup([sku]))
        return found

    def resolve(self, skus: Sequence[str]) -> dict[str, Resolution]:
        now = utcnow()
        recheck = dt.timedelta(hours=settings.current().sku_recheck_hours)
        cached = {sku: (row.status, row.inventory_item_id, row.checked_at)
                  for sku, row in cached_items(self.shop.domain, skus).items()}
        todo = [sku for sku in skus
                if sku not in cached or (cached[sku][0] != "found"
                                         and cached[sku][2] + recheck <= now)]
        for start in range(0, len(todo), SKUS_PER_LOOKUP):
            part = todo[start:start + SKUS_PER_LOOKUP]
            found = self.lookup(part)
            results: dict[str, tuple[str, str | None]] = {}
            for sku in part:
                items = found.get(sku, set())
                results[sku] = (("found", next(iter(items))) if len(items) == 1 else
                                ("ambiguous", None) if items else ("unknown", None))
            _remember(self.shop.domain, results, now)
            cached.update({sku: (status, item, now) for sku, (status, item) in results.items()})
        out = {}
        for sku in skus:
            status, item, checked = cached[sku]
            if status == "found" and item:
                out[sku] = Resolution(item)
            else:
                what = ("is on several Shopify inventory items" if status == "ambiguous"
                        else "is not a variant SKU in Shopify")
                out[sku] = Resolution(None, f"SKU {sku} {what} (looked up "
                                            f"{checked.isoformat(timespec='seconds')}Z; "
                                            "looked up again after "
                                            f"{recheck.total_seconds() / 3600:g} h)",
                                      checked + recheck)
        return out

    # ---------------------------------------------------------------- setting quantities

    def available_now(self, s: Sending) -> int | None:
        """Shopify's `available` for the item at the location (None: not stocked there)."""
        data = self.call(AVAILABLE_AT, {"id": s.item_gid,
                                        "locationId": location_gid(s.target.shopify_location_id)})
        level = (data.get("inventoryItem") or {}).get("inventoryLevel")
        for q in (level or {}).get("quantities") or []:
            if isinstance(q, dict) and q.get("name") == "available":
                return int(q["quantity"])
        return None

    def send(self, sending: dict[int, Sending], settled: dict[int, Settlement]) -> None:
        """Set the quantities (several rounds when Shopify's moved under us); every row ends
        up in `settled`."""
        for _ in range(STALE_ROUNDS):
            if not sending:
                return
            batch = [sending[row_id] for row_id in sorted(sending)]
            data = self.call(SET_QUANTITIES, {
                "input": {"name": "available", "reason": REASON,
                          "quantities": [s.quantity() for s in batch]},
                "idempotencyKey": idempotency_key(self.shop.domain, batch)})
            result = data.get("inventorySetQuantities") or {}
            errors = [e for e in result.get("userErrors") or [] if isinstance(e, dict)]
            if not errors:
                for s in batch:
                    settled[s.target.row_id] = Settlement(s.target.row_id, s.target.desired)
                sending.clear()
                return
            self.sort_out(batch, errors, sending, settled)
        for s in sending.values():
            settled[s.target.row_id] = Settlement(
                s.target.row_id, s.known,
                f"{STALE}: Shopify's quantity changed under each of {STALE_ROUNDS} attempts "
                f"(last read {s.known}); tried again later")
        sending.clear()

    def sort_out(self, batch: list[Sending], errors: list[dict[str, Any]],
                 sending: dict[int, Sending], settled: dict[int, Settlement]) -> None:
        """After userErrors: re-read the quantities that moved (and settle those already
        right), settle the rows Shopify refused; the rest are sent again."""
        per_row: dict[int, list[dict[str, Any]]] = defaultdict(list)
        general = []
        for e in errors:
            index = _index_of(e)
            if index is not None and index < len(batch):
                per_row[index].append(e)
            else:
                general.append(e)
        if general:  # about the request as a whole: nothing was set
            text = "userErrors: " + _describe(general)
            new_key = any(e.get("code") in NEW_KEY_CODES for e in general)
            for s in batch:
                settled[s.target.row_id] = Settlement(s.target.row_id, s.known, text,
                                                      new_key=new_key)
            sending.clear()
            return
        gone = []
        for index, row_errors in sorted(per_row.items()):
            s = batch[index]
            if {e.get("code") for e in row_errors} == {STALE}:
                current = self.available_now(s)
                if current is None:
                    self.refuse(s, f"inventory item not stocked at Shopify location "
                                   f"{s.target.shopify_location_id}", sending, settled)
                elif current == s.target.desired:  # already what we want
                    settled[s.target.row_id] = Settlement(s.target.row_id, current)
                    del sending[s.target.row_id]
                else:
                    s.known = current
                continue
            if any(e.get("code") == "INVALID_INVENTORY_ITEM" for e in row_errors):
                gone.append(s.target.sku)
            self.refuse(s, "userErrors: " + _describe(row_errors), sending, settled)
        forget(self.shop.domain, gone)

    @staticmethod
    def refuse(s: Sending, error: str, sending: dict[int, Sending],
               settled: dict[int, Settlement]) -> None:
        settled[s.target.row_id] = Settlement(s.target.row_id, s.known, error)
        del sending[s.target.row_id]

    def batch(self, targets: Sequence[Target]) -> list[Settlement]:
        """Push one batch of claimed rows; how each went. Raises nothing: a throttle or an
        outage is how the unsettled rows went."""
        settled: dict[int, Settlement] = {}
        sending: dict[int, Sending] = {}
        refusal = self.refusal()
        if refusal:
            return [Settlement(t.row_id, t.last_pushed, refusal) for t in targets]
        try:
            resolved = self.resolve(sorted({t.sku for t in targets}))
            for t in targets:
                r = resolved[t.sku]
                if r.inventory_item_id is None:
                    settled[t.row_id] = Settlement(t.row_id, t.last_pushed, r.error,
                                                   counts=False, not_before=r.recheck_at)
                else:
                    sending[t.row_id] = Sending(t, r.inventory_item_id, t.last_pushed)
            self.send(sending, settled)
        except Deferred as exc:
            until = utcnow() + dt.timedelta(seconds=exc.seconds)
            self.report.deferred = exc.seconds
            for t in targets:
                if t.row_id not in settled:
                    known = sending[t.row_id].known if t.row_id in sending else t.last_pushed
                    settled[t.row_id] = Settlement(t.row_id, known, str(exc)[:1000],
                                                   counts=False, not_before=until)
        except client.ShopifyApiError as exc:
            for t in targets:
                if t.row_id not in settled:
                    known = sending[t.row_id].known if t.row_id in sending else t.last_pushed
                    settled[t.row_id] = Settlement(t.row_id, known, str(exc)[:1000])
        return [settled[t.row_id] for t in targets]


def shop_access(domain: str) -> ShopAccess | None:
    with read_session() as session:
        row = session.scalars(select(ShopifyShop).where(ShopifyShop.domain == domain)).first()
        return ShopAccess(row.domain, row.api_version, row.access_token) if row else None


def push(domain: str) -> Report:
    """Push what one shop is owed, a batch of up to 250 quantities per call, until nothing
    is due, the run's batches are done or Shopify says to wait (README, "Stock changes")."""
    report = Report()
    shop = shop_access(domain)
    if shop is None:
        return report
    pusher = Pusher(shop, report)
    for _ in range(BATCHES_PER_RUN):
        targets = claim(domain)
        if not targets:
            break
        settlements = pusher.batch(targets)
        settle(settlements)
        report.pushed += sum(1 for s in settlements if s.error is None)
        report.failed += sum(1 for s in settlements if s.error is not None)
        if report.deferred is not None:
            defer_shop(domain, utcnow() + dt.timedelta(seconds=report.deferred))
            log.info("shopify inventory %s: put off %.1fs (%s)", domain, report.deferred,
                     "throttled or cost bucket low")
            break
        if pusher.refusal():
            break
    return report
