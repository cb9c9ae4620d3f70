"""Kinesis control-plane reads: stream list, descriptions, consumers, shards, limits."""

from __future__ import annotations

from dataclasses import dataclass

from kmon.collector import errors
from kmon.collector.pages import Gate, pages
from kmon.model.quotas import AccountLimits


@dataclass(frozen=True)
class ListedStream:
    name: str
    arn: str | None
    status: str
    mode: str | None


@dataclass(frozen=True)
class StreamDescription:
    name: str
    arn: str | None
    status: str
    mode: str
    open_shards: int
    retention_hours: int
    encryption: str
    shard_level_metrics: tuple[str, ...]
    consumer_count: int | None
    max_record_kib: int | None = None
    # On-demand warm throughput (MiB/s), where AWS reports it.
    warm_current_mibps: int | None = None
    warm_target_mibps: int | None = None


@dataclass(frozen=True)
class AccountSettings:
    """DescribeAccountSettings' answer: whether the On-demand Advantage commitment is on;
    None, with ``note`` saying why, when it could not be read."""

    on_demand_advantage: bool | None
    note: str | None = None


# MinimumThroughputBillingCommitment statuses under which the commitment applies.
COMMITTED = frozenset({"ENABLED", "ENABLED_UNTIL_EARLIEST_ALLOWED_END"})


def _noop(_api: str) -> None:
    pass


def list_streams(client, gate: Gate = _noop) -> list[ListedStream]:
    """Every stream in the region, page by page while HasMoreStreams and NextToken say so."""
    streams: list[ListedStream] = []
    for page in pages(client, "list_streams", gate, Limit=1000):
        for s in page.get("StreamSummaries", ()):
            streams.append(
                ListedStream(
                    name=s["StreamName"],
                    arn=s.get("StreamARN"),
                    status=s.get("StreamStatus", "UNKNOWN"),
                    mode=(s.get("StreamModeDetails") or {}).get("StreamMode"),
                )
            )
        if not page.get("StreamSummaries"):
            # Very old API shapes only return names.
            streams.extend(
                ListedStream(name=n, arn=None, status="UNKNOWN", mode=None)
                for n in page.get("StreamNames", ())
            )
    return streams


def describe_stream(client, name: str, gate: Gate = _noop) -> StreamDescription:
    gate("DescribeStreamSummary")
    d = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    metrics: list[str] = []
    for em in d.get("EnhancedMonitoring") or ():
        metrics.extend(em.get("ShardLevelMetrics") or ())
    return StreamDescription(
        name=d["StreamName"],
        arn=d.get("StreamARN"),
        status=d.get("StreamStatus", "UNKNOWN"),
        mode=(d.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED"),
        open_shards=int(d.get("OpenShardCount", 0)),
        retention_hours=int(d.get("RetentionPeriodHours", 24)),
        encryption=d.get("EncryptionType") or "NONE",
        shard_level_metrics=tuple(sorted(set(metrics))),
        consumer_count=d.get("ConsumerCount"),
        max_record_kib=d.get("MaxRecordSizeInKiB"),
        warm_current_mibps=(d.get("WarmThroughput") or {}).get("CurrentMiBps"),
        warm_target_mibps=(d.get("WarmThroughput") or {}).get("TargetMiBps"),
    )


def list_consumers(client, stream_arn: str, gate: Gate = _noop) -> list[dict]:
    """Registered enhanced fan-out consumers of a stream."""
    return [
        c
        for page in pages(client, "list_stream_consumers", gate, StreamARN=stream_arn)
        for c in page.get("Consumers", ())
    ]


def is_open(shard: dict) -> bool:
    """A shard without an ending sequence number still takes writes."""
    return "EndingSequenceNumber" not in (shard.get("SequenceNumberRange") or {})


def list_shards(client, stream_name: str, gate: Gate = _noop) -> list[dict]:
    # Pages after the first go by NextToken alone: pages() drops StreamName from them.
    return [
        s
        for page in pages(client, "list_shards", gate, StreamName=stream_name)
        for s in page.get("Shards", ())
    ]


def describe_limits(client, gate: Gate = _noop) -> AccountLimits:
    gate("DescribeLimits")
    r = client.describe_limits()
    return AccountLimits(
        shard_limit=r.get("ShardLimit"),
        open_shards=r.get("OpenShardCount"),
        on_demand_streams=r.get("OnDemandStreamCount"),
        on_demand_stream_limit=r.get("OnDemandStreamCountLimit"),
    )


def account_settings(client, gate: Gate = _noop) -> AccountSettings:
    """Whether the account has the On-demand Advantage commitment. An answer that will not
    change by asking again (no permission, an endpoint that does not know the operation) is an
    answer too: the default is assumed, with a note why. Throttling, credential and network
    errors are raised, to be tried again."""
    gate("DescribeAccountSettings")
    try:
        r = client.describe_account_settings()
    except Exception as exc:
        if (
            errors.is_throttle(exc)
            or errors.is_credential_error(exc)
            or errors.is_fatal_for_session(exc)
            or errors.is_unanswered(exc)
        ):
            raise
        why = errors.describe(exc, "DescribeAccountSettings")
        if "DescribeAccountSettings" not in why:
            why = f"DescribeAccountSettings: {why}"
        return AccountSettings(None, why)
    status = (r.get("MinimumThroughputBillingCommitment") or {}).get("Status")
    return AccountSettings(status in COMMITTED)
