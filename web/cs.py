"""Customer service: one search box for any order or customer (also in the header), the order
page (lines and their amounts, where each line is fulfilled and why, tracking, pickups,
returns, the outbound sync, the timeline; cancel, re-route, return or exchange, contact note,
retry a failed delivery) and the customer page (identities, orders, returns, notes, lifetime
value, channels).

Reads go through `oms.cs_view`, `oms.queries`, `returns.queries` and
`integrations.outbound.service`; every action calls the use case its API endpoint calls
(`oms.orders.cancel` / `reroute`, `oms.customers.add_note`, `returns.use_cases.create_return`,
`integrations.outbound.service.retry_for_order`) as the signed-in user's Principal. This module
only arranges what they return for one look, and turns form fields into their arguments."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import phonenumbers
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.auth import current_principal
from core.errors import DomainError
from integrations.outbound import service as outbound
from inventory import queries as inventory_queries
from oms import cs_view, customers, orders, queries
from oms.domain import CONTACT_CHANNELS
from returns import queries as return_queries
from returns import use_cases as returns
from returns.order_port import ExchangeLine
from returns.policy import REASONS
from web.pages import HOME, bp, page, signed_in_principal, storable
from web.pages import action as post_action

ROLES = ("cs",)  # and admin, as everywhere
PAGE_SIZE = 25
CUSTOMERS_SHOWN = 8
MAX_UNITS = 1_000_000

HOME["cs"] = "web.cs_search"  # a rep's first question is always "which order?"

CHANNEL_LABELS = {"shopify": "Shopify", "web": "Web", "pos": "POS", "store": "Store",
                  "marketplace": "Marketplace", "phone": "Phone order"}
CONTACT_LABELS = {"phone": "Phone call", "chat": "Chat", "email": "Email", "store": "In store",
                  "social": "Social media", "other": "Other"}
STATUS_LABELS = {"received": "Received", "on_hold": "On hold", "routed": "Routed",
                 "backordered": "Backordered", "needs_attention": "Needs attention",
                 "partially_fulfilled": "Partly fulfilled", "fulfilled": "Fulfilled",
                 "closed": "Closed", "cancelled": "Cancelled",
                 # fulfillments, returns, deliveries
                 "pending": "Pending", "awaiting_transfer": "Waiting for a transfer",
                 "rejected": "Rejected", "shipped": "Shipped",
                 "ready_for_pickup": "Ready for pickup", "picked_up": "Picked up",
                 "authorised": "Authorised", "requested": "Requested",
                 "partly_received": "Partly received", "refunded": "Refunded",
                 "settled": "Refunded", "delivered": "Delivered", "failed": "Failed"}
# Colour families for status badges (web/static/cs.css): what needs a look is warm.
STATUS_TONES = {"fulfilled": "good", "closed": "good", "picked_up": "good",
                "shipped": "good", "delivered": "good", "refunded": "good", "settled": "good",
                "received": "info", "routed": "info", "partially_fulfilled": "info",
                "ready_for_pickup": "info", "authorised": "info", "partly_received": "info",
                "awaiting_transfer": "info",
                "on_hold": "warn", "backordered": "warn", "needs_attention": "warn",
                "pending": "warn",
                "cancelled": "bad", "rejected": "bad", "failed": "bad"}
EVENT_LABELS = {
    "note": "Contact note", "order.created": "Order placed", "order.received": "Received",
    "order.routed": "Routed", "order.backordered": "Backordered",
    "order.needs_attention": "Needs attention", "order.on_hold": "Put on hold",
    "order.hold_updated": "Hold updated", "order.released_from_hold": "Released from hold",
    "order.partially_fulfilled": "Partly fulfilled", "order.fulfilled": "Fulfilled",
    "order.cancelled": "Cancelled", "order.lines_cancelled": "Units cancelled",
    "order.updated": "Units added", "order.reroute_requested": "Re-route asked",
    "order.promise_changed": "Promised date changed",
    "order.exchange": "Exchange order", "fulfillment.created": "Work given to a node",
    "fulfillment.claimed": "Claimed", "fulfillment.picked": "Picked",
    "fulfillment.shipped": "Shipped", "fulfillment.transfer_shipped": "Transfer sent",
    "fulfillment.transfer_received": "Transfer arrived", "fulfillment.rejected": "Rejected",
    "fulfillment.rerouting": "Re-routing", "fulfillment.ready_for_pickup": "Ready for pickup",
    "fulfillment.picked_up": "Picked up", "fulfillment.expired": "Pickup expired",
    "fulfillment.wrong_pickup_code": "Wrong pickup code",
    "fulfillment.cancelled": "Work cancelled", "return.authorised": "Return authorised",
    "return.partly_received": "Return partly received", "return.received": "Return received",
    "return.exchange": "Exchange", "return.cancelled": "Return cancelled",
    "refund.created": "Refund", "customer.merged": "Customers merged",
    "customer.unmerged": "Merge undone", "shopify.totals_mismatch": "Shopify totals differ",
}


# ------------------------------------------------------------------ forms

class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    q = SearchField("Order, name, email, phone or tracking number",
                    validators=[Optional(), Length(max=200), storable])


class NoteForm(FlaskForm):
    channel = SelectField("Contact via", default="phone",
                          choices=[(c, CONTACT_LABELS[c]) for c in CONTACT_CHANNELS])
    text = TextAreaField("Note", validators=[InputRequired("Write what was said or done."),
                                             Length(max=5000), storable])


class CancelOrderForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500), storable])
    confirm = BooleanField("Yes, cancel every unit not yet shipped or handed over",
                           validators=[InputRequired("Tick the box to confirm.")])


class CancelLinesForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500), storable])


class RerouteForm(FlaskForm):
    exclude = SelectMultipleField("Never send it to", choices=[], validate_choice=True,
                                  widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    promise = DateField("New promised delivery date (optional)", validators=[Optional()])
    drop_promise = BooleanField("The customer agrees to wait: drop the promised date")

    def validate_drop_promise(self, field: BooleanField) -> None:
        if field.data and self.promise.data:
            raise ValidationError("Give a new date or drop the promise, not both.")

    def new_promise(self) -> orders.NewPromise | None:
        """What the re-route does to the order's promise: None keeps it."""
        if self.drop_promise.data:
            return orders.NewPromise(None)
        return orders.NewPromise(self.promise.data) if self.promise.data else None


