#!/usr/bin/env python3
"""Check and rewrite the offline geocoding table, core/data/geocode.csv.

Where the numbers come from. The table was compiled once, by hand-run tooling that is not
in this repository, from GeoNames populated places (geonames.org, CC BY 4.0) and the USPS
ZIP list as packaged by the MIT-licensed `zipcodes` project: each populated place was
assigned to the ZIP prefix of its nearest ZIP code, and a prefix's centre is the
population-weighted mean of its places; state and country centres are population centres,
city centres are the usual city coordinates. It used to live in the repository as a
3,000-line Python module (`oms/geocode_data.py`); this script converted that module into
the CSV and is now the way to maintain it. It does not download or recompute anything:
corrections and additions are made by editing the CSV (one row per fact, columns and
kinds documented at the top of `core/geocode.py`), then running this script.

    python scripts/build_geocode_table.py            # check, then rewrite canonically
    python scripts/build_geocode_table.py --check    # exit 1 if invalid or not canonical
    python scripts/build_geocode_table.py --from-module OLD.py   # convert the old module
                                                     # (git show 01f5f6c:oms/geocode_data.py)

Checks: known kinds, no duplicate keys, coordinates in range, city and alias names
normalised like `core.geocode.normalise_city`, every US city has a known state, every
alias and state points at a known country or state. Canonical form: rows grouped by kind,
sorted by code then name, coordinates with 4 decimals, UTF-8, `\\n` line endings.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.geocode import (  # noqa: E402  (the repository root is put on the path first)
    COLUMNS,
    DATA_FILE,
    KINDS,
    TableError,
    Tables,
    normalise_city,
    parse_table,
)

TARGET = ROOT / "core" / DATA_FILE


def rows_from_module(path: Path) -> list[dict[str, str]]:
    """The rows of the old Python table module; notes come from its trailing comments."""
    source = path.read_text(encoding="utf-8")
    data = runpy.run_path(str(path))
    comments: dict[str, dict[str, str]] = {}
    section = None
    for line in source.splitlines():
        if m := re.match(r"^([A-Z_0-9]+):", line):
            section = m.group(1)
        elif m := re.match(r'^\s+"([^"]+)": \([^)]*\),\s*#\s*(.+)$', line):
            comments.setdefault(section or "", {})[m.group(1)] = m.group(2).strip()

    def point(p: tuple[float, float]) -> dict[str, str]:
        return {"latitude": str(p[0]), "longitude": str(p[1])}

    rows = []
    for prefix, p in data["US_ZIP3"].items():
        rows.append({"kind": "zip3", "code": prefix, "name": "", **point(p),
                     "note": comments.get("US_ZIP3", {}).get(prefix, "")})
    names = {code: name for name, code in data["US_STATE_NAMES"].items()}
    for code, p in data["US_STATES"].items():
        rows.append({"kind": "state", "code": code, "name": names[code], **point(p),
                     "note": comments.get("US_STATES", {}).get(code, "")})
    for (country, name), p in data["CITIES"].items():
        rows.append({"kind": "city", "code": country, "name": name, **point(p),
                     "note": data["US_CITY_STATES"][name] if country == "US" else ""})
    for (state, name), p in data["US_CITY_ALTERNATES"].items():
        rows.append({"kind": "city_alternate", "code": state, "name": name, **point(p),
                     "note": ""})
    for code, p in data["COUNTRIES"].items():
        rows.append({"kind": "country", "code": code, "name": "", **point(p),
                     "note": comments.get("COUNTRIES", {}).get(code, "")})
    for alias, code in data["COUNTRY_ALIASES"].items():
        rows.append({"kind": "country_alias", "code": code, "name": alias, "latitude": "",
                     "longitude": "", "note": ""})
    return rows


def check(t: Tables) -> list[str]:
    """Consistency beyond what parsing checks; returns the problems found."""
    problems = []
    for country, name in [*t.cities, *((s, n) for s, n in t.us_city_alternates)]:
        if normalise_city(name) != name:
            problems.append(f"city {country}/{name!r} is not normalised "
                            f"({normalise_city(name)!r})")
    for name, state in t.us_city_states.items():
        if state not in t.us_states:
            problems.append(f"US city {name!r}: unknown state {state!r}")
    for state, name in t.us_city_alternates:
        if state not in t.us_states:
            problems.append(f"alternate {name!r}: unknown state {state!r}")
        if t.us_city_states.get(name) == state:
            problems.append(f"alternate {state}/{name!r} is the main city of that name")
    for alias, code in t.country_aliases.items():
        if code not in t.countries:
            problems.append(f"alias {alias!r}: unknown country {code!r}")
        if normalise_city(alias) != alias:
            problems.append(f"alias {alias!r} is not normalised")
    for prefix in t.us_zip3:
        if not (len(prefix) == 3 and prefix.isdigit()):
            problems.append(f"zip3 {prefix!r} is not three digits")
    return problems


def render(rows: list[dict[str, str]]) -> str:
    def canonical(row: dict[str, str]) -> dict[str, str]:
        out = {c: (row.get(c) or "").strip() for c in COLUMNS}
        for c in ("latitude", "longitude"):
            if out[c]:
                out[c] = f"{float(out[c]):.4f}"
        return out

    ordered = sorted((canonical(r) for r in rows),
                     key=lambda r: (KINDS.index(r["kind"]) if r["kind"] in KINDS else 99,
                                    r["code"], r["name"]))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ordered)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on a problem")
    parser.add_argument("--from-module", type=Path, help="convert the old Python table module")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)

    if args.from_module:
        rows = rows_from_module(args.from_module)
    else:
        with args.output.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    try:
        tables = parse_table(rows)
    except TableError as exc:
        print(f"{args.output}: {exc}", file=sys.stderr)
        return 1
    problems = check(tables)
    for problem in problems:
        print(f"{args.output}: {problem}", file=sys.stderr)
    if problems:
        return 1
    text = render(rows)
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output}: not in canonical form; run {Path(__file__).name}",
                  file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
    print(f"{args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}:"
          f" {len(rows)} rows ({len(tables.us_zip3)} ZIP prefixes, {len(tables.cities)} cities, "
          f"{len(tables.countries)} countries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
