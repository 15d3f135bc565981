"""What the store pages share: which store they show (the associate's home store; cs and
admin choose one), times as a store reads them, and the API's own request schemas as the
check of a form's fields (one rule for a field, whichever door it comes through)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request, url_for
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict
from wtforms import SelectField

from core.auth import Principal, current_principal, require_location
from core.db import utcnow
from core.errors import DomainError, InvalidInput
from core.http import _flatten as flatten_errors  # the API's dotted field names
from core.http import find_unstorable
from fulfillment.api import CODE
from inventory import queries as inventory_queries
from web.pages import bp


class StoreChoiceForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it only chooses what to look at

    store = SelectField("Store", validate_choice=True, choices=[], default="")


def store_choices(principal: Principal) -> list[tuple[str, str]]:
    """The stores a cs or admin user may act at, to choose from."""
    stores = [loc for loc in inventory_queries.list_locations(kind="store")
              if principal.may_act_at(loc["code"])]
    return [("", "Choose a store"),
            *((loc["code"], f"{loc['name']} ({loc['code']})") for loc in stores)]


def chosen_store() -> tuple[dict[str, Any] | None, StoreChoiceForm | None]:
    """The store the page shows, and the chooser for those who choose (None for store
    staff: their home store, and asking for another is a 403 page, as the API answers)."""
    principal = current_principal()
    asked = request.args.get("store") or None
    if asked:
        try:
            CODE(asked)  # the API's rule for a location code
        except ValidationError:
            raise InvalidInput("store", "not a location code") from None
        require_location(asked)
    if principal.role == "store":
        code = asked or principal.location
        return (inventory_queries.get_location(code) if code else None), None
    form = StoreChoiceForm(request.args)
    form.store.choices = store_choices(principal)
    if asked and asked not in dict(form.store.choices):
        form.store.choices.append((asked, asked))  # a warehouse, or a store made since
    return (inventory_queries.get_location(asked) if asked else None), form


def store_args(code: str | None) -> dict[str, Any]:
    """URL arguments that keep a chosen store across pages (store staff have theirs)."""
    if code is None or current_principal().role == "store":
        return {}
    return {"store": code}


def back_to(endpoint: str, location: str, **values: Any) -> str:
    return url_for(endpoint, **store_args(location), **values)


def check_with(schema: type[Schema], body: dict[str, Any]) -> tuple[dict[str, Any],
                                                                    dict[str, list[str]]]:
    """The API's request schema applied to what a form sent: the loaded data, or the errors
    by dotted field name (`lines.0.quantity`), as the API would name them."""
    try:
        return schema().load(body), {}
    except ValidationError as err:
        return {}, flatten_errors(err.messages)


def unstorable_fields(form: MultiDict[str, str]) -> dict[str, list[str]]:
    """Fields holding text no database can store (a NUL character): each refused by name,
    as `web.pages.storable` refuses them on a FlaskForm."""
    return {name: ["contains characters that cannot be used"]
            for name, value in form.items(multi=True) if find_unstorable(value) is not None}


def domain_errors(err: DomainError) -> dict[str, list[str]]:
    """A use case's refusal by field (its message under `_form` when it names none)."""
    return dict(err.fields) if err.fields else {"_form": [err.message]}


def parse_time(value: str | None) -> dt.datetime | None:
    """The API's timestamps ("2026-11-30T14:05:00Z", naive UTC inside)."""
    if not value:
        return None
    return dt.datetime.fromisoformat(value.removesuffix("Z"))


@bp.app_template_filter("store_time")
def store_time(value: str | dt.datetime | None) -> str:
    """A time for people, in UTC (the page's script shows it in the device's time zone)."""
    at = parse_time(value) if isinstance(value, str) else value
    if at is None:
        return ""
    return at.strftime("%a %d %b, %H:%M UTC")


@bp.app_template_filter("store_date")
def store_date(value: str | dt.date | None) -> str:
    """A day as a counter says it: "Mon 30 Nov"."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return "" if day is None else day.strftime("%a %d %b")


@bp.app_template_filter("store_iso")
def store_iso(value: str | dt.datetime | None) -> str:
    at = parse_time(value) if isinstance(value, str) else value
    return "" if at is None else at.isoformat(timespec="seconds") + "Z"


@bp.app_template_filter("time_left")
def time_left(value: str | dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long until `value`, roughly, as said at a counter: "2 h 5 min", "3 days"."""
    at = parse_time(value) if isinstance(value, str) else value
    if at is None:
        return ""
    seconds = int((at - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return "now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest and hours < 10 else f"{hours} h"
    return f"{round(minutes / 1440)} days"   # a 72-hour window just started: "3 days"


@bp.app_template_filter("line_list")
def line_list(lines: list[dict[str, Any]]) -> str:
    """Lines in one phrase: "2 x Alpine Jacket, 1 x Boot"."""
    return ", ".join(f"{ln['quantity']} x {ln.get('name') or ln['sku']}" for ln in lines)
