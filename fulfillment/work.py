"""Work at a node, inside the caller's transaction: claim pick lists, pick, ship, reject,
prepare and hand over pickups. Every stock effect goes through `inventory.ledger`.

Functions return the (order_line_id, quantity) pairs whose units changed state, so the
orchestrator (oms) can update its order lines in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from core.db import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from fulfillment import holding
from fulfillment.models import (
    MAX_WRONG_PICKUP_CODES,
    OPEN_STATUSES,
    Fulfillment,
    FulfillmentLine,
)
from inventory import ledger, snapshot
from inventory.ledger import Cause

Moved = list[tuple[int, int]]  # (order_line_id, quantity)
PICKUP_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
PICKUP_CODE_LENGTH = 8  # 32^8 ~ 1.1e12 codes, and only MAX_WRONG_PICKUP_CODES guesses
PICKUP_CODE_GROUP = 4   # shown as "ABCD-EFGH"
# A code is read aloud and typed at a counter: spaces, dashes (any Unicode dash) and dots
# between characters are ignored, and so is case. 1 and I can never be in a code, so they
# are read as the L they were taken for (a lower-case l looks like both); 0 and O are not in
# the alphabet either, but nothing in it looks like them, so a code with them is malformed.
_CODE_SEPARATORS = re.compile(r"[\s._\-\u2010-\u2015\u2212]+")
_CODE_LOOKALIKES = str.maketrans({"1": "L", "I": "L"})
CLAIMABLE_METHODS = ("ship", "transfer", "pickup")


def lock(session: Session, fulfillment_id: int) -> Fulfillment:
    """The fulfillment, locked (after its order: see `fulfillment.use_cases`). FOR NO KEY
    UPDATE: it does not block the key-share locks that inserting its lines' rows takes."""
    f = session.scalars(select(Fulfillment).where(Fulfillment.id == fulfillment_id)
                        .options(selectinload(Fulfillment.lines))
                        .with_for_update(key_share=True)).first()
    if f is None:
        raise NotFound(f"unknown fulfillment {fulfillment_id}")
    return f


def claim(session: Session, location: str, limit: int, lease_seconds: int, claimer: str,
          now: dt.datetime | None = None, *, only: int | None = None) -> list[Fulfillment]:
    """Atomically take up to `limit` unclaimed (or lease-expired) pending fulfillments at
    `location` (or just fulfillment `only`), oldest first. On PostgreSQL, `FOR UPDATE SKIP
    LOCKED` lets concurrent pollers pass over each other's rows; on SQLite the write
    transaction already holds the database's write lock (BEGIN IMMEDIATE), so pollers take
    turns. Either way no two get the same one."""
    now = now or utcnow()
    stmt = (select(Fulfillment.id)
            .where(Fulfillment.location_code == location, Fulfillment.status == "pending",
                   Fulfillment.method.in_(CLAIMABLE_METHODS),
                   or_(Fulfillment.lease_expires_at.is_(None),
                       Fulfillment.lease_expires_at < now)))
    if only is not None:
        stmt = stmt.where(Fulfillment.id == only)
    ids = list(session.scalars(stmt.order_by(Fulfillment.id).limit(limit)
                               .with_for_update(skip_locked=True, key_share=True)))
    if not ids:
        return []
    session.execute(update(Fulfillment).where(Fulfillment.id.in_(ids)).values(
        claimed_by=claimer, lease_expires_at=now + dt.timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False))
    return list(session.scalars(select(Fulfillment).where(Fulfillment.id.in_(ids))
                                .options(selectinload(Fulfillment.lines))
                                .order_by(Fulfillment.id)).unique())


