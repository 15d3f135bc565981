"""Offline geocoding fallback: pure look-ups, no database, no network."""

from __future__ import annotations

import pytest

from core.geo import distance_km
from core.geocode import (
    Estimate,
    TableError,
    country_code,
    estimate,
    normalise_city,
    parse_table,
    tables,
    us_state_code,
)

_T = tables()
CITIES = _T.cities
COUNTRIES = _T.countries
COUNTRY_ALIASES = _T.country_aliases
US_CITY_ALTERNATES = _T.us_city_alternates
US_CITY_STATES = _T.us_city_states
US_STATE_NAMES = _T.us_state_names
US_STATES = _T.us_states
US_ZIP3 = _T.us_zip3

MANHATTAN = (40.7255, -73.9983)
SAN_FRANCISCO = (37.7749, -122.4194)
CHICAGO = (41.8781, -87.6298)
ATLANTA = (33.7490, -84.3880)
LOS_ANGELES = (34.0522, -118.2437)
SACRAMENTO = (38.5816, -121.4944)
MONTREAL = (45.5019, -73.5674)
ST_LOUIS = (38.6270, -90.1994)
LONDON = (51.5074, -0.1278)


def km(result: Estimate | None, point: tuple[float, float]) -> float:
    assert result is not None
    return distance_km(result.latitude, result.longitude, point[0], point[1])


# --- ZIP codes -------------------------------------------------------------------------


def test_manhattan_zip():
    result = estimate("US", "10012")
    assert result is not None
    assert result.precision == "postal_code"
    assert result.source == "postal code 100xx"
    assert km(result, MANHATTAN) < 30


def test_san_francisco_and_chicago_zips():
    assert km(estimate("US", "94103"), SAN_FRANCISCO) < 15
    assert km(estimate("US", "60611"), CHICAGO) < 15


def test_zip_plus_four_and_spacing():
    result = estimate("US", "30303-1234")
    assert result is not None and result.precision == "postal_code"
    assert km(result, ATLANTA) < 20
    assert estimate("US", " 303031234 ") == result
    assert estimate("US", "30303 1234") == result


def test_missing_country_is_us_only_for_a_zip():
    result = estimate(None, "94103")
    assert result is not None and result.precision == "postal_code"
    assert km(result, SAN_FRANCISCO) < 15
    # Not ZIP-shaped: no country to fall back on.
    assert estimate(None, "SW1A 1AA", city="London") is None
    assert estimate(None, "1234", region="CA") is None


def test_country_spellings_for_us():
    for country in ("US", "us", "USA", "United States", "united states of america"):
        result = estimate(country, "10012")
        assert result is not None and result.source == "postal code 100xx", country


def test_zip_ignored_for_non_us_country():
    # A 5-digit German postcode must not be read as a US ZIP code.
    result = estimate("DE", "10115", city="Berlin")
    assert result is not None
    assert result.precision == "city"
    assert km(result, (52.52, 13.405)) < 15


def test_territories_use_their_own_prefixes():
    result = estimate("PR", "00901", city="San Juan")
    assert result is not None and result.precision == "postal_code"
    assert km(result, (18.4655, -66.1057)) < 30
    # A mainland ZIP on a Puerto Rico address is not trusted: country centre instead.
    wrong = estimate("PR", "10012")
    assert wrong is not None and wrong.precision == "country"


# --- fallbacks -------------------------------------------------------------------------


def test_unknown_zip3_falls_back_to_city_state_country():
    assert "000" not in US_ZIP3
    city = estimate("US", "00012", city="Los Angeles", region="CA")
    assert city is not None
    assert city.precision == "city"
    assert city.source == "city Los Angeles, US"
    assert km(city, LOS_ANGELES) < 10

    by_code = estimate("US", "00012", city="Nowhereville", region="CA")
    by_name = estimate("US", "00012", region="California")
    assert by_code is not None and by_name is not None
    assert by_code.precision == by_name.precision == "region"
    assert by_code.source == by_name.source == "state CA"
    assert (by_code.latitude, by_code.longitude) == (by_name.latitude, by_name.longitude)
    # California's population centre is in the southern Central Valley.
    assert km(by_code, (35.46, -119.35)) < 100

    country = estimate("US", "00012", city="Nowhereville", region="Atlantis")
    assert country is not None
    assert country.precision == "country"
    assert country.source == "country US"
    # US population centre (2020 census: near Hartville, Missouri).
    assert km(country, (37.41, -92.31)) < 150


