"""A fleet whose names, causes and consumers are long: what a real account looks like."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus
from tests.ui.fleet import MIB, NOW, STREAMS, stream

T = int(NOW.timestamp())


def finding(severity: Health, summary: str, since: int) -> Finding:
    return Finding(
        severity, "hot-shard", "shard", "shardId-000000000000", summary, "", "", since=since,
        summary=summary,
    )  # fmt: skip


LONG_STREAMS = (
    stream(
        "analytics-clickstream-enriched-events-eu-west-1-production",
        health=Health.CRIT,
        since=T - 72 * 60,
        findings=(
            finding(Health.CRIT, "writes throttled 5 min running", T - 600),
            finding(Health.WARN, "hot shard 3 (61%)", T - 900),
        ),
        incoming_bytes_per_sec=3.7 * MIB,
        incoming_records_per_sec=2130,
        write_bytes_utilization_pct=93.5,
        write_throttled_per_min=1234,
        iterator_age_ms=3 * 3600 * 1000 + 12 * 60 * 1000,
        open_shards=1024,
        retention_hours=8760,
        efo_consumers=12,
        consumers=(
            ConsumerLag("kcl", "inventory-projection-service-v2", 190_000, LagStatus.WARN),
            ConsumerLag("shared", "shared-throughput readers", 2_000, LagStatus.OK),
        ),
    ),
    stream(
        "inventory-projection-input",
        health=Health.WARN,
        since=T - 45,
        findings=(finding(Health.WARN, "iterator age 52% of retention", T - 45),),
        iterator_age_ms=47 * 60 * 1000,
        consumers=(ConsumerLag("kcl", "inventory-proj", None, LagStatus.STOP),),
    ),
    stream(
        "orders-dlq",
        stale=True,
        as_of=NOW - timedelta(minutes=7),
        health=Health.WARN,
        since=T - 3 * 86400,
        status="UPDATING",
        mode="ON_DEMAND",
    ),
    *(replace(s, name=f"{s.name}-{i}-team-shared-stream") for i, s in enumerate(STREAMS)),
)
