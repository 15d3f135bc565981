"""Offline geocoding fallback: approximate coordinates for an address without lat/lon.

Shopify (and other channels) sometimes send a shipping address whose latitude and
longitude are null. Routing still needs a distance to rank fulfilment locations, so
``estimate`` derives a rough point from the bundled table ``core/data/geocode.csv``
(package data, read once on first use; ``scripts/build_geocode_table.py`` checks and
rewrites it, and its docstring says where the numbers come from). It never makes a
network call, only dictionary look-ups, and it is deterministic.

Attempts, most precise first:

1. US ZIP code (5 digits or ZIP+4) -> centre of its 3-digit prefix area. A missing
   country counts as the US only when the postal code looks like a US ZIP code. Puerto
   Rico, the US Virgin Islands and Guam, which use US ZIP codes, are accepted too when
   the prefix belongs to them.
2. City, by (country, normalised city name). For the US, when ``region`` names a state,
   a same-named city in another state is not trusted (Portland, ME is not Portland, OR).
3. US state from ``region`` (code such as "NY", "US-NY", or full name).
4. Country centre.

``None`` when nothing matches.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

PRECISION_POSTAL_CODE = "postal_code"
PRECISION_CITY = "city"
PRECISION_REGION = "region"
PRECISION_COUNTRY = "country"


@dataclass(frozen=True)
class Estimate:
    latitude: float
    longitude: float
    precision: str  # "postal_code" | "city" | "region" | "country"
    source: str  # human text for routing reasons, e.g. "postal code 941xx", "state NY"


# --- the table -------------------------------------------------------------------------
#
# One CSV, one row per fact: kind,code,name,latitude,longitude,note
#
#   zip3,100,,40.7812,-73.9665,"New York, NY"   3-digit US ZIP prefix -> population-weighted
#                                                 centre (note: its most common post office)
#   state,NY,new york,41.2818,-74.3952,New York  US state (and DC): normalised name, centre
#   city,US,portland,45.5152,-122.6784,OR         (country, normalised name) -> centre; for the
#                                                 US the note is the state
#   city_alternate,ME,portland,43.6591,-70.2568,  a notable same-named city in another state
#   country,FR,,46.6,2.4,France                   ISO alpha-2 -> population-weighted centre
#   country_alias,DE,deutschland,,,               normalised name or alpha-3 code -> alpha-2
#
# City and alias names are stored normalised (``normalise_city``).

DATA_PACKAGE, DATA_FILE = "core", "data/geocode.csv"
COLUMNS = ("kind", "code", "name", "latitude", "longitude", "note")
KINDS = ("zip3", "state", "city", "city_alternate", "country", "country_alias")

Point = tuple[float, float]


@dataclass(frozen=True)
class Tables:
    us_zip3: dict[str, Point] = field(default_factory=dict)
    us_zip3_places: dict[str, str] = field(default_factory=dict)
    us_states: dict[str, Point] = field(default_factory=dict)
    us_state_names: dict[str, str] = field(default_factory=dict)
    cities: dict[tuple[str, str], Point] = field(default_factory=dict)
    us_city_states: dict[str, str] = field(default_factory=dict)
    us_city_alternates: dict[tuple[str, str], Point] = field(default_factory=dict)
    countries: dict[str, Point] = field(default_factory=dict)
    country_names: dict[str, str] = field(default_factory=dict)
    country_aliases: dict[str, str] = field(default_factory=dict)


class TableError(ValueError):
    """The geocoding table is malformed (raised with the CSV line number)."""


def parse_table(rows: Iterable[dict[str, str]]) -> Tables:
    """Build the look-up tables from CSV rows (dicts keyed by COLUMNS), checking each row:
    a known kind, coordinates in range, no duplicate key."""
    t = Tables()
    targets: dict[str, dict] = {"zip3": t.us_zip3, "state": t.us_states, "city": t.cities,
                                "city_alternate": t.us_city_alternates,
                                "country": t.countries, "country_alias": t.country_aliases}
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        kind, code, name = row["kind"], row["code"], row["name"]
        if kind not in targets:
            raise TableError(f"line {number}: unknown kind {kind!r}")
        key: object = (code, name) if kind in ("city", "city_alternate") else code
        if kind == "country_alias":
            key = name
        if key in targets[kind]:
            raise TableError(f"line {number}: duplicate {kind} {key!r}")
        if kind == "country_alias":
            t.country_aliases[name] = code
            continue
        try:
            point = (float(row["latitude"]), float(row["longitude"]))
        except ValueError as exc:
            raise TableError(f"line {number}: {exc}") from None
        if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
            raise TableError(f"line {number}: coordinates out of range {point}")
        targets[kind][key] = point
        if kind == "zip3":
            t.us_zip3_places[code] = row["note"]
        elif kind == "state":
            t.us_state_names[name] = code
        elif kind == "city" and code == "US":
            t.us_city_states[name] = row["note"]
        elif kind == "country":
            t.country_names[code] = row["note"]
    return t


@functools.cache
def tables() -> Tables:
    """The bundled table, read from the package once, on first use."""
    text = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_table(csv.DictReader(io.StringIO(text)))


_US_ZIP = re.compile(r"^(\d{5})(?:[-\s]?\d{4})?$")

# Countries whose addresses use US ZIP codes -> prefixes accepted for them (None: any).
# The Northern Marianas, Palau, Micronesia and the Marshall Islands share prefix 969 with
# Guam but lie hundreds to thousands of km away, so they fall back to their own centre.
_ZIP_COUNTRIES: dict[str, frozenset[str] | None] = {
    "US": None,
    "PR": frozenset({"006", "007", "009"}),
    "VI": frozenset({"008"}),
    "GU": frozenset({"969"}),
}

# US territories a US address may carry as its "state"; located by their country centre.
_US_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP"})

_STATE_NAME_EXTRA = {"washington dc": "DC", "washington d c": "DC", "d c": "DC"}

# Letters that Unicode decomposition does not reduce to ASCII.
_SPECIAL_LETTERS = str.maketrans(
    {
        "\u0142": "l",  # l with stroke (Polish)
        "\u0141": "L",
        "\u00f8": "o",  # o with stroke (Danish, Norwegian)
        "\u00d8": "O",
        "\u00e6": "ae",
        "\u00c6": "AE",
        "\u0111": "d",  # d with stroke
        "\u0110": "D",
        "\u0131": "i",  # dotless i (Turkish)
        "\u0153": "oe",
        "\u0152": "OE",
        "\u00fe": "th",
        "\u00de": "TH",
        "\u00f0": "d",
        "\u00df": "ss",
    }
)
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_APOSTROPHES = re.compile("['\u2019`]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# German-speaking customers often type umlauts as ae/oe/ue; the tables hold the plain vowel.
_UMLAUT_COUNTRIES = frozenset({"DE", "AT", "CH"})
_UMLAUT_SPELLING = re.compile(r"(?<=[a-z])(ae|oe|ue)")


@lru_cache(maxsize=4096)
def normalise_city(name: str) -> str:
    """Lowercase ASCII, punctuation as single spaces, "st."/"st" spelled "saint".

    >>> normalise_city("  St. Louis ")
    'saint louis'
    >>> normalise_city("Montr\u00e9al")
    'montreal'
    """
    text = unicodedata.normalize("NFKD", name.translate(_SPECIAL_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _APOSTROPHES.sub("", text)
    words = _NON_ALNUM.sub(" ", text).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def country_code(country: str | None) -> str | None:
    """ISO alpha-2 code for a code ("us"), alpha-3 code ("USA") or English name."""
    if country is None:
        return None
    text = country.strip()
    if len(text) == 2 and text.isascii() and text.isalpha():
        code = text.upper()
        return "GB" if code == "UK" else code
    key = normalise_city(text)
    return tables().country_aliases.get(key) if key else None


def us_state_code(region: str | None) -> str | None:
    """Two-letter code of a US state or DC from "NY", "US-NY" or "New York"; else None."""
    if region is None:
        return None
    text = region.strip()
    if text[:3].upper() == "US-":
        text = text[3:]
    if len(text) == 2 and text.upper() in tables().us_states:
        return text.upper()
    key = normalise_city(text)
    return tables().us_state_names.get(key) or _STATE_NAME_EXTRA.get(key)


def _us_territory(region: str | None) -> str | None:
    if region is None:
        return None
    text = region.strip().upper()
    if text.startswith("US-"):
        text = text[3:]
    return text if text in _US_TERRITORIES else None


def _us_zip_prefix(postal_code: str | None) -> str | None:
    if postal_code is None:
        return None
    match = _US_ZIP.match(postal_code.strip())
    return match.group(1)[:3] if match else None


def _city_coordinates(code: str, key: str, state: str | None) -> Point | None:
    t = tables()
    if code == "US":
        if state is not None:
            other = t.us_city_alternates.get((state, key))
            if other is not None:
                return other
            if key in t.us_city_states and t.us_city_states[key] != state:
                return None  # a same-named city elsewhere: the state is the better guess
        return t.cities.get((code, key))
    found = t.cities.get((code, key))
    if found is None and code in _UMLAUT_COUNTRIES:
        found = t.cities.get((code, _UMLAUT_SPELLING.sub(lambda m: m.group(1)[0], key)))
    return found


def estimate(
    country: str | None,
    postal_code: str | None = None,
    city: str | None = None,
    region: str | None = None,
) -> Estimate | None:
    """Best offline guess at an address's coordinates, or None when nothing matches."""
    code = country_code(country)
    prefix = _us_zip_prefix(postal_code)
    if code is None and prefix is not None:
        code = "US"
    if code is None:
        return None

    if prefix is not None and code in _ZIP_COUNTRIES:
        allowed = _ZIP_COUNTRIES[code]
        found = tables().us_zip3.get(prefix) if allowed is None or prefix in allowed else None
        if found is not None:
            return Estimate(found[0], found[1], PRECISION_POSTAL_CODE, f"postal code {prefix}xx")

    state = us_state_code(region) if code == "US" else None

    if city:
        key = normalise_city(city)
        found = _city_coordinates(code, key, state) if key else None
        if found is not None:
            label = " ".join(city.split())
            return Estimate(found[0], found[1], PRECISION_CITY, f"city {label}, {code}")

    if state is not None:
        lat, lon = tables().us_states[state]
        return Estimate(lat, lon, PRECISION_REGION, f"state {state}")
    territory = _us_territory(region) if code == "US" else None
    countries = tables().countries
    if territory is not None and territory in countries:
        lat, lon = countries[territory]
        return Estimate(lat, lon, PRECISION_REGION, f"state {territory}")

    if code in countries:
        lat, lon = countries[code]
        return Estimate(lat, lon, PRECISION_COUNTRY, f"country {code}")
    return None
