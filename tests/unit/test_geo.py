from core.geo import distance_km


def test_known_distances():
    # New York (Times Square) to Los Angeles City Hall: about 3,940 km great-circle.
    assert 3900 < distance_km(40.758, -73.9855, 34.0537, -118.2428) < 3980
    assert distance_km(51.5, -0.12, 51.5, -0.12) == 0
    # Antipodes do not blow up the arcsine.
    assert 20000 < distance_km(0, 0, 0, 180) < 20040
