"""The operations dashboard (admin): what waits for someone now (holds, backorders, pickups
expiring today, failed deliveries, low stock), orders by status and channel over a period, a
chart of orders per hour by channel over the last 7 days, and the omnichannel KPIs, each figure
linking to the orders behind it (`/ops/orders`, `oms.queries.find_orders` narrowed by the KPI's
own segment). Everything is read through the packages' queries; the one action, retrying a
failed delivery, calls the use case `POST /api/v1/deliveries/{id}/retry` calls.

Days are the business's days: `OMS_OPS_TIMEZONE` (an IANA name, default UTC) says where
midnight falls; timestamps are stored in UTC."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from core.db import utcnow
from fulfillment import queries as fulfillment_queries
from integrations.outbound import service as outbound
from inventory import queries as inventory_queries
from oms import dashboard, kpis
from oms import queries as order_queries
from oms.domain import CHANNELS, ORDER_STATUSES
from web import chart
from web.pages import HOME, action, bp, page, storable

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7           # the period shown when none is chosen: the last 7 days
CHART_HOURS = 7 * 24
MAX_PERIOD_DAYS = 3660     # ten years: a period is a query range, not a loop
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)   # dates a period may name
LOW_STOCK_DEFAULT = 2
SHOWN = 10                 # rows per panel; each panel links to the full list
ORDERS_PER_PAGE = 50
ORDER_PAGE_ENDPOINT = "web.cs_order"   # the customer-service order page, when it is installed

# Operations is an admin's home page.
HOME["admin"] = "web.ops_dashboard"


def business_zone() -> ZoneInfo:
    name = os.environ.get("OMS_OPS_TIMEZONE", "UTC").strip() or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("OMS_OPS_TIMEZONE=%r is not a time zone; using UTC", name)
        return ZoneInfo("UTC")


def low_stock_threshold() -> int:
    raw = os.environ.get("OMS_LOW_STOCK_THRESHOLD", str(LOW_STOCK_DEFAULT))
    try:
        return max(0, int(raw))
    except ValueError:
        log.warning("OMS_LOW_STOCK_THRESHOLD=%r is not a whole number; using %d", raw,
                    LOW_STOCK_DEFAULT)
        return LOW_STOCK_DEFAULT


# ------------------------------------------------------------------ days and periods

def to_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def local(moment: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time in the business's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(business_zone())


def midnight_utc(day: dt.date) -> dt.datetime:
    return to_utc(dt.datetime.combine(day, dt.time(0), business_zone()))


def today() -> dt.date:
    return local(utcnow()).date()


@dataclass(frozen=True)
class Days:
    """A period as people choose it: whole days in the business's zone, both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def default(cls) -> Days:
        last = today()
        return cls(last - dt.timedelta(days=DEFAULT_DAYS - 1), last)

    @property
    def period(self) -> kpis.Period:
        return kpis.Period(midnight_utc(self.first),
                           midnight_utc(self.last + dt.timedelta(days=1)))

    @property
    def args(self) -> dict[str, str]:
        return {"start": self.first.isoformat(), "end": self.last.isoformat()}


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False  # GET forms change nothing

    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])

    def validate_start(self, field: DateField) -> None:
        within_range(field.data)

    def validate_end(self, field: DateField) -> None:
        within_range(field.data)
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError("must be on or after the first day")
            if (field.data - self.start.data).days > MAX_PERIOD_DAYS:
                raise ValidationError(f"at most {MAX_PERIOD_DAYS} days")

    def days(self) -> Days:
        """The days asked for: both ends, or a week from the one given, or the last week."""
        default = Days.default()
        last = self.end.data or (self.start.data + dt.timedelta(days=DEFAULT_DAYS - 1)
                                 if self.start.data else default.last)
        first = self.start.data or last - dt.timedelta(days=DEFAULT_DAYS - 1)
        return Days(first, last)


def within_range(day: dt.date | None) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValidationError(f"must be between {EARLIEST} and {LATEST}")


# ------------------------------------------------------------------ the dashboard