def renew(session: Session, f: Fulfillment, claimer: str, lease_seconds: int,
          now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    if f.status != "pending":
        raise Conflict(f"fulfillment {f.id} is {f.status}; nothing to renew")
    if f.claimed_by != claimer or f.lease_expires_at is None or f.lease_expires_at < now:
        raise Conflict(f"fulfillment {f.id} is not claimed by you (or the lease expired); "
                       "claim it again")
    f.lease_expires_at = now + dt.timedelta(seconds=lease_seconds)


def _require_open(f: Fulfillment, *allowed: str) -> None:
    if f.status not in allowed:
        raise Conflict(f"fulfillment {f.id} is {f.status}", status=f.status)


def _require_not_claimed_by_another(f: Fulfillment, actor: str) -> None:
    """Work someone else holds under a live lease is theirs to pick and ship; unclaimed work
    (or an expired lease) may be done by anyone at the location."""
    if (f.claimed_by and f.claimed_by != actor and f.lease_expires_at is not None
            and f.lease_expires_at >= utcnow()):
        raise Conflict(f"fulfillment {f.id} is claimed by {f.claimed_by} until "
                       f"{f.lease_expires_at.isoformat(timespec='seconds')}Z")


def _ids(session: Session, lines: Iterable[FulfillmentLine],
         also: Iterable[str] = ()) -> tuple[dict, dict]:
    """Item ids by SKU and location ids by code for these lines' sources (and `also`)."""
    lines = list(lines)
    return (snapshot.item_ids(session, {ln.sku for ln in lines}),
            snapshot.location_ids(session, {ln.source_location for ln in lines} | set(also)))


def record_pick(session: Session, f: Fulfillment, picked: dict[int, int],
                cause: Cause) -> Moved:
    """Confirm picked quantities per order line. Units not found are released here and
    returned, for the orchestrator to route elsewhere."""
    _require_open(f, "pending")
    _require_not_claimed_by_another(f, cause.actor)
    if f.method == "pickup" and any(ln.source_location != f.location_code for ln in f.lines):
        raise Conflict(f"fulfillment {f.id} still waits for transferred units")
    by_line = {ln.order_line_id: ln for ln in f.lines}
    for i, line_id in enumerate(picked):
        if line_id not in by_line:
            raise InvalidInput(f"lines.{i}.line_id", f"line {line_id} is not in this fulfillment")
    short: Moved = []
    items, locations = _ids(session, f.lines)
    for line in sorted(f.lines, key=lambda ln: (items[ln.sku], ln.id)):
        got = picked.get(line.order_line_id, line.quantity)
        if not 0 <= got <= line.quantity:
            raise InvalidInput("lines", f"line {line.order_line_id}: picked {got} of "
                                        f"{line.quantity}")
        missing = line.quantity - got
        if missing:
            ledger.release(session, items[line.sku], locations[line.source_location],
                           line.demand_ref, missing, cause)
            short.append((line.order_line_id, missing))
            if f.method == "transfer":  # the pickup it feeds will not get those units
                _shrink_fed(session, line, missing, "its transfer came up short")
            if got == 0:
                session.delete(line)
            else:
                line.quantity = got
        if got:
            line.picked_quantity = got
    f.picked_at = utcnow()
    session.flush()
    session.refresh(f, ["lines"])
    if not f.lines:
        f.status, f.status_reason = "rejected", "nothing could be picked"
    return short


def ship(session: Session, f: Fulfillment, carrier: str, tracking_number: str,
         cause: Cause) -> Moved:
    """Hand the parcel to the carrier: reserved units leave the ledger (a shipment), or, for
    a transfer to a pickup store, travel there with their reservation."""
    _require_open(f, "pending")
    _require_not_claimed_by_another(f, cause.actor)
    if f.method == "pickup":
        raise Conflict(f"fulfillment {f.id} is a pickup: hand it over, do not ship it")
    items, locations = _ids(session, f.lines)
    moved: Moved = []
    for line in sorted(f.lines, key=lambda ln: (items[ln.sku], ln.id)):
        if f.method == "transfer":
            assert f.transfer_to is not None  # set on every transfer fulfillment
            item = ledger.item_by_sku(session, line.sku)
            source = ledger.location_by_code(session, line.source_location)
            destination = ledger.location_by_code(session, f.transfer_to)
            moved_by = ledger.ship_transfer(session, item, source, destination,
                                            line.quantity, cause, demand_ref=line.demand_ref)
            line.transfer_id = moved_by.id  # the pickup it feeds waits for this one
        else:
            ledger.consume(session, items[line.sku], locations[line.source_location],
                           line.demand_ref, line.quantity, cause)
            moved.append((line.order_line_id, line.quantity))
    f.status, f.carrier, f.tracking_number = "shipped", carrier, tracking_number
    f.shipped_at = utcnow()
    f.claimed_by = f.lease_expires_at = None
    return moved


def release_all(session: Session, f: Fulfillment, status: str, reason: str,
                cause: Cause) -> Moved:
    """Give every reserved unit of this fulfillment back (reject, expiry)."""
    _require_open(f, *OPEN_STATUSES)
    moved: Moved = []
    items, locations = _ids(session, f.lines, also=[f.location_code])
    for line in sorted(f.lines, key=lambda ln: (items[ln.sku], locations[ln.source_location])):
        holding.give_back(session, line, items[line.sku], locations[line.source_location],
                          locations[f.location_code], line.quantity, cause)
        moved.append((line.order_line_id, line.quantity))
    f.status, f.status_reason = status, reason
    f.claimed_by = f.lease_expires_at = None
    _close_mirrors(session, f, status, reason)
    return moved


def _close_mirrors(session: Session, f: Fulfillment, status: str, reason: str) -> None:
    """A transfer line and the pickup line it feeds hold the same units: closing one side
    closes exactly its partners' lines (never another transfer's of the same order)."""
    ids = [ln.id for ln in f.lines]
    if f.method == "transfer":
        partner_lines = session.scalars(
            select(FulfillmentLine).join(Fulfillment)
            .where(FulfillmentLine.fed_by_line_id.in_(ids),
                   Fulfillment.status.in_(OPEN_STATUSES))).all()
    elif f.method == "pickup":
        feeders = [ln.fed_by_line_id for ln in f.lines if ln.fed_by_line_id is not None]
        partner_lines = session.scalars(
            select(FulfillmentLine).join(Fulfillment)
            .where(FulfillmentLine.id.in_(feeders), Fulfillment.method == "transfer",
                   Fulfillment.status == "pending")).all() if feeders else []
    else:
        return
    touched = {ln.fulfillment_id for ln in partner_lines}
    for ln in partner_lines:
        session.delete(ln)
    session.flush()
    for partner in session.scalars(select(Fulfillment).where(Fulfillment.id.in_(touched))):
        session.refresh(partner, ["lines"])
        if not partner.lines:
            partner.status, partner.status_reason = status, reason


def normalise_code(code: str) -> str | None:
    """The code as issued (8 characters of the alphabet), from what was typed; None when
    what was typed cannot be a pickup code at all (wrong length, a character outside the
    alphabet)."""
    text = _CODE_SEPARATORS.sub("", code).upper().translate(_CODE_LOOKALIKES)
    if len(text) != PICKUP_CODE_LENGTH or any(c not in PICKUP_CODE_ALPHABET for c in text):
        return None
    return text


def grouped_code(code: str) -> str:
    """'ABCDEFGH' -> 'ABCD-EFGH', easier to read aloud and type (accepted either way)."""
    return "-".join(code[i:i + PICKUP_CODE_GROUP]
                    for i in range(0, len(code), PICKUP_CODE_GROUP))


def hash_code(fulfillment_id: int, code: str) -> str:
    """Of the normalised code (the 8 characters as issued)."""
    return hashlib.sha256(f"{fulfillment_id}:{code}".encode()).hexdigest()


def ready_for_pickup(session: Session, f: Fulfillment, window: dt.timedelta) -> str:
    """Mark the pickup ready; returns the code grouped for reading ("ABCD-EFGH"), shown
    once (only its hash is stored)."""
    _require_open(f, "pending")
    if f.method != "pickup":
        raise Conflict(f"fulfillment {f.id} is a {f.method}, not a pickup")
    if any(ln.source_location != f.location_code for ln in f.lines):
        raise Conflict(f"fulfillment {f.id} still waits for transferred units")
    code = "".join(secrets.choice(PICKUP_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))
    f.status, f.pickup_code_hash = "ready_for_pickup", hash_code(f.id, code)
    f.ready_at = utcnow()
    f.pickup_expires_at = f.ready_at + window
    f.wrong_code_attempts = 0
    f.claimed_by = f.lease_expires_at = None
    return grouped_code(code)


def check_code(f: Fulfillment, code: str) -> bool:
    """Constant-time comparison of the normalised code; the caller counts a wrong one (in
    its own transaction). What cannot be a code at all (wrong length, a character outside
    the alphabet) is refused with InvalidInput and is *not* a wrong attempt: it could match
    no code, so it tells a guesser nothing, and it is almost always a typing slip."""
    _require_open(f, "ready_for_pickup")
    if f.wrong_code_attempts >= MAX_WRONG_PICKUP_CODES:
        raise Conflict(f"fulfillment {f.id}: too many wrong codes; customer service must "
                       "issue a new one")
    normalised = normalise_code(code)
    if normalised is None:
        raise InvalidInput("code", f"not a pickup code: {PICKUP_CODE_LENGTH} letters and "
                                   "digits such as ABCD-EFGH (spaces, dashes and case do not "
                                   "matter); not counted as a wrong attempt")
    return hmac.compare_digest(f.pickup_code_hash or "", hash_code(f.id, normalised))


def hand_over(session: Session, f: Fulfillment, cause: Cause) -> Moved:
    _require_open(f, "ready_for_pickup")
    items, locations = _ids(session, f.lines)
    moved: Moved = []
    for line in sorted(f.lines, key=lambda ln: (items[ln.sku], ln.id)):
        ledger.consume(session, items[line.sku], locations[line.source_location],
                       line.demand_ref, line.quantity, cause)
        moved.append((line.order_line_id, line.quantity))
    f.status, f.picked_up_at = "picked_up", utcnow()
    return moved


def expired_pickups(session: Session, now: dt.datetime, limit: int = 200) -> list[int]:
    return list(session.scalars(
        select(Fulfillment.id).where(Fulfillment.status == "ready_for_pickup",
                                     Fulfillment.pickup_expires_at < now)
        .order_by(Fulfillment.id).limit(limit)))


def pickups_expiring(session: Session, now: dt.datetime, within: dt.timedelta,
                     limit: int = 200) -> list[int]:
    """Ready pickups that expire within `within` and whose customer was not reminded yet."""
    return list(session.scalars(
        select(Fulfillment.id).where(Fulfillment.status == "ready_for_pickup",
                                     Fulfillment.expiry_reminded_at.is_(None),
                                     Fulfillment.pickup_expires_at >= now,
                                     Fulfillment.pickup_expires_at < now + within)
        .order_by(Fulfillment.id).limit(limit)))


def promote_arrived(session: Session, location: str | None = None) -> list[Fulfillment]:
    """Pickups waiting for transfers become pending once the store holds their units (the
    ledger re-reserves a transfer's units for its demand at the store on receipt). Rows another
    transaction is promoting are skipped, so concurrent claims at a store do not queue here."""
    stmt = (select(Fulfillment).where(Fulfillment.status == "awaiting_transfer")
            .options(selectinload(Fulfillment.lines))
            .with_for_update(skip_locked=True, key_share=True))
    if location:
        stmt = stmt.where(Fulfillment.location_code == location)
    promoted = []
    for f in session.scalars(stmt).unique():
        store_id = snapshot.location_ids(session, [f.location_code]).get(f.location_code)
        assert store_id is not None  # a fulfillment's location exists
        items = snapshot.item_ids(session, {ln.sku for ln in f.lines})
        # Each line fed by a transfer waits for that very transfer (another pickup of the
        # same order line may wait for another one); and the store must hold the demand's
        # total, as the ledger re-reserves arriving units for it.
        needed: dict[tuple[str, str], int] = {}
        for ln in f.lines:
            needed[(ln.sku, ln.demand_ref)] = needed.get((ln.sku, ln.demand_ref), 0) + (
                ln.quantity)
        arrived = _feeders_received(session, f) and all(
            ledger.held(session, items[sku], store_id, demand) >= quantity
            for (sku, demand), quantity in needed.items())
        if arrived:
            for ln in f.lines:
                ln.source_location = f.location_code
            f.status = "pending"
            promoted.append(f)
    return promoted


def _shrink_fed(session: Session, transfer_line: FulfillmentLine, quantity: int,
                reason: str) -> None:
    """A transfer line carries `quantity` fewer units: the pickup line it feeds promises that
    many fewer (a pickup left with nothing is closed)."""
    fed = session.scalars(select(FulfillmentLine).join(Fulfillment).where(
        FulfillmentLine.fed_by_line_id == transfer_line.id,
        Fulfillment.status.in_(OPEN_STATUSES))).first()
    if fed is None:
        return
    pickup = fed.fulfillment
    if fed.quantity <= quantity:
        session.delete(fed)
    else:
        fed.quantity -= quantity
    session.flush()
    session.refresh(pickup, ["lines"])
    if not pickup.lines:
        pickup.status, pickup.status_reason = "cancelled", reason


def _feeders_received(session: Session, pickup: Fulfillment) -> bool:
    """Every transfer that feeds this pickup's lines has shipped and been received in full."""
    feeders = [ln.fed_by_line_id for ln in pickup.lines if ln.fed_by_line_id is not None]
    if not feeders:
        return True
    transfer_ids = list(session.scalars(select(FulfillmentLine.transfer_id).where(
        FulfillmentLine.id.in_(feeders))))
    if len(transfer_ids) != len(set(feeders)) or any(t is None for t in transfer_ids):
        return False  # not shipped yet
    return ledger.transfers_received(session, [t for t in transfer_ids if t is not None])
