"""What a stream costs a day: every expected figure is worked out by hand in a comment, at the
us-east-1 list prices (provisioned: $0.015 a shard-hour, $0.014 per million 25 KB PUT units,
$0.02 a shard-hour of extended retention, $0.015 an EFO consumer-shard-hour and $0.013 per GB
EFO reads; on-demand: $0.04 a stream-hour, $0.08 per GB in, $0.04 per GB out, $0.10 per
GB-month of extended retention; $0.023 per GB-month beyond 7 days). GB = 2^30 bytes, a month
730 hours, a day 86,400 s.
"""

from __future__ import annotations

import json

import pytest

from kmon.model.cost import (
    Traffic,
    hour_traffic,
    put_units_per_record,
    stream_cost,
)
from kmon.model.findings import StreamFacts
from kmon.model.overview import stream_state
from kmon.model.pricing import (
    DEFAULT_PRICES,
    PRICE_FIELDS,
    READ_ON,
    PriceBook,
    source_of,
    unit_of,
)
from kmon.model.series import Series
from kmon.model.snapshot import ApiUsage, FleetSnapshot

KIB = 1024
MIB = 1024 * KIB
M = 1_800_000_000 - 1_800_000_000 % 60  # the newest complete minute


def test_provisioned_stream_cost_part_by_part():
    # 4 shards, 48 h retention, 2 EFO consumers; 500 records/s of 3 KiB (1,536,000 B/s)
    # written; polling readers take 2 MiB/s.
    traffic = Traffic(
        records_per_sec=500, bytes_in_per_sec=500 * 3 * KIB, bytes_out_per_sec=2 * MIB
    )
    c = stream_cost(
        mode="PROVISIONED", open_shards=4, retention_hours=48, efo_consumers=2, traffic=traffic
    )
    assert c is not None and c.traffic_known
    # Shard-hours: 4 shards x 24 h x $0.015 = $1.44.
    assert c.shard_hours == pytest.approx(1.44)
    # PUT units: a 3 KiB record is 1 unit (under 25 KB); 500/s x 86,400 s = 43.2 M units
    # x $0.014 per million = $0.6048.
    assert c.put_units == pytest.approx(0.6048)
    # 48 h is past 24 h: every shard-hour pays extended retention, 4 x 24 x $0.02 = $1.92.
    assert c.extended_retention == pytest.approx(1.92)
    assert c.long_term_retention == 0  # not past 7 days
    # EFO: 2 consumers x 4 shards x 24 h x $0.015 = $2.88 ...
    assert c.efo_hours == pytest.approx(2.88)
    # ... and each reads every byte written: 2 x 1,536,000 B/s x 86,400 s = 247.19 GiB
    # x $0.013 = $3.2135.
    assert c.efo_data == pytest.approx(3.2135, abs=1e-4)
    # Polling reads cost nothing in provisioned mode; no on-demand parts.
    assert c.on_demand_stream == c.on_demand_in == c.on_demand_out == 0
    # 1.44 + 0.6048 + 1.92 + 2.88 + 3.2135 = $10.0583 a day.
    assert c.usd_per_day == pytest.approx(10.0583, abs=1e-4)
    assert [label for label, _ in c.parts()] == ["shards", "PUT", "retention", "EFO", "EFO reads"]


