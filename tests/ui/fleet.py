"""Snapshots built directly from the model, for driving the UI without AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kmon.model.health import Health
from kmon.model.snapshot import ApiUsage, FleetSnapshot, SourceStatus, StreamState

NOW = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone.utc)
MIB = 1024 * 1024


def stream(name: str, **kw) -> StreamState:
    base = dict(
        arn=f"arn:aws:kinesis:us-east-1:123456789012:stream/{name}",
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=2,
        retention_hours=24,
        efo_consumers=0,
        health=Health.OK,
    )
    base.update(kw)
    return StreamState(name=name, **base)


STREAMS = (
    stream(
        "orders-events",
        open_shards=4,
        incoming_bytes_per_sec=1.2 * MIB,
        incoming_records_per_sec=850,
        outgoing_bytes_per_sec=2.3 * MIB,
        write_bytes_utilization_pct=30,
        write_records_utilization_pct=21,
        iterator_age_ms=800,
    ),
    stream(
        "payments-ledger",
        open_shards=2,
        incoming_bytes_per_sec=2.0 * MIB,
        incoming_records_per_sec=1900,
        write_bytes_utilization_pct=100,
        write_records_utilization_pct=95,
        outgoing_bytes_per_sec=1.9 * MIB,
        iterator_age_ms=2_000,
        write_throttled_per_min=312,
        read_throttled_per_min=0,
        health=Health.CRIT,
    ),
    stream(
        "inventory-updates",
        incoming_bytes_per_sec=300 * 1024,
        incoming_records_per_sec=120,
        write_bytes_utilization_pct=15,
        iterator_age_ms=47 * 60 * 1000,
        health=Health.WARN,
    ),
    stream("clickstream", mode="ON_DEMAND", open_shards=8, incoming_bytes_per_sec=9 * MIB),
    stream("audit-trail", open_shards=1, retention_hours=168),
    stream("[bold]odd[/]name", open_shards=1),
)


def snapshot(
    streams=STREAMS, at: datetime = NOW, errors: dict[str, str] | None = None
) -> FleetSnapshot:
    sources = [SourceStatus("streams", at - timedelta(seconds=3))]
    sources += [SourceStatus(name, None, msg) for name, msg in (errors or {}).items()]
    return FleetSnapshot(
        generated_at=at,
        region="us-east-1",
        account="123456789012",
        endpoint=None,
        profile="prod",
        refresh_sec=60,
        streams=tuple(streams),
        sources=tuple(sources),
        api=ApiUsage(calls=14, metrics_requested=36, calls_per_min=4.2, metrics_per_hour=2160),
    )
