"""Bulk stock counts from CSV: every row is checked before anything is written; a file with a
bad row changes nothing; re-importing a file changes nothing (counts are absolute, so a
matching count records no movement).

Columns: `sku`, `location`, `quantity` (counted on hand), optional `safety_stock`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from core.db import read_session, unit_of_work
from core.errors import DomainError
from inventory import ledger
from inventory.ledger import Cause
from inventory.models import MAX_MOVEMENT_QUANTITY, Balance, Item, Location

REQUIRED = ("sku", "location", "quantity")
OPTIONAL = ("safety_stock",)


@dataclass(frozen=True)
class CountRow:
    line: int
    sku: str
    location: str
    quantity: int
    safety_stock: int | None


@dataclass
class ImportReport:
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    safety_stock_set: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


Progress = Callable[[int], None]


def _whole(text: str, name: str) -> int:
    text = (text or "").strip()
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} '{text}' is not a whole number") from None
    if value < 0:
        raise ValueError(f"{name} {value} is negative")
    if value > MAX_MOVEMENT_QUANTITY:
        raise ValueError(f"{name} {value} is larger than {MAX_MOVEMENT_QUANTITY}")
    return value


def parse(text: str, report: ImportReport) -> list[CountRow]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append((1, f"header lacks column(s): {', '.join(missing)}"))
        return []
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        report.errors.append((1, f"unknown column(s): {', '.join(unknown)}"))
        return []
    rows: list[CountRow] = []
    seen: dict[tuple[str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        raw = {(k or "").strip(): (v or "") for k, v in raw.items()}
        report.rows += 1
        try:
            sku, location = raw["sku"].strip(), raw["location"].strip()
            if not sku or not location:
                raise ValueError("sku and location are required")
            quantity = _whole(raw["quantity"], "quantity")
            safety = raw.get("safety_stock", "").strip()
            row = CountRow(line, sku, location, quantity,
                           _whole(safety, "safety_stock") if safety else None)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        if (sku, location) in seen:
            report.errors.append((line, f"{sku} at {location} already counted on line "
                                        f"{seen[(sku, location)]}"))
            continue
        seen[(sku, location)] = line
        rows.append(row)
    return rows


def check_against_catalog(rows: list[CountRow], report: ImportReport) -> None:
    with read_session() as session:
        skus = set(session.scalars(select(Item.sku).where(
            Item.sku.in_({r.sku for r in rows}))))
        locations = dict(session.execute(select(Location.code, Location.id)).all())
        reserved = {
            (sku, code): held for sku, code, held in session.execute(
                select(Item.sku, Location.code, Balance.reserved)
                .join(Item, Item.id == Balance.item_id)
                .join(Location, Location.id == Balance.location_id)
                .where(Balance.reserved > 0))
        }
    for r in rows:
        if r.sku not in skus:
            report.errors.append((r.line, f"unknown SKU '{r.sku}'"))
        elif r.location not in locations:
            report.errors.append((r.line, f"unknown location '{r.location}'"))
        elif reserved.get((r.sku, r.location), 0) > r.quantity:
            report.errors.append((r.line, f"counted {r.quantity} but "
                                          f"{reserved[(r.sku, r.location)]} are reserved there; "
                                          "release or re-route them first"))


def apply(rows: Iterable[CountRow], reference: str, actor: str, report: ImportReport,
          progress: Progress | None = None) -> None:
    """All rows in one transaction: a row that fails now (stock moved since the check)
    rolls everything back and is reported."""
    with unit_of_work() as uow:
        session = uow.session
        items = dict(session.execute(select(Item.sku, Item)).all())
        locations = dict(session.execute(select(Location.code, Location)).all())
        for r in rows:
            cause = Cause(actor=actor, reference=reference, note=f"line {r.line}")
            item, location = items[r.sku], locations[r.location]
            try:
                moved = ledger.count(session, item, location, r.quantity, cause)
                if r.safety_stock is not None:
                    ledger.set_safety_stock(session, item, location, r.safety_stock)
                    report.safety_stock_set += 1
            except DomainError as exc:
                report.errors.append((r.line, exc.message))
                return
            if moved is None:
                report.unchanged += 1
            else:
                report.changed += 1
            if progress:
                progress(1)
        uow.commit()


def import_counts(path: Path | str, actor: str, progress: Progress | None = None,
                  text: str | None = None) -> ImportReport:
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig") if text is None else text
    report = ImportReport()
    rows = parse(text, report)
    if rows:
        check_against_catalog(rows, report)
    if report.errors:
        report.errors.sort()
        return report
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    apply(rows, f"import:{path.name}:{digest}", actor, report, progress)
    return report