def test_state_spellings():
    for region in ("NY", "ny", "US-NY", "New York", "new york", " New  York "):
        result = estimate("US", region=region)
        assert result is not None and result.source == "state NY", region
    assert us_state_code("District of Columbia") == "DC"
    assert us_state_code("Washington") == "WA"
    assert us_state_code("Ontario") is None
    # A US territory given as the "state" resolves to the territory.
    territory = estimate("US", region="PR")
    assert territory is not None and territory.precision == "region"
    assert km(territory, (18.4, -66.1)) < 80


def test_montreal_with_and_without_accent():
    accented = estimate("CA", "H2X 1Y4", city="Montr\u00e9al", region="QC")
    plain = estimate("CA", city="montreal")
    assert accented is not None and plain is not None
    assert accented.precision == plain.precision == "city"
    assert (accented.latitude, accented.longitude) == (plain.latitude, plain.longitude)
    assert km(accented, MONTREAL) < 10
    assert accented.source == "city Montr\u00e9al, CA"


def test_saint_abbreviations():
    results = [
        estimate("US", city=name)
        for name in ("St. Louis", "Saint Louis", "st louis", "ST.LOUIS", "Saint  Louis")
    ]
    assert all(r is not None and r.precision == "city" for r in results)
    assert len({(r.latitude, r.longitude) for r in results if r is not None}) == 1
    assert km(results[0], ST_LOUIS) < 10
    with_state = estimate("US", city="St. Louis", region="Missouri")
    assert with_state == Estimate(
        results[0].latitude, results[0].longitude, "city", "city St. Louis, US"
    )
    assert normalise_city("Ste. Genevieve") == "sainte genevieve"
    assert normalise_city("Ft. Worth") == normalise_city("Fort Worth")


def test_london_postcode_resolves_by_city():
    result = estimate("GB", "SW1A 1AA", city="London")
    assert result is not None
    assert result.precision == "city"
    assert result.source == "city London, GB"
    assert km(result, LONDON) < 10
    lower = estimate("UK", city="london")
    assert lower is not None and lower.source == "city london, GB"
    assert (lower.latitude, lower.longitude) == (result.latitude, result.longitude)


def test_same_named_city_in_another_state_is_not_trusted():
    portland_or = estimate("US", city="Portland")
    portland_me = estimate("US", city="Portland", region="ME")
    assert portland_or is not None and portland_me is not None
    assert km(portland_or, (45.5152, -122.6784)) < 10
    assert km(portland_me, (43.6591, -70.2568)) < 10
    # Springfield, Illinois (the capital) rather than Springfield, Missouri.
    springfield = estimate("US", city="Springfield", region="IL")
    assert km(springfield, (39.7817, -89.6501)) < 10
    # A city we do not know in that state: the state centre, not the other state's city.
    kansas = estimate("US", city="Salem", region="KS")
    assert kansas is not None and kansas.source == "state KS"


def test_international_spellings():
    assert km(estimate("DE", city="M\u00fcnchen"), (48.1351, 11.5820)) < 15
    assert km(estimate("DE", city="Muenchen"), (48.1351, 11.5820)) < 15
    assert km(estimate("DE", city="K\u00f6ln"), (50.9375, 6.9603)) < 15
    assert km(estimate("DE", city="Duesseldorf"), (51.2277, 6.7735)) < 15
    assert km(estimate("Germany", city="Cologne"), (50.9375, 6.9603)) < 15
    assert km(estimate("PL", city="Wroc\u0142aw"), (51.1079, 17.0385)) < 15
    assert km(estimate("MX", city="Ciudad de M\u00e9xico"), (19.4326, -99.1332)) < 15
    assert km(estimate("AU", city="Sydney"), (-33.8688, 151.2093)) < 15
    assert km(estimate("FR", city="Saint-\u00c9tienne"), (45.4397, 4.3872)) < 15


def test_country_only():
    result = estimate("FR")
    assert result is not None and result.precision == "country"
    assert result.source == "country FR"
    assert km(result, (46.8, 2.5)) < 250
    assert estimate("gbr") == estimate("GB") == estimate("United Kingdom")
    assert country_code("Deutschland") == "DE"
    assert estimate("ZZ") is None
    assert estimate("Narnia", city="Cair Paravel") is None


def test_all_none_returns_none():
    assert estimate(None) is None
    assert estimate(None, None, None, None) is None
    assert estimate("", "", "", "") is None


def test_deterministic():
    assert estimate("US", "10012") == estimate("US", "10012")


# --- table sanity ----------------------------------------------------------------------