@page("/ops", roles=(), nav="Operations")
def ops_dashboard() -> ResponseReturnValue:
    form = PeriodForm(request.args)
    valid = form.validate()
    days = form.days() if valid else Days.default()
    if valid:
        form.start.data, form.end.data = days.first, days.last  # show the period chosen
    low_at = (request.args.get("low_at") or "").strip() or None
    return render_template(
        "web/ops/dashboard.html", form=form, days=days, today=today(),
        waiting=dashboard.waiting_counts(), holds=order_queries.holds_summary(),
        held=dashboard.held_orders(SHOWN), backorders=dashboard.backorders(SHOWN),
        expiring=fulfillment_queries.pickups_expiring(
            midnight_utc(today() + dt.timedelta(days=1)), limit=SHOWN),
        deliveries=failed_deliveries(),
        low=inventory_queries.low_stock(low_stock_threshold(), low_at, limit=SHOWN * 2),
        low_at=low_at, matrix=status_matrix(days), chart=hourly_chart(),
        kpi=kpi_figures(days), zone_name=business_zone().key, low_locations_shown=SHOWN + 2,
        now_iso=utcnow().isoformat() + "Z"), 200 if valid else 422


def status_matrix(days: Days) -> dict[str, Any]:
    """Orders placed in the period by status (rows, in the order's life order) and channel
    (columns, those with orders), with totals."""
    counts = dashboard.orders_by_status_and_channel(days.period)
    channels = [c for c in CHANNELS if any(ch == c for _, ch in counts)]
    channels += sorted({ch for _, ch in counts} - set(channels))
    statuses = [s for s in ORDER_STATUSES if any(st == s for st, _ in counts)]
    return {
        "channels": channels, "statuses": statuses, "counts": counts,
        "by_status": {s: sum(n for (st, _), n in counts.items() if st == s) for s in statuses},
        "by_channel": {c: sum(n for (_, ch), n in counts.items() if ch == c)
                       for c in channels},
        "total": sum(counts.values()),
    }


def hourly_chart() -> dict[str, Any]:
    """Orders per hour by channel over the last 7 days (168 hours up to the current one), as
    a chart, a table per day and a table per hour."""
    now = utcnow()
    end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    start = end - dt.timedelta(hours=CHART_HOURS)
    per_channel = dashboard.orders_per_hour(kpis.Period(start, end))
    hours = [start + dt.timedelta(hours=i) for i in range(CHART_HOURS)]
    channels = [c for c in CHANNELS if c in per_channel]
    channels += sorted(set(per_channel) - set(channels))
    series = [(c, c, [per_channel[c].get(h, 0) for h in hours]) for c in channels]
    slots = [local(h) for h in hours]
    styles = {c: i for i, c in enumerate(CHANNELS)}
    drawn = chart.line_chart(slots, series, style_of=styles)
    by_day: dict[dt.date, dict[str, int]] = {}
    for i, slot in enumerate(slots):
        row = by_day.setdefault(slot.date(), {})
        for key, _, values in series:
            row[key] = row.get(key, 0) + values[i]
    busy_hours = [(slot, {key: values[i] for key, _, values in series})
                  for i, slot in enumerate(slots) if any(v[i] for _, _, v in series)]
    return {"chart": drawn, "channels": channels, "by_day": sorted(by_day.items()),
            "hours": busy_hours, "start": start, "end": end,
            "total": sum(sum(v) for _, _, v in series)}


def kpi_figures(days: Days) -> dict[str, Any]:
    period = days.period
    return {
        "multichannel": kpis.multichannel_customer_share(period),
        "cross_channel": kpis.cross_channel_purchase_rate(period),
        "bopis": kpis.bopis_share(period),
        "returns": kpis.cross_channel_return_share(period),
        "value": kpis.value_by_channel_use(period),
    }


def failed_deliveries() -> dict[str, Any]:
    """Dead deliveries, newest first, with their destination and order (retried one by one
    with the button)."""
    page_ = outbound.list_deliveries("failed", None, SHOWN, None)
    urls = {s["id"]: s["url"] for s in outbound.list_subscriptions()}
    numbers = dashboard.order_numbers(d["aggregate_id"] for d in page_["items"]
                                      if d["aggregate"] == "order")
    items = [{**d, "destination": urls.get(d["subscription_id"], "?"),
              "order_number": numbers.get(d["aggregate_id"]) if d["aggregate"] == "order"
              else None,
              "last_status": (d["attempts"][-1]["status_code"] if d["attempts"] else None)}
             for d in page_["items"]]
    return {"total": outbound.count_deliveries("failed"), "items": items}


