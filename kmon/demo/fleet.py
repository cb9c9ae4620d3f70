"""The demo fleet: seven streams in the primary region, each telling one operational story,
and a small fleet in a second region, one of whose streams is a replica of a primary one.

Specs are plain data; the traffic model (traffic.py) turns them into load and the world
(world.py) creates the matching resources in the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

HISTORY_MINUTES = 180  # backfilled at start and kept (plus a margin) while running
REPLICA_REGION = "eu-west-1"
REPLICATED_STREAM = "clickstream"


@dataclass(frozen=True)
class Degradation:
    """From `starts_min` minutes relative to world start, capacity drops to `records_per_sec`.
    With `every_min` the drop comes back: it lasts `lasts_min` of every `every_min` minutes,
    the first window starting at `starts_min` (earlier windows are in the history)."""

    starts_min: float
    records_per_sec: float  # per shard
    every_min: float | None = None
    lasts_min: float = 0.0

    def active(self, minutes: float) -> bool:
        """Whether capacity is down `minutes` after world start (negative: before it)."""
        if self.every_min is None:
            return minutes >= self.starts_min
        return (minutes - self.starts_min) % self.every_min < self.lasts_min


@dataclass(frozen=True)
class ConsumerSpec:
    name: str
    kind: str  # "kcl" (polling + lease table), "polling", "lambda" (event source mapping), "efo"
    calls_per_sec: float = 1.0  # GetRecords calls per shard per second (polling kinds)
    records_per_sec: float | None = None  # processing capacity per shard; None = unbounded
    workers: int = 2  # KCL workers sharing the leases
    degradation: Degradation | None = None


@dataclass(frozen=True)
class StreamSpec:
    name: str
    story: str
    shards: int  # initial open shards (on-demand: what the emulator creates)
    records_per_sec: float  # mean offered write rate for the whole stream
    record_bytes: float  # mean record size
    on_demand: bool = False
    on_demand_peak_bytes_per_sec: float | None = None  # previous 30-day peak (on-demand only)
    daily_amplitude: float = 0.25  # relative swing of the time-of-day curve
    peak_hour_utc: float = 15.0
    noise: float = 0.05  # relative per-minute noise (standard deviation)
    burst_chance: float = 0.0  # chance per minute that a burst starts
    burst_factor: tuple[float, float] = (1.4, 1.8)
    burst_minutes: tuple[int, int] = (2, 6)
    key_skew: tuple[float, ...] | None = None  # share of traffic per initial shard
    retention_hours: int = 24
    enhanced_monitoring: bool = False
    consumers: tuple[ConsumerSpec, ...] = field(default_factory=tuple)
    reshard: bool = False  # split every open shard once, `reshard_after_sec` into the demo
    put_batch_records: int = 250  # producer PutRecords batch size (calls = records / batch)
    quiet: bool = False  # writes only some minutes; no datapoints in idle minutes
    team: str = "platform"  # the stream's "team" tag
    # Written by a replicator of the primary region's stream of the same name (and so by
    # nothing else): its load is what the replicator processed, minute by minute.
    replica: bool = False


SHARD_LEVEL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "IteratorAgeMilliseconds",
    "ReadProvisionedThroughputExceeded",
    "WriteProvisionedThroughputExceeded",
)


def default_fleet() -> tuple[StreamSpec, ...]:
    return (
        StreamSpec(
            name="orders-events",
            team="commerce",
            story="provisioned, steady and healthy: daily-shaped traffic well inside capacity",
            shards=4,
            records_per_sec=420.0,
            record_bytes=900.0,
            daily_amplitude=0.35,
            noise=0.04,
            consumers=(ConsumerSpec("order-enricher", "kcl", calls_per_sec=1.0, workers=3),),
        ),
        StreamSpec(
            name="clickstream",
            team="growth",
            story="on-demand, high volume with bursts, inside its adaptive capacity",
            shards=4,
            records_per_sec=1_700.0,
            record_bytes=1_400.0,
            on_demand=True,
            on_demand_peak_bytes_per_sec=4.2 * 1024 * 1024,
            daily_amplitude=0.3,
            peak_hour_utc=19.0,
            noise=0.06,
            burst_chance=0.05,
            consumers=(ConsumerSpec("clickstream-firehose", "polling", calls_per_sec=1.0),),
        ),
        StreamSpec(
            name="payments-ledger",
            team="payments",
            story="hot partition key: one shard at its write limit, writes throttled",
            shards=4,
            records_per_sec=2_300.0,
            record_bytes=380.0,
            daily_amplitude=0.08,
            noise=0.03,
            key_skew=(0.58, 0.14, 0.14, 0.14),
            enhanced_monitoring=True,
            consumers=(ConsumerSpec("ledger-reconciler", "polling", calls_per_sec=1.0),),
        ),
        StreamSpec(
            name="inventory-updates",
            team="supply-chain",
            story="a KCL application falling behind: iterator age climbing toward hours",
            shards=4,
            records_per_sec=600.0,
            record_bytes=650.0,
            daily_amplitude=0.2,
            noise=0.04,
            consumers=(
                ConsumerSpec(
                    "inventory-projector",
                    "kcl",
                    calls_per_sec=1.0,
                    records_per_sec=900.0,
                    workers=2,
                    # A slow downstream since ~70 minutes before the demo starts.
                    degradation=Degradation(starts_min=-70.0, records_per_sec=40.0),
                ),
            ),
        ),
        StreamSpec(
            name="telemetry-fanout",
            team="iot-platform",
            story="fan-out: three EFO consumers, polling consumers over 5 GetRecords/s per shard",
            shards=2,
            records_per_sec=900.0,
            record_bytes=420.0,
            daily_amplitude=0.15,
            noise=0.05,
            consumers=(
                ConsumerSpec("anomaly-detector", "efo"),
                ConsumerSpec("metrics-rollup", "efo"),
                ConsumerSpec("device-shadow", "efo"),
                ConsumerSpec("telemetry-archiver", "polling", calls_per_sec=3.0),
                ConsumerSpec("telemetry-search-indexer", "polling", calls_per_sec=3.0),
                ConsumerSpec(
                    "telemetry-alerts", "lambda", calls_per_sec=1.0, records_per_sec=1_500
                ),
            ),
        ),
        StreamSpec(
            name="user-profiles",
            team="identity",
            story="resharded a few minutes into the demo: closed parents, open children",
            shards=2,
            records_per_sec=160.0,
            record_bytes=1_100.0,
            daily_amplitude=0.3,
            noise=0.05,
            reshard=True,
            consumers=(ConsumerSpec("profile-indexer", "kcl", calls_per_sec=1.0, workers=3),),
        ),
        StreamSpec(
            name="audit-trail",
            team="security",
            story="quiet, long retention (7 days), almost no traffic",
            shards=1,
            records_per_sec=0.04,
            record_bytes=2_000.0,
            daily_amplitude=0.0,
            noise=0.0,
            retention_hours=168,
            quiet=True,
            put_batch_records=1,
            consumers=(ConsumerSpec("audit-archiver", "polling", calls_per_sec=0.2),),
        ),
    )


# Teams' short names for streams, where a function's name carries one. The replicator's name
# is shown beside its lag in the overview's Cause and Worst lag columns; a name longer than
# about 22 characters pushes the throughput columns off a 160-column screen.
SHORT_NAMES = {"clickstream": "cs"}


def replicator_name(stream: str, region: str) -> str:
    """The Lambda function copying `stream` to `region`: cs-replicate-eu-west-1."""
    return f"{SHORT_NAMES.get(stream, stream)}-replicate-{region}"


def replicator(stream: str, region: str) -> ConsumerSpec:
    # A Lambda event source mapping that writes each batch to the other region. For 12 of
    # every 40 minutes its cross-region PutRecords slow down (the target region's latency
    # spikes) to 240 records/s per shard, about half the source's rate: its iterator age
    # climbs to a few minutes, then it catches up at what it can process (1,000 records/s
    # per shard, above the source's busiest minutes) and the age falls back to a second.
    return ConsumerSpec(
        replicator_name(stream, region),
        "lambda",
        calls_per_sec=1.0,
        records_per_sec=1_000.0,
        # Six minutes into a slow window at world start: the lag is visible at once.
        degradation=Degradation(
            starts_min=-6.0, records_per_sec=240.0, every_min=40.0, lasts_min=12.0
        ),
    )


def with_replicator(
    specs: tuple[StreamSpec, ...], stream: str, region: str
) -> tuple[StreamSpec, ...]:
    """`specs` with `stream` read by the replicator that copies it to `region`."""
    if stream not in {s.name for s in specs}:
        raise ValueError(f"no stream {stream!r} to replicate")
    return tuple(
        replace(s, consumers=(*s.consumers, replicator(stream, region))) if s.name == stream else s
        for s in specs
    )


def replica_fleet() -> tuple[StreamSpec, ...]:
    """The second region: a replica of the primary clickstream, the same orders application
    at a fraction of the primary's traffic, and a stream only this region has."""
    return (
        StreamSpec(
            name=REPLICATED_STREAM,
            team="growth",
            story="standby replica of the primary's clickstream, written by its replicator",
            shards=4,
            records_per_sec=1_700.0,  # nominal: the replicator decides the load
            record_bytes=1_400.0,
            on_demand=True,
            on_demand_peak_bytes_per_sec=4.2 * 1024 * 1024,
            daily_amplitude=0.0,
            noise=0.0,
            put_batch_records=500,  # the function writes each batch with PutRecords
            replica=True,  # a standby for failover: nothing reads it until then
        ),
        StreamSpec(
            name="orders-events",
            team="commerce",
            story="the same order pipeline for European customers, a seventh of the traffic",
            shards=2,
            records_per_sec=60.0,
            record_bytes=900.0,
            daily_amplitude=0.4,
            peak_hour_utc=11.0,
            noise=0.05,
            consumers=(ConsumerSpec("order-enricher", "kcl", calls_per_sec=1.0, workers=2),),
        ),
        StreamSpec(
            name="consent-events",
            team="privacy",
            story="only in this region: consent changes, synced by a Lambda function",
            shards=1,
            records_per_sec=6.0,
            record_bytes=600.0,
            daily_amplitude=0.3,
            peak_hour_utc=10.0,
            noise=0.08,
            put_batch_records=20,
            consumers=(ConsumerSpec("consent-sync", "lambda", calls_per_sec=1.0),),
        ),
    )