class RetryForm(FlaskForm):
    pass  # the CSRF token only


class ReturnForm(FlaskForm):
    location = SelectField("Where it comes back", choices=[], validate_choice=True)
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000), storable])
    override_window_reason = StringField(
        "Past the return window? Why accept it anyway (optional)",
        validators=[Optional(), Length(max=500), storable])
    exchange_sku = StringField("Exchange for SKU (optional)",
                               validators=[Optional(), Length(max=64), storable])
    exchange_quantity = IntegerField("Quantity", default=1,
                                     validators=[Optional(), NumberRange(1, MAX_UNITS)])
    exchange_method = RadioField("If the new item is not at that location",
                                 choices=[("ship", "Ship it to the order's address"),
                                          ("pickup", "Pick it up at a store")],
                                 default="ship", validators=[Optional()])
    pickup_location = SelectField("Pickup store", choices=[], default="", validate_choice=True)


# ------------------------------------------------------------------ template helpers

@bp.app_template_filter("money")
def money(amount: Any, currency: str | None = None) -> str:
    """1262.5 -> "1,262.50 USD" (amounts are Decimals or decimal strings, never floats)."""
    if amount is None or amount == "":
        return ""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


@bp.app_template_filter("when")
def when(value: Any, with_year: bool = True) -> str:
    """An ISO time (UTC, as the views give it) for people: "20 Nov 2025, 15:15"."""
    moment = _moment(value)
    if moment is None:
        return ""
    return moment.strftime("%-d %b %Y, %H:%M" if with_year else "%-d %b, %H:%M")


@bp.app_template_filter("day")
def day(value: Any) -> str:
    moment = _moment(value)
    return "" if moment is None else moment.strftime("%-d %b %Y")


@bp.app_template_filter("clock")
def clock(value: Any) -> str:
    moment = _moment(value)
    return "" if moment is None else moment.strftime("%H:%M UTC")


@bp.app_template_filter("who")
def who(actor: str | None) -> str:
    """Who did it, for people: "user:3:carla" -> "carla", "key:6:web-shop" -> "API key
    web-shop", "shopify:acme.myshopify.com" -> "Shopify (acme.myshopify.com)"."""
    kind, _, rest = (actor or "").partition(":")
    if kind == "user":
        return rest.partition(":")[2] or rest
    if kind == "key":
        return f"API key {rest.partition(':')[2] or rest}"
    if kind == "shopify":
        return f"Shopify ({rest})"
    return actor or ""


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).removesuffix("Z"))
    except ValueError:
        return None


