"""Where a storefront's shopper is (fulfillment.options.locate): coordinates as given, else the
offline estimate order intake uses, saying so. Pure: no database."""

from __future__ import annotations

import pytest

from core import geocode
from fulfillment.options import Place, locate


def test_coordinates_are_taken_as_given_and_exact():
    assert locate({"latitude": 40.7484, "longitude": -73.9857, "postal_code": "94108",
                   "country": "US"}) == Place(40.7484, -73.9857, estimated=False,
                                              source="coordinates")


def test_an_address_without_coordinates_is_estimated_like_an_order_ship_to():
    guess = geocode.estimate("US", "10012")
    assert guess is not None
    place = locate({"postal_code": "10012", "country": "US", "latitude": None})
    assert place == Place(guess.latitude, guess.longitude, estimated=True,
                          source="postal code 100xx")


@pytest.mark.parametrize("address", [{}, {"country": "ZZ"}, {"latitude": 40.0}])
def test_nothing_to_place_is_none(address):
    assert locate(address) is None
