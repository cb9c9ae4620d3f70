"""What a stream costs a day, from its shape and its last hour of traffic: an estimate.

The shape (mode, open shards, retention, EFO consumers) is billed by the hour; traffic by the
record or the GB. The last hour's traffic is taken to hold all day, and the bytes kept for
retention to be that hour's write rate times the hours kept. Without traffic the cost is the
shape's alone (``traffic_known`` False): a floor, not the estimate.

Not counted: reads of data older than 7 days (long-term retrieval), data transfer out of the
region, KMS calls for encrypted streams, and CloudWatch (kmon's footer shows its own share).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from kmon.model.pricing import (
    BASE_RETENTION_HOURS,
    DEFAULT_PRICES,
    EXTENDED_RETENTION_HOURS,
    GB,
    HOURS_PER_MONTH,
    ON_DEMAND_RECORD_ROUNDING_BYTES,
    PUT_PAYLOAD_UNIT_BYTES,
    Prices,
)
from kmon.model.series import Series

DAY = 24 * 3600
HOUR = 3600
PERIOD = 60


@dataclass(frozen=True)
class Traffic:
    """A stream's traffic as per-second averages (of the last hour, see ``hour_traffic``)."""

    records_per_sec: float  # IncomingRecords
    bytes_in_per_sec: float  # IncomingBytes
    bytes_out_per_sec: float = 0.0  # GetRecords.Bytes: polling readers
    # What EFO consumers read; None: not measured, each consumer taken to read every byte.
    efo_bytes_per_sec: float | None = None


def hour_traffic(series: Callable[[str], Series], end: int) -> Traffic:
    """The hour of per-minute sums ending with the minute ``end``, as rates. A minute without
    a datapoint counts as none: an idle stream publishes nothing."""
    since = end - HOUR + PERIOD

    def per_sec(key: str) -> float:
        return sum(v for ts, v in series(key).points(since) if ts <= end) / HOUR

    return Traffic(
        records_per_sec=per_sec("incoming_records"),
        bytes_in_per_sec=per_sec("incoming_bytes"),
        bytes_out_per_sec=per_sec("outgoing_bytes"),
    )


# Part name -> the word the screens use for it.
PART_LABELS = {
    "shard_hours": "shards",
    "put_units": "PUT",
    "on_demand_stream": "stream",
    "on_demand_in": "in",
    "on_demand_out": "out",
    "extended_retention": "retention",
    "long_term_retention": "long-term",
    "efo_hours": "EFO",
    "efo_data": "EFO reads",
}


@dataclass(frozen=True)
class StreamCost:
    """USD a day, part by part. Zero for parts that do not apply to the stream's mode."""

    traffic_known: bool
    basis: str  # what the prices are: "us-east-1 list prices of 2026-11"
    shard_hours: float = 0.0  # provisioned: open shards, every hour
    put_units: float = 0.0  # provisioned: 25 KB units written
    on_demand_stream: float = 0.0  # on-demand: the stream, every hour
    on_demand_in: float = 0.0  # on-demand: GB written, records rounded up to 1 KB
    on_demand_out: float = 0.0  # on-demand: GB read by polling readers
    extended_retention: float = 0.0  # retention over 24 h, up to 7 days
    long_term_retention: float = 0.0  # retention beyond 7 days
    efo_hours: float = 0.0  # provisioned: EFO consumer-shard hours
    efo_data: float = 0.0  # GB read by EFO consumers

    @property
    def usd_per_day(self) -> float:
        return sum(getattr(self, name) for name in PART_LABELS)

    def parts(self) -> list[tuple[str, float]]:
        """(label, USD a day) of every part that costs something, in a fixed order."""
        return [(label, v) for name, label in PART_LABELS.items() if (v := getattr(self, name))]

    def to_dict(self) -> dict:
        return {
            "estimate": True,
            "traffic_known": self.traffic_known,
            "basis": self.basis,
            "parts_usd_per_day": {name: round(getattr(self, name), 4) for name in PART_LABELS},
        }