@bp.app_template_filter("phone")
def phone(value: str | None) -> str:
    """"+12125550148" -> "(212) 555-0148"; other countries in international form."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 1
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


@bp.context_processor
def cs_layout() -> dict:
    """The header's search box, for those who may search (not on the search page itself,
    whose own box is the one to use)."""
    principal = signed_in_principal()
    return {
        "cs_search_box": principal is not None and principal.role in ("cs", "admin")
        and request.endpoint != "web.cs_search",
        "channel_label": lambda c: CHANNEL_LABELS.get(c, (c or "").capitalize()),
        "status_label": lambda s: STATUS_LABELS.get(s, (s or "").replace("_", " ").capitalize()),
        "status_tone": lambda s: STATUS_TONES.get(s, "info"),
        "event_label": event_label,
        "contact_label": lambda c: CONTACT_LABELS.get(c, c),
    }


def event_label(kind: str) -> str:
    if kind in EVENT_LABELS:
        return EVENT_LABELS[kind]
    return kind.rpartition(".")[2].replace("_", " ").capitalize()


# ------------------------------------------------------------------ search

@page("/search", roles=ROLES, nav="Find orders")
def cs_search() -> ResponseReturnValue:
    """Any order or customer from whatever the customer says; without a query, the newest
    orders. Orders a page at a time (cursor), customers matched on the first page."""
    form = SearchForm(request.args)
    if not form.validate():
        return render_template("web/cs/search.html", form=form, q="", orders=None,
                               customers=[], more_customers=False), 422
    q = (form.q.data or "").strip()
    cursor = request.args.get("cursor") or None
    found = queries.find_orders(q or None, PAGE_SIZE, cursor)
    matched = queries.search_customers(q, CUSTOMERS_SHOWN + 1) if q and not cursor else []
    return render_template("web/cs/search.html", form=form, q=q, orders=found, cursor=cursor,
                           customers=matched[:CUSTOMERS_SHOWN],
                           more_customers=len(matched) > CUSTOMERS_SHOWN)


# ------------------------------------------------------------------ the order page

ORDER = "/orders/<int(max=2147483647):order_id>"


@page(ORDER, roles=ROLES)
def cs_order(order_id: int) -> ResponseReturnValue:
    return order_page(order_id)


def order_page(order_id: int, *, status: int = 200, problem: str | None = None,
               problem_at: str | None = None, field_errors: Mapping[str, str] | None = None,
               **forms: FlaskForm) -> ResponseReturnValue:
    """The order page, also as the answer to an action that could not be done (`problem`
    shown at the form `problem_at`, the form's fields as sent, its status)."""
    view = cs_view.order_page(order_id)
    names = location_names()
    work = [with_names(f, names) for f in view["fulfillments"]]
    lines = [{**line, "where": where_is(line["line_id"], work),
              "cancellable": line["ordered"] - line["cancelled"] - line["fulfilled"]}
             for line in view["lines"]]
    open_nodes = sorted({f["location"] for f in work if f["status"] in OPEN_WORK})
    reroute = forms.get("reroute") or RerouteForm(prefix="reroute")
    reroute.exclude.choices = [(code, f"{names.get(code, code)} ({code})") for code in open_nodes]
    routing = view.get("routing") or {}
    context = {
        "order": view, "lines": lines, "work": work, "names": names,
        "routing": {**routing, "reasons": [{**r, "text": with_place_names(r["text"], names)}
                                           for r in routing.get("reasons") or []]},
        "timeline": [{**e, "message": with_place_names(e["message"], names)}
                     for e in timeline_of(view)],
        "sync": outbound.deliveries_for_order(order_id),
        "returnable": sum(max(0, ln["fulfilled"] - ln["returned"]) for ln in lines),
        "note_form": forms.get("note") or NoteForm(prefix="note"),
        "cancel_form": forms.get("cancel") or CancelOrderForm(prefix="whole"),
        "lines_form": forms.get("lines") or CancelLinesForm(prefix="lines"),
        "reroute_form": reroute,
        "retry_form": RetryForm(),
        "problem": problem, "problem_at": problem_at, "field_errors": field_errors or {},
        "sent": request.form if request.method == "POST" else MultiDict(),
    }
    return render_template("web/cs/order.html", **context), status


OPEN_WORK = ("pending", "awaiting_transfer", "ready_for_pickup")


def location_names() -> dict[str, str]:
    return {loc["code"]: loc["name"] for loc in inventory_queries.list_locations()}


def with_place_names(text: str, names: Mapping[str, str]) -> str:
    """Routing reasons and timeline messages name locations by code ("dc-east: all lines in
    stock"); people know them by name ("DC East: all lines in stock")."""
    if not names or not text:
        return text
    codes = sorted(names, key=len, reverse=True)  # "store-ny-2" before "store-ny"
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, codes)) + r")(?![\w-])")
    return pattern.sub(lambda m: names[m.group(1)], text)


