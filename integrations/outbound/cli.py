"""`flask integrations redeliver ...`."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask

from integrations.outbound.models import DELIVERY_STATUSES


@click.command("redeliver")
@click.option("--status", type=click.Choice(DELIVERY_STATUSES), default="failed",
              show_default=True)
@click.option("--since", help="only deliveries created at or after this ISO time (UTC)")
@click.option("--subscription", "subscription_id", type=int, help="only this subscription")
def redeliver(status: str, since: str | None, subscription_id: int | None) -> None:
    """Put deliveries back to pending with a new budget and enqueue them (in order)."""
    from integrations.outbound import service

    when = None
    if since:
        try:
            when = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError as exc:
            raise click.UsageError(f"--since {since!r}: not an ISO 8601 time") from exc
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
    count = service.redeliver(status, when, subscription_id)
    click.echo(f"{count} deliveries back to pending")


def register(app: Flask) -> None:
    from integrations.shopify.cli import cli as integrations_group

    integrations_group.add_command(redeliver)
