"""Demo data for a fictional US omnichannel outdoor retailer, Northwind Outfitters.

The data is shaped to make stock routing and split shipments worth watching: three distribution
centres on the west coast, in the midwest and in Texas, and 24 stores spread across the country,
about two thirds of which ship from store. Stock is deliberately uneven. Each DC is missing part
of the range, stores hold thin and patchy assortments, a few SKUs exist only in a couple of
stores, a handful of "hot" SKUs are nearly sold out across the whole network, and a few have no
stock anywhere so that backorders can be shown. Every value is derived from fixed seeds, so the
same call always gives the same rows.
"""

from __future__ import annotations

import random
from typing import Any

DEMO_RETAILER: dict[str, str] = {"name": "Northwind Outfitters", "currency": "USD"}

SEED = 42

# Counts of the special SKU groups picked by `sku_roles`.
HOT_SKU_COUNT = 6
BACKORDER_SKU_COUNT = 4
STORE_ONLY_SKU_COUNT = 12


def _location(
    code: str,
    name: str,
    kind: str,
    latitude: float,
    longitude: float,
    city: str,
    region: str,
    postal_code: str,
    *,
    ships: bool,
    priority: int,
    daily_capacity: int | None,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "latitude": latitude,
        "longitude": longitude,
        "city": city,
        "region": region,
        "country": "US",
        "postal_code": postal_code,
        "ships": ships,
        "pickup": kind == "store",
        "priority": priority,
        "daily_capacity": daily_capacity,
    }


def _dc(
    code: str, name: str, lat: float, lon: float, city: str, region: str, zip_code: str, cap: int
) -> dict[str, Any]:
    return _location(
        code, name, "warehouse", lat, lon, city, region, zip_code,
        ships=True, priority=10, daily_capacity=cap,
    )


def _store(
    code: str,
    name: str,
    lat: float,
    lon: float,
    city: str,
    region: str,
    zip_code: str,
    ships: bool,
    priority: int,
    cap: int | None,
) -> dict[str, Any]:
    return _location(
        code, name, "store", lat, lon, city, region, zip_code,
        ships=ships, priority=priority, daily_capacity=cap,
    )


WAREHOUSES: list[dict[str, Any]] = [
    _dc("dc-reno", "Reno Distribution Center", 39.4960, -119.7620, "Reno", "NV", "89502", 4200),
    _dc(
        "dc-columbus", "Columbus Distribution Center", 39.8136, -82.9277,
        "Columbus", "OH", "43217", 5000,
    ),
    _dc(
        "dc-dallas", "Dallas Distribution Center", 32.6700, -96.7700,
        "Dallas", "TX", "75241", 3000,
    ),
]