def test_on_demand_stream_cost_rounds_records_up_to_a_kilobyte():
    # On-demand, 72 h retention, no EFO; 200 records/s of 4.5 KiB (921,600 B/s) written and
    # 1 MiB/s read by polling readers.
    traffic = Traffic(records_per_sec=200, bytes_in_per_sec=200 * 4608, bytes_out_per_sec=MIB)
    c = stream_cost(
        mode="ON_DEMAND", open_shards=4, retention_hours=72, efo_consumers=0, traffic=traffic
    )
    assert c is not None
    # The stream: 24 h x $0.04 = $0.96.
    assert c.on_demand_stream == pytest.approx(0.96)
    # In: each 4.5 KiB record counts as 5 KiB (AWS's own example): 200 x 5,120 B/s x 86,400 s
    # = 82.397 GiB x $0.08 = $6.5918.
    assert c.on_demand_in == pytest.approx(6.5918, abs=1e-4)
    # Out: 1 MiB/s x 86,400 s = 84.375 GiB x $0.04 = $3.375.
    assert c.on_demand_out == pytest.approx(3.375)
    # Retention: the hours from 24 h to 72 h hold 921,600 B/s x 3,600 x 48 = 148.32 GiB;
    # $0.10 a GB-month is 148.32 x $0.10 x 24 / 730 = $0.4876 a day.
    assert c.extended_retention == pytest.approx(0.4876, abs=1e-4)
    # No shards, PUT units or EFO hours in on-demand mode.
    assert c.shard_hours == c.put_units == c.efo_hours == c.efo_data == 0
    # 0.96 + 6.5918 + 3.375 + 0.4876 = $11.4144.
    assert c.usd_per_day == pytest.approx(11.4144, abs=1e-4)


def test_long_term_retention_is_billed_by_the_gigabyte_kept_past_seven_days():
    # 1 shard kept 30 days (720 h), written at 1 MiB/s in 100 records/s (10 KiB each).
    traffic = Traffic(records_per_sec=100, bytes_in_per_sec=MIB)
    c = stream_cost(
        mode="PROVISIONED", open_shards=1, retention_hours=720, efo_consumers=0, traffic=traffic
    )
    assert c is not None
    # Past 7 days: 720 - 168 = 552 h x 3,600 s x 1 MiB = 1,940.625 GiB kept; $0.023 a
    # GB-month is 1,940.625 x 0.023 x 24 / 730 = $1.4674 a day.
    assert c.long_term_retention == pytest.approx(1.4674, abs=1e-4)
    # Up to 7 days it is extended retention by the shard-hour: 24 x $0.02 = $0.48.
    assert c.extended_retention == pytest.approx(0.48)


@pytest.mark.parametrize(
    ("size", "units"),
    [
        (100, 1),  # never less than one a record
        (5 * KIB, 1),  # AWS's example: a 5 KB record is one unit
        (25 * KIB, 1),
        (25 * KIB + 1, 2),
        (45 * KIB, 2),  # AWS's example: a 45 KB record is two
        (MIB, 41),  # 1,048,576 / 25,600 = 40.96
    ],
)
def test_put_payload_units_are_25_kib_chunks_of_a_record(size, units):
    assert put_units_per_record(size) == units


def test_without_traffic_the_cost_is_the_shape_alone_and_says_so():
    c = stream_cost(
        mode="ON_DEMAND", open_shards=None, retention_hours=24, efo_consumers=0, traffic=None
    )
    assert c is not None and not c.traffic_known
    assert c.usd_per_day == pytest.approx(0.96)  # the stream-hours: 24 x $0.04
    # 2 shards, 2 EFO consumers, 48 h: 2 x 24 x ($0.015 + $0.02 + 2 x $0.015) = $3.12.
    p = stream_cost(
        mode="PROVISIONED", open_shards=2, retention_hours=48, efo_consumers=2, traffic=None
    )
    assert p is not None and p.usd_per_day == pytest.approx(3.12)


def test_an_undescribed_stream_has_no_cost():
    assert (
        stream_cost(mode=None, open_shards=2, retention_hours=24, efo_consumers=0, traffic=None)
        is None
    )
    assert (
        stream_cost(
            mode="PROVISIONED", open_shards=None, retention_hours=24, efo_consumers=0, traffic=None
        )
        is None
    )


def series_of(values: dict[str, dict[int, float]]):
    held: dict[str, Series] = {}
    for key, pts in values.items():
        held.setdefault(key, Series()).merge(sorted(pts.items()))
    return lambda key: held.get(key, Series())


