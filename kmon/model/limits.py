"""Kinesis Data Streams service limits that kmon measures against.

Every number here is dated and sourced so that a change in AWS's published quotas is a
one-line edit. Values are SI: bytes, seconds, counts.

Source: "Quotas and limits", Amazon Kinesis Data Streams Developer Guide
(docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html), checked 2026-11.
"""

from __future__ import annotations

MIB = 1024 * 1024
HOUR = 3600

LIMITS_CHECKED = "2026-11"

# Per shard, provisioned mode.
SHARD_WRITE_BYTES_PER_SEC = 1 * MIB
SHARD_WRITE_RECORDS_PER_SEC = 1_000
SHARD_READ_BYTES_PER_SEC = 2 * MIB  # shared throughput, all polling consumers together
SHARD_GET_RECORDS_PER_SEC = 5  # shared throughput, all polling consumers together
EFO_READ_BYTES_PER_SEC = 2 * MIB  # per registered consumer per shard

MAX_RECORD_BYTES = 1 * MIB  # default maximum record size (configurable up to 10 MiB)

# Consumers.
MAX_EFO_CONSUMERS = 20
MAX_EFO_CONSUMERS_ADVANTAGE = 50  # with On-demand Advantage

# On-demand mode: new streams start here and adapt up to 2x the previous 30-day peak.
ON_DEMAND_INITIAL_WRITE_BYTES_PER_SEC = 4 * MIB
ON_DEMAND_INITIAL_READ_BYTES_PER_SEC = 8 * MIB
ON_DEMAND_PEAK_MULTIPLIER = 2
ON_DEMAND_PEAK_WINDOW_SEC = 30 * 24 * HOUR  # the peak is the previous 30 days'

# Retention.
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8_760

# AWS guidance: alarm on iterator age before it reaches half the retention period,
# because records past the retention period expire unread.
RETENTION_RISK_FRACTION = 0.5

# Control-plane API rates (per account unless noted), calls per second.
API_RATES_PER_SEC: dict[str, float] = {
    "ListStreams": 5,
    "DescribeStreamSummary": 20,
    "DescribeLimits": 1,
    "ListShards": 1000,  # per stream
    "ListStreamConsumers": 5,  # per stream
    "GetMetricData": 50,
    "DescribeAccountSettings": 5,
}

# These two limits apply per stream, so one call per stream per poll never nears them.
PER_STREAM_APIS = frozenset({"ListShards", "ListStreamConsumers"})

# CloudWatch GetMetricData.
GMD_MAX_QUERIES = 500
GMD_MAX_DATAPOINTS = 100_800
CLOUDWATCH_USD_PER_1000_METRICS = 0.01
# Each enhanced (shard-level) metric is billed as a CloudWatch metric: $0.30 a month for the
# first 10,000 (CloudWatch pricing, us-east-1, checked 2026-11).
CLOUDWATCH_USD_PER_METRIC_MONTH = 0.30

# UpdateShardCount: one call scales to at most double (or half) the current open shards.
UPDATE_SHARD_COUNT_MAX_FACTOR = 2
# Lambda event source mappings for Kinesis: at most 10 concurrent batches per shard.
LAMBDA_MAX_PARALLELIZATION_FACTOR = 10


def provisioned_write_bytes(open_shards: int) -> float:
    return open_shards * SHARD_WRITE_BYTES_PER_SEC


def provisioned_write_records(open_shards: int) -> float:
    return open_shards * SHARD_WRITE_RECORDS_PER_SEC


def provisioned_read_bytes(open_shards: int) -> float:
    return open_shards * SHARD_READ_BYTES_PER_SEC


def on_demand_write_bytes(peak_write_bytes_per_sec: float | None) -> float:
    """Honest on-demand write capacity estimate: the 4 MiB/s floor, or 2x the known peak."""
    peak = (peak_write_bytes_per_sec or 0.0) * ON_DEMAND_PEAK_MULTIPLIER
    return max(ON_DEMAND_INITIAL_WRITE_BYTES_PER_SEC, peak)


def on_demand_read_bytes(peak_write_bytes_per_sec: float | None) -> float:
    # Read capacity is twice the write capacity in on-demand mode.
    return 2 * on_demand_write_bytes(peak_write_bytes_per_sec)
