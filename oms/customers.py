"""One customer across channels: identity resolution, merge and unmerge, inside a caller's
transaction (the order intake) or as their own use cases (customer service)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import UnitOfWork, unit_of_work, utcnow
from core.errors import Conflict, InvalidInput, NotFound
from oms import events
from oms.domain import CONTACT_CHANNELS
from oms.identity import normalise_email, normalise_phone
from oms.models import Customer, CustomerIdentity, CustomerMerge, Order, TimelineEvent


@dataclass(frozen=True)
class SeenIdentity:
    """What an order tells us about who placed it."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    account: str | None = None      # channel account id, e.g. "shopify:acme.myshopify.com:42"
    channel: str | None = None
    region: str | None = None       # for phone numbers typed without a country code

    def keys(self) -> list[tuple[str, str]]:
        out = []
        if email := normalise_email(self.email):
            out.append(("email", email))
        if phone := normalise_phone(self.phone, region=self.region):
            out.append(("phone", phone))
        if self.account:
            out.append(("account", self.account))
        return out


def search_name(name: str | None) -> str | None:
    return " ".join(name.lower().split()) if name and name.strip() else None


def resolve(uow: UnitOfWork, seen: SeenIdentity, *, actor: str, source: str) -> Customer | None:
    """The customer these identities belong to: found, created, or (when they link several
    customers) the merge of them all into the oldest. None for an anonymous order."""
    session = uow.session
    keys = seen.keys()
    if not keys:
        return None
    known = _known_customer(session, keys, seen)
    if known is not None:
        return known
    for _ in range(3):
        try:
            with session.begin_nested():
                return _resolve_once(uow, keys, seen, actor=actor, source=source)
        except IntegrityError:
            continue  # a concurrent order claimed one of these identities first: look again
    raise Conflict("customer identities kept changing concurrently; retry")


# Built once (every order resolves its customer): identities by (kind, value) pairs.
_KNOWN = (select(CustomerIdentity.kind, CustomerIdentity.value, Customer)
          .join(Customer, Customer.id == CustomerIdentity.customer_id)
          .where(tuple_(CustomerIdentity.kind, CustomerIdentity.value)
                 .in_(bindparam("keys", expanding=True))))


def _known_customer(session: Session, keys: list[tuple[str, str]],
                    seen: SeenIdentity) -> Customer | None:
    """A returning customer, in one read and without a savepoint: every identity is known and
    they all belong to one customer that needs nothing from this order (the common case).
    None when anything would be written (new identities, a merge, a name to fill in)."""
    rows = session.execute(_KNOWN, {"keys": keys}).all()
    owners = {customer.id: customer for _, _, customer in rows}
    if len(owners) != 1 or {(k, v) for k, v, _ in rows} != set(keys):
        return None
    [customer] = owners.values()
    if seen.name and not customer.name:
        return None
    return customer


def _resolve_once(uow: UnitOfWork, keys: list[tuple[str, str]], seen: SeenIdentity, *,
                  actor: str, source: str) -> Customer:
    session = uow.session
    owners = sorted(set(session.scalars(
        select(CustomerIdentity.customer_id).where(
            _any_identity(keys)))))
    have: set[tuple[str, str]] = set()
    if not owners:
        customer = Customer(name=seen.name, name_search=search_name(seen.name))
        session.add(customer)
        session.flush()
    else:
        found = session.get(Customer, owners[0])
        assert found is not None  # identities point at existing customers
        customer = found
        for other_id in owners[1:]:
            merge(uow, customer.id, other_id, actor=actor,
                  reason=f"an order from {source} links their identities")
        if seen.name and not customer.name:
            customer.name, customer.name_search = seen.name, search_name(seen.name)
        have = {(i.kind, i.value) for i in session.scalars(
            select(CustomerIdentity).where(CustomerIdentity.customer_id == customer.id))}
    for kind, value in keys:
        if (kind, value) not in have:
            session.add(CustomerIdentity(customer_id=customer.id, kind=kind, value=value,
                                         channel=seen.channel))
    session.flush()
    return customer


def _any_identity(keys: list[tuple[str, str]]):
    return or_(*(and_(CustomerIdentity.kind == k, CustomerIdentity.value == v) for k, v in keys))