def with_names(fulfillment: dict, names: Mapping[str, str]) -> dict:
    return {**fulfillment, "location_name": names.get(fulfillment["location"],
                                                      fulfillment["location"]),
            "transfer_to_name": names.get(fulfillment["transfer_to"] or "",
                                          fulfillment["transfer_to"])}


def where_is(line_id: int, work: list[dict]) -> list[dict]:
    """Where the line's units are worked on: each fulfillment holding some of them (its node,
    method, status and how many), open work first."""
    places = [{"fulfillment_id": f["id"], "location": f["location"],
               "location_name": f["location_name"], "method": f["method"],
               "status": f["status"], "transfer_to": f["transfer_to"],
               "transfer_to_name": f["transfer_to_name"], "quantity": ln["quantity"],
               "tracking_number": f["tracking_number"], "carrier": f["carrier"]}
              for f in work for ln in f["lines"] if ln["line_id"] == line_id]
    return sorted(places, key=lambda p: (p["status"] not in OPEN_WORK, p["fulfillment_id"]))


def timeline_of(view: dict) -> list[dict]:
    """The order's timeline and the customer's own contact notes, newest first."""
    entries = [{**e, "about": "order"} for e in view["timeline"]]
    entries += [{**e, "about": "customer"} for e in view["customer_notes"]]
    return sorted(entries, key=lambda e: (e["at"] or "", e["id"]), reverse=True)


# ------------------------------------------------------------------ order actions

def failed(order_id: int, err: DomainError, at: str,
           wanted: Sequence[tuple[int, int]] = (), **forms: FlaskForm) -> ResponseReturnValue:
    """An action the use case refused: the order page again with why, at the form used."""
    return order_page(order_id, status=err.status, problem=err.message, problem_at=at,
                      field_errors=form_errors(err, wanted, "lines-qty-"), **forms)


def form_errors(err: DomainError, wanted: Sequence[tuple[int, int]],
                qty_prefix: str) -> dict[str, str]:
    """The use cases name API fields (`lines.0.quantity`, `exchange_lines.0.sku`): the
    form's own fields for them (`wanted` is the (line id, units) list the form sent)."""
    out: dict[str, str] = {}
    for name, problems in (err.fields or {}).items():
        text = " ".join(problems)
        parts = name.split(".")
        if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit() \
                and int(parts[1]) < len(wanted):
            line_id = wanted[int(parts[1])][0]
            out[f"reason-{line_id}" if parts[-1] == "reason" else f"{qty_prefix}{line_id}"] = text
        elif parts[0] == "exchange_lines":
            out["exchange_quantity" if parts[-1] == "quantity" else "exchange_sku"] = text
        else:
            out[parts[0]] = text
    return out


@post_action(ORDER + "/notes", roles=ROLES)
def cs_order_note(order_id: int) -> ResponseReturnValue:
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return order_page(order_id, status=422, problem_at="note", note=form)
    principal = current_principal()
    customers.add_note(text=form.text.data or "", channel=form.channel.data or "phone",
                       actor=principal.actor, order_id=order_id)
    flash("Note added to the timeline.")
    return see_order(order_id, "timeline")


@post_action(ORDER + "/cancel", roles=ROLES)
def cs_cancel_order(order_id: int) -> ResponseReturnValue:
    form = CancelOrderForm(prefix="whole")
    if not form.validate_on_submit():
        return order_page(order_id, status=422, problem_at="cancel", cancel=form)
    principal = current_principal()
    try:
        orders.cancel(order_id, None, actor=principal.actor, source=principal.role,
                      reason=form.reason.data or None)
    except DomainError as err:
        return failed(order_id, err, "cancel", cancel=form)
    flash("The order is cancelled; its reserved stock is free again.")
    return see_order(order_id)


