"""Partition keys of tenant connections."""

import pytest

from assets.partitions import dagster_name, parse_partition_key, partition_key, partitions_name
from governance.errors import AtsparkError


def test_keys_round_trip():
    assert partition_key("acme", "shop_eu") == "acme.shop_eu"
    assert parse_partition_key("acme.shop_eu") == ("acme", "shop_eu")


@pytest.mark.parametrize("key", ["acme", ".shop", "acme.", "a.b.c"])
def test_malformed_keys_are_refused(key):
    with pytest.raises(AtsparkError, match=r"<tenant>\.<connection>"):
        parse_partition_key(key)


def test_names_dagster_accepts():
    assert dagster_name("google-ads") == "google_ads"
    assert partitions_name("google-ads") == "google_ads_connections"
