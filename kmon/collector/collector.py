"""One poll: AWS APIs -> an immutable FleetSnapshot. Never raises into its caller."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kmon.collector import errors, kinesis
from kmon.collector.budget import Accounting, ApiBudget
from kmon.collector.cache import SingleFlightCache
from kmon.collector.clients import READ_TIMEOUT_SEC, AwsClients, build_clients
from kmon.collector.consumers import ConsumerCollector, StreamRef
from kmon.collector.detail import DetailFetcher
from kmon.collector.memory import Memory
from kmon.collector.metrics import MetricStore, stream_queries
from kmon.collector.shards import ShardWatch
from kmon.model.detail import ShardRow, StreamDetail
from kmon.model.health import Health
from kmon.model.overview import StreamFacts, fleet_minute, metrics_fresh, stream_state
from kmon.model.rules import Thresholds
from kmon.model.snapshot import ApiUsage, FleetSnapshot, SourceStatus, StreamState

log = logging.getLogger(__name__)

# Descriptions and consumer lists change rarely: each is refreshed about every 10 minutes,
# with expiry spread +-30% so refreshes trickle across polls.
DESCRIBE_TTL = 600.0
LIMITS_TTL = 600.0
# How long one dashboard poll may spend describing streams before it shows what it has.
DESCRIBE_TIME_BUDGET = 3.0
# Streams whose writes throttled this recently get their shards' write metrics read.
SHARD_WATCH_SEC = 6 * 60


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class _Source:
    updated_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class _StreamInfo:
    description: kinesis.StreamDescription
    described_at: datetime


@dataclass
class CollectorOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    refresh: float = 60.0
    streams: Sequence[str] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    # Talking to an emulator we started ourselves: never send the user's real credentials.
    emulator: bool = False
    # KCL lease table -> stream, set by hand (skips discovery for those tables).
    kcl_tables: dict[str, str] = field(default_factory=dict)
    # Measure KCL lag with GetRecords (spends read capacity) instead of the app's metrics.
    probe_lag: bool = False
    read_timeout: float = READ_TIMEOUT_SEC


class Collector:
    def __init__(
        self,
        options: CollectorOptions,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options
        self._clock = clock
        self._monotonic = monotonic
        self.accounting = Accounting(monotonic)
        self.budget = ApiBudget(monotonic, sleep)
        self.metrics = MetricStore()
        self._clients: AwsClients | None = None
        self._account: str | None = None
        self._listed: list[kinesis.ListedStream] = []
        self._info: dict[str, _StreamInfo] = {}
        self._fresh = SingleFlightCache(DESCRIBE_TTL, jitter=0.3, clock=monotonic)
        self._limits = SingleFlightCache(LIMITS_TTL, clock=monotonic)
        self._limits_value: kinesis.AccountLimits | None = None
        self._sources: dict[str, _Source] = {}
        self._poll_lock = threading.Lock()
        self._pending = 0
        self._last_exc: BaseException | None = None
        self.detail = DetailFetcher(monotonic)
        self._consumer_collector: ConsumerCollector | None = None
        self._redescribe: set[str] = set()  # streams whose description is known to be stale
        self._consumers: dict[str, tuple] = {}
        self._unmatched_tables: tuple[str, ...] = ()
        self._poll_started = 0.0
        self._detail_value: StreamDetail | None = None
        self.shards = ShardWatch(monotonic, ttl=DESCRIBE_TTL)
        self.memory = Memory()

    # -- public ---------------------------------------------------------------------------

    @property
    def region(self) -> str:
        if self._clients:
            return self._clients.region
        return self.options.region or "?"

    @property
    def limits(self) -> kinesis.AccountLimits | None:
        return self._limits_value

    def poll(self, *, complete: bool = False) -> FleetSnapshot:
        """Refresh what is due and return a snapshot. ``complete`` describes every stream now
        (one-shot use) instead of spreading descriptions across polls."""
        with self._poll_lock:
            self._poll_started = self._monotonic()
            try:
                self._poll(complete)
            except Exception as exc:  # the dashboard must never die from what it shows
                log.exception("poll failed")
                self._fail("streams", exc)
            if self._listed and not self._pending:
                self.accounting.mark_steady()
            return self._snapshot()

    def set_focus(self, stream: str | None, window_sec: int = 3600) -> None:
        """The stream on screen (None: the overview). Only it fetches detail metrics."""
        previous = self.detail.focus
        self.detail.set_focus(stream, window_sec)
        if stream is None:
            self._detail_value = None
        elif previous is None or previous[0] != stream:
            self._redescribe.add(stream)  # opening a stream shows it as it is now

    def fatal_error(self) -> str | None:
        """The error that kept the stream list from loading at all, if any."""
        src = self._sources.get("streams")
        if src and src.error and src.updated_at is None:
            return src.error
        return None

    # -- the poll -------------------------------------------------------------------------

    def _poll(self, complete: bool) -> None:
        if self._clients is None:
            try:
                self._clients = build_clients(
                    self.accounting,
                    profile=self.options.profile,
                    region=self.options.region,
                    endpoint_url=self.options.endpoint_url,
                    emulator=self.options.emulator,
                    read_timeout=self.options.read_timeout,
                )
            except Exception as exc:
                self._fail("streams", exc)
                return
        clients = self._clients
        if self._account is None:
            try:
                self._account = clients.sts.get_caller_identity().get("Account")
                self._ok("account")
            except Exception as exc:
                self._fail("account", exc)
                if errors.is_fatal_for_session(exc):
                    self._fail("streams", exc)
                    return
        listed_now = self._refresh_stream_list(clients)
        if self._sources["streams"].updated_at is None:
            return
        if not listed_now and errors.is_fatal_for_session(self._last_exc):
            # Endpoint or credentials gone: every other call would wait to fail too. The
            # metrics are as unreadable as the list, and health must come to say so.
            self._fail("metrics", self._last_exc)
            return
        names = [s.name for s in self._listed]
        self._describe_due(clients, complete)
        self._refresh_limits(clients)
        self._fetch_metrics(clients, names)
        self._watch_shards(clients)
        if listed_now:
            # During an outage consumers keep their last judgement rather than vanishing.
            self._poll_consumers(clients)
        self._fetch_detail(clients)

    def _gate(self, api: str) -> None:
        if not self.budget.acquire(api, max_wait=5.0):
            raise errors.KmonError(f"{api}: rate budget exhausted, backing off")

    def _call(self, source: str, api: str, fn: Callable[[], object]):
        """Run one source's fetch, recording success or the error; back off on throttling."""
        try:
            value = fn()
        except Exception as exc:
            if errors.is_throttle(exc):
                pause = self.budget.throttled(api)
                log.warning("%s throttled, pausing %.0fs", api, pause)
            self._fail(source, exc, api)
            self._last_exc = exc
            return None
        self.budget.succeeded(api)
        self._ok(source)
        return value

    def _refresh_stream_list(self, clients: AwsClients) -> bool:
        listed = self._call(
            "streams", "ListStreams", lambda: kinesis.list_streams(clients.kinesis, self._gate)
        )
        if listed is None:
            return False  # the last good list stays
        wanted = set(self.options.streams)
        if wanted:
            found = {s.name for s in listed}
            for name in sorted(wanted - found):
                self._sources[f"stream:{name}"] = _Source(
                    error=f"stream '{name}' not found in {clients.region}"
                )
            for name in wanted & found:
                self._sources.pop(f"stream:{name}", None)
            listed = [s for s in listed if s.name in wanted]
        self._listed = sorted(listed, key=lambda s: s.name)
        live = {s.name for s in self._listed}
        for gone in [n for n in self._info if n not in live]:
            del self._info[gone]
            self._fresh.invalidate(gone)
            self._sources.pop(f"describe:{gone}", None)
        self.metrics.forget(lambda key: key[0] in live)
        return True

    def _describe_due(self, clients: AwsClients, complete: bool) -> None:
        """Describe new streams first, then those whose description expired, within budget."""
        new = [s for s in self._listed if s.name not in self._info]
        for s in self._listed:
            info = self._info.get(s.name)
            # A status change (UPDATING while resharding, then ACTIVE) means the description
            # is out of date now, not in ten minutes.
            if info and s.status != "UNKNOWN" and s.status != info.description.status:
                self._redescribe.add(s.name)
        for name in list(self._redescribe):  # the UI thread adds to it (set_focus)
            self._fresh.invalidate(name)
        urgent = [s for s in self._listed if s.name in self._redescribe and s.name in self._info]
        expired = [
            s
            for s in self._listed
            if s.name in self._info and s.name not in self._fresh and s.name not in self._redescribe
        ]
        # Steady state: each poll refreshes its share of the fleet, so all are done once a TTL.
        share = math.ceil(len(self._listed) * self.options.refresh / DESCRIBE_TTL) + 1
        due = new + urgent + expired[:share]
        deadline = self._monotonic() + DESCRIBE_TIME_BUDGET
        for listed in due:
            if not complete and self._monotonic() > deadline:
                break
            info = self._call(
                f"describe:{listed.name}",
                "DescribeStreamSummary",
                lambda s=listed: self._fresh.get(s.name, lambda: self._describe(clients, s)),
            )
            if info is not None:
                self._info[listed.name] = info
                self._redescribe.discard(listed.name)
            elif errors.is_fatal_for_session(self._last_exc) or errors.is_throttle(self._last_exc):
                break  # the rest would fail the same way; try again next poll
        self._pending = len(new) - sum(1 for s in new if s.name in self._info)

    def _describe(self, clients: AwsClients, listed: kinesis.ListedStream) -> _StreamInfo:
        try:
            desc = kinesis.describe_stream(clients.kinesis, listed.name, self._gate)
        except Exception as exc:
            if errors.is_not_found(exc):
                raise errors.KmonError(
                    f"stream '{listed.name}' was deleted while being read"
                ) from exc
            raise
        return _StreamInfo(description=desc, described_at=self._clock())

    def _refresh_limits(self, clients: AwsClients) -> None:
        value = self._call(
            "limits",
            "DescribeLimits",
            lambda: self._limits.get(
                "limits", lambda: kinesis.describe_limits(clients.kinesis, self._gate)
            ),
        )
        if value is not None:
            self._limits_value = value

    def _fetch_metrics(self, clients: AwsClients, names: list[str]) -> None:
        if not names:
            self._ok("metrics")
            return
        now = int(self._clock().timestamp())
        self._call(
            "metrics",
            "GetMetricData",
            lambda: self.metrics.fetch(clients.cloudwatch, stream_queries(names), now, self._gate),
        )

    def _watch_shards(self, clients: AwsClients) -> None:
        """Shard write metrics for streams with enhanced monitoring whose writes throttle now
        (the stream on screen has its own): they name the hot shard."""
        now = int(self._clock().timestamp())
        focus = self.detail.focus[0] if self.detail.focus else None
        wanted = {}
        for listed in self._listed:
            info = self._info.get(listed.name)
            if info is None or not info.description.shard_level_metrics or listed.name == focus:
                continue
            throttled = self.metrics.stream_series(listed.name, "write_throttled")
            if any(v for _, v in throttled.points(since=now - SHARD_WATCH_SEC)):
                wanted[listed.name] = info.description.open_shards
        # Two calls, so a throttle backs off the API that was throttled.
        listed = self._call(
            "shards", "ListShards", lambda: self.shards.list_shards(clients, wanted, self._gate)
        )
        if listed is not None:
            self._call(
                "shards",
                "GetMetricData",
                lambda: self.shards.fetch(clients, listed, now, self._gate),
            )

    def _poll_consumers(self, clients: AwsClients) -> None:
        if self._consumer_collector is None:
            self._consumer_collector = ConsumerCollector(
                clients.kinesis,
                clients.cloudwatch,
                clients.dynamodb,
                clients.lambda_,
                gate=self._gate,
                monotonic=self._monotonic,
                kcl_tables=self.options.kcl_tables,
                probe_lag=self.options.probe_lag,
                thresholds=self.options.thresholds,
                # Slack for timer drift, so each scheduled poll still reads the leases.
                scan_every_sec=self.options.refresh * 0.9,
                on_throttle=self.budget.throttled,
                on_success=self.budget.succeeded,
            )
        refs = []
        for listed in self._listed:
            info = self._info.get(listed.name)
            desc = info.description if info else None
            refs.append(
                StreamRef(
                    listed.name,
                    (desc.arn if desc else None) or listed.arn,
                    desc.retention_hours if desc else None,
                )
            )
        result = self._consumer_collector.poll(
            refs,
            int(self._clock().timestamp()),
            shared_series=lambda n: self.metrics.stream_series(n, "iterator_age_ms"),
            traffic=lambda n: self.metrics.stream_series(n, "incoming_records"),
            poll_started=self._poll_started,
        )
        self._consumers = dict(result.by_stream)
        self._unmatched_tables = result.unmatched_tables
        for source in [k for k in self._sources if k.startswith("lag:")]:
            del self._sources[source]
        for source, message in result.errors.items():
            self._sources[source] = _Source(error=message)

    def _fetch_detail(self, clients: AwsClients) -> None:
        focus = self.detail.focus
        if focus is None:
            return
        info = self._info.get(focus[0])
        if info is None:
            listed = next((s for s in self._listed if s.name == focus[0]), None)
            if listed is None:
                self._detail_value = None
                return
            info = self._call(
                f"describe:{listed.name}",
                "DescribeStreamSummary",
                lambda: self._fresh.get(listed.name, lambda: self._describe(clients, listed)),
            )
            if info is None:
                return
            self._info[listed.name] = info
        now = int(self._clock().timestamp())
        detail = self._call(
            "detail",
            "GetMetricData",
            lambda: self.detail.fetch(clients, info.description, now, self._gate),
        )
        if detail is not None:
            self._detail_value = detail
            open_now = sum(1 for shard in detail.shards if shard.is_open)
            if detail.shards and open_now != info.description.open_shards:
                self._redescribe.add(focus[0])  # resharded since it was described

    # -- bookkeeping ----------------------------------------------------------------------

    def _ok(self, source: str) -> None:
        if ":" in source:  # per-stream sources are only kept while they fail
            self._sources.pop(source, None)
            return
        src = self._sources.setdefault(source, _Source())
        if src.error:
            log.warning("%s recovered", source)
        src.updated_at = self._clock()
        src.error = None

    def _fail(self, source: str, exc: BaseException, api: str | None = None) -> None:
        message = errors.describe(exc, api)
        src = self._sources.setdefault(source, _Source())
        if src.error != message:  # once per new problem, not once per poll
            log.warning("%s: %s", source, message)
        log.debug("%s failed", source, exc_info=exc)
        src.error = message

    def _snapshot(self) -> FleetSnapshot:
        now_dt = self._clock()
        now = int(now_dt.timestamp())
        metrics_src = self._sources.get("metrics")
        metrics_ok = metrics_src is not None and metrics_src.error is None
        # Health stands on metrics fetched lately, even if the newest fetch failed.
        metrics_recent = metrics_src is not None and metrics_fresh(
            metrics_src.updated_at, now_dt, self.options.refresh
        )
        streams: list[StreamState] = []
        newest = fleet_minute(
            [lambda k, n=s.name: self.metrics.stream_series(n, k) for s in self._listed], now
        )
        for listed in self._listed:
            info = self._info.get(listed.name)
            desc = info.description if info else None
            facts = StreamFacts(
                name=listed.name,
                arn=(desc.arn if desc else None) or listed.arn,
                status=desc.status if desc else listed.status,
                mode=desc.mode if desc else listed.mode,
                open_shards=desc.open_shards if desc else None,
                retention_hours=desc.retention_hours if desc else None,
                efo_consumers=self._efo_count(listed.name, desc),
                described_at=info.described_at if info else None,
                shard_level_metrics=desc.shard_level_metrics if desc else None,
            )
            consumers = self._consumers.get(listed.name, ())
            consumers = tuple(
                sorted(consumers, key=lambda c: (-c.status.rank, -(c.lag_ms or 0.0), c.name))
            )
            streams.append(
                stream_state(
                    facts,
                    lambda key, n=listed.name: self.metrics.stream_series(n, key),
                    now,
                    metrics_available=metrics_ok,
                    metrics_recent=metrics_recent,
                    thresholds=self.options.thresholds,
                    fleet=newest,
                    consumers=consumers,
                    shards=self._shard_rows(listed.name),
                )
            )
        streams = self.memory.apply(streams, now_dt)
        calls_per_min, metrics_per_hour = self.accounting.rates(self.options.refresh)
        api = ApiUsage(
            calls=self.accounting.calls,
            metrics_requested=self.accounting.metrics,
            calls_per_min=calls_per_min,
            metrics_per_hour=metrics_per_hour,
            calls_by_api=dict(self.accounting.by_api),
        )
        sources = tuple(
            SourceStatus(name, src.updated_at, src.error)
            for name, src in sorted(self._sources.items(), key=_source_order)
        )
        return FleetSnapshot(
            generated_at=now_dt,
            region=self.region,
            account=self._account,
            endpoint=self.options.endpoint_url,
            profile=self.options.profile,
            refresh_sec=self.options.refresh,
            streams=tuple(streams),
            sources=sources,
            api=api,
            pending=self._pending,
            detail=self._current_detail(),
            unmatched_lease_tables=self._unmatched_tables,
            events=tuple(reversed(self.memory.events)),
        )

    def _shard_rows(self, name: str) -> tuple[ShardRow, ...] | None:
        detail = self._current_detail()
        if detail is not None and detail.name == name and detail.shards:
            return detail.shards
        return self.shards.rows(name)

    def _efo_count(self, name: str, desc: kinesis.StreamDescription | None) -> int | None:
        """Registered EFO consumers: from the consumer listing (ListStreamConsumers) when it
        worked, else the count DescribeStreamSummary reports."""
        if name in self._consumers and f"lag:efo:{name}" not in self._sources:
            if "lag:efo" not in self._sources:
                return sum(1 for c in self._consumers[name] if c.kind == "efo")
        return desc.consumer_count if desc else None

    def _current_detail(self) -> StreamDetail | None:
        focus = self.detail.focus
        d = self._detail_value
        if focus is None or d is None or d.name != focus[0]:
            return None
        return d


# The header shows the first error: the one that explains the most goes first.
_SOURCE_PRIORITY = {"streams": 0, "account": 1, "metrics": 2, "detail": 3, "limits": 4}
# Consumer-lag sources are notes (a consumer kind kmon may not read), listed after the rest.
_NOTE_PREFIX = "lag:"


def _source_order(item: tuple[str, _Source]) -> tuple[int, str]:
    name = item[0]
    return _SOURCE_PRIORITY.get(name, 20 if name.startswith(_NOTE_PREFIX) else 9), name


__all__ = ["Collector", "CollectorOptions", "Health"]