@post_action(ORDER + "/cancel-lines", roles=ROLES)
def cs_cancel_lines(order_id: int) -> ResponseReturnValue:
    form = CancelLinesForm(prefix="lines")
    valid = form.validate_on_submit()
    wanted, errors = units_asked(request.form, "lines-qty-")
    if not valid or errors:
        return order_page(order_id, status=422, problem_at="lines",
                          problem=errors.pop("lines-qty-", None), field_errors=errors,
                          lines=form)
    principal = current_principal()
    try:
        orders.cancel(order_id, wanted, actor=principal.actor, source=principal.role,
                      reason=form.reason.data or None)
    except DomainError as err:
        return failed(order_id, err, "lines", wanted, lines=form)
    count = sum(q for _, q in wanted)
    flash(f"{count} unit{'s' if count != 1 else ''} cancelled; their stock is free again.")
    return see_order(order_id)


def units_asked(form: Mapping[str, str],
                prefix: str) -> tuple[list[tuple[int, int]], dict[str, str]]:
    """(line id, units) for each `<prefix><line id>` field that asks for some, in the form's
    order, and an error per field that is not a whole number (keyed by its name); nothing
    asked at all is an error keyed by `prefix`. How many a line may give is the use case's
    rule (its refusal names the field, see `form_errors`), not checked twice here."""
    wanted: list[tuple[int, int]] = []
    errors: dict[str, str] = {}
    for name in form:
        if not name.startswith(prefix):
            continue
        line_id, raw = name[len(prefix):], (form.get(name) or "").strip()
        if not line_id.isdigit() or len(line_id) > 10:
            errors[name] = "Not a line of this order."
        elif raw.isdigit() and len(raw) <= 7:
            if int(raw):
                wanted.append((int(line_id), int(raw)))
        elif raw:
            errors[name] = "Enter a whole number of units."
    if not wanted and not errors:
        errors[prefix] = "Enter how many units, on at least one line."
    return wanted, errors


@post_action(ORDER + "/reroute", roles=ROLES)
def cs_reroute(order_id: int) -> ResponseReturnValue:
    form = RerouteForm(prefix="reroute")
    view = cs_view.order_page(order_id)
    form.exclude.choices = sorted(
        {(f["location"], f["location"]) for f in view["fulfillments"]
         if f["status"] in OPEN_WORK})
    if not form.validate_on_submit():
        return order_page(order_id, status=422, problem_at="reroute", reroute=form)
    principal = current_principal()
    try:
        orders.reroute(order_id, actor=principal.actor, source=principal.role,
                       exclude_locations=frozenset(form.exclude.data or ()),
                       promise=form.new_promise())
    except DomainError as err:
        form.promise.errors = list((err.fields or {}).get("promised_delivery_date", ()))
        return failed(order_id, err, "reroute", reroute=form)
    flash("Routed again: see where each line goes now.")
    return see_order(order_id, "fulfillment")


@post_action(ORDER + "/deliveries/<int(max=9223372036854775807):delivery_id>/retry",
             roles=ROLES)
def cs_retry_delivery(order_id: int, delivery_id: int) -> ResponseReturnValue:
    if not RetryForm().validate_on_submit():
        return order_page(order_id, status=422, problem_at="sync")
    try:
        retried = outbound.retry_for_order(order_id, delivery_id)
    except DomainError as err:
        return failed(order_id, err, "sync")
    flash(f"Delivery {delivery_id} ({retried['topic']}) is "
          f"{STATUS_LABELS.get(retried['status'], retried['status']).lower()} again"
          + (": it went through." if retried["status"] == "delivered"
             else "; it goes out in order with the order's other events."))
    return see_order(order_id, "sync")


def see_order(order_id: int, section: str | None = None) -> Response:
    """POST, redirect, GET: a reload never repeats the action."""
    return redirect(url_for("web.cs_order", order_id=order_id, _anchor=section))


# ------------------------------------------------------------------ return or exchange

@page(ORDER + "/return", roles=ROLES)
def cs_return_form(order_id: int) -> ResponseReturnValue:
    return return_page(order_id, ReturnForm())


def return_page(order_id: int, form: ReturnForm, *, status: int = 200,
                problem: str | None = None,
                field_errors: Mapping[str, str] | None = None) -> ResponseReturnValue:
    order = return_queries.returnable(order_id)
    set_return_choices(form)
    for name, problem_text in (field_errors or {}).items():
        if name in form:  # the form's own fields show their error under them
            form[name].errors = [*form[name].errors, problem_text]
    return render_template("web/cs/return.html", order=order, form=form, problem=problem,
                           field_errors=field_errors or {}, reasons=REASONS,
                           sent=request.form if request.method == "POST" else MultiDict()), \
        status


