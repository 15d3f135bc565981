"""`flask inventory ...`: verify the ledger, import stock counts."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from core.db import long_read_session
from inventory import importer
from inventory.invariants import find_drift, summary

cli = AppGroup("inventory", help="The stock ledger.")


@cli.command("verify")
def verify() -> None:
    """Recompute every balance from the ledger; exit 1 if anything drifted."""
    with long_read_session() as session:  # reads the whole ledger: no statement timeout
        drifts = find_drift(session)
        counts = summary(session)
    click.echo(f"checked {counts['balances']} balances, {counts['movements']} movements, "
               f"{counts['open_reservations']} open reservations")
    for drift in drifts:
        click.echo(f"DRIFT {drift}", err=True)
    if drifts:
        click.echo(f"{len(drifts)} drift(s) found", err=True)
        raise SystemExit(1)
    click.echo("ledger OK: every balance equals the sum of its movements")


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", default="cli:import", show_default=True,
              help="who the movements are recorded as done by")
def import_file(file: Path, actor: str) -> None:
    """Load stock counts from CSV (sku,location,quantity[,safety_stock]). All rows are
    checked first; a file with any bad row changes nothing."""
    text = file.read_text(encoding="utf-8-sig")
    total = max(0, len(text.splitlines()) - 1)
    with click.progressbar(length=total, label=f"importing {file.name}",
                           file=sys.stderr) as bar:
        report = importer.import_counts(file, actor, progress=bar.update, text=text)
    if report.errors:
        for line, reason in report.errors:
            click.echo(f"line {line}: {reason}", err=True)
        click.echo(f"{len(report.errors)} bad row(s) in {report.rows}; nothing was imported",
                   err=True)
        raise SystemExit(1)
    click.echo(f"{report.rows} rows: {report.changed} changed, {report.unchanged} unchanged, "
               f"{report.safety_stock_set} safety stock set")
