"""The consumer collector: one ``poll()`` reads every kind of consumer, fetches all their lag
metrics together, and judges each stream's consumers, the shared-throughput readers included."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from kmon.collector import errors
from kmon.collector.consumers.base import (
    ConsumerKind,
    Context,
    Gate,
    Judging,
    Poll,
    Rows,
    StreamRef,
    problem,
)
from kmon.collector.consumers.efo import EfoConsumers
from kmon.collector.consumers.kcl_discovery import KclDiscovery
from kmon.collector.consumers.kcl_leases import KclLeases
from kmon.collector.consumers.lag_probe import LagProbe
from kmon.collector.consumers.lambda_mappings import LambdaMappings
from kmon.collector.metrics import MetricQuery
from kmon.model.lag import ConsumerLag, from_verdict, sort_consumers
from kmon.model.rules import Thresholds
from kmon.model.series import Series
from kmon.model.trend import WINDOW_SEC, in_window

log = logging.getLogger(__name__)

SHARED_NAME = "shared-throughput readers"


@dataclass(frozen=True)
class ConsumersResult:
    by_stream: dict[str, tuple[ConsumerLag, ...]]
    # source -> one readable line; sources are "lag:efo:<stream>", "lag:kcl", "lag:kcl:<table>",
    # "lag:kcl-discovery", "lag:lambda", "lag:lambda:<stream>", "lag:probe", "lag:metrics",
    # "lag:poll".
    errors: dict[str, str] = field(default_factory=dict)
    # Lease tables found that belong to none of the streams polled.
    unmatched_tables: tuple[str, ...] = ()
    # Streams whose EFO consumers are not known yet (never listed): their count is unknown.
    unlisted: frozenset[str] = frozenset()
    # Of those, the streams whose first listing comes in the next polls.
    owed: int = 0


class ConsumerCollector:
    def __init__(
        self,
        kinesis_client,
        cloudwatch,
        dynamodb,
        lambda_client,
        *,
        gate: Gate,
        monotonic: Callable[[], float] = time.monotonic,
        kcl_tables: Mapping[str, str] | None = None,
        probe_lag: bool = False,
        thresholds: Thresholds = Thresholds(),
        window_sec: int = WINDOW_SEC,
        scan_every_sec: float = 0.0,
        on_throttle: Callable[[str], object] | None = None,
        on_success: Callable[[str], object] | None = None,
        on_error: Callable[[str, BaseException], object] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """With ``sleep``, ListStreamConsumers calls are paced at LIST_CONSUMERS_PER_SEC (on
        ``monotonic``); without it the owner paces them."""
        self.ctx = Context(
            kinesis_client,
            cloudwatch,
            dynamodb,
            lambda_client,
            gate=gate,
            monotonic=monotonic,
            on_throttle=on_throttle,
            on_success=on_success,
            on_error=on_error,
        )
        self.thresholds = thresholds
        self.window_sec = window_sec
        self._efo = EfoConsumers(self.ctx, sleep)
        self._kcl = KclLeases(
            self.ctx,
            KclDiscovery(self.ctx, kcl_tables),
            LagProbe(self.ctx) if probe_lag else None,
            scan_every_sec,
        )
        # Read and asked for in this order (it orders the metric queries); rows are sorted.
        self.kinds: tuple[ConsumerKind, ...] = (self._efo, LambdaMappings(self.ctx), self._kcl)
        # (stream, kind, name) -> (the last judgement made from fresh reads, when: epoch s).
        self._judged: dict[tuple[str, str, str], tuple[ConsumerLag, int]] = {}

    # -- public -----------------------------------------------------------------------------

    def poll(
        self,
        streams: Sequence[StreamRef],
        now: int,
        shared_series: Callable[[str], Series],
        traffic: Callable[[str], Series],
        poll_started: float | None = None,
        shared_fresh: Callable[[str], bool] | None = None,
        list_until: float | None = None,
        focus: str | None = None,
    ) -> ConsumersResult:
        """Every consumer of every stream, judged over the window ending at ``now`` (epoch s).

        ``shared_series(stream)`` is the stream's GetRecords.IteratorAgeMilliseconds (Maximum)
        and ``traffic(stream)`` its IncomingRecords (Sum), both per minute; ``shared_fresh``
        says whether that series was read this poll (if not, the shared readers keep their
        last judgement). ``poll_started`` (monotonic) is when the caller's poll began:
        scheduled polls begin a refresh apart, however long each takes to reach the tables.
        ``list_until`` (monotonic) ends this poll's EFO listings, the rest waiting for later
        polls (None: every listing due is sent now); the stream ``focus`` is listed first.
        """
        started = self.ctx.mono() if poll_started is None else poll_started
        errs: dict[str, str] = {}
        fresh = shared_fresh or (lambda _name: True)
        try:
            self._efo.list_due(streams, focus, list_until, errs)
            return self._poll(Poll(streams, now, started, errs), shared_series, traffic, fresh)
        except Exception as exc:  # the dashboard must never die from what it shows
            log.exception("consumer poll failed")
            errs["lag:poll"] = errors.describe(exc)
            return ConsumersResult(self.last_known([s.name for s in streams]), errs)

    def last_known(self, streams: Sequence[str]) -> dict[str, tuple[ConsumerLag, ...]]:
        """Every stream's consumers as last judged, marked stale: for a poll that could not
        read them at all."""
        out: dict[str, list[ConsumerLag]] = {name: [] for name in streams}
        for (stream, _kind, _name), (row, at) in self._judged.items():
            if stream in out:
                out[stream].append(row.kept(at))
        return {name: sort_consumers(rows) for name, rows in out.items()}

    def use_clients(self, kinesis_client, cloudwatch, dynamodb, lambda_client) -> None:
        """New clients (renewed credentials); everything remembered stays."""
        self.ctx.use_clients(kinesis_client, cloudwatch, dynamodb, lambda_client)

    def retry_now(self) -> None:
        """Forget permission lock-outs: the next poll asks again for every kind."""
        self.ctx.retry_now()

    # -- one poll ---------------------------------------------------------------------------

    def _poll(self, poll: Poll, shared_series, traffic, shared_fresh) -> ConsumersResult:
        for kind in self.kinds:
            kind.read(poll)
        queries: dict[Hashable, MetricQuery] = {}
        for kind in self.kinds:
            queries.update((q.key, q) for q in kind.queries())
        metrics_ok = self._fetch_metrics(list(queries.values()), poll.now, poll.errs)
        self.ctx.metrics.forget(lambda k: k in queries)

        rows = Rows(self._judged, poll.now, metrics_ok)
        by_stream: dict[str, tuple[ConsumerLag, ...]] = {}
        for s in poll.streams:
            has_traffic = _has_traffic(traffic(s.name), poll.now, self.window_sec)
            # Without this poll's metrics, silence proves nothing.
            stream = Judging(s, poll.now, has_traffic, metrics_ok, self.thresholds, self.window_sec)
            out: list[ConsumerLag] = []
            for kind in self.kinds:
                out += kind.rows(stream, rows)
            key = (s.name, "shared", SHARED_NAME)
            if shared_fresh(s.name) or key not in self._judged:
                shared = _shared(stream, shared_series(s.name))
                if shared is not None:
                    out.append(rows.judge(key, lambda r=shared: r, needs_metrics=False))
            else:
                out += rows.keep(s.name, "shared")
            by_stream[s.name] = sort_consumers(out)
        self._judged = rows.judged
        unlisted = self._efo.unlisted(poll.streams)
        return ConsumersResult(
            by_stream,
            poll.errs,
            tuple(sorted(self._kcl.unmatched)),
            unlisted=frozenset(s.name for s in unlisted),
            owed=self._efo.owed(unlisted),
        )

    def _fetch_metrics(self, queries: list[MetricQuery], now: int, errs: dict) -> bool:
        if not queries:
            return True
        try:
            self.ctx.metrics.fetch(self.ctx.cloudwatch, queries, now, self.ctx.gate)
        except Exception as exc:
            self.ctx.note_failure(exc, "GetMetricData")
            errs["lag:metrics"] = problem(exc, "GetMetricData")
            log.debug("consumer lag metrics failed", exc_info=exc)
            return False
        return True


def _has_traffic(series: Series, now: int, window_sec: int) -> bool | None:
    points = in_window(series.points(), now, window_sec)
    if not points:
        return None
    return any(v > 0 for _, v in points)


def _shared(stream: Judging, series: Series) -> ConsumerLag | None:
    """Everyone else who reads with GetRecords, seen only in the stream's iterator age."""
    points = in_window(series.points(), stream.now, stream.window_sec)
    if not points:
        return None  # nobody polls with GetRecords, or no data yet
    v = stream.verdict(points, silent_means_stop=False)
    return from_verdict("shared", SHARED_NAME, v, series.points(since=stream.now - 3600))
