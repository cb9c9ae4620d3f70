"""A stream's cost a day in `kmon snapshot`'s JSON, from moto over HTTP, priced as the config
file says."""

from __future__ import annotations

import json

import pytest

from kmon.model.pricing import PriceBook
from tests.collector.test_collector import make
from tests.seed import MIB


@pytest.fixture
def orders(seeder):
    # 2 shards written at 1 MiB/s in 500 records/s for the whole last hour.
    seeder.stream("orders", shards=2)
    seeder.steady("orders", "IncomingBytes", 60 * MIB, minutes=60)
    seeder.steady("orders", "IncomingRecords", 60 * 500, minutes=60)
    return seeder


def test_snapshot_json_prices_each_stream_and_the_fleet(endpoint, orders):
    doc = json.loads(make(endpoint).poll(complete=True).to_json())
    (s,) = doc["streams"]
    # Shards: 2 x 24 h x $0.015 = $0.72. PUT: 2,097-byte records are 1 unit each; 500/s x
    # 86,400 s = 43.2 M units x $0.014 per million = $0.6048. Retention 24 h: nothing more.
    assert s["cost"]["parts_usd_per_day"]["shard_hours"] == pytest.approx(0.72)
    assert s["cost"]["parts_usd_per_day"]["put_units"] == pytest.approx(0.6048)
    assert s["cost"]["traffic_known"] is True
    assert s["cost_usd_per_day"] == pytest.approx(1.3248)
    assert doc["streams_usd_per_day"] == pytest.approx(1.3248)


def test_prices_from_the_config_reach_the_snapshot(endpoint, orders):
    # [pricing.us-east-1] shard_hour = 0.03: 2 x 24 x $0.03 = $1.44 + $0.6048 of PUT units.
    book = PriceBook(regions={"us-east-1": {"shard_hour": 0.03}})
    (s,) = json.loads(make(endpoint, prices=book).poll(complete=True).to_json())["streams"]
    assert s["cost_usd_per_day"] == pytest.approx(2.0448)
    assert s["cost"]["basis"].endswith("1 set in [pricing]")
