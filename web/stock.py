"""Store stock lookup: what someone types or scans, then this store's stock, the nearest stores
that have it and the warehouses. Everything is read through `inventory.queries` (the same
queries as `GET /api/v1/stock/{sku}?near=`); this module only arranges it for one look."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from core.auth import Principal, current_principal, require_location
from inventory import queries as inventory_queries
from web.pages import page, storable

MATCHES_SHOWN = 20
NEARBY_STORES_SHOWN = 8


class StockLookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing, so there is nothing to forge

    q = SearchField("SKU, product name or barcode",
                    validators=[Optional(), Length(max=200), storable])
    location = SelectField("Store", validate_choice=True, choices=[], default="")


@page("/stock", roles=("store", "cs"), nav="Stock lookup")
def stock() -> ResponseReturnValue:
    principal = current_principal()
    asked = request.args.get("location")
    if asked:
        # Store staff look from their own store; anyone else only from where they may act.
        require_location(asked)
    form = StockLookupForm(request.args)
    if principal.role == "store":
        del form.location  # their store, no choice
    else:
        form.location.choices = location_choices(principal)
    if not form.validate():
        return render_template("web/stock.html", form=form, here=None, result=None), 422
    here = here_for(principal, form.location.data if "location" in form else None)
    query = (form.q.data or "").strip()
    result = lookup(query, here["code"] if here else None) if query else None
    return render_template("web/stock.html", form=form, here=here, result=result, query=query)


def location_choices(principal: Principal) -> list[tuple[str, str]]:
    """cs and admin choose among the stores they may act at, or none (the whole network,
    without distances)."""
    stores = [loc for loc in inventory_queries.list_locations(kind="store")
              if principal.may_act_at(loc["code"])]
    return [("", "No store: the whole network"),
            *((loc["code"], f"{loc['name']} ({loc['code']})") for loc in stores)]


def here_for(principal: Principal, chosen: str | None) -> dict[str, Any] | None:
    code = principal.location if principal.role == "store" else (chosen or None)
    return inventory_queries.get_location(code) if code else None


def lookup(query: str, here: str | None) -> dict[str, Any]:
    """One item (an exact SKU, or the only match) with its stock, or a list of matches."""
    items = inventory_queries.find_items(query, limit=MATCHES_SHOWN + 1)
    if not items:
        return {"kind": "none"}
    first = items[0]
    if len(items) == 1 or first["sku"].upper() == query.upper():
        return {"kind": "item", "item": first, **stock_of(first["sku"], here)}
    shown = items[:MATCHES_SHOWN]
    return {"kind": "list", "items": with_availability(shown, here),
            "more": len(items) > MATCHES_SHOWN}


def stock_of(sku: str, here: str | None) -> dict[str, Any]:
    """This store's row (zeros when it never held the SKU), the stores that can sell it now,
    nearest first, and every warehouse that holds it."""
    origin = inventory_queries.resolve_origin(here, None, None)
    stock = inventory_queries.stock_for_sku(sku, origin, here=here)
    rows = stock["locations"]
    here_row = next((row for row in rows if row["location"] == here), None)
    stores = [row for row in rows if row["kind"] == "store" and row["location"] != here
              and row["available"] > 0]
    return {
        "here_row": here_row,
        "stores": stores[:NEARBY_STORES_SHOWN],
        "more_stores": max(0, len(stores) - NEARBY_STORES_SHOWN),
        "warehouses": [row for row in rows if row["kind"] == "warehouse"],
        "network": stock["network"],
    }


def with_availability(items: list[dict[str, Any]], here: str | None) -> list[dict[str, Any]]:
    """Each match with what is available here and elsewhere (the routing snapshot's figures:
    on hand less reserved and safety stock)."""
    snapshot = inventory_queries.availability([item["sku"] for item in items])
    rows = []
    for item in items:
        free = snapshot.get(item["sku"], {})
        elsewhere = {code: n for code, n in free.items() if code != here}
        rows.append({**item, "here": free.get(here, 0) if here else None,
                     "elsewhere": sum(elsewhere.values()), "places": len(elsewhere)})
    return rows
