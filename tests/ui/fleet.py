"""Snapshots built directly from the model, for driving the UI without AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus, ShardLag
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


LAG_MINUTES = [int(NOW.timestamp()) // 60 * 60 - 60 * (12 - i) for i in range(12)]
CONSUMERS = (
    ConsumerLag(
        "kcl",
        "ledger-projector",
        34_000,
        LagStatus.WARN,
        trend_ms_per_min=3000,
        data_loss_sec=14_000,
        history=tuple((t, 1000.0 + 3000 * i) for i, t in enumerate(LAG_MINUTES)),
        table="ledger-projector",
        shards=(
            ShardLag(
                "shardId-000000000000",
                "[bold]w2[/]",
                "4960" + "1" * 52,
                34_000,
                LagStatus.WARN,
                lease_counter=812,
                owner_switches=0,
            ),
            ShardLag(
                "shardId-000000000001",
                None,
                "TRIM_HORIZON",
                None,
                LagStatus.STOP,
                lease_counter=40,
                owner_switches=4,
            ),
        ),  # fmt: skip
        workers={"[bold]w2[/]": 1},
        unowned=1,
        thrashing=("shardId-000000000001",),
    ),
    ConsumerLag(
        "efo",
        "fraud-scorer",
        800,
        LagStatus.OK,
        trend_ms_per_min=-5,
        history=tuple((t, 800.0 + 50 * (i % 3)) for i, t in enumerate(LAG_MINUTES)),
    ),
    ConsumerLag("shared", "shared-throughput readers", 2_000, LagStatus.OK),
)

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
        consumers=CONSUMERS,
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


def _minutes(n: int, at: datetime = NOW) -> list[int]:
    end = int(at.timestamp()) // 60 * 60
    return [end - 60 * (n - i) for i in range(n)]


def detail(name: str = "payments-ledger", window_sec: int = 3600, at: datetime = NOW):
    """A throttled stream's detail, with one hot shard and a falling-behind consumer."""
    from kmon.model.detail import ShardRow, StreamDetail

    ts = _minutes(60, at)

    def wave(base: float, amp: float) -> tuple[tuple[int, float], ...]:
        return tuple((t, base + amp * ((i * 7) % 11) / 10) for i, t in enumerate(ts))

    series = {
        "incoming_bytes": wave(60 * 1.6 * MIB, 60 * 0.3 * MIB),
        "incoming_records": wave(60 * 1500, 60 * 300),
        "outgoing_bytes": wave(60 * 1.5 * MIB, 60 * 0.2 * MIB),
        "outgoing_records": wave(60 * 1400, 60 * 200),
        "iterator_age_ms": tuple((t, 400.0 + 90 * i) for i, t in enumerate(ts)),
        "write_throttled": wave(200, 150),
        "read_throttled": tuple((t, 0.0) for t in ts),
        "put_throttled_records": wave(900, 400),
        "put_failed_records": tuple((t, 0.0) for t in ts),
    }
    quarter = 2**128 // 4
    shards = tuple(
        ShardRow(
            shard_id=f"shardId-00000000000{i}",
            is_open=True,
            parent=None,
            adjacent_parent=None,
            hash_share_pct=quarter / 2**128 * 100,
            incoming_bytes_per_sec=(1.0 if i == 0 else 0.2) * MIB,
            incoming_records_per_sec=1000 if i == 0 else 180,
            outgoing_bytes_per_sec=(0.9 if i == 0 else 0.2) * MIB,
            iterator_age_ms=900,
            write_throttled=312 if i == 0 else 0,
            read_throttled=0,
        )
        for i in range(2)
    )
    return StreamDetail(
        name=name,
        window_sec=window_sec,
        period=60,
        encryption="KMS",
        shard_level_metrics=("IncomingBytes",),
        max_record_kib=1024,
        closed_shards=0,
        series=series,
        shards=shards,
    )
