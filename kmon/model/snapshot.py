"""The immutable FleetSnapshot: everything one poll learned, and its JSON form.

The dashboard renders it and ``kmon snapshot`` prints ``to_json()``: both come from the same
object, so the JSON is the contract scripts and tests rely on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from kmon.model.cadence import AGE_SHOWN_AFTER_SEC, Plan
from kmon.model.cost import StreamCost
from kmon.model.detail import StreamDetail
from kmon.model.events import Event
from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.identity import find, stream_key
from kmon.model.lag import ConsumerLag
from kmon.model.limits import CLOUDWATCH_USD_PER_1000_METRICS, MAX_EFO_CONSUMERS
from kmon.model.quotas import AccountQuotas
from kmon.model.replication import Replication
from kmon.model.timefmt import iso, iso_epoch

# Kinds of source whose "error" is a note: consumer kinds kmon cannot read (lag), account
# settings it could not read and made an assumption for (note).
NOTE_KINDS = ("lag", "note")


@dataclass(frozen=True)
class SourceKey:
    """What a source is: its kind (streams, metrics, describe, stream, lag, note, ...), what
    it is about (a stream, a table, a consumer kind) and the context it belongs to. The
    collector names a source ``kind:subject``; this is the one place that name is read."""

    kind: str
    subject: str | None = None
    context: str | None = None

    @classmethod
    def of(cls, name: str, context: str | None = None) -> SourceKey:
        kind, _, subject = name.partition(":")
        return cls(kind, subject or None, context)

    @property
    def note(self) -> bool:
        return self.kind in NOTE_KINDS


def placed(context: str | None, source: str) -> str:
    """A source's name as screens and stderr show it: after its context's label when there
    are several contexts."""
    return f"{context} · {source}" if context else source


@dataclass(frozen=True)
class SourceStatus:
    """Freshness of one data source: its last good fetch and its last error, if any."""

    name: str  # kind:subject, as the JSON has it
    updated_at: datetime | None
    error: str | None = None
    context: str | None = None  # the context's label, with several contexts

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def key(self) -> SourceKey:
        return SourceKey.of(self.name, self.context)

    @property
    def where(self) -> str:
        return placed(self.context, self.name)


@dataclass(frozen=True)
class StreamState:
    name: str
    arn: str | None
    status: str
    mode: str | None  # PROVISIONED | ON_DEMAND, None until described
    open_shards: int | None
    retention_hours: int | None
    efo_consumers: int | None
    incoming_bytes_per_sec: float | None = None
    incoming_records_per_sec: float | None = None
    outgoing_bytes_per_sec: float | None = None
    write_bytes_utilization_pct: float | None = None
    write_records_utilization_pct: float | None = None
    read_bytes_utilization_pct: float | None = None
    iterator_age_ms: float | None = None
    write_throttled_per_min: float | None = None
    read_throttled_per_min: float | None = None
    health: Health = Health.UNKNOWN
    health_reasons: tuple[str, ...] = ()
    # Start of the minute the rates come from (epoch seconds), None without datapoints.
    metrics_minute: int | None = None
    # When this stream's metrics were last asked for: under a CloudWatch budget a healthy
    # stream is fetched every few minutes, and its numbers are that old.
    metrics_fetched_at: datetime | None = None
    # Every reader found, judged over a window; worst first.
    consumers: tuple[ConsumerLag, ...] = ()
    # When the description (shards, mode, retention) was last read; None until it is.
    described_at: datetime | None = None
    # When the current health began (epoch seconds), from history; None when OK or unknown.
    since: int | None = None
    # What is wrong, why, since when and what to do; worst first. Empty when OK.
    findings: tuple[Finding, ...] = ()
    # The last known judgement, kept while a source fails: ``as_of`` is when it was made.
    stale: bool = False
    as_of: datetime | None = None
    # What the stream costs a day (an estimate from list prices); None until it is described.
    cost: StreamCost | None = None
    # Write capacity in bytes/s (provisioned: open shards x 1 MiB/s; on-demand: twice the
    # 30-day peak, at least 4 MiB/s, an estimate), None when not known.
    write_capacity_bytes_per_sec: float | None = None
    capacity_estimated: bool = False
    # On-demand: the 30-day peak write rate (5-minute average) the estimate comes from.
    peak_write_bytes_per_sec: float | None = None
    peak_at: int | None = None
    # On-demand warm throughput in MiB/s, only where AWS reports it.
    warm_current_mibps: int | None = None
    warm_target_mibps: int | None = None
    # Registered EFO consumers allowed (20, or 50 with On-demand Advantage).
    efo_consumer_limit: int = MAX_EFO_CONSUMERS
    # Where it lives: the context's label, its account and region (None until known).
    context: str | None = None
    account: str | None = None
    region: str | None = None
    # With several contexts a name alone is ambiguous: the key is then ``label/name``.
    qualified: bool = False
    # The stream this one is copied to (or from), with the copier's lag.
    replication: Replication | None = None

    @property
    def key(self) -> str:
        """What tells it apart in the fleet (rows, lookups, the palette): its name with one
        context, ``label/name`` with several (see identity.py)."""
        return stream_key(self.context, self.name) if self.qualified else self.name

    def data_age(self, now: float) -> float | None:
        """Seconds since this stream's metrics were read, once worth saying (a budget
        stretches healthy streams to every few minutes); None while they are current."""
        if self.metrics_fetched_at is None:
            return None
        age = now - self.metrics_fetched_at.timestamp()
        return age if age > AGE_SHOWN_AFTER_SEC else None

    @property
    def worst_consumer(self) -> ConsumerLag | None:
        """The consumer in the worst state, ties broken by the larger lag."""
        if not self.consumers:
            return None
        return max(self.consumers, key=lambda c: (c.status.rank, c.lag_ms or 0.0))

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "arn": self.arn,
            "status": self.status,
            "mode": self.mode,
            "open_shards": self.open_shards,
            "retention_hours": self.retention_hours,
            "efo_consumers": self.efo_consumers,
            "incoming_bytes_per_sec": self.incoming_bytes_per_sec,
            "incoming_records_per_sec": self.incoming_records_per_sec,
            "outgoing_bytes_per_sec": self.outgoing_bytes_per_sec,
            "write_bytes_utilization_pct": self.write_bytes_utilization_pct,
            "write_records_utilization_pct": self.write_records_utilization_pct,
            "read_bytes_utilization_pct": self.read_bytes_utilization_pct,
            "iterator_age_ms": self.iterator_age_ms,
            "write_throttled_per_min": self.write_throttled_per_min,
            "read_throttled_per_min": self.read_throttled_per_min,
            "health": self.health.value,
            "health_reasons": list(self.health_reasons),
            "since": iso_epoch(self.since),
            "stale": self.stale,
            "as_of": iso(self.as_of),
            "findings": [f.to_dict() for f in self.findings],
            "metrics_minute": iso_epoch(self.metrics_minute),
            "metrics_fetched_at": iso(self.metrics_fetched_at),
            "described_at": iso(self.described_at),
            "consumers": [c.to_dict() for c in self.consumers],
            "cost_usd_per_day": round(self.cost.usd_per_day, 4) if self.cost else None,
            "cost": self.cost.to_dict() if self.cost else None,
            "write_capacity_bytes_per_sec": self.write_capacity_bytes_per_sec,
            "capacity_estimated": self.capacity_estimated,
            "peak_write_bytes_per_sec": self.peak_write_bytes_per_sec,
            "peak_at": iso_epoch(self.peak_at),
            "warm_throughput": None
            if self.warm_current_mibps is None and self.warm_target_mibps is None
            else {"current_mibps": self.warm_current_mibps, "target_mibps": self.warm_target_mibps},
            "efo_consumer_limit": self.efo_consumer_limit,
            "key": self.key,
            "context": self.context,
            "account": self.account,
            "region": self.region,
            "replication": self.replication.to_dict() if self.replication else None,
        }


@dataclass(frozen=True)
class ApiUsage:
    calls: int
    metrics_requested: int
    calls_per_min: float
    metrics_per_hour: float
    calls_by_api: dict[str, int] = field(default_factory=dict)
    # What the CloudWatch budget's governor does; None when nothing governs (one-shot use).
    governor: Plan | None = None

    @property
    def cloudwatch_usd_per_day(self) -> float:
        return self.metrics_per_hour * 24 / 1000 * CLOUDWATCH_USD_PER_1000_METRICS

    @property
    def cloudwatch_usd_so_far(self) -> float:
        """What every metric requested since kmon started has cost."""
        return self.metrics_requested / 1000 * CLOUDWATCH_USD_PER_1000_METRICS

    def to_dict(self) -> dict:
        return {
            "calls": self.calls,
            "metrics_requested": self.metrics_requested,
            "calls_per_min": round(self.calls_per_min, 2),
            "metrics_per_hour": round(self.metrics_per_hour, 1),
            "cloudwatch_usd_per_day": round(self.cloudwatch_usd_per_day, 4),
            "cloudwatch_usd_so_far": round(self.cloudwatch_usd_so_far, 4),
            "calls_by_api": dict(sorted(self.calls_by_api.items())),
            "governor": self.governor.to_dict() if self.governor else None,
        }


def worst_first(streams: Iterable[StreamState]) -> list[StreamState]:
    """Worst health first; among equals, the longest in trouble first, then by name. The
    wall, the palette and anything that lists "what matters first" share this order."""
    return sorted(streams, key=lambda s: (-s.health.rank, s.since or float("inf"), s.name))


@dataclass(frozen=True)
class ErrorInfo:
    source: str
    message: str
    context: str | None = None

    @property
    def where(self) -> str:
        return placed(self.context, self.source)

    @property
    def key(self) -> SourceKey:
        return SourceKey.of(self.source, self.context)

    @property
    def note(self) -> bool:
        """A consumer kind kmon cannot read, or an assumption kmon had to make, is a note,
        not an outage."""
        return self.key.note


@dataclass(frozen=True)
class FleetSnapshot:
    generated_at: datetime
    region: str
    account: str | None
    endpoint: str | None
    profile: str | None
    refresh_sec: float
    streams: tuple[StreamState, ...]
    sources: tuple[SourceStatus, ...]
    api: ApiUsage
    # Work the collector deferred to later polls: streams not described yet, or whose
    # consumers are not listed yet.
    pending: int = 0
    # The stream on the detail screen, when one is shown.
    detail: StreamDetail | None = None
    # KCL lease tables that read none of the streams shown (deleted or not watched).
    unmatched_lease_tables: tuple[str, ...] = ()
    # Changes of health and consumer status, newest first (bounded).
    events: tuple[Event, ...] = ()
    # The account's quotas against what it uses (DescribeLimits, DescribeAccountSettings).
    quotas: AccountQuotas | None = None
    # Each context watched and how it fares (one context: one entry).
    contexts: tuple[ContextStatus, ...] = ()

    def stream(self, ref: str) -> StreamState | None:
        """The stream with this key, else the one stream ``ref`` names (``orders``,
        ``eu-west-1/orders``, ``prod:orders``); None when none or several do."""
        exact = next((s for s in self.streams if s.key == ref), None)
        if exact is not None:
            return exact
        named = find(self.streams, ref)
        return named[0] if len(named) == 1 else None

    @property
    def streams_usd_per_day(self) -> float | None:
        """The estimated cost a day of every stream whose cost is known; None when none is."""
        costs = [s.cost.usd_per_day for s in self.streams if s.cost is not None]
        return sum(costs) if costs else None

    @property
    def errors(self) -> tuple[ErrorInfo, ...]:
        return tuple(ErrorInfo(s.name, s.error, s.context) for s in self.sources if s.error)

    @property
    def data_at(self) -> datetime | None:
        """How old the numbers on screen are: the older of the last good stream list and the
        last good metrics (an outage of CloudWatch alone leaves the list fresh and every
        number old). None until the stream list has been read. With several contexts, the
        oldest among those that answer: one that fails says so on its own."""
        return freshness(self.sources)[0]

    @property
    def failing(self) -> bool:
        """A source behind the numbers failed (in every context, with several): they come
        from an earlier poll than this one."""
        return freshness(self.sources)[1]

    def to_dict(self) -> dict:
        return {
            "generated_at": iso(self.generated_at),
            "region": self.region,
            "account": self.account,
            "endpoint": self.endpoint,
            "streams": [s.to_dict() for s in self.streams],
            "errors": [
                {"source": e.source, "message": e.message, "context": e.context}
                for e in self.errors
            ],
            "api": self.api.to_dict(),
            "streams_usd_per_day": None
            if self.streams_usd_per_day is None
            else round(self.streams_usd_per_day, 4),
            "unmatched_lease_tables": list(self.unmatched_lease_tables),
            "events": [e.to_dict() for e in self.events],
            "quotas": self.quotas.to_dict() if self.quotas else None,
            "sources": [
                {
                    "name": s.name,
                    "updated_at": iso(s.updated_at),
                    "error": s.error,
                    "context": s.context,
                }
                for s in self.sources
            ],
            "contexts": [c.to_dict() for c in self.contexts],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


# What the numbers stand on: the stream list and the metrics.
BEHIND_NUMBERS = ("streams", "metrics")


def context_freshness(sources: Iterable[SourceStatus]) -> tuple[datetime | None, bool]:
    """One context's data time (see FleetSnapshot.data_at) and whether a source behind its
    numbers failed."""
    times: dict[str, datetime | None] = {}
    failing = False
    for src in sources:
        kind = src.key.kind if src.key.subject is None else None
        times.setdefault(kind, src.updated_at)
        failing |= kind in BEHIND_NUMBERS and src.error is not None
    listed = times.get("streams")
    if listed is None:
        return None, failing
    metrics = times.get("metrics")
    return (listed if metrics is None else min(listed, metrics)), failing


def freshness(sources: Iterable[SourceStatus]) -> tuple[datetime | None, bool]:
    """The fleet's data time and failing flag: with several contexts, the oldest data of
    those that answer (all of them when none does), failing only when all fail."""
    by_context: dict[str | None, list[SourceStatus]] = {}
    for src in sources:
        by_context.setdefault(src.context, []).append(src)
    if len(by_context) <= 1:
        return context_freshness(next(iter(by_context.values()), []))
    each = [context_freshness(group) for group in by_context.values()]
    answering = [t for t, failing in each if not failing and t is not None]
    known = answering or [t for t, _ in each if t is not None]
    return (min(known) if known else None), all(failing for _, failing in each)


@dataclass(frozen=True)
class ContextStatus:
    """One context in a fleet of several: where it is, whether it answers, what it holds and
    what it costs."""

    label: str
    region: str | None
    account: str | None
    profile: str | None
    role_arn: str | None
    data_at: datetime | None
    error: str | None  # the first error of its sources (None: it answers)
    streams: int
    by_health: dict[str, int]
    api: ApiUsage
    streams_usd_per_day: float | None
    quotas: AccountQuotas | None = None
    # Its newest poll outlasted the fleet's wait: what is shown is from its poll before.
    slow: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.slow

    @property
    def status(self) -> str:
        """ok, error (it failed; its last numbers stand), or slow (no answer yet)."""
        return "error" if self.error else ("slow" if self.slow else "ok")

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "region": self.region,
            "account": self.account,
            "profile": self.profile,
            "role_arn": self.role_arn,
            "status": self.status,
            "error": self.error,
            "data_at": iso(self.data_at),
            "streams": self.streams,
            "by_health": dict(self.by_health),
            "api": self.api.to_dict(),
            "streams_usd_per_day": None
            if self.streams_usd_per_day is None
            else round(self.streams_usd_per_day, 4),
            "quotas": self.quotas.to_dict() if self.quotas else None,
        }