STORES: list[dict[str, Any]] = [
    # Flagships: ship from store, high priority, bigger capacity.
    _store("store-nyc-soho", "SoHo, New York", 40.7246, -73.9985,
           "New York", "NY", "10012", True, 5, 150),
    _store("store-la-the-grove", "The Grove, Los Angeles", 34.0719, -118.3576,
           "Los Angeles", "CA", "90036", True, 5, 140),
    _store("store-chi-michigan-ave", "Michigan Avenue, Chicago", 41.8924, -87.6244,
           "Chicago", "IL", "60611", True, 5, 130),
    _store("store-sf-union-square", "Union Square, San Francisco", 37.7880, -122.4074,
           "San Francisco", "CA", "94108", True, 4, 120),
    _store("store-sea-downtown", "Downtown Seattle", 47.6117, -122.3360,
           "Seattle", "WA", "98101", True, 4, 120),
    _store("store-den-cherry-creek", "Cherry Creek, Denver", 39.7172, -104.9533,
           "Denver", "CO", "80206", True, 4, 110),
    _store("store-bos-newbury-st", "Newbury Street, Boston", 42.3502, -71.0795,
           "Boston", "MA", "02116", True, 4, 100),
    # Regional stores that ship from store.
    _store("store-hou-galleria", "Galleria, Houston", 29.7392, -95.4637,
           "Houston", "TX", "77056", True, 3, 90),
    _store("store-phx-biltmore", "Biltmore, Phoenix", 33.5094, -112.0300,
           "Phoenix", "AZ", "85016", True, 3, 80),
    _store("store-phl-walnut-st", "Walnut Street, Philadelphia", 39.9499, -75.1695,
           "Philadelphia", "PA", "19103", True, 3, 80),
    _store("store-atl-ponce-city", "Ponce City Market, Atlanta", 33.7722, -84.3657,
           "Atlanta", "GA", "30308", True, 3, 90),
    _store("store-pdx-pearl-district", "Pearl District, Portland", 45.5290, -122.6810,
           "Portland", "OR", "97209", True, 3, 80),
    _store("store-msp-north-loop", "North Loop, Minneapolis", 44.9887, -93.2770,
           "Minneapolis", "MN", "55401", True, 2, 70),
    _store("store-aus-the-domain", "The Domain, Austin", 30.4021, -97.7254,
           "Austin", "TX", "78758", True, 2, 70),
    _store("store-slc-city-creek", "City Creek, Salt Lake City", 40.7690, -111.8925,
           "Salt Lake City", "UT", "84111", True, 2, 60),
    _store("store-dc-georgetown", "Georgetown, Washington", 38.9051, -77.0631,
           "Washington", "DC", "20007", True, 2, 60),
    # Pickup-only stores: customers collect here, but nothing ships out.
    _store("store-mia-brickell", "Brickell City Centre, Miami", 25.7673, -80.1933,
           "Miami", "FL", "33131", False, 1, None),
    _store("store-bna-the-gulch", "The Gulch, Nashville", 36.1518, -86.7839,
           "Nashville", "TN", "37203", False, 1, None),
    _store("store-sd-fashion-valley", "Fashion Valley, San Diego", 32.7677, -117.1673,
           "San Diego", "CA", "92108", False, 1, 50),
    _store("store-clt-southpark", "SouthPark, Charlotte", 35.1528, -80.8333,
           "Charlotte", "NC", "28211", False, 1, 40),
    _store("store-kc-country-club-plaza", "Country Club Plaza, Kansas City", 39.0403, -94.5920,
           "Kansas City", "MO", "64112", False, 0, None),
    _store("store-boi-downtown", "Downtown Boise", 43.6150, -116.2023,
           "Boise", "ID", "83702", False, 0, None),
    _store("store-abq-uptown", "ABQ Uptown, Albuquerque", 35.1020, -106.5680,
           "Albuquerque", "NM", "87110", False, 0, None),
    _store("store-bzn-main-st", "Main Street, Bozeman", 45.6793, -111.0373,
           "Bozeman", "MT", "59715", False, 0, None),
]


# --- Catalog -------------------------------------------------------------------------------------

_COLOURS: dict[str, str] = {
    "BLK": "Black",
    "NVY": "Navy",
    "RED": "Red",
    "OLV": "Olive",
    "YLW": "Yellow",
    "BLU": "Blue",
    "CHR": "Charcoal",
    "GRY": "Heather Grey",
    "FOR": "Forest Green",
    "OAT": "Oatmeal",
    "BRN": "Brown",
    "KHK": "Khaki",
    "WHT": "White",
    "SKY": "Sky Blue",
    "ORG": "Orange",
    "TEA": "Teal",
    "SAN": "Sandstone",
    "GRN": "Green",
    "PLM": "Plum",
}

_ALPHA = ("XS", "S", "M", "L", "XL", "XXL")
_SML_XL = ("S", "M", "L", "XL")
_ONE = ("OS",)

# Size codes whose display label differs from the code.
_SIZE_LABELS: dict[str, str] = {
    "OS": "One Size",
    "REG": "Regular",
    "LNG": "Long",
    "SM": "S/M",
    "LXL": "L/XL",
}

