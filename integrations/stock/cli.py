"""`flask integrations stock-sync [--reconcile]`: a publisher pass (and the pushes) now."""

from __future__ import annotations

import click
from flask import Flask


@click.command("stock-sync")
@click.option("--reconcile", is_flag=True,
              help="compare every balance, not only those with recent movements")
def stock_sync(reconcile: bool) -> None:
    """Publish stock.changed for what changed and push Shopify quantities, here and now."""
    from integrations.stock import changes, jobs

    applied = changes.reconcile() if reconcile else changes.publish()
    click.echo(f"{applied.pairs} balance(s) read, {applied.events} stock.changed written, "
               f"{applied.shopify_changed} Shopify quantities changed")
    for domain in sorted(changes.shops_owed()):
        report = jobs.push_shopify(domain)
        click.echo(f"shopify {domain}: {report['pushed']} pushed, {report['failed']} not "
                   f"({report['calls']} calls)")


def register(app: Flask) -> None:
    from integrations.shopify.cli import cli as integrations_group

    integrations_group.add_command(stock_sync)
