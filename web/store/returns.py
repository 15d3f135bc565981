"""In-store returns: find the order from any channel (`returns.queries.lookup`, as `GET
/api/v1/returns/lookup`), choose lines, quantities, reasons and what becomes of each unit,
see the refund before confirming (`returns.use_cases.quote_return`: the pricing the return
itself uses), then take it in at this store: `create_return` with `receive_now` authorises
and receives it in one unit of work (restocked units are on this store's shelf at once). An
exchange is carried out here when this store has the new items (the use case decides), or
held here until the customer pays the difference (`pay_exchange`). Fields are checked by the
API's own request schemas (`ReturnIn`, `ReceiveIn`, `ExchangePaymentIn`)."""

from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import SearchField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.auth import current_principal, require_location
from core.errors import DomainError, Forbidden, InvalidInput
from inventory import queries as inventory_queries
from oms import queries as order_queries
from returns import queries as return_queries
from returns import use_cases
from returns.api import to_command
from returns.policy import DISPOSITIONS, REASONS
from returns.schemas import ExchangePaymentIn, ReceiveIn, ReturnIn
from web.pages import action, page, storable
from web.store.common import (
    check_with,
    chosen_store,
    domain_errors,
    store_args,
    unstorable_fields,
)

VIEW_ROLES = ("store", "cs")
# Taking units in is receiving them: the API's roles for receipts at a counter (and admin).
TAKE_IN_ROLES = ("store",)
PAY_ROLES = ("store", "cs")    # the API's for an exchange's payment
FOUND_SHOWN = 10
# Short enough for a select in a 768 px wide table.
REASON_LABELS = {"wrong_size": "Wrong size", "damaged": "Damaged", "wrong_item": "Wrong item",
                 "not_as_described": "Not as described", "changed_mind": "Changed mind",
                 "other": "Other"}
DISPOSITION_LABELS = {"restock": "Restock here", "damaged": "Write off"}
TOKEN = re.compile(r"[0-9a-f]{32}")


class FindOrderForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form

    q = SearchField("Order number, name, email or phone", validators=[
        Optional(), Length(max=200), storable])