@action("/ops/deliveries/<int(max=9223372036854775807):delivery_id>/retry", roles=())
def ops_retry_delivery(delivery_id: int) -> ResponseReturnValue:
    """The API's retry (`integrations.outbound.service.retry`): a dead delivery back to
    pending with a new budget, delivered in order with its order's other events."""
    done = outbound.retry(delivery_id)
    flash(f"Delivery {delivery_id} ({done['topic']}) is queued again.")
    back: dict[str, Any] = {k: v for k, v in request.args.items()
                            if k in ("start", "end", "low_at")}
    return redirect(url_for("web.ops_dashboard", _anchor="deliveries", **back))


# ------------------------------------------------------------------ the orders behind a figure

SEGMENT_CHOICES = [SelectChoice("", "Any order"),
                   *(SelectChoice(name, rule.label) for name, rule in kpis.SEGMENTS.items())]


class OrderListForm(PeriodForm):
    segment = SelectField("Which orders", choices=SEGMENT_CHOICES, default="")
    status = SelectField("Status", choices=[
        SelectChoice("", "Any status"),
        *(SelectChoice(s, s.replace("_", " ")) for s in ORDER_STATUSES)], default="")
    channel = SelectField("Channel", choices=[
        SelectChoice("", "Any channel"), *(SelectChoice(c) for c in CHANNELS)], default="")
    cursor = HiddenField(validators=[Optional(), Length(max=40), storable])


@page("/ops/orders", roles=())
def ops_orders() -> ResponseReturnValue:
    """Orders newest first, narrowed by a KPI segment over a period, by status, channel or
    the days they were placed: the figures' links land here."""
    form = OrderListForm(request.args)
    if not form.validate():
        return render_template("web/ops/orders.html", form=form, result=None,
                               heading="Orders"), 422
    dated = bool(form.start.data or form.end.data)
    days = form.days() if dated or form.segment.data else None
    filters = order_filters(form, days)
    if days:
        form.start.data, form.end.data = days.first, days.last
    result = order_queries.find_orders(None, ORDERS_PER_PAGE, form.cursor.data or None,
                                       filters)
    return render_template("web/ops/orders.html", form=form, result=result, days=days,
                           heading=list_heading(form),
                           total=order_queries.count_orders(filters))


def order_filters(form: OrderListForm, days: Days | None) -> order_queries.OrderFilters:
    segment = kpis.Segment(form.segment.data, days.period) \
        if form.segment.data and days else None
    period = days.period if days and not segment else None
    return order_queries.OrderFilters(
        status=form.status.data or None, channel=form.channel.data or None,
        created_from=period.start if period else None,
        # The listing's end is inclusive; a period's is not.
        created_to=period.end - dt.timedelta(microseconds=1) if period else None,
        segment=segment)


def list_heading(form: OrderListForm) -> str:
    if form.segment.data:
        return kpis.SEGMENTS[form.segment.data].label
    parts = [form.status.data.replace("_", " ").capitalize() if form.status.data else None,
             f"{form.channel.data} orders" if form.channel.data else None]
    words = " ".join(p for p in parts if p)
    return words if form.channel.data else (f"{words} orders" if words else "Orders")


# ------------------------------------------------------------------ template helpers

@bp.app_template_filter("local_time")
def local_time(value: dt.datetime | str | None, fmt: str | None = None) -> str:
    """A stored time (naive UTC, or ISO with Z) in the business's zone; the year only when
    it is not this year's."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.removesuffix("Z"))
    moment = local(value)
    if fmt is None:
        fmt = "%b %d, %H:%M" if moment.year == today().year else "%b %d %Y, %H:%M"
    return moment.strftime(fmt)


@bp.app_template_filter("thousands")
def thousands(value: int | None) -> str:
    return f"{value or 0:,}"


@bp.app_template_filter("words")
def words(value: str | None) -> str:
    return (value or "").replace("_", " ")


@bp.app_template_global()
def order_page_url(order_id: int) -> str | None:
    """The order's page when the customer-service pages are installed, else no link."""
    if ORDER_PAGE_ENDPOINT in current_app.view_functions:
        return url_for(ORDER_PAGE_ENDPOINT, order_id=order_id)
    return None


@bp.app_template_global()
def ops_orders_url(days: Days | None = None, **filters: str) -> str:
    args: dict[str, Any] = {**(days.args if days else {}),
                            **{k: v for k, v in filters.items() if v}}
    return url_for("web.ops_orders", **args)
