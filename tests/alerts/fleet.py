"""Snapshots for the alert tests, built directly from the model: one stream per state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.snapshot import ApiUsage, FleetSnapshot, StreamState

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def ts(minute: float) -> int:
    return int((T0 + timedelta(minutes=minute)).timestamp())


def throttled(name: str, since: int | None) -> Finding:
    return Finding(
        severity=Health.CRIT,
        code="write-throttled",
        subject_kind="stream",
        subject=name,
        cause="writes throttled 5 minutes running",
        evidence="312 throttled/min against 0",
        advice="add shards",
        command=f"aws kinesis update-shard-count --stream-name {name} --target-shard-count 4",
        since=since,
    )


def state(
    name: str,
    health: Health,
    since: int | None = None,
    *,
    stale: bool = False,
    findings: tuple[Finding, ...] | None = None,
) -> StreamState:
    if findings is None:
        findings = (throttled(name, since),) if health is Health.CRIT else ()
    return StreamState(
        name=name,
        arn=f"arn:aws:kinesis:us-east-1:123456789012:stream/{name}",
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=2,
        retention_hours=24,
        efo_consumers=0,
        health=health,
        since=since if health in (Health.WARN, Health.CRIT) else None,
        findings=findings,
        stale=stale,
    )


def snap(minute: float, *states: StreamState) -> FleetSnapshot:
    return FleetSnapshot(
        generated_at=T0 + timedelta(minutes=minute),
        region="us-east-1",
        account="123456789012",
        endpoint=None,
        profile=None,
        refresh_sec=60,
        streams=tuple(states),
        sources=(),
        api=ApiUsage(calls=0, metrics_requested=0, calls_per_min=0, metrics_per_hour=0),
    )
