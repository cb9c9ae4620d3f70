"""One poll: AWS APIs -> an immutable FleetSnapshot. Never raises into its caller."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from kmon.collector import errors, kinesis
from kmon.collector.budget import Accounting, ApiBudget
from kmon.collector.cache import SingleFlightCache
from kmon.collector.cadence import MetricCadence
from kmon.collector.clients import READ_TIMEOUT_SEC, AwsClients, MetricsVia, build_clients
from kmon.collector.consumers import ConsumerCollector, StreamRef
from kmon.collector.detail import DetailFetcher
from kmon.collector.memory import Memory
from kmon.collector.metrics import MetricStore, stream_queries
from kmon.collector.peaks import PeakWatch
from kmon.collector.shards import ShardWatch
from kmon.model import cadence
from kmon.model.detail import ShardRow, StreamDetail
from kmon.model.health import Health
from kmon.model.limits import API_RATES_PER_SEC, MAX_EFO_CONSUMERS
from kmon.model.overview import StreamFacts, fleet_minute, metrics_fresh, stream_state
from kmon.model.pricing import DEFAULT_BOOK, PriceBook
from kmon.model.quotas import account_quotas
from kmon.model.rules import Thresholds
from kmon.model.snapshot import ApiUsage, FleetSnapshot, SourceKey, SourceStatus, StreamState

log = logging.getLogger(__name__)

LIMITS_TTL = 600.0
# The note saying which account setting could not be read and what was assumed instead.
SETTINGS_NOTE = "note:settings"
# Shard lists of the streams whose hot shards are watched: re-listed when the stream's open
# shard count or status changes, else this often.
SHARD_LIST_TTL = 600.0
# How long one dashboard poll may spend describing new streams before it shows what it has.
DESCRIBE_TIME_BUDGET = 3.0
# How long one dashboard poll may spend listing EFO consumers (paced, see consumers/efo.py); the
# first poll lists none it would have to wait for: the fleet shows first.
LIST_TIME_BUDGET = 2.0
# A fleet larger than one poll can describe (DESCRIBE_TIME_BUDGET at kmon's share of the
# DescribeStreamSummary rate: 3 s x 10/s) is shown from its stream list alone first, at once:
# its metrics (thousands of queries) and descriptions come in the follow-up polls.
FIRST_PAINT_STREAMS = int(
    DESCRIBE_TIME_BUDGET * API_RATES_PER_SEC["DescribeStreamSummary"] * ApiBudget.SHARE
)
# Streams are described again on a cadence set by the fleet's size, so a reshard (or a mode or
# retention change) shows within a minute or two anywhere: re-descriptions take at most
# REDESCRIBE_SHARE of the DescribeStreamSummary rate kmon allows itself (half of AWS's
# published 20/s, see budget.py), and no stream is described more often than once a minute.
# 300 streams are each re-described every minute, 600 every two minutes.
REDESCRIBE_MIN_SEC = 60.0
REDESCRIBE_SHARE = 0.5
# Back-offs and credential renewals are paced by the refresh, less this slack for timer drift:
# each scheduled poll probes once, so a fault that ended is seen within one refresh.
PROBE_SLACK = 0.9


def redescribe_every(streams: int) -> float:
    """Seconds between two descriptions of each stream, for a fleet of ``streams``."""
    rate = API_RATES_PER_SEC["DescribeStreamSummary"] * ApiBudget.SHARE * REDESCRIBE_SHARE
    return max(REDESCRIBE_MIN_SEC, streams / rate)


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
    described_mono: float = 0.0  # monotonic time of the description, for its cadence


@dataclass
class CollectorOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    # The role to work as in this context (another account).
    role_arn: str | None = None
    # Metrics read through a CloudWatch monitoring account (cross-account observability).
    metrics_via: MetricsVia | None = None
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
    # Kinesis prices for the streams' cost estimates ([pricing] in the config file).
    prices: PriceBook = DEFAULT_BOOK
    # CloudWatch budget (USD a day, 0: none) and how stale a healthy stream may get under it.
    budget_usd_per_day: float = cadence.DEFAULT_BUDGET_USD_PER_DAY
    max_staleness_sec: float = cadence.DEFAULT_MAX_STALENESS_SEC


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
        self._sleep = sleep
        self.budget = ApiBudget(monotonic, sleep, max_pause=self._probe_every())
        self.metrics = MetricStore()
        self.cadence = MetricCadence(
            self.metrics,
            monotonic,
            budget_usd_per_day=options.budget_usd_per_day,
            max_staleness_sec=options.max_staleness_sec,
        )
        self._last_health: dict[str, Health] = {}
        self._complete = False  # this poll describes and reads everything (one-shot use)
        self._clients: AwsClients | None = None
        # Credentials AWS called expired or invalid: a new session is built, at most once a
        # refresh (after _renew_after), so rotated credentials are picked up.
        self._renew = False
        self._renew_after = float("-inf")
        # Services that could not be reached or did not answer this poll: asked nothing more.
        self._down: dict[str, str] = {}
        self._account: str | None = None
        self._listed: list[kinesis.ListedStream] = []
        self._info: dict[str, _StreamInfo] = {}
        self._last_round: float | None = None  # when re-descriptions were last shared out
        self._limits = SingleFlightCache(LIMITS_TTL, clock=monotonic)
        self._limits_value: kinesis.AccountLimits | None = None
        self._sources: dict[str, _Source] = {}
        self._poll_lock = threading.Lock()
        self._pending = 0
        self._last_exc: BaseException | None = None
        self.detail = DetailFetcher()
        self._consumer_collector: ConsumerCollector | None = None
        self._redescribe: set[str] = set()  # streams whose description is known to be stale
        self._consumers: dict[str, tuple] = {}
        self._unlisted: frozenset[str] = frozenset()  # streams whose EFO consumers are unknown
        self._owed = 0  # streams whose consumers are listed for the first time in later polls
        self._unmatched_tables: tuple[str, ...] = ()
        self._poll_started = 0.0
        self._consumers_polled = False
        self._painted = False  # a snapshot with the stream list was made
        self._detail_value: StreamDetail | None = None
        self.shards = ShardWatch(monotonic, ttl=SHARD_LIST_TTL)
        self.memory = Memory()
        # On-demand streams' 30-day write peaks (their capacity estimate), read every few hours.
        self.peaks = PeakWatch(monotonic)
        self._settings_value: kinesis.AccountSettings | None = None

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
            self._complete = complete
            try:
                self._poll(complete)
            except Exception as exc:  # the dashboard must never die from what it shows
                log.exception("poll failed")
                self._fail("streams", exc)
            if not self._consumers_polled and self._consumer_collector is not None:
                # Consumers not read this poll keep their last judgement, marked stale.
                names = [s.name for s in self._listed]
                self._consumers = self._consumer_collector.last_known(names)
            if self._listed and not self._pending and not self._owed:
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

    def retry_now(self) -> None:
        """Retry everything at the next poll: forget throttling back-offs and permission
        lock-outs, and allow new credentials to be read now (the UI's ``r``). Safe to call from
        another thread while a poll runs."""
        self.budget.clear()
        self._renew_after = float("-inf")
        if self._consumer_collector is not None:
            self._consumer_collector.retry_now()

    def fatal_error(self) -> str | None:
        """The error that kept the stream list from loading at all, if any."""
        src = self._sources.get("streams")
        if src and src.error and src.updated_at is None:
            return src.error
        return None

    # -- the poll -------------------------------------------------------------------------

    def _probe_every(self) -> float:
        return self.options.refresh * PROBE_SLACK

    def _renew_due(self) -> bool:
        return self._renew and self._monotonic() >= self._renew_after

    def _build(self) -> bool:
        """A new session from the credential chain (profile, SSO cache, credential process,
        files, environment) and new clients for it."""
        renewing = self._clients is not None
        self._renew_after = self._monotonic() + self._probe_every()
        try:
            clients = build_clients(
                self.accounting,
                profile=self.options.profile,
                region=self.options.region,
                endpoint_url=self.options.endpoint_url,
                emulator=self.options.emulator,
                read_timeout=self.options.read_timeout,
                role_arn=self.options.role_arn,
                metrics_via=self.options.metrics_via,
            )
        except Exception as exc:
            self._fail("streams", exc)
            self._last_exc = exc
            return False
        self._clients = clients
        self._renew = False
        if self._consumer_collector is not None:
            self._consumer_collector.use_clients(
                clients.kinesis, clients.cloudwatch, clients.dynamodb, clients.lambda_
            )
        if renewing:
            log.warning("credentials rejected: read them again from the credential chain")
        return True

    def _poll(self, complete: bool) -> None:
        self._down = {}
        self._consumers_polled = False
        if (self._clients is None or self._renew_due()) and not self._build():
            return
        listed_now = self._connect(self._clients)
        if not listed_now and self._renew_due() and self._build():
            # Rotated credentials may be in the chain already: use them in this poll.
            listed_now = self._connect(self._clients)
        if listed_now is None:
            return
        clients = self._clients
        if self._sources["streams"].updated_at is None:
            return
        if not listed_now and errors.is_fatal_for_session(self._last_exc):
            # Endpoint or credentials gone: every other call would wait to fail too. The
            # metrics are as unreadable as the list, and health must come to say so.
            self._fail("metrics", self._last_exc)
            return
        if not (complete or self._painted) and len(self._listed) > FIRST_PAINT_STREAMS:
            self._painted = True
            self._pending = sum(1 for s in self._listed if s.name not in self._info)
            return  # the rows first; the app polls again at once while streams are pending
        self._painted = True
        names = [s.name for s in self._listed]
        self._describe_due(clients, complete)
        self._refresh_limits(clients)
        self._fetch_metrics(clients, names)
        metrics = self._sources.get("metrics")
        if metrics is not None and not metrics.error:  # else that error says it all
            on_demand = [
                s.name
                for s in self._listed
                if (self._info[s.name].description.mode if s.name in self._info else s.mode)
                == "ON_DEMAND"
            ]
            now = int(self._clock().timestamp())
            self._call(
                "peaks",
                "GetMetricData",
                lambda: self.peaks.fetch(clients.cloudwatch, on_demand, now, self._gate),
            )
        self._watch_shards(clients)
        if listed_now:
            # During an outage consumers keep their last judgement rather than vanishing.
            self._poll_consumers(clients, complete)
        self._fetch_detail(clients)

    def _connect(self, clients: AwsClients) -> bool | None:
        """The account (once) and the stream list: True when listed now, False when the last
        good list stands, None when nothing more can work this poll."""
        if self._account is None:
            account, exc = self._try(
                "GetCallerIdentity", lambda: clients.sts.get_caller_identity().get("Account")
            )
            if exc is None:
                self._account = account
                self._ok("account")
            else:
                self._fail("account", exc)
                if errors.is_fatal_for_session(exc):
                    self._fail("streams", exc)
                    return None
        return self._refresh_stream_list(clients)

    def _gate(self, api: str) -> None:
        """Called before each request: refuses, with the reason, what would fail anyway."""
        down = self._down.get(errors.service_of(api))
        if down:
            raise errors.KmonError(down)
        if self.budget.backing_off(api):
            raise errors.KmonError(self.budget.why(api))
        if not self.budget.acquire(api, max_wait=5.0):
            raise errors.KmonError(
                f"{api}: kmon's share of AWS's rate for it is used up: the rest waits for "
                "the next poll"
            )

    def _note_error(self, api: str, exc: BaseException) -> None:
        """What a failed call means for the calls after it (also told by the consumers)."""
        if errors.is_throttle(exc):
            pause = self.budget.throttled(api, errors.describe(exc, api))
            log.warning("%s throttled, pausing %.0fs", api, pause)
        if errors.is_unanswered(exc):
            self._down.setdefault(errors.service_of(api), errors.describe(exc, api))
        if errors.is_credential_error(exc):
            self._renew = True

    def _try(self, api: str, fn: Callable[[], object]) -> tuple[object, BaseException | None]:
        try:
            value = fn()
        except Exception as exc:
            self._note_error(api, exc)
            self._last_exc = exc
            return None, exc
        self.budget.succeeded(api)
        return value, None

    def _call(self, source: str, api: str, fn: Callable[[], object]):
        """Run one source's fetch, recording success or the error; back off on throttling."""
        value, exc = self._try(api, fn)
        if exc is not None:
            self._fail(source, exc, api)
            return None
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
            self._sources.pop(f"describe:{gone}", None)
        self.metrics.forget(lambda key: key[0] in live)
        self.cadence.forget(live)
        return True

    def _describe_due(self, clients: AwsClients, complete: bool) -> None:
        """Describe new streams first, then those whose description is out of date (a status
        change, the stream just opened), then the fleet's share for this poll of its cadence."""
        start = self._monotonic()
        new = [s for s in self._listed if s.name not in self._info]
        focus = self.detail.focus[0] if self.detail.focus else None
        new.sort(key=lambda s: s.name != focus)  # a stream opened early is described first
        for s in self._listed:
            info = self._info.get(s.name)
            # A status change (UPDATING while resharding, then ACTIVE) means the description
            # is out of date now, not at its next turn.
            if info and s.status != "UNKNOWN" and s.status != info.description.status:
                self._redescribe.add(s.name)
        urgent = [s for s in self._listed if s.name in self._redescribe and s.name in self._info]
        deadline = start + DESCRIBE_TIME_BUDGET
        for listed in new + urgent:
            if not complete and self._monotonic() > deadline:
                break
            if not self._describe_one(clients, listed):
                break  # the rest would fail the same way; try again next poll
        self._pending = len(new) - sum(1 for s in new if s.name in self._info)
        if self._pending and not complete:
            return  # new streams first: the follow-up polls describe them
        # Each poll re-describes its share of the fleet, the longest undescribed first, so
        # every stream comes round once per cadence without bursting.
        every = redescribe_every(len(self._listed))
        elapsed = every if self._last_round is None else min(every, start - self._last_round)
        self._last_round = start
        share = math.ceil(len(self._listed) * elapsed / every)
        expired = sorted(
            (
                s
                for s in self._listed
                if s.name in self._info
                and s.name not in self._redescribe
                and start - self._info[s.name].described_mono >= every
            ),
            key=lambda s: self._info[s.name].described_mono,
        )
        deadline = start + DESCRIBE_TIME_BUDGET + REDESCRIBE_SHARE * self.options.refresh
        for listed in expired[:share]:
            if not complete and self._monotonic() > deadline:
                break
            if not self._describe_one(clients, listed):
                break

    def _describe_one(self, clients: AwsClients, listed: kinesis.ListedStream) -> bool:
        """Describe one stream; False when the next descriptions would fail the same way."""
        info = self._call(
            f"describe:{listed.name}",
            "DescribeStreamSummary",
            lambda: self._describe(clients, listed),
        )
        if info is not None:
            self._info[listed.name] = info
            self._redescribe.discard(listed.name)
            return True
        exc = self._last_exc
        return not (
            errors.is_fatal_for_session(exc)
            or errors.is_throttle(exc)
            or self.budget.backing_off("DescribeStreamSummary")
            or "kinesis" in self._down
        )

    def _describe(self, clients: AwsClients, listed: kinesis.ListedStream) -> _StreamInfo:
        try:
            desc = kinesis.describe_stream(clients.kinesis, listed.name, self._gate)
        except Exception as exc:
            if errors.is_not_found(exc):
                raise errors.KmonError(
                    f"stream '{listed.name}' was deleted while being read"
                ) from exc
            raise
        return _StreamInfo(
            description=desc, described_at=self._clock(), described_mono=self._monotonic()
        )

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
        settings = self._call(
            "settings",
            "DescribeAccountSettings",
            lambda: self._limits.get(
                "settings", lambda: kinesis.account_settings(clients.kinesis, self._gate)
            ),
        )
        if settings is not None:
            self._settings_value = settings
            if settings.note:
                note = (
                    f"EFO consumer limit taken as {MAX_EFO_CONSUMERS} per stream (On-demand "
                    f"Advantage not known): {settings.note}"
                )
                if self._sources.get(SETTINGS_NOTE, _Source()).error != note:
                    log.warning("%s", note)
                self._sources[SETTINGS_NOTE] = _Source(error=note)
            else:
                self._sources.pop(SETTINGS_NOTE, None)

    def _fetch_metrics(self, clients: AwsClients, names: list[str]) -> None:
        """The overview metrics of the streams whose turn it is (see MetricCadence)."""
        now_dt = self._clock()
        now = int(now_dt.timestamp())
        due = self.cadence.due(
            names,
            now,
            on_screen=self.detail.focus[0] if self.detail.focus else None,
            health=self._last_health,
            all_metrics_per_hour=self.accounting.rates(self.options.refresh)[1],
            refresh=self.options.refresh,
        )
        if not due:
            self._ok("metrics")  # nothing new to ask yet: what is held is current
            return
        done = self._call(
            "metrics",
            "GetMetricData",
            lambda: self.metrics.fetch(clients.cloudwatch, stream_queries(due), now, self._gate),
        )
        if done is not None:
            self.cadence.fetched(due, now_dt)

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
                wanted[listed.name] = (info.description.open_shards, info.description.status)
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

    def _poll_consumers(self, clients: AwsClients, complete: bool = False) -> None:
        # EFO listings: a complete poll lists every stream due; the first poll none it would
        # wait for (the fleet shows first); the others for LIST_TIME_BUDGET each.
        until: float | None = None
        if not complete:
            first = self._consumer_collector is None
            until = self._monotonic() + (0.0 if first else LIST_TIME_BUDGET)
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
                on_success=self.budget.succeeded,
                on_error=self._note_error,
                sleep=self._sleep,
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
                    consumer_count=desc.consumer_count if desc else None,
                    describing=info is None,
                    described_at=info.described_mono if info else 0.0,
                )
            )
        metrics = self._sources.get("metrics")
        metrics_read = metrics is not None and metrics.error is None
        self._consumers_polled = True
        result = self._consumer_collector.poll(
            refs,
            int(self._clock().timestamp()),
            shared_series=lambda n: self.metrics.stream_series(n, "iterator_age_ms"),
            traffic=lambda n: self.metrics.stream_series(n, "incoming_records"),
            poll_started=self._poll_started,
            shared_fresh=lambda _n: metrics_read,
            list_until=until,
            focus=self.detail.focus[0] if self.detail.focus else None,
        )
        self._consumers = dict(result.by_stream)
        self._unlisted = result.unlisted
        self._owed = result.owed
        self._unmatched_tables = result.unmatched_tables
        for source in [k for k in self._sources if SourceKey.of(k).kind == "lag"]:
            del self._sources[source]
        for source, message in result.errors.items():
            self._sources[source] = _Source(error=message)

    def _fetch_detail(self, clients: AwsClients) -> None:
        """The stream on screen: its shards from ListShards every poll (a reshard shows at
        once, whatever CloudWatch does), then its metrics, which fill in when they come."""
        focus = self.detail.focus
        if focus is None:
            return
        name = focus[0]
        listed = next((s for s in self._listed if s.name == name), None)
        if listed is None:
            self._detail_value = None
            return
        if name not in self._info and not self._describe_one(clients, listed):
            return
        info = self._info.get(name)
        if info is None:
            return
        problems: list[tuple[BaseException, str]] = []
        shards, exc = self._try(
            "ListShards", lambda: self.detail.list_shards(clients, name, self._gate)
        )
        if exc is not None:
            problems.append((exc, "ListShards"))
            shards = self.detail.last_shards(name)
        open_now = sum(1 for s in shards or () if kinesis.is_open(s))
        if shards and open_now != info.description.open_shards:
            # Resharded since it was described: the overview's shard count and capacity are
            # put right in this poll (once: it may just have been described).
            if info.described_mono < self._poll_started:
                self._describe_one(clients, listed)
                info = self._info[name]
        now = int(self._clock().timestamp())
        _, exc = self._try(
            "GetMetricData",
            lambda: self.detail.fetch_metrics(
                clients, info.description, shards or [], now, self._gate
            ),
        )
        if exc is not None:
            problems.append((exc, "GetMetricData"))
        self._detail_value = self.detail.build(info.description, shards or [], now)
        if problems:
            self._fail("detail", *problems[0])
        else:
            self._ok("detail")

    # -- bookkeeping ----------------------------------------------------------------------

    def _ok(self, source: str) -> None:
        if SourceKey.of(source).subject is not None:  # per-subject: kept only while failing
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
        settings = self._settings_value
        quotas = account_quotas(
            self._limits_value,
            settings.on_demand_advantage if settings else None,
            self.options.thresholds,
        )
        for listed in self._listed:
            info = self._info.get(listed.name)
            desc = info.description if info else None
            peak = self.peaks.peak(listed.name)
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
                write_peak_bytes_per_sec=peak.bytes_per_sec if peak else None,
                write_peak_at=peak.at if peak else None,
                warm_current_mibps=desc.warm_current_mibps if desc else None,
                warm_target_mibps=desc.warm_target_mibps if desc else None,
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
                    prices=self.options.prices.for_region(self.region),
                    fetched_end=self.cadence.fetched_end(listed.name),
                    fetched_at=self.cadence.fetched_at(listed.name),
                    quotas=quotas,
                )
            )
        streams = self.memory.apply(streams, now_dt)
        self._last_health = {s.name: s.health for s in streams if not s.stale}
        # Where they live, as only this collector knows (the fleet adds the context's label).
        streams = [replace(s, account=self._account, region=self.region) for s in streams]
        calls_per_min, metrics_per_hour = self.accounting.rates(self.options.refresh)
        api = ApiUsage(
            calls=self.accounting.calls,
            metrics_requested=self.accounting.metrics,
            calls_per_min=calls_per_min,
            metrics_per_hour=metrics_per_hour,
            calls_by_api=dict(self.accounting.by_api),
            # A one-shot poll asks everything once: no budget governs it.
            governor=None if self._complete else self.cadence.plan,
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
            # Streams still to describe, and described ones whose consumers are still to list.
            pending=self._pending + self._owed,
            detail=self._current_detail(),
            unmatched_lease_tables=self._unmatched_tables,
            events=tuple(reversed(self.memory.events)),
            quotas=quotas if self._limits_value or settings else None,
        )

    def _shard_rows(self, name: str) -> tuple[ShardRow, ...] | None:
        detail = self._current_detail()
        if detail is not None and detail.name == name and detail.shards:
            return detail.shards
        return self.shards.rows(name)

    def _efo_count(self, name: str, desc: kinesis.StreamDescription | None) -> int | None:
        """Registered EFO consumers: from the consumer listing (ListStreamConsumers) when it
        worked, else the count DescribeStreamSummary reports (None: not known yet)."""
        if (
            name in self._consumers
            and name not in self._unlisted
            and f"lag:efo:{name}" not in self._sources
        ):
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


def _source_order(item: tuple[str, _Source]) -> tuple[int, str]:
    name = item[0]
    # Notes (a consumer kind kmon may not read, an assumption) are listed after the rest.
    return _SOURCE_PRIORITY.get(name, 20 if SourceKey.of(name).note else 9), name


__all__ = ["Collector", "CollectorOptions", "Health"]