def _in_us_area(lat: float, lon: float) -> bool:
    lower_48 = 24 <= lat <= 50 and -125 <= lon <= -66
    alaska = 51 <= lat <= 72 and -180 <= lon <= -129
    hawaii = 18 <= lat <= 23 and -161 <= lon <= -154
    caribbean = 17 <= lat <= 19 and -68 <= lon <= -64  # Puerto Rico, US Virgin Islands
    pacific = 13 <= lat <= 16 and 144 <= lon <= 146  # Guam
    return lower_48 or alaska or hawaii or caribbean or pacific


def test_table_sizes():
    assert len(US_ZIP3) >= 400
    assert len(US_STATES) == 51
    assert len(CITIES) >= 210
    assert sum(1 for cc, _ in CITIES if cc == "US") >= 150
    assert sum(1 for cc, _ in CITIES if cc != "US") >= 60
    assert len(COUNTRIES) >= 60


def test_zip3_keys_and_coordinates_in_us():
    for prefix, (lat, lon) in US_ZIP3.items():
        assert len(prefix) == 3 and prefix.isdigit(), prefix
        assert _in_us_area(lat, lon), (prefix, lat, lon)


# Loose longitude bands for the first ZIP digit (0 = New England ... 9 = the West).
ZIP_DIGIT_LON_BANDS = {
    "0": (-76, -64),
    "1": (-81, -71),
    "2": (-85, -75),
    "3": (-92, -79),
    "4": (-90, -80),
    "5": (-117, -82),
    "6": (-105, -86),
    "7": (-107, -88),
    "8": (-121, -102),
}
# Special-purpose prefixes that sit outside their digit's region.
ZIP_DIGIT_EXCEPTIONS = {"569"}  # Washington, DC parcel return service


def test_zip3_first_digit_matches_region():
    for prefix, (lat, lon) in US_ZIP3.items():
        if prefix in ZIP_DIGIT_EXCEPTIONS:
            continue
        digit = prefix[0]
        if digit in "012":
            assert lon > -90, prefix
        if digit == "9":
            assert lon < -100 or lat > 51 or lat < 23 or lon > 0, prefix
        else:
            low, high = ZIP_DIGIT_LON_BANDS[digit]
            assert low <= lon <= high, (prefix, lat, lon)


@pytest.mark.parametrize(
    ("prefix", "point", "limit"),
    [
        ("021", (42.3601, -71.0589), 15),  # Boston
        ("100", (40.7831, -73.9712), 15),  # Manhattan
        ("112", (40.6782, -73.9442), 15),  # Brooklyn
        ("152", (40.4406, -79.9959), 20),  # Pittsburgh
        ("191", (39.9526, -75.1652), 15),  # Philadelphia
        ("200", (38.9072, -77.0369), 15),  # Washington, DC
        ("282", (35.2271, -80.8431), 20),  # Charlotte
        ("303", (33.7490, -84.3880), 20),  # Atlanta
        ("331", (25.7617, -80.1918), 20),  # Miami
        ("372", (36.1627, -86.7816), 20),  # Nashville
        ("441", (41.4993, -81.6944), 20),  # Cleveland
        ("482", (42.3314, -83.0458), 20),  # Detroit
        ("554", (44.9778, -93.2650), 20),  # Minneapolis
        ("606", (41.8781, -87.6298), 15),  # Chicago
        ("631", (38.6270, -90.1994), 20),  # St. Louis
        ("701", (29.9511, -90.0715), 20),  # New Orleans
        ("752", (32.7767, -96.7970), 20),  # Dallas
        ("770", (29.7604, -95.3698), 20),  # Houston
        ("787", (30.2672, -97.7431), 20),  # Austin
        ("802", (39.7392, -104.9903), 20),  # Denver
        ("841", (40.7608, -111.8910), 25),  # Salt Lake City
        ("850", (33.4484, -112.0740), 25),  # Phoenix
        ("891", (36.1699, -115.1398), 20),  # Las Vegas
        ("900", (34.0522, -118.2437), 15),  # Los Angeles
        ("941", (37.7749, -122.4194), 15),  # San Francisco
        ("972", (45.5152, -122.6784), 20),  # Portland, OR
        ("981", (47.6062, -122.3321), 20),  # Seattle
        ("968", (21.3069, -157.8583), 20),  # Honolulu
        ("995", (61.2181, -149.9003), 60),  # Anchorage
        ("009", (18.4655, -66.1057), 25),  # San Juan, PR
    ],
)
def test_known_prefixes(prefix: str, point: tuple[float, float], limit: float):
    lat, lon = US_ZIP3[prefix]
    assert distance_km(lat, lon, *point) < limit


