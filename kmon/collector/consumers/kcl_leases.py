"""KCL applications read from their lease tables: each table scanned at most once per refresh,
its leases' checkpoints, counters and owners judged with the lag the application publishes in
its own CloudWatch namespace (or measured by the lag probe)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from kmon.collector.consumers.base import Context, Judging, Poll, Rows
from kmon.collector.consumers.kcl_discovery import KclDiscovery
from kmon.collector.consumers.lag_probe import LagProbe
from kmon.collector.leases import LeaseWatch
from kmon.collector.metrics import MetricQuery
from kmon.collector.pages import pages
from kmon.model.kcl import Lease, judge_kcl
from kmon.model.lag import ConsumerLag
from kmon.model.trend import Point

# -- lease rows ---------------------------------------------------------------------------------


def _text(av: object) -> str | None:
    """A DynamoDB attribute value as text, whatever its type; None when absent or odd."""
    if not isinstance(av, Mapping):
        return None
    for kind in ("S", "N"):
        value = av.get(kind)
        if isinstance(value, str):
            return value
    return None


def _int(av: object) -> int | None:
    text = _text(av)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _strings(av: object) -> tuple[str, ...]:
    if not isinstance(av, Mapping):
        return ()
    ss = av.get("SS")
    if isinstance(ss, list):
        return tuple(sorted(str(s) for s in ss))
    text = _text(av)
    return (text,) if text else ()


def split_lease_key(key: str) -> tuple[str | None, str]:
    """(stream, shard id): multi-stream keys are ``account:stream:epoch:shardId``."""
    parts = key.split(":")
    if len(parts) == 4 and all(parts):
        return parts[1], parts[3]
    return None, key


def parse_lease(item: Mapping) -> Lease | None:
    """A lease from a scanned row, or None for rows that are not leases (KCL 3 keeps others)."""
    entity = _text(item.get("entityType"))
    if entity is not None and entity.upper() != "LEASE":
        return None
    key = _text(item.get("leaseKey"))
    if not key:
        return None
    stream, shard = split_lease_key(key)
    return Lease(
        key=key,
        shard_id=shard,
        owner=_text(item.get("leaseOwner")) or None,
        checkpoint=_text(item.get("checkpoint")),
        lease_counter=_int(item.get("leaseCounter")),
        owner_switches=_int(item.get("ownerSwitchesSinceCheckpoint")),
        parents=_strings(item.get("parentShardId")),
        stream=stream,
    )


# -- the kind -----------------------------------------------------------------------------------


@dataclass
class KclApp:
    table: str
    stream: str
    leases: list[Lease]
    note: str | None = None
    multi: bool = False  # a multi-stream application: its app-wide lag mixes streams
    scanned_at: float = 0.0  # monotonic time its leases were read


class KclLeases:
    """The ``kcl`` kind: one application per (lease table, stream)."""

    def __init__(
        self,
        ctx: Context,
        discovery: KclDiscovery,
        probe: LagProbe | None = None,
        scan_every_sec: float = 0.0,
    ) -> None:
        self.ctx = ctx
        self.discovery = discovery
        self.probe = probe
        # Lease tables are read at most once per refresh, however often the screen asks for a
        # poll: table -> (start of the poll that read it, when read, leases).
        self.scan_every_sec = scan_every_sec
        self._scans: dict[str, tuple[float, float, list[Lease]]] = {}
        self._watch = LeaseWatch()
        # This poll: the applications read, the lease tables that read no stream polled, and
        # the tables that could not be read (None: none of them could).
        self.apps: list[KclApp] = []
        self.unmatched: set[str] = set()
        self._unread: set[str] | None = set()

    def read(self, poll: Poll) -> None:
        self.apps, self.unmatched, self._unread = self._apps(poll)
        if self.probe is not None:
            self.probe.measure(self.apps, poll.now, poll.errs)
        self._watch.prune(self.ctx.mono())

    def _apps(self, poll: Poll) -> tuple[list[KclApp], set[str], set[str] | None]:
        ctx, errs, streams = self.ctx, poll.errs, poll.streams
        note = ctx.denied_note("kcl")
        if note:
            errs["lag:kcl"] = note
            return [], set(), None
        if ctx.dynamodb is None:
            return [], set(), set()
        tables = self.discovery.tables(errs)
        if tables is None:
            return [], set(), None
        names = {s.name for s in streams}
        apps: list[KclApp] = []
        unmatched: set[str] = set()
        unread: set[str] = set()
        for table in tables:
            scanned = ctx.guard(
                "kcl",
                f"lag:kcl:{table}",
                "Scan",
                errs,
                lambda t=table: self._leases(t, poll.started),
            )
            if ctx.is_denied("kcl"):
                return [], set(), None  # permission gone for every table
            if scanned is None:
                unread.add(table)
                continue
            scanned_at, leases = scanned
            # Confirming a stream needs Kinesis reads: a denial there concerns this table only.
            found = ctx.guard(
                None,
                f"lag:kcl:{table}",
                "GetShardIterator",
                errs,
                lambda t=table, le=leases: self.discovery.streams_of(t, le, streams),
            )
            if found is None:
                unread.add(table)
                continue
            targets, note = found
            targets = tuple(t for t in targets if t in names)
            if not targets:
                unmatched.add(table)
                if note:
                    errs[f"lag:kcl:{table}"] = note
            for stream in targets:
                mine = [le for le in leases if le.stream in (None, stream)]
                multi = any(le.stream for le in leases)
                apps.append(KclApp(table, stream, mine, note, multi, scanned_at))
        return apps, unmatched, unread

    def _leases(self, table: str, poll_started: float) -> tuple[float, list[Lease]]:
        cached = self._scans.get(table)
        if cached is not None and poll_started - cached[0] < self.scan_every_sec:
            return cached[1], cached[2]
        scanned_at, leases = self.ctx.mono(), self._scan(table)
        self._scans[table] = (poll_started, scanned_at, leases)
        return scanned_at, leases

    def _scan(self, table: str) -> list[Lease]:
        leases: list[Lease] = []
        for page in pages(self.ctx.dynamodb, "scan", self.ctx.gate, TableName=table):
            for item in page.get("Items", ()):
                lease = parse_lease(item) if isinstance(item, Mapping) else None
                if lease is not None:
                    leases.append(lease)
        return leases

    def queries(self) -> Iterator[MetricQuery]:
        for app in self.apps:
            ns = app.table  # the KCL names its metrics namespace after the application
            if not app.multi:  # a multi-stream application's own lag mixes its streams
                yield MetricQuery(
                    ("kcl", ns, "app"),
                    ns,
                    "MillisBehindLatest",
                    (("Operation", "ApplicationTracker"),),
                    "Maximum",
                )
            if self.probe is not None:
                continue  # measured directly instead
            for lease in app.leases:
                if not lease.finished:
                    dims = (("Operation", "ProcessTask"), ("ShardId", lease.shard_id))
                    if lease.stream_id:  # a multi-stream application names the stream too
                        dims += (("StreamId", lease.stream_id),)
                    yield MetricQuery(
                        _shard_key(app, lease), ns, "MillisBehindLatest", dims, "Maximum"
                    )

    def rows(self, stream: Judging, rows: Rows) -> list[ConsumerLag]:
        name, unread = stream.ref.name, self._unread
        out = [
            rows.judge((name, "kcl", app.table), partial(self._judge, stream, app))
            for app in self.apps
            if app.stream == name
        ]
        out += rows.keep(name, "kcl", lambda row: unread is None or row.table in unread)
        return out

    def _judge(self, stream: Judging, app: KclApp) -> ConsumerLag:
        return judge_kcl(
            app.table,
            app.table,
            app.leases,
            now=stream.now,
            retention_hours=stream.ref.retention_hours,
            still=self._still(app),
            shard_points=self._shard_points(app),
            app_points=() if app.multi else self.ctx.points(("kcl", app.table, "app")),
            has_traffic=stream.has_traffic,
            thresholds=stream.thresholds,
            window_sec=stream.window_sec,
            note=app.note,
            silent_means_stop=stream.silent_means_stop,
        )

    def _shard_points(self, app: KclApp) -> dict[str, list[Point]]:
        """Each unfinished shard's lag: measured by the probe, or as the application publishes
        it."""
        out: dict[str, list[Point]] = {}
        for lease in app.leases:
            if lease.finished:
                continue
            if self.probe is not None:
                out[lease.shard_id] = self.probe.points(app, lease)
            else:
                out[lease.shard_id] = self.ctx.points(_shard_key(app, lease))
        return out

    def _still(self, app: KclApp) -> dict[str, tuple[float, float]]:
        """How long each lease's counter and checkpoint had not moved when last read."""
        return {le.key: self._watch.observe(app.table, le, app.scanned_at) for le in app.leases}


def _shard_key(app: KclApp, lease: Lease) -> Hashable:
    # Every stream has a shardId-000000000000: a multi-stream table has one per stream.
    return ("kcl", app.table, app.stream, "shard", lease.shard_id)
