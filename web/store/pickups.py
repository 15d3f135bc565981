"""Pickups at the counter: what to prepare, what waits for its customer, what expires soon;
mark one ready (the pickup code, shown once, big enough to read out) and hand it over against
the code the customer reads out. Lists come from `fulfillment.use_cases.pick_list` (as `GET
/api/v1/pick-lists`), the steps are `ready_for_pickup` and `pickup` (as their endpoints): the
code comparison (case, spaces and dashes ignored) and the wrong-code count are theirs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import SearchField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.auth import current_principal
from core.db import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from fulfillment import use_cases
from fulfillment.api import PickupIn
from web.pages import action, page, storable
from web.store.common import back_to, check_with, chosen_store, parse_time, store_args

VIEW_ROLES = ("store", "cs")
# The API's roles for ready-for-pickup and pickup: store staff at their store (and admin).
ACT_ROLES = ("store",)
# A ready pickup whose window ends within the customer's reminder lead
# (`OMS_PICKUP_REMINDER_HOURS`) is listed apart, so that the store sees what the customer was
# reminded of and can call before it is cancelled; with reminders off, within a day.
EXPIRING_SOON = dt.timedelta(hours=24)
LISTED = 500
# How often an open pickups page refreshes its lists (the Flask config value
# `OMS_PICKUPS_REFRESH_SECONDS` overrides it: the browser tests do not wait 20 s).
REFRESH_SECONDS = 20


class FindForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form

    q = SearchField("Find a customer or order", validators=[Optional(), Length(max=100),
                                                            storable])


class HandOverForm(FlaskForm):
    code = StringField("Pickup code the customer reads out", validators=[
        InputRequired("Type the code the customer reads out."), Length(max=40), storable],
        render_kw={"autocomplete": "off", "autocapitalize": "characters",
                   "spellcheck": "false", "enterkeyhint": "done"})


@page("/store/pickups", roles=VIEW_ROLES, nav="Pickups")
def pickups() -> ResponseReturnValue:
    here, chooser = chosen_store()
    find = FindForm(request.args)
    valid = find.validate()
    # A search that cannot be run (its field says why) shows every pickup meanwhile.
    lists = pickup_lists(here["code"], find.q.data if valid else None) if here else None
    return render_template("web/store/pickups.html", here=here, chooser=chooser, find=find,
                           lists=lists, refresh_seconds=current_app.config.get(
                               "OMS_PICKUPS_REFRESH_SECONDS", REFRESH_SECONDS),
                           can_act=may_act()), 200 if valid else 422


@page("/store/pickups/lists", roles=VIEW_ROLES)
def pickup_lists_fragment() -> ResponseReturnValue:
    """The three lists alone, for the page's script to refresh them without a reload."""
    here, _chooser = chosen_store()
    find = FindForm(request.args)
    if here is None or not find.validate():
        return "", 204
    return render_template("web/store/_pickup_lists.html", here=here,
                           lists=pickup_lists(here["code"], find.q.data), can_act=may_act())


@page("/store/pickups/<int(max=2147483647):fulfillment_id>", roles=VIEW_ROLES)
def pickup(fulfillment_id: int) -> ResponseReturnValue:
    return render_pickup(fulfillment_id, HandOverForm())


@action("/store/pickups/<int(max=2147483647):fulfillment_id>/ready", roles=ACT_ROLES)
def mark_ready(fulfillment_id: int) -> ResponseReturnValue:
    """The code is answered once by the use case (only its hash is kept): it is shown on this
    answer, not kept for a redirect."""
    ready = use_cases.ready_for_pickup(fulfillment_id, current_principal())
    return render_template("web/store/pickup_code.html", f=ready,
                           back=back_to("web.pickups", ready["location"]))


@action("/store/pickups/<int(max=2147483647):fulfillment_id>/hand-over", roles=ACT_ROLES)
def hand_over(fulfillment_id: int) -> ResponseReturnValue:
    form = HandOverForm()
    if not form.validate_on_submit():
        return render_pickup(fulfillment_id, form, status=422)
    _data, errors = check_with(PickupIn, {"code": form.code.data})
    if errors:
        form.code.errors = errors.get("code", ["is not a pickup code"])
        return render_pickup(fulfillment_id, form, status=422)
    try:
        done = use_cases.pickup(fulfillment_id, form.code.data or "", current_principal())
    except InvalidInput as err:
        # A wrong code is counted (by the use case); nothing was handed over.
        form.code.errors = [f"{problem[0].capitalize()}. Nothing was handed over: ask the "
                            "customer to read it again."
                            for problem in err.fields.values()] or [err.message]
        return render_pickup(fulfillment_id, form, status=422)
    except Conflict as err:
        return render_pickup(fulfillment_id, form, status=409, refused=err.message)
    flash(f"Handed over: {done['order_number']} to {done['customer']['name'] or 'the customer'}.")
    return redirect(back_to("web.pickups", done["location"]))


def render_pickup(fulfillment_id: int, form: HandOverForm, *, status: int = 200,
                  refused: str | None = None) -> ResponseReturnValue:
    f = use_cases.get(fulfillment_id, current_principal())  # 403 at another store
    if f["method"] != "pickup":
        raise NotFound(f"fulfillment {fulfillment_id} is a {f['method']}, not a pickup")
    return render_template("web/store/pickup.html", f=f, form=form, refused=refused,
                           can_act=may_act(), expiring=is_expiring(f, utcnow()),
                           back=back_to("web.pickups", f["location"]),
                           store=store_args(f["location"])), status


def may_act() -> bool:
    return current_principal().role in ("admin", *ACT_ROLES)


def expiring_soon() -> dt.timedelta:
    lead = use_cases.reminder_lead()
    return lead if lead > dt.timedelta(0) else EXPIRING_SOON


def is_expiring(f: dict[str, Any], now: dt.datetime) -> bool:
    expires = parse_time(f.get("pickup_expires_at"))
    return expires is not None and expires - now <= expiring_soon()


def pickup_lists(location: str, query: str | None = None) -> dict[str, Any]:
    """The store's open pickups in three lists: to prepare (waiting to be put together, or
    for their units to arrive), ready, and ready but expiring soon (soonest first)."""
    now = utcnow()
    work = use_cases.pick_list(location, LISTED, methods=("pickup",))
    shown = [f for f in work if matches(f, query)]
    ready = [f for f in shown if f["status"] == "ready_for_pickup"]
    expiring = sorted((f for f in ready if is_expiring(f, now)),
                      key=lambda f: f["pickup_expires_at"])
    return {
        "prepare": [f for f in shown if f["status"] in ("pending", "awaiting_transfer")],
        "ready": [f for f in ready if f not in expiring],
        "expiring": expiring,
        "query": (query or "").strip(),
        "truncated": len(work) == LISTED,
        "soon_hours": round(expiring_soon().total_seconds() / 3600),
        "now": now,
    }


def matches(f: dict[str, Any], query: str | None) -> bool:
    """A customer at the counter gives their name or order number: every word they say
    must be in one of them (case does not matter)."""
    words = (query or "").lower().split()
    text = " ".join([f["order_number"], f["customer"]["name"] or "",
                     f["customer"]["phone"] or ""]).lower()
    return all(word in text for word in words)