# (category, style, name, price, base weight in grams, colours, sizes)
_STYLES: tuple[tuple[str, str, str, str, int, tuple[str, ...], tuple[str, ...]], ...] = (
    ("JKT", "ALP", "Alpine Down Jacket", "229.00", 620, ("BLK", "NVY", "RED", "OLV"), _ALPHA),
    ("JKT", "STM", "Stormline Rain Shell", "169.00", 410, ("BLK", "OLV", "YLW", "BLU"), _ALPHA[1:]),
    ("JKT", "CSC", "Cascade Softshell Jacket", "149.00", 540, ("BLK", "TEA", "PLM"), _ALPHA[:5]),
    ("JKT", "RDG", "Ridgeline Insulated Parka", "279.00", 980, ("BLK", "CHR"), _SML_XL),
    ("VST", "ALP", "Alpine Down Vest", "159.00", 380, ("BLK", "NVY"), _SML_XL),
    ("FLC", "SMT", "Summit Quarter-Zip Fleece", "79.00", 340, ("GRY", "NVY", "FOR"), _SML_XL),
    ("FLC", "CMP", "Campfire Sherpa Pullover", "99.00", 520, ("OAT", "BRN"), _SML_XL),
    ("BSL", "MRC", "Merino 150 Base Layer Crew", "85.00", 160, ("BLK", "GRY", "PLM"), _ALPHA[:5]),
    ("BSL", "MRB", "Merino 250 Base Layer Bottoms", "95.00", 210, ("BLK",), _ALPHA[:5]),
    ("PNT", "TRL", "Trailhead Hiking Pant", "89.00", 380, ("KHK", "CHR"), ("30", "32", "34", "36")),
    ("PNT", "BSN", "Basin Rain Pant", "119.00", 290, ("BLK",), _SML_XL),
    ("PNT", "CNY", "Canyon Convertible Pant", "79.00", 360, ("KHK", "OLV"), ("30", "32", "34")),
    ("SHT", "BRD", "Borderland Flannel Shirt", "65.00", 300, ("RED", "GRN"), _SML_XL),
    ("SHT", "SUN", "Sunline UPF Hoodie", "59.00", 220, ("WHT", "SKY"), _SML_XL),
    ("BOT", "TMB", "Timberline Waterproof Hiking Boot", "189.00", 1250, ("BRN", "GRY"),
     ("8", "9", "10", "11", "12")),
    ("BOT", "SCR", "Scree Mid Hiking Boot", "159.00", 1050, ("BLK",),
     ("7", "8", "9", "10", "11")),
    ("RUN", "SWT", "Switchback Trail Runner", "139.00", 620, ("BLU", "ORG"),
     ("7", "8", "9", "10", "11", "12", "13")),
    ("RUN", "FLX", "Flashpoint Trail Runner", "159.00", 560, ("BLK",), ("8", "9", "10", "11")),
    ("PCK", "DAY", "Daybreak 22L Daypack", "89.00", 780, ("BLK", "TEA", "RED"), _ONE),
    ("PCK", "TRV", "Traverse Backpacking Pack", "239.00", 2100, ("GRY", "GRN"), ("55L", "65L")),
    ("PCK", "CMT", "Commuter 28L Pack", "119.00", 950, ("BLK", "CHR"), _ONE),
    ("TNT", "BCK", "Backcountry 2P Tent", "349.00", 1800, ("GRN",), _ONE),
    ("TNT", "BSC", "Basecamp 4P Tent", "499.00", 4300, ("ORG",), _ONE),
    ("SLP", "EMB", "Ember 20F Down Sleeping Bag", "299.00", 1100, ("BLU",), ("REG", "LNG")),
    ("SLP", "GLC", "Glacier 0F Sleeping Bag", "379.00", 1550, ("RED",), ("REG", "LNG")),
    ("PAD", "LFT", "Loft Insulated Sleeping Pad", "149.00", 480, ("ORG",), ("REG", "LNG")),
    ("SCK", "HKS", "Merino Hiking Sock", "24.00", 85, ("GRY", "BRN", "NVY"), _SML_XL),
    ("SCK", "RNS", "Trail Run Sock", "18.00", 45, ("BLK", "WHT"), ("S", "M", "L")),
    ("HAT", "BNE", "Ridge Rib Beanie", "32.00", 90, ("BLK", "RED", "GRY", "FOR"), _ONE),
    ("HAT", "CAP", "Trucker Cap", "28.00", 95, ("NVY", "KHK"), _ONE),
    ("HAT", "BRM", "Wide-Brim Sun Hat", "42.00", 110, ("KHK",), ("SM", "LXL")),
    ("GLV", "FLC", "Polartec Fleece Glove", "35.00", 70, ("BLK", "GRY"), _SML_XL),
    ("GLV", "SMT", "Summit Insulated Glove", "89.00", 210, ("BLK",), _SML_XL),
    ("BTL", "INS", "Insulated Water Bottle 32 oz", "38.00", 520,
     ("BLK", "TEA", "RED", "WHT", "SAN"), _ONE),
    ("LMP", "TRB", "Trailbeam 400 Headlamp", "44.00", 88, ("BLK", "ORG"), _ONE),
    ("LMP", "NGT", "Nightrail 900 Rechargeable Headlamp", "79.00", 110, ("BLK",), _ONE),
    ("POL", "CRB", "Carbon Trekking Poles (Pair)", "149.00", 480, ("BLK",), _ONE),
)


def _weight(base: int, sizes: tuple[str, ...], size: str) -> int:
    """Larger sizes weigh a little more: about 4% per step away from the middle size."""
    if len(sizes) == 1:
        return base
    step = sizes.index(size) - (len(sizes) - 1) / 2
    return round(base * (1 + 0.04 * step))