def set_return_choices(form: ReturnForm) -> None:
    """Where it may come back: every active location the user may act at (the use case
    checks the same), warehouses first; pickup stores for an exchange."""
    principal = current_principal()
    places = [loc for loc in inventory_queries.list_locations()
              if loc.get("active", True) and principal.may_act_at(loc["code"])]
    # Parcels sent back go to a warehouse; a store is chosen when the customer brings it in.
    places.sort(key=lambda loc: (loc["kind"] != "warehouse", loc["name"]))
    form.location.choices = [(loc["code"], f"{loc['name']} ({loc['kind']})") for loc in places]
    stores = [loc for loc in places if loc["kind"] == "store" and loc.get("pickup", True)]
    form.pickup_location.choices = [("", "Choose a store"),
                                    *((loc["code"], loc["name"]) for loc in stores)]


@post_action(ORDER + "/return", roles=ROLES)
def cs_create_return(order_id: int) -> ResponseReturnValue:
    form = ReturnForm()
    set_return_choices(form)  # before validating: the choices it checks against
    valid = form.validate_on_submit()
    wanted, errors = units_asked(request.form, "qty-")
    reasons = {line_id: request.form.get(f"reason-{line_id}", "") for line_id, _ in wanted}
    for line_id, reason in reasons.items():
        if reason not in REASONS:
            errors[f"reason-{line_id}"] = "Choose why it comes back."
    exchange = exchange_asked(form, errors)
    if not valid or errors:
        return return_page(order_id, form, status=422, field_errors=errors)
    principal = current_principal()
    command = returns.CreateReturn(
        order_id=order_id, location=form.location.data or "",
        lines=tuple(returns.ReturnLineInput(line_id, quantity, reasons[line_id])
                    for line_id, quantity in wanted),
        note=form.note.data or None,
        override_window_reason=form.override_window_reason.data or None,
        exchange=exchange, actor=principal.actor, source=principal.role)
    try:
        return_id = returns.create_return(command, principal)
    except DomainError as err:
        return return_page(order_id, form, status=err.status, problem=err.message,
                           field_errors=form_errors(err, wanted, "qty-"))
    made = return_queries.get_return(return_id)
    flash(f"Return {made['number']} authorised: refund {money(made['refund_total'])} "
          f"{made['currency']} once it is received"
          + (f"; exchange order {made['exchange']['order_number']}"
             if made["exchange"] and made["exchange"]["order_number"] else "")
          + ".")
    return see_order(order_id, "returns")


def exchange_asked(form: ReturnForm, errors: dict[str, str]) -> returns.ExchangeInput | None:
    sku = (form.exchange_sku.data or "").strip()
    if not sku:
        return None
    method = form.exchange_method.data or "ship"
    pickup = form.pickup_location.data or None
    if method == "pickup" and not pickup:
        errors["pickup_location"] = "Choose the store where the customer picks it up."
    return returns.ExchangeInput(lines=(ExchangeLine(sku, form.exchange_quantity.data or 1),),
                                 method=method, pickup_location=pickup)


# ------------------------------------------------------------------ the customer page

CUSTOMER = "/customers/<int(max=2147483647):customer_id>"


@page(CUSTOMER, roles=ROLES)
def cs_customer(customer_id: int) -> ResponseReturnValue:
    return customer_page(customer_id)


def customer_page(customer_id: int, *, form: NoteForm | None = None,
                  status: int = 200) -> ResponseReturnValue:
    view = cs_view.customer_page(customer_id, PAGE_SIZE, request.args.get("cursor") or None)
    accounts = {a["channel"] for a in view["accounts"] if a["channel"]}
    channels = sorted({row["channel"] for row in view["channels_used"]} | accounts)
    return render_template("web/cs/customer.html", customer=view, channels=channels,
                           note_form=form or NoteForm(prefix="note"),
                           cursor=request.args.get("cursor")), status


@post_action(CUSTOMER + "/notes", roles=ROLES)
def cs_customer_note(customer_id: int) -> ResponseReturnValue:
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return customer_page(customer_id, form=form, status=422)
    customers.add_note(text=form.text.data or "", channel=form.channel.data or "phone",
                       actor=current_principal().actor, customer_id=customer_id)
    flash("Note added to the customer's timeline.")
    return redirect(url_for("web.cs_customer", customer_id=customer_id, _anchor="notes"))

