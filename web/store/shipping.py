"""Ship-from-store work: the store's parcels to customers (and transfers to other stores'
pickups) with product names and ship-to; take one to pick, confirm what was found (a short
pick re-routes the rest), ship it with carrier and tracking, or reject it with a reason (it
is re-routed elsewhere). The list is `fulfillment.use_cases.pick_list`; the steps are the
use cases of `POST /api/v1/pick-lists/claim`, `/fulfillments/{id}/pick`, `/ship` and
`/reject`, checked by the API's own request schemas."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from core.auth import current_principal
from core.db import utcnow
from core.errors import Conflict, DomainError, InvalidInput
from fulfillment import use_cases
from fulfillment.api import PickIn, RejectIn, ShipIn
from web.pages import action, page, storable
from web.store.common import (
    back_to,
    check_with,
    chosen_store,
    domain_errors,
    parse_time,
    store_args,
)

VIEW_ROLES = ("store", "cs")
ACT_ROLES = ("store",)   # the API's: store staff at their store (wms are not web users)
METHODS = ("ship", "transfer")
LISTED = 500
# Long enough to walk the shop floor and pack; renewing is the API's business.
PICKING_LEASE_SECONDS = 30 * 60
CARRIERS = ("UPS", "USPS", "FedEx", "DHL")
REJECT_REASONS = ("Not on the shelf", "Damaged in store", "Cannot pack it today")


class ShipForm(FlaskForm):
    carrier = StringField("Carrier", validators=[InputRequired("Say which carrier."),
                                                 Length(max=60), storable],
                          render_kw={"list": "carriers", "autocomplete": "off"})
    tracking_number = StringField("Tracking number", validators=[
        InputRequired("Type or scan the tracking number."), Length(max=100), storable],
        render_kw={"autocomplete": "off", "autocapitalize": "characters",
                   "spellcheck": "false"})


class RejectForm(FlaskForm):
    reason = StringField("Why this store cannot send it", validators=[
        InputRequired("Say why: the next location sees it."), Length(max=500), storable],
        render_kw={"list": "reject-reasons", "autocomplete": "off"})


@page("/store/shipping", roles=VIEW_ROLES, nav="Ship from store")
def shipping() -> ResponseReturnValue:
    here, chooser = chosen_store()
    work = use_cases.pick_list(here["code"], LISTED, methods=METHODS) if here else None
    return render_template("web/store/shipping.html", here=here, chooser=chooser,
                           work=[with_state(f) for f in work or []] if here else None,
                           truncated=work is not None and len(work) == LISTED)


@page("/store/shipping/<int(max=2147483647):fulfillment_id>", roles=VIEW_ROLES)
def parcel(fulfillment_id: int) -> ResponseReturnValue:
    f = use_cases.get(fulfillment_id, current_principal())   # 403 at another store
    if f["method"] == "pickup":   # handed over at the counter, not shipped
        return redirect(back_to("web.pickup", f["location"], fulfillment_id=fulfillment_id))
    return render_parcel(fulfillment_id)


@action("/store/shipping/<int(max=2147483647):fulfillment_id>/claim", roles=ACT_ROLES)
def claim(fulfillment_id: int) -> ResponseReturnValue:
    principal = current_principal()
    f = use_cases.get(fulfillment_id, principal)  # 403 at another store
    taken = use_cases.claim(f["location"], 1, PICKING_LEASE_SECONDS, principal,
                            fulfillment_id=fulfillment_id)
    if not taken:
        return render_parcel(fulfillment_id, status=409,
                             refused="Someone else is picking it, or it is no longer open.")
    flash(f"{f['order_number']} is yours to pick for the next "
          f"{PICKING_LEASE_SECONDS // 60} minutes.")
    return redirect(back_to("web.parcel", f["location"], fulfillment_id=fulfillment_id))


@action("/store/shipping/<int(max=2147483647):fulfillment_id>/pick", roles=ACT_ROLES)
def pick(fulfillment_id: int) -> ResponseReturnValue:
    principal = current_principal()
    f = use_cases.get(fulfillment_id, principal)
    picked, errors = picked_quantities(f)
    if errors:
        return render_parcel(fulfillment_id, status=422, pick_errors=errors)
    try:
        done = use_cases.pick(fulfillment_id, picked, principal)
    except DomainError as err:
        return refused(fulfillment_id, err, pick_errors=domain_errors(err))
    short = sum(ln["quantity"] for ln in f["lines"]) - sum(
        ln["quantity"] for ln in done["lines"])
    flash(f"Picked in full: {done['order_number']} is ready to pack." if not short else
          f"{done['order_number']}: {short} unit{'s' if short != 1 else ''} short, "
          "re-routed to another location.")
    if done["status"] == "rejected":   # nothing found: the whole parcel went elsewhere
        return redirect(back_to("web.shipping", f["location"]))
    return redirect(back_to("web.parcel", f["location"], fulfillment_id=fulfillment_id))


@action("/store/shipping/<int(max=2147483647):fulfillment_id>/ship", roles=ACT_ROLES)
def ship(fulfillment_id: int) -> ResponseReturnValue:
    form = ShipForm()
    if not form.validate_on_submit():
        return render_parcel(fulfillment_id, ship_form=form, status=422)
    data, errors = check_with(ShipIn, {"carrier": form.carrier.data,
                                       "tracking_number": form.tracking_number.data})
    if errors:
        return render_parcel(fulfillment_id, ship_form=with_errors(form, errors), status=422)
    try:
        done = use_cases.ship(fulfillment_id, data["carrier"].strip(),
                              data["tracking_number"].strip(), current_principal())
    except DomainError as err:
        return refused(fulfillment_id, err, ship_form=with_errors(form, domain_errors(err)))
    flash(f"Shipped: {done['order_number']} with {done['carrier']} {done['tracking_number']}.")
    return redirect(back_to("web.shipping", done["location"]))


@action("/store/shipping/<int(max=2147483647):fulfillment_id>/reject", roles=ACT_ROLES)
def reject(fulfillment_id: int) -> ResponseReturnValue:
    form = RejectForm()
    if not form.validate_on_submit():
        return render_parcel(fulfillment_id, reject_form=form, status=422)
    data, errors = check_with(RejectIn, {"reason": (form.reason.data or "").strip()})
    if errors:
        return render_parcel(fulfillment_id, reject_form=with_errors(form, errors), status=422)
    try:
        done = use_cases.reject(fulfillment_id, data["reason"], current_principal())
    except DomainError as err:
        return refused(fulfillment_id, err, reject_form=with_errors(form, domain_errors(err)))
    flash(f"Rejected: {done['order_number']} is re-routed to another location.")
    return redirect(back_to("web.shipping", done["location"]))


def refused(fulfillment_id: int, err: DomainError, **forms: Any) -> ResponseReturnValue:
    """A use case's refusal on the parcel's page: a field's error by its field, a state
    that changed under the associate (409) as a message on top."""
    if isinstance(err, Conflict | InvalidInput):
        return render_parcel(fulfillment_id, status=err.status,
                             refused=err.message if isinstance(err, Conflict) else None,
                             **forms)
    raise err


def with_errors(form: FlaskForm, errors: dict[str, list[str]]) -> FlaskForm:
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(messages)
    return form


def picked_quantities(f: dict[str, Any]) -> tuple[dict[int, int], dict[str, list[str]]]:
    """`picked-<line id>` per line of the parcel, checked by the API's PickIn."""
    body = {"lines": [{"line_id": ln["line_id"],
                       "picked_quantity": whole(request.form.get(f"picked-{ln['line_id']}"))}
                      for ln in f["lines"]]}
    data, errors = check_with(PickIn, body)
    if errors:
        by_line = {f"picked-{ln['line_id']}": errors.get(f"lines.{i}.picked_quantity", [])
                   for i, ln in enumerate(f["lines"])}
        by_line = {k: v for k, v in by_line.items() if v}
        return {}, by_line or {"_form": [m for ms in errors.values() for m in ms]}
    return {ln["line_id"]: ln["picked_quantity"] for ln in data["lines"]}, {}