def test_hour_traffic_averages_the_hour_and_counts_silent_minutes_as_none():
    # 30 of the hour's 60 minutes carry 60,000 records (1,000/s), an older minute outside the
    # hour carries far more: 30 x 60,000 / 3,600 s = 500 records/s.
    records = {M - i * 60: 60_000.0 for i in range(30)} | {M - 60 * 60: 9e9}
    t = hour_traffic(series_of({"incoming_records": records}), M)
    assert t.records_per_sec == pytest.approx(500)
    assert t.bytes_in_per_sec == 0 and t.bytes_out_per_sec == 0


def facts(**kw) -> StreamFacts:
    base = dict(
        name="orders",
        arn=None,
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=2,
        retention_hours=24,
        efo_consumers=0,
    )
    return StreamFacts(**(base | kw))


def test_stream_state_carries_the_cost_and_the_json_shows_it():
    # 2 shards written at 1 MiB/s in 500 records/s all hour: 2 x 24 x $0.015 = $0.72 of
    # shards + 500 x 86,400 = 43.2 M units x $0.014 per million = $0.6048 of PUT: $1.3248.
    values = {
        "incoming_bytes": {M - i * 60: 60.0 * MIB for i in range(60)},
        "incoming_records": {M - i * 60: 500.0 * 60 for i in range(60)},
    }
    s = stream_state(facts(), series_of(values), M + 90, metrics_available=True)
    assert s.cost is not None and s.cost.traffic_known
    assert s.cost.usd_per_day == pytest.approx(1.3248)
    doc = s.to_dict()
    assert doc["cost_usd_per_day"] == pytest.approx(1.3248)
    assert doc["cost"]["estimate"] is True and doc["cost"]["traffic_known"] is True
    assert doc["cost"]["parts_usd_per_day"]["shard_hours"] == pytest.approx(0.72)
    assert doc["cost"]["parts_usd_per_day"]["put_units"] == pytest.approx(0.6048)
    assert doc["cost"]["basis"] == f"us-east-1 list prices of {READ_ON}"
    # Without metrics the shape alone is priced, and flagged.
    blind = stream_state(facts(), series_of(values), M + 90, metrics_available=False)
    assert blind.cost is not None and not blind.cost.traffic_known
    assert blind.cost.usd_per_day == pytest.approx(0.72)
    # Not described yet: no cost, null in the JSON.
    unknown = stream_state(
        facts(mode=None, open_shards=None), series_of({}), M, metrics_available=True
    )
    assert unknown.to_dict()["cost_usd_per_day"] is None and unknown.to_dict()["cost"] is None
    # The fleet's total is the sum of the costs known.
    fleet = FleetSnapshot(
        generated_at=None,  # type: ignore[arg-type]
        region="us-east-1",
        account=None,
        endpoint=None,
        profile=None,
        refresh_sec=60,
        streams=(s, blind, unknown),
        sources=(),
        api=ApiUsage(0, 0, 0.0, 0.0),
    )
    # 1.3248 + 0.72 = $2.0448.
    assert fleet.streams_usd_per_day == pytest.approx(2.0448)
    assert json.loads(fleet.to_json())["streams_usd_per_day"] == pytest.approx(2.0448)


def test_prices_are_documented_and_overridden_per_region():
    for name in PRICE_FIELDS:
        assert unit_of(name).startswith("per ") and source_of(name)
    book = PriceBook({"shard_hour": 0.02}, {"eu-west-1": {"shard_hour": 0.0165, "efo_gb": 0.015}})
    assert book.for_region("us-east-1").shard_hour == 0.02  # the everywhere override
    eu = book.for_region("eu-west-1")
    assert (eu.shard_hour, eu.efo_gb, eu.on_demand_in_gb) == (0.0165, 0.015, 0.08)
    assert eu.overridden == ("efo_gb", "shard_hour")
    assert eu.basis == f"us-east-1 list prices of {READ_ON}, 2 set in [pricing]"
    assert PriceBook().for_region("ap-south-1") is DEFAULT_PRICES
