"""`flask integrations ...`: configure Shopify shops, list and replay stored webhook events."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.db import read_session
from core.errors import DomainError
from integrations.models import EVENT_STATUSES, InboundEvent
from integrations.shopify import jobs, shops
from integrations.shopify.translate import parse_time

cli = AppGroup("integrations", help="Channel integrations: Shopify shops and webhook events.")


@cli.group("shopify")
def shopify_group() -> None:
    """Shopify shops."""


def _location_pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        shopify_id, sep, code = value.partition("=")
        if not sep or not shopify_id.strip() or not code.strip():
            raise click.UsageError(f"--location {value!r}: use SHOPIFY_LOCATION_ID=CODE")
        out[shopify_id.strip()] = code.strip()
    return out


@shopify_group.command("add-shop")
@click.argument("domain")
@click.option("--secret", default=None,
              help="the app's client secret that signs webhooks (required for a new shop; on "
                   "an existing shop a new one is rotated in and the old one is still "
                   "accepted for an hour)")
@click.option("--access-token", default=None, help="Admin API access token (optional)")
@click.option("--api-version", default=None,
              help=f"Admin API version (default {shops.DEFAULT_API_VERSION} for a new shop)")
@click.option("--location", "locations", multiple=True, metavar="SHOPIFY_LOCATION_ID=CODE",
              help="map a Shopify location to one of our locations (repeatable; added to the "
                   "shop's map)")
def add_shop_cmd(domain: str, secret: str | None, access_token: str | None,
                 api_version: str | None, locations: tuple[str, ...]) -> None:
    """Add a shop, or update one (secret rotation, token, version, location map)."""
    try:
        saved = shops.save(domain, secret=secret, access_token=access_token,
                           api_version=api_version, locations=_location_pairs(locations))
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc
    pushing = ""
    if access_token:
        from integrations.shopify import push

        push.ensure_destination(saved.domain)
        pushing = ("; shipments, pickups, cancellations and refunds made here are pushed to "
                   "it")
    what = "added" if saved.created else "updated"
    rotated = "; new secret in use, the previous one accepted for 1 hour" if saved.rotated else ""
    mapped = ", ".join(f"{k}={v}" for k, v in sorted(saved.location_map.items())) or "none"
    click.echo(f"shop {saved.domain} {what}{rotated}; locations: {mapped}{pushing}")


def _line(row: InboundEvent) -> str:
    return (f"{row.id:>7} {row.received_at:%Y-%m-%d %H:%M:%S} {row.status:<9} "
            f"{row.attempts:>2} {row.topic:<17} {row.shop_domain} {row.resource_id or '-'}"
            + (f"  {(row.last_error or '')[:120]}" if row.status == "failed" else ""))


@cli.command("events")
@click.option("--status", type=click.Choice(EVENT_STATUSES), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def events_cmd(status: str | None, limit: int) -> None:
    """List stored webhook events, newest first."""
    with read_session() as session:
        query = select(InboundEvent).order_by(InboundEvent.id.desc()).limit(limit)
        if status:
            query = query.where(InboundEvent.status == status)
        rows = list(session.scalars(query))
    click.echo(f"{'id':>7} {'received (UTC)':<19} {'status':<9} tries {'topic':<17} shop "
               "resource")
    for row in rows:
        click.echo(_line(row))
    click.echo(f"{len(rows)} event(s)", err=True)


@cli.command("replay")
@click.option("--event-id", "event_ids", type=int, multiple=True,
              help="replay these events (repeatable)")
@click.option("--status", type=click.Choice(("received", "failed")), default=None,
              help="replay the events in this status (default: failed, when no --event-id)")
@click.option("--since", default=None, help="only events received at or after this ISO time")
def replay_cmd(event_ids: tuple[int, ...], status: str | None, since: str | None) -> None:
    """Run stored events through processing again, here and now. Processed and ignored
    events are skipped (processing is idempotent)."""
    since_at = None
    if since:
        since_at = parse_time(since if "T" in since or " " in since else since + "T00:00:00")
        if since_at is None:
            raise click.UsageError(f"--since {since!r} is not an ISO date or time")
    with read_session() as session:
        query = select(InboundEvent.id).order_by(InboundEvent.id)
        if event_ids:
            query = query.where(InboundEvent.id.in_(event_ids))
        if status or not event_ids:
            query = query.where(InboundEvent.status == (status or "failed"))
        if since_at:
            query = query.where(InboundEvent.received_at >= since_at)
        ids = list(session.scalars(query))
    missing = sorted(set(event_ids) - set(ids)) if event_ids and not status and not since \
        else []
    for event_id in missing:
        click.echo(f"event {event_id}: no such event", err=True)
    counts: dict[str, int] = {}
    for event_id in ids:
        try:
            outcome = jobs.process_event(event_id)
            detail = ""
        except Exception as exc:
            outcome, detail = "failed", f": {exc}"
        with read_session() as session:
            row = session.get(InboundEvent, event_id)
            if outcome == "failed" and not detail and row is not None:
                detail = f": {row.last_error}"
            result = (row.result or {}) if row is not None else {}
        order = f" order {result['order_id']}" if result.get("order_id") else ""
        reason = f" ({result['reason']})" if result.get("reason") else ""
        click.echo(f"event {event_id} {row.topic if row else ''}: {outcome}{order}{reason}"
                   f"{detail}")
        counts[outcome] = counts.get(outcome, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to replay"
    click.echo(f"{len(ids)} event(s) replayed: {summary}")
    if counts.get("failed") or missing:
        raise SystemExit(1)