def whole(text: str | None) -> int | str | None:
    """A number typed in a box, for the schema to judge (it says what is wrong with it)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() else text or None


def with_state(f: dict[str, Any]) -> dict[str, Any]:
    """Who is on it: the lease of whoever took it (an associate, a POS), while it lasts."""
    lease = parse_time(f["lease_expires_at"])
    held = f["claimed_by"] if lease is not None and lease >= utcnow() else None
    return {**f, "held_by": held, "held_by_me": held == current_principal().actor,
            "holder": holder_name(held)}


def holder_name(actor: str | None) -> str | None:
    """`user:7:ana.store` -> `ana.store`; `key:3:pos-till-2` -> `pos-till-2`."""
    return None if actor is None else actor.split(":", 2)[-1]


def render_parcel(fulfillment_id: int, *, status: int = 200, refused: str | None = None,
                  ship_form: ShipForm | None = None, reject_form: RejectForm | None = None,
                  pick_errors: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    f = with_state(use_cases.get(fulfillment_id, current_principal()))  # 403 elsewhere
    return render_template(
        "web/store/parcel.html", f=f, refused=refused, ship_form=ship_form or ShipForm(),
        reject_form=reject_form or RejectForm(), pick_errors=pick_errors or {},
        picked=request.form if pick_errors else {}, carriers=CARRIERS,
        reject_reasons=REJECT_REASONS, can_act=current_principal().role in ("admin",
                                                                             *ACT_ROLES),
        back=back_to("web.shipping", f["location"]), store=store_args(f["location"])), status