def merge(uow: UnitOfWork, survivor_id: int, merged_id: int, *, actor: str,
          reason: str) -> CustomerMerge:
    """Move every identity, order and note of `merged_id` to `survivor_id`, audited."""
    session = uow.session
    if survivor_id == merged_id:
        raise Conflict("a customer cannot be merged into itself",
                       fields={"customer_id": ["is the same customer"]})
    survivor, merged = session.get(Customer, survivor_id), session.get(Customer, merged_id)
    if survivor is None or merged is None:
        raise NotFound("unknown customer", fields={"customer_id": ["unknown customer"]})
    if survivor.merged_into_id or merged.merged_into_id:
        raise Conflict("one of these customers was already merged into another")
    identity_ids = list(session.scalars(select(CustomerIdentity.id).where(
        CustomerIdentity.customer_id == merged_id)))
    order_ids = list(session.scalars(select(Order.id).where(Order.customer_id == merged_id)))
    note_ids = list(session.scalars(select(TimelineEvent.id).where(
        TimelineEvent.customer_id == merged_id, TimelineEvent.order_id.is_(None))))
    _move(session, identity_ids, order_ids, note_ids, to=survivor_id)
    merged.merged_into_id = survivor_id
    audit = CustomerMerge(survivor_id=survivor_id, merged_id=merged_id,
                          moved_identity_ids=identity_ids, moved_order_ids=order_ids,
                          moved_note_ids=note_ids, reason=reason, actor=actor)
    session.add(audit)
    session.flush()
    events.record(uow, None, "customer.merged",
                  f"customer #{merged_id} merged into #{survivor_id}: {reason}",
                  actor=actor, source="oms", customer=survivor,
                  data={"merge_id": audit.id, "merged_id": merged_id})
    return audit


def _move(session: Session, identity_ids: list[int], order_ids: list[int],
          note_ids: list[int], *, to: int) -> None:
    if identity_ids:
        session.execute(update(CustomerIdentity).where(CustomerIdentity.id.in_(identity_ids))
                        .values(customer_id=to).execution_options(synchronize_session=False))
    if order_ids:
        session.execute(update(Order).where(Order.id.in_(order_ids)).values(customer_id=to)
                        .execution_options(synchronize_session=False))
    if note_ids:
        session.execute(update(TimelineEvent).where(TimelineEvent.id.in_(note_ids))
                        .values(customer_id=to).execution_options(synchronize_session=False))
        # Order timeline rows follow their order.
    if order_ids:
        session.execute(update(TimelineEvent).where(TimelineEvent.order_id.in_(order_ids))
                        .values(customer_id=to).execution_options(synchronize_session=False))


def unmerge(uow: UnitOfWork, survivor_id: int, merged_id: int, *, actor: str) -> CustomerMerge:
    """Undo the latest merge of `merged_id` into `survivor_id`: what moved goes back."""
    session = uow.session
    audit = session.scalars(
        select(CustomerMerge).where(CustomerMerge.survivor_id == survivor_id,
                                    CustomerMerge.merged_id == merged_id,
                                    CustomerMerge.undone_at.is_(None))
        .order_by(CustomerMerge.id.desc())).first()
    if audit is None:
        raise NotFound(f"customer #{merged_id} is not merged into #{survivor_id}",
                       fields={"customer_id": ["no merge to undo"]})
    _move(session, audit.moved_identity_ids, audit.moved_order_ids, audit.moved_note_ids,
          to=merged_id)
    merged = session.get(Customer, merged_id)
    assert merged is not None  # the merge audit row points at it
    merged.merged_into_id = None
    audit.undone_at, audit.undone_by = utcnow(), actor
    events.record(uow, None, "customer.unmerged",
                  f"merge of customer #{merged_id} into #{survivor_id} undone",
                  actor=actor, source="oms", customer=session.get(Customer, survivor_id),
                  data={"merge_id": audit.id, "merged_id": merged_id})
    session.flush()
    return audit


# ------------------------------------------------------------------ use cases

def merge_customers(survivor_id: int, merged_id: int, *, actor: str, reason: str) -> int:
    with unit_of_work() as uow:
        audit = merge(uow, survivor_id, merged_id, actor=actor, reason=reason)
        uow.commit()
    return audit.id


def unmerge_customers(survivor_id: int, merged_id: int, *, actor: str) -> int:
    with unit_of_work() as uow:
        audit = unmerge(uow, survivor_id, merged_id, actor=actor)
        uow.commit()
    return audit.id


def add_note(*, text: str, channel: str, actor: str, order_id: int | None = None,
             customer_id: int | None = None) -> dict:
    """A contact note on the customer's (and order's) timeline, so nobody explains twice."""
    from oms.queries import event_view  # the read side imports this module's search keys

    if channel not in CONTACT_CHANNELS:
        raise InvalidInput("channel", f"must be one of {', '.join(CONTACT_CHANNELS)}")
    with unit_of_work() as uow:
        session = uow.session
        if order_id is not None:
            order = session.get(Order, order_id)
            if order is None:
                raise NotFound(f"unknown order {order_id}")
            customer_id = order.customer_id
        elif session.get(Customer, customer_id) is None:
            raise NotFound(f"unknown customer {customer_id}")
        note = TimelineEvent(order_id=order_id, customer_id=customer_id, kind="note",
                             message=text, actor=actor, source="cs",
                             contact_channel=channel)
        session.add(note)
        session.flush()
        view = event_view(note)
        uow.commit()
    return view