def test_every_state_has_several_prefixes():
    # Map each prefix to the state whose population centre is nearest; every state should
    # own at least one, and the big ones several.
    owners: dict[str, int] = {}
    for lat, lon in US_ZIP3.values():
        nearest = min(US_STATES, key=lambda s: distance_km(lat, lon, *US_STATES[s]))
        owners[nearest] = owners.get(nearest, 0) + 1
    assert set(owners) == set(US_STATES)
    for state in ("CA", "TX", "NY", "PA", "FL", "IL", "OH"):
        assert owners[state] >= 10, state


def test_states_table():
    assert set(US_STATE_NAMES.values()) == set(US_STATES)
    for lat, lon in US_STATES.values():
        assert _in_us_area(lat, lon)


def test_city_keys_are_normalised():
    for cc, key in CITIES:
        assert len(cc) == 2 and cc.isupper(), cc
        assert normalise_city(key) == key, key
        assert -90 <= CITIES[cc, key][0] <= 90 and -180 <= CITIES[cc, key][1] <= 180
    assert {key for cc, key in CITIES if cc == "US"} == set(US_CITY_STATES)
    assert set(US_CITY_STATES.values()) <= set(US_STATES)
    for state, key in US_CITY_ALTERNATES:
        assert state in US_STATES and normalise_city(key) == key
        assert US_CITY_STATES.get(key) != state


def test_us_capitals_present():
    capitals = {
        "montgomery": "AL",
        "juneau": "AK",
        "phoenix": "AZ",
        "little rock": "AR",
        "sacramento": "CA",
        "denver": "CO",
        "hartford": "CT",
        "dover": "DE",
        "tallahassee": "FL",
        "atlanta": "GA",
        "honolulu": "HI",
        "boise": "ID",
        "springfield": "IL",
        "indianapolis": "IN",
        "des moines": "IA",
        "topeka": "KS",
        "frankfort": "KY",
        "baton rouge": "LA",
        "augusta": "ME",
        "annapolis": "MD",
        "boston": "MA",
        "lansing": "MI",
        "saint paul": "MN",
        "jackson": "MS",
        "jefferson city": "MO",
        "helena": "MT",
        "lincoln": "NE",
        "carson city": "NV",
        "concord": "NH",
        "trenton": "NJ",
        "santa fe": "NM",
        "albany": "NY",
        "raleigh": "NC",
        "bismarck": "ND",
        "columbus": "OH",
        "oklahoma city": "OK",
        "salem": "OR",
        "harrisburg": "PA",
        "providence": "RI",
        "columbia": "SC",
        "pierre": "SD",
        "nashville": "TN",
        "austin": "TX",
        "salt lake city": "UT",
        "montpelier": "VT",
        "richmond": "VA",
        "olympia": "WA",
        "charleston": "WV",
        "madison": "WI",
        "cheyenne": "WY",
        "washington": "DC",
    }
    assert len(capitals) == 51
    for city, state in capitals.items():
        result = estimate("US", city=city, region=state)
        assert result is not None and result.precision == "city", (city, state)
        assert km(result, US_STATES[state]) < 900, (city, state)
    assert km(estimate("US", city="Sacramento", region="CA"), SACRAMENTO) < 10


def test_countries_table():
    for code, (lat, lon) in COUNTRIES.items():
        assert len(code) == 2 and code.isupper(), code
        assert -90 <= lat <= 90 and -180 <= lon <= 180, code
    assert set(COUNTRY_ALIASES.values()) <= set(COUNTRIES)
    for code in ("US", "CA", "GB", "DE", "FR", "AU", "MX", "JP", "NZ", "IE", "NL", "ES", "IT"):
        assert code in COUNTRIES
    assert km(estimate("GB"), (52.6, -1.5)) < 100
    assert km(estimate("DE"), (51.0, 9.8)) < 100
    assert km(estimate("AU"), (-33.0, 145.0)) < 400


# --- the packaged table ----------------------------------------------------------------


def test_table_is_package_data_read_once():
    assert tables() is tables()
    from importlib import resources

    assert resources.files("core").joinpath("data/geocode.csv").is_file()


def test_table_file_is_canonical_and_consistent():
    """`scripts/build_geocode_table.py --check` passes on the committed file."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "build_geocode_table.py"
    spec = importlib.util.spec_from_file_location("build_geocode_table", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0


def test_parse_table_rejects_bad_rows():
    def row(**kw):
        return {"kind": "zip3", "code": "100", "name": "", "latitude": "40.7",
                "longitude": "-73.9", "note": "", **kw}

    assert parse_table([row()]).us_zip3 == {"100": (40.7, -73.9)}
    for bad in ([row(kind="planet")], [row(), row()], [row(latitude="91")],
                [row(longitude="east")]):
        with pytest.raises(TableError, match="line "):
            parse_table(bad)
