"""Who may act where: roles and the locations of a key."""

from __future__ import annotations

from core.auth import Principal


def test_wms_and_store_act_only_at_their_locations():
    wms = Principal(key_id=1, name="3pl", role="wms", locations=frozenset({"dc-a", "dc-b"}))
    assert wms.may_act_at("dc-a") and wms.may_act_at("dc-b") and not wms.may_act_at("s-1")
    assert wms.location is None and wms.scope == "dc-a, dc-b"
    nowhere = Principal(key_id=2, name="old", role="wms")  # made before locations were needed
    assert not nowhere.may_act_at("dc-a") and nowhere.scope == "no location"


def test_one_location_either_way():
    by_name = Principal(key_id=1, name="till", role="store", location="s-1")
    by_set = Principal(key_id=1, name="till", role="store", locations=frozenset({"s-1"}))
    assert by_name == by_set
    assert (by_set.location, by_set.locations) == ("s-1", frozenset({"s-1"}))


def test_admin_everywhere_cs_and_channel_unless_limited():
    assert Principal(key_id=1, name="a", role="admin").may_act_at("anywhere")
    assert Principal(key_id=1, name="c", role="cs").may_act_at("anywhere")
    limited = Principal(key_id=1, name="c", role="cs", location="s-1")
    assert limited.may_act_at("s-1") and not limited.may_act_at("s-2")