class PaymentForm(FlaskForm):
    amount = StringField("Amount the customer paid", validators=[
        InputRequired("Type the amount paid."), Length(max=20), storable],
        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    reference = StringField("Till receipt or payment reference", validators=[
        InputRequired("Say where the payment is recorded."), Length(max=200), storable],
        render_kw={"autocomplete": "off"})


@dataclass
class ReturnRequest:
    """What the associate chose on the form, keyed by order line id; `errors` by form field
    name (`qty-7`, `exchange_sku`, `_form` for the whole form)."""

    quantities: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    dispositions: dict[int, str] = field(default_factory=dict)
    note: str = ""
    exchange_sku: str = ""
    exchange_quantity: str = "1"
    exchange_method: str = "ship"
    errors: dict[str, list[str]] = field(default_factory=dict)

    def chosen(self) -> list[int]:
        return [line_id for line_id, qty in self.quantities.items() if qty not in ("", "0")]


def labels() -> dict[str, Any]:
    return {"reasons": [(r, REASON_LABELS.get(r, r.replace("_", " ").capitalize()))
                        for r in REASONS],
            "dispositions": [(d, DISPOSITION_LABELS.get(d, d.capitalize()))
                             for d in DISPOSITIONS],
            "reason_label": REASON_LABELS, "disposition_label": DISPOSITION_LABELS}


@page("/store/returns", roles=VIEW_ROLES, nav="Returns")
def returns_desk() -> ResponseReturnValue:
    here, chooser = chosen_store()
    form = FindOrderForm(request.args)
    if not form.validate():
        return render_template("web/store/returns.html", here=here, chooser=chooser,
                               form=form, found=None), 422
    query = (form.q.data or "").strip()
    found = return_queries.lookup(query, FOUND_SHOWN) if query else None
    return render_template("web/store/returns.html", here=here, chooser=chooser, form=form,
                           found=found, query=query,
                           store=store_args(here["code"] if here else None))


@page("/store/returns/orders/<int(max=2147483647):order_id>", roles=VIEW_ROLES)
def return_order(order_id: int) -> ResponseReturnValue:
    """The order's lines to choose from; with `review`, the refund the choice comes to (and
    a form to confirm exactly that)."""
    here, chooser = chosen_store()
    order = return_queries.returnable(order_id)
    asked = read_request(request.args, order)
    quote = None
    if here is not None and request.args.get("review") and not asked.errors:
        quote = review(order, here, asked)
    status = 422 if asked.errors else 200
    return render_order(order, here, chooser, asked, quote, status=status)


@action("/store/returns/orders/<int(max=2147483647):order_id>", roles=TAKE_IN_ROLES)
def take_in(order_id: int) -> ResponseReturnValue:
    """Confirm what was reviewed: the return is authorised and received here, in one go."""
    here, chooser = chosen_store()
    order = return_queries.returnable(order_id)
    asked = read_request(request.form, order)
    token = request.form.get("token", "")
    if here is None:
        raise InvalidInput("store", "choose the store the return comes back to")
    if not TOKEN.fullmatch(token):
        raise InvalidInput("token", "the form is incomplete: review the return again")
    built = build(order, here, asked)
    if built is None:
        return render_order(order, here, chooser, asked, None, status=422)
    cmd, received = built
    principal = current_principal()
    # The same form sent twice (a double tap, a reload) is the same return, not a second one.
    cmd = dataclasses.replace(cmd, external_ref=f"web:{principal.user_id}:{token}")
    try:
        return_id = use_cases.create_return(cmd, principal, receive_now=received)
    except Forbidden:
        raise
    except DomainError as err:
        asked.errors.update(form_errors(domain_errors(err), asked))
        return render_order(order, here, chooser, asked, None, status=err.status)
    return redirect(url_for("web.store_return", return_id=return_id, **store_args(here["code"])))


@page("/store/returns/<int(max=2147483647):return_id>", roles=VIEW_ROLES)
def store_return(return_id: int) -> ResponseReturnValue:
    return render_return(return_id, PaymentForm())


@action("/store/returns/<int(max=2147483647):return_id>/exchange-payment", roles=PAY_ROLES)
def exchange_payment(return_id: int) -> ResponseReturnValue:
    form = PaymentForm()
    if not form.validate_on_submit():
        return render_return(return_id, form, status=422)
    data, errors = check_with(ExchangePaymentIn, {"amount": (form.amount.data or "").strip(),
                                                  "reference": form.reference.data})
    if not errors:
        principal = current_principal()
        try:
            use_cases.pay_exchange(return_id, data["amount"], data["reference"], principal,
                                   actor=principal.actor, source=principal.role)
        except Forbidden:
            raise
        except DomainError as err:
            errors = domain_errors(err)
    if errors:
        for name, messages in errors.items():
            target = getattr(form, name, None)
            if target is not None:
                target.errors = list(messages)
        return render_return(return_id, form, status=422,
                             refused=" ".join(errors.get("_form", [])) or None)
    flash("Payment recorded: hand the new items over.")
    return redirect(url_for("web.store_return", return_id=return_id,
                            **store_args(request.args.get("store"))))


# ------------------------------------------------------------------ the form

def read_request(form: Any, order: dict[str, Any]) -> ReturnRequest:
    unstorable = unstorable_fields(form)
    if unstorable:   # nothing of it reaches a query: the form again, the fields named
        form = {k: v for k, v in form.items() if k not in unstorable}
    asked = ReturnRequest(note=(form.get("note") or "").strip(),
                          exchange_sku=catalogue_sku((form.get("exchange_sku") or "").strip()),
                          exchange_quantity=(form.get("exchange_quantity") or "1").strip(),
                          exchange_method=form.get("exchange_method") or "ship")
    for ln in order["lines"]:
        if ln["returnable"] <= 0:
            continue
        line_id = ln["line_id"]
        asked.quantities[line_id] = (form.get(f"qty-{line_id}") or "0").strip()
        asked.reasons[line_id] = form.get(f"reason-{line_id}") or ""
        asked.dispositions[line_id] = form.get(f"disposition-{line_id}") or "restock"
    if form.get("review") or form.get("token"):
        if not asked.chosen():
            asked.errors["_form"] = ["Choose how many units of at least one line come back."]
        for line_id in asked.chosen():
            if not asked.reasons[line_id]:
                asked.errors[f"reason-{line_id}"] = ["Choose why it comes back."]
    if unstorable:
        asked.errors.update(unstorable)
        asked.errors.setdefault("_form", ["Some text typed cannot be used (a control "
                                          "character): type it again."])
    return asked


def catalogue_sku(typed: str) -> str:
    """The SKU as the catalogue spells it when it was typed in another case (a shelf label
    read aloud, a lower-case scan), as the stock lookup finds it; else as typed, for the
    exchange's own check to name."""
    if not typed:
        return typed
    found = inventory_queries.find_items(typed, limit=1)
    return found[0]["sku"] if found and found[0]["sku"].upper() == typed.upper() else typed


def whole(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def build(order: dict[str, Any], here: dict[str, Any], asked: ReturnRequest
          ) -> tuple[use_cases.CreateReturn, list[use_cases.ReceiveLineInput]] | None:
    """The API's request bodies from the form, checked by the API's schemas, as the command
    its endpoint builds; None with `asked.errors` set when a field is wrong."""
    if asked.errors:
        return None
    chosen = asked.chosen()
    body: dict[str, Any] = {
        "order_id": order["order_id"], "location": here["code"],
        "lines": [{"line_id": i, "quantity": whole(asked.quantities[i]),
                   "reason": asked.reasons[i]} for i in chosen]}
    if asked.note:
        body["note"] = asked.note
    if asked.exchange_sku:
        body["exchange_lines"] = [{"sku": asked.exchange_sku,
                                   "quantity": whole(asked.exchange_quantity)}]
        body["exchange"] = {"method": asked.exchange_method}
        if asked.exchange_method == "pickup":
            body["exchange"]["pickup_location"] = here["code"]
    data, errors = check_with(ReturnIn, body)
    receipt, receipt_errors = check_with(ReceiveIn, {"lines": [
        {"line_id": i, "quantity": whole(asked.quantities[i]),
         "disposition": asked.dispositions[i]} for i in chosen]})
    if errors or receipt_errors:
        asked.errors.update(form_errors({**receipt_errors, **errors}, asked))
        return None
    received = [use_cases.ReceiveLineInput(ln["line_id"], ln["quantity"], ln["disposition"])
                for ln in receipt["lines"]]
    return to_command(data), received


def form_errors(errors: dict[str, list[str]], asked: ReturnRequest) -> dict[str, list[str]]:
    """The API's field names (`lines.0.quantity`, `exchange_lines.0.sku`) as this form's."""
    chosen = asked.chosen()
    out: dict[str, list[str]] = {}
    for name, messages in errors.items():
        parts = name.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() \
                and int(parts[1]) < len(chosen):
            box = {"quantity": "qty", "line_id": "qty", "reason": "reason",
                   "disposition": "disposition"}.get(parts[2], "qty")
            target = f"{box}-{chosen[int(parts[1])]}"
        elif parts[0] == "exchange_lines":
            target = "exchange_quantity" if parts[-1] == "quantity" else "exchange_sku"
        elif parts[0] == "exchange":
            target = "exchange_method"
        elif parts[0] == "note":
            target = "note"
        else:
            target = "_form"
        out.setdefault(target, []).extend(messages)
    return out


def review(order: dict[str, Any], here: dict[str, Any],
           asked: ReturnRequest) -> dict[str, Any] | None:
    """The refund (and exchange balance) the choice comes to, by the return's own pricing;
    None with `asked.errors` set when a rule refuses it."""
    built = build(order, here, asked)
    if built is None:
        return None
    cmd, _received = built
    try:
        quote = use_cases.quote_return(cmd, current_principal())
    except Forbidden:
        raise
    except DomainError as err:
        asked.errors.update(form_errors(domain_errors(err), asked))
        return None
    names = {ln["line_id"]: ln for ln in order["lines"]}
    exchange = None
    if quote.exchange is not None and cmd.exchange is not None:
        new = cmd.exchange.lines[0]
        exchange = {"preview": quote.exchange, "quantity": new.quantity,
                    "item": inventory_queries.get_item(new.sku),
                    "method": cmd.exchange.method,
                    "ship_to": quote.order.ship_to}
    return {"quote": quote, "lines": [{"line": names[p.line.line_id], "priced": p}
                                      for p in quote.price.lines],
            "exchange": exchange, "token": secrets.token_hex(16),
            "confirm": confirm_label(quote, order["currency"]),
            "confirm_fields": [(k, v) for k, v in request.args.items(multi=True)
                               if k not in ("review", "store")]}


def confirm_label(quote: use_cases.ReturnQuote, currency: str) -> str:
    """What the confirm button does, in money: the refund, or with an exchange who pays."""
    if quote.exchange is None:
        return f"Take it back: refund {quote.price.total:.2f} {currency}"
    direction, amount = quote.exchange.balance
    return {"owed": f"Take it back: the customer pays {amount:.2f} {currency}",
            "refund": f"Take it back and exchange: refund {amount:.2f} {currency}",
            "even": "Take it back: even exchange"}[direction]


def render_order(order: dict[str, Any], here: dict[str, Any] | None, chooser: Any,
                 asked: ReturnRequest, quote: dict[str, Any] | None, *,
                 status: int = 200) -> ResponseReturnValue:
    return render_template(
        "web/store/return_order.html", order=order, here=here, chooser=chooser, asked=asked,
        review=quote, store=store_args(here["code"] if here else None),
        can_take_in=current_principal().role in ("admin", *TAKE_IN_ROLES), **labels()), status


# ------------------------------------------------------------------ the result

def render_return(return_id: int, form: PaymentForm, *, status: int = 200,
                  refused: str | None = None) -> ResponseReturnValue:
    ret = return_queries.get_return(return_id)
    principal = current_principal()
    if principal.role == "store":
        require_location(ret["location"])  # as GET /api/v1/returns/{id}: its own only
    exchange = ret["exchange"]
    new_order = (order_queries.get_order(exchange["order_id"])
                 if exchange and exchange["order_id"] else None)
    if exchange and exchange["state"] == "awaiting_payment" and not form.amount.data:
        form.amount.data = exchange["difference"]
    return render_template(
        "web/store/return_done.html", ret=ret, new_order=new_order, form=form,
        refused=refused, here=inventory_queries.get_location(ret["location"]),
        store=store_args(ret["location"]),
        can_pay=principal.role in ("admin", *PAY_ROLES), **labels()), status