def catalog() -> list[dict[str, Any]]:
    """About 250 SKUs from ~37 styles x colours x sizes; all sizes of a style share a price."""
    items: list[dict[str, Any]] = []
    for category, style, name, price, weight, colours, sizes in _STYLES:
        for colour in colours:
            for size in sizes:
                label = _SIZE_LABELS.get(size, size)
                items.append(
                    {
                        "sku": f"NW-{category}-{style}-{colour}-{size}",
                        "name": f"{name} - {_COLOURS[colour]}, {label}",
                        "price": price,
                        "weight_grams": _weight(weight, sizes, size),
                    }
                )
    return items


# --- Stock ---------------------------------------------------------------------------------------

# Sizes that sell best get deeper stock.
_CORE_SIZES = frozenset({"M", "L", "32", "34", "9", "10", "11", "OS", "REG"})


def sku_roles(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Which SKUs are "hot" (nearly sold out), "backorder" (no stock) and "store_only" (scarce)."""
    skus = sorted(item["sku"] for item in items)
    rng = random.Random(SEED)
    picked = rng.sample(skus, min(len(skus), HOT_SKU_COUNT + BACKORDER_SKU_COUNT
                                  + STORE_ONLY_SKU_COUNT))
    hot = sorted(picked[:HOT_SKU_COUNT])
    backorder = sorted(picked[HOT_SKU_COUNT:HOT_SKU_COUNT + BACKORDER_SKU_COUNT])
    store_only = sorted(picked[HOT_SKU_COUNT + BACKORDER_SKU_COUNT:])
    return {"hot": hot, "backorder": backorder, "store_only": store_only}


def _store_quantity(rng: random.Random, core: bool) -> int:
    roll = rng.random()
    if roll < 0.65:
        return rng.randint(1, 5)
    if roll < 0.9 or not core:
        return rng.randint(6, 12)
    return rng.randint(13, 25)


def _warehouse_quantity(rng: random.Random, core: bool) -> int:
    # Skewed towards small counts; core sizes run deeper.
    depth = 400 if core else 220
    return min(400, 1 + int(depth * rng.random() ** 2.2))


def stock_plan(
    items: list[dict[str, Any]], locations: list[dict[str, Any]]
) -> list[tuple[str, str, int]]:
    """(sku, location_code, on_hand) rows, only for quantities above zero; deterministic."""
    roles = sku_roles(items)
    hot, backorder, store_only = (set(roles[k]) for k in ("hot", "backorder", "store_only"))
    warehouses = [loc["code"] for loc in locations if loc["kind"] == "warehouse"]
    stores = [loc["code"] for loc in locations if loc["kind"] == "store"]
    # Each store ends up with 40-55% of the range; bigger (higher priority) stores carry more.
    breadth = {
        loc["code"]: 0.49 + 0.03 * min(5, max(0, int(loc.get("priority") or 0)))
        for loc in locations
        if loc["kind"] == "store"
    }

    rows: list[tuple[str, str, int]] = []
    for item in items:
        sku = item["sku"]
        rng = random.Random(f"{SEED}:{sku}")
        core = sku.rsplit("-", 1)[-1] in _CORE_SIZES
        if sku in backorder:
            continue
        if sku in hot:
            # Two to four scattered units, never more than nine in the whole network.
            everywhere = warehouses + stores
            spots = rng.sample(everywhere, min(len(everywhere), rng.randint(2, 4)))
            remaining = 9
            for code in spots:
                qty = min(remaining, rng.randint(1, 3))
                if qty > 0:
                    rows.append((sku, code, qty))
                    remaining -= qty
            continue
        if sku in store_only:
            for code in rng.sample(stores, min(len(stores), rng.randint(1, 3))):
                rows.append((sku, code, rng.randint(1, 2)))
            continue
        for code in warehouses:
            # With the special SKUs, each warehouse ends up missing about a fifth of the range.
            if rng.random() < 0.12:
                continue
            rows.append((sku, code, _warehouse_quantity(rng, core)))
        for code in stores:
            if rng.random() < breadth[code]:
                rows.append((sku, code, _store_quantity(rng, core)))
    return rows


def safety_stock_plan(
    items: list[dict[str, Any]], locations: list[dict[str, Any]]
) -> list[tuple[str, str, int]]:
    """(sku, location_code, safety_stock) of 1-2 for about a quarter of store rows holding 3+."""
    store_codes = {loc["code"] for loc in locations if loc["kind"] == "store"}
    rows: list[tuple[str, str, int]] = []
    for sku, code, on_hand in stock_plan(items, locations):
        if code not in store_codes or on_hand < 3:
            continue
        rng = random.Random(f"{SEED}:safety:{sku}:{code}")
        if rng.random() < 0.25:
            rows.append((sku, code, rng.randint(1, 2)))
    return rows