def put_units_per_record(avg_record_bytes: float) -> int:
    """PUT payload units of a record this size: one per started 25 KB, never less than one."""
    # The small slack keeps a float average of exactly 25 KB from counting as two units.
    return max(1, math.ceil(avg_record_bytes / PUT_PAYLOAD_UNIT_BYTES - 1e-9))


def on_demand_billed_bytes(avg_record_bytes: float) -> int:
    """On-demand data in for a record this size: rounded up to the next 1 KB."""
    kb = max(1, math.ceil(avg_record_bytes / ON_DEMAND_RECORD_ROUNDING_BYTES - 1e-9))
    return kb * ON_DEMAND_RECORD_ROUNDING_BYTES


def _gb_per_day(bytes_per_sec: float) -> float:
    return bytes_per_sec * DAY / GB


def _stored_gb_month_per_day(bytes_per_sec: float, hours_kept: float) -> float:
    """A GB-month price's share for one day of keeping ``hours_kept`` hours of writes."""
    stored_gb = bytes_per_sec * HOUR * hours_kept / GB
    return stored_gb * 24 / HOURS_PER_MONTH


def stream_cost(
    *,
    mode: str | None,
    open_shards: int | None,
    retention_hours: int | None,
    efo_consumers: int | None,
    traffic: Traffic | None,
    prices: Prices = DEFAULT_PRICES,
) -> StreamCost | None:
    """The stream's estimated cost a day; None while its mode (or, provisioned, its shard
    count) is not known."""
    p = prices
    retention = retention_hours or BASE_RETENTION_HOURS
    efo = efo_consumers or 0
    t = traffic or Traffic(0.0, 0.0)
    avg = t.bytes_in_per_sec / t.records_per_sec if t.records_per_sec else 0.0
    # Each registered consumer receives every record written.
    efo_bytes = t.efo_bytes_per_sec if t.efo_bytes_per_sec is not None else efo * t.bytes_in_per_sec
    long_term = _stored_gb_month_per_day(
        t.bytes_in_per_sec, max(0, retention - EXTENDED_RETENTION_HOURS)
    )
    common = dict(
        traffic_known=traffic is not None,
        basis=p.basis,
        long_term_retention=long_term * p.long_term_retention_gb_month,
    )
    if mode == "PROVISIONED":
        if open_shards is None:
            return None
        shard_hours_a_day = open_shards * 24
        units_a_day = t.records_per_sec * DAY * put_units_per_record(avg) if avg else 0.0
        return StreamCost(
            **common,
            shard_hours=shard_hours_a_day * p.shard_hour,
            put_units=units_a_day / 1e6 * p.put_payload_units_million,
            extended_retention=shard_hours_a_day * p.extended_retention_shard_hour
            if retention > BASE_RETENTION_HOURS
            else 0.0,
            efo_hours=efo * shard_hours_a_day * p.efo_consumer_shard_hour,
            efo_data=_gb_per_day(efo_bytes) * p.efo_gb,
        )
    if mode == "ON_DEMAND":
        billed_in = t.records_per_sec * on_demand_billed_bytes(avg) if avg else 0.0
        extended_hours = max(0, min(retention, EXTENDED_RETENTION_HOURS) - BASE_RETENTION_HOURS)
        return StreamCost(
            **common,
            on_demand_stream=24 * p.on_demand_stream_hour,
            on_demand_in=_gb_per_day(billed_in) * p.on_demand_in_gb,
            on_demand_out=_gb_per_day(t.bytes_out_per_sec) * p.on_demand_out_gb,
            extended_retention=_stored_gb_month_per_day(t.bytes_in_per_sec, extended_hours)
            * p.on_demand_extended_retention_gb_month,
            efo_data=_gb_per_day(efo_bytes) * p.on_demand_efo_gb,
        )
    return None
