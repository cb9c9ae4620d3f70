"""Every consumer of a stream and how far behind it is: enhanced fan-out consumers, KCL
applications (from their DynamoDB lease tables), Lambda event source mappings, and everyone
else who polls with GetRecords (seen only in the stream's iterator age).

One ``poll()`` per refresh: control-plane lists come from TTL caches, each lease table is
scanned once, and every consumer lag metric of every stream is asked for in one GetMetricData
call per 500 queries (its own MetricStore, so each minute is fetched once). A missing
permission turns off that kind of consumer with a note; nothing raises out of ``poll()``.

Registered EFO consumers are listed one stream at a time, paced across the whole fleet and
spread over polls: a stream is listed once its description says it may have consumers, again
when a newer description counts them differently, and otherwise every ``EFO_COUNTED_TTL``
(``EFO_TTL`` when descriptions do not count them). Until its first listing a stream's EFO
consumers are unknown (``ConsumersResult.unlisted``), never "none".

A consumer whose list, lease table or lag metrics cannot be read this poll (throttled, denied,
timed out) keeps its last judgement, marked stale with when it was made: an outage never makes
a stopped application vanish from the dashboard.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from kmon.collector import errors, kinesis
from kmon.collector.budget import ApiBudget, TokenBucket
from kmon.collector.cache import SingleFlightCache
from kmon.collector.leases import LeaseWatch
from kmon.collector.metrics import MetricQuery, MetricStore, align
from kmon.model.kcl import Lease, judge_kcl
from kmon.model.lag import ConsumerLag, from_verdict, judge_lag, sort_consumers
from kmon.model.limits import API_RATES_PER_SEC
from kmon.model.rules import Thresholds
from kmon.model.series import Series
from kmon.model.trend import WINDOW_SEC, Point, in_window

log = logging.getLogger(__name__)

Gate = Callable[[str], None]

# Lease tables rarely appear, and a table's stream never changes.
TABLES_TTL = 1800.0
# Registered consumers and Lambda mappings change by deploys; a disabled mapping should show
# within a couple of refreshes.
EFO_TTL = 600.0
LAMBDA_TTL = 120.0
# A stream whose description counts its consumers (AWS's DescribeStreamSummary does) is listed
# again as soon as a newer description counts differently, so the count stands in for most
# listings: a full listing at least this often.
EFO_COUNTED_TTL = 1800.0
# A first listing that failed (throttled, timed out) is tried again after this long.
EFO_RETRY_SEC = 60.0
# AWS publishes ListStreamConsumers at 5/s per stream and no account-wide rate; kmon sends
# them one stream after another at its share of that rate for the whole fleet, one saved up at
# most, so at most 3.5 go out in any second, under 5/s however the quota is read.
LIST_CONSUMERS_PER_SEC = API_RATES_PER_SEC["ListStreamConsumers"] * ApiBudget.SHARE
SHARDS_TTL = 600.0
DESCRIBE_PER_POLL = 25
# After AccessDenied, a kind of consumer is left alone this long before trying again: a
# permission granted (or a policy fixed) shows within five minutes, while a permission that is
# simply missing costs one refused call per kind every five minutes. The UI's retry (r) tries
# again at once.
DENIED_RETRY_SEC = 300.0
PROBE_EVERY_SEC = 60.0
PROBE_MAX_PER_POLL = 200  # shards; each costs a GetShardIterator and a GetRecords
LAG_HISTORY_SEC = 3600

SHARED_NAME = "shared-throughput readers"
LAMBDA_OK_RESULTS = frozenset({"OK", "No records processed"})

# What a missing permission turns off, for its note.
DENIED_LABELS = {
    "efo": "EFO consumers not read",
    "kcl": "KCL applications not read",
    "kcl-discovery": "KCL lease tables not discovered, only --kcl-table ones read",
    "lambda": "Lambda consumers not read",
    "probe": "lag probe off",
}

# The permission each call needs, for AccessDenied notes.
PERMISSIONS = {
    "ListTables": "dynamodb:ListTables",
    "DescribeTable": "dynamodb:DescribeTable",
    "Scan": "dynamodb:Scan",
    "ListEventSourceMappings": "lambda:ListEventSourceMappings",
    "ListStreamConsumers": "kinesis:ListStreamConsumers",
    "ListShards": "kinesis:ListShards",
    "GetShardIterator": "kinesis:GetShardIterator",
    "GetRecords": "kinesis:GetRecords",
    "GetMetricData": "cloudwatch:GetMetricData",
}


@dataclass(frozen=True)
class StreamRef:
    name: str
    arn: str | None
    retention_hours: int | None = None
    # Registered EFO consumers as the stream's description counts them (None: not counted).
    consumer_count: int | None = None
    # The description is still to come: it says whether there is anything to list.
    describing: bool = False
    described_at: float = 0.0  # monotonic time of the description


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


def _problem(exc: BaseException, api: str) -> str:
    if errors.is_access_denied(exc):
        return f"no permission: {PERMISSIONS.get(api, api)}"
    return errors.describe(exc, api)


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


def is_lease_table(table: Mapping) -> bool:
    return list(table.get("KeySchema") or ()) == [{"AttributeName": "leaseKey", "KeyType": "HASH"}]


# -- the collector ------------------------------------------------------------------------------


@dataclass
class _Kcl:
    table: str
    stream: str
    leases: list[Lease]
    note: str | None = None
    multi: bool = False  # a multi-stream application: its app-wide lag mixes streams
    scanned_at: float = 0.0  # monotonic time its leases were read


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
        self.kinesis = kinesis_client
        self.cloudwatch = cloudwatch
        self.dynamodb = dynamodb
        self.lambda_client = lambda_client
        self._gate = gate
        # Told when AWS throttles an API, so the gate holds that API back for a while.
        self._on_throttle = on_throttle
        self._on_success = on_success
        # Told of every failed call (api, exception): the owner backs off, renews credentials
        # or stops asking a service that does not answer.
        self._on_error = on_error
        self._mono = monotonic
        self.kcl_tables = dict(kcl_tables or {})
        self.probe_lag = probe_lag
        self.thresholds = thresholds
        self.window_sec = window_sec
        self.metrics = MetricStore(history_sec=LAG_HISTORY_SEC)
        self._sleep = sleep
        self._list_turns = TokenBucket(LIST_CONSUMERS_PER_SEC, 1.0, monotonic)
        self._efo_read: dict[str, float] = {}  # stream ARN -> when its consumers were listed
        self._efo_tried: dict[str, float] = {}  # stream ARN -> when a listing was last sent
        self._lambda = SingleFlightCache(LAMBDA_TTL, jitter=0.3, clock=monotonic)
        self._shards = SingleFlightCache(SHARDS_TTL, jitter=0.3, clock=monotonic)
        self._tables = SingleFlightCache(TABLES_TTL, clock=monotonic)
        self._table_streams = SingleFlightCache(TABLES_TTL, clock=monotonic)
        # Lease tables are read at most once per refresh, however often the screen asks for a
        # poll: table -> (start of the poll that read it, when read, leases).
        self.scan_every_sec = scan_every_sec
        self._scans: dict[str, tuple[float, float, list[Lease]]] = {}
        self._poll_started = 0.0
        self._is_lease: dict[str, bool] = {}
        self._lists: dict[Hashable, list] = {}  # last good consumer and mapping lists
        self._last_tables: tuple[str, ...] | None = None  # last good lease table discovery
        # (stream, kind, name) -> (the last judgement made from fresh reads, when: epoch s).
        self._judged: dict[tuple[str, str, str], tuple[ConsumerLag, int]] = {}
        self._denied: dict[str, tuple[float, str]] = {}  # kind -> (until, note)
        self._watch = LeaseWatch()
        self._probes: dict[Hashable, Series] = {}
        self._probed_at: dict[Hashable, float] = {}

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
        self._poll_started = self._mono() if poll_started is None else poll_started
        errs: dict[str, str] = {}
        fresh = shared_fresh or (lambda _name: True)
        try:
            self._list_efo(self._efo_due(streams, focus), list_until, errs)
            return self._poll(streams, now, shared_series, traffic, errs, fresh)
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
        self.kinesis = kinesis_client
        self.cloudwatch = cloudwatch
        self.dynamodb = dynamodb
        self.lambda_client = lambda_client

    def retry_now(self) -> None:
        """Forget permission lock-outs: the next poll asks again for every kind."""
        self._denied.clear()

    # -- one poll ---------------------------------------------------------------------------

    def _poll(self, streams, now, shared_series, traffic, errs, shared_fresh) -> ConsumersResult:
        efo: dict[str, list[dict]] = {}
        lam: dict[str, list[dict]] = {}
        listed: set[tuple[str, str]] = set()  # (kind, stream) whose list was read this poll
        for s in streams:
            efo[s.name], ok = self._efo_consumers(s, errs)
            if ok:
                listed.add(("efo", s.name))
        for s in streams:
            lam[s.name], ok = self._lambda_mappings(s, errs)
            if ok:
                listed.add(("lambda", s.name))
        kcl, unmatched, unread = self._kcl_apps(streams, errs)
        if self.probe_lag:
            self._probe(kcl, now, errs)
        queries = self._queries(efo, lam, kcl)
        metrics_ok = self._fetch_metrics(queries, now, errs)
        keys = {q.key for q in queries}
        self.metrics.forget(lambda k: k in keys)
        self._watch.prune(self._mono())

        rows = _Rows(self._judged, now, metrics_ok)
        by_stream: dict[str, tuple[ConsumerLag, ...]] = {}
        for s in streams:
            has_traffic = _has_traffic(traffic(s.name), now, self.window_sec)
            # Without this poll's metrics, silence proves nothing.
            ctx = _Judge(self, s, now, has_traffic, silent_means_stop=metrics_ok)
            out: list[ConsumerLag] = []
            if ("efo", s.name) in listed:
                for c in efo[s.name]:
                    name = str(c.get("ConsumerName", ""))
                    out.append(rows.judge((s.name, "efo", name), partial(ctx.efo, c)))
            else:
                out += rows.keep(s.name, "efo")
            for app in kcl:
                if app.stream == s.name:
                    out.append(rows.judge((s.name, "kcl", app.table), partial(ctx.kcl, app)))
            out += rows.keep(s.name, "kcl", lambda row: unread is None or row.table in unread)
            if ("lambda", s.name) in listed:
                for m in lam[s.name]:
                    fn = function_name(m)
                    out.append(rows.judge((s.name, "lambda", fn), partial(ctx.lambda_, m)))
            else:
                out += rows.keep(s.name, "lambda")
            key = (s.name, "shared", SHARED_NAME)
            if shared_fresh(s.name) or key not in self._judged:
                shared = ctx.shared(shared_series(s.name))
                if shared is not None:
                    out.append(rows.judge(key, lambda r=shared: r, needs_metrics=False))
            else:
                out += rows.keep(s.name, "shared")
            by_stream[s.name] = sort_consumers(out)
        self._judged = rows.judged
        unlisted = [s for s in streams if ("efo", s.name) not in listed and not self._efo_known(s)]
        owed = sum(
            1 for s in unlisted if s.arn and not s.describing and s.arn not in self._efo_tried
        )
        return ConsumersResult(
            by_stream,
            errs,
            tuple(sorted(unmatched)),
            unlisted=frozenset(s.name for s in unlisted),
            owed=0 if "efo" in self._denied else owed,
        )

    def _denied_note(self, kind: str) -> str | None:
        entry = self._denied.get(kind)
        if entry is None:
            return None
        until, note = entry
        if self._mono() >= until:
            del self._denied[kind]
            return None
        return note

    def _deny(self, kind: str, exc: BaseException, api: str) -> str:
        note = f"{DENIED_LABELS.get(kind, kind)}: {_problem(exc, api)}"
        self._denied[kind] = (self._mono() + DENIED_RETRY_SEC, note)
        return note

    def _guard(self, kind: str | None, source: str, api: str, errs: dict, fn: Callable[[], object]):
        """Run ``fn``; on AccessDenied turn the whole ``kind`` off, else note the error."""
        try:
            value = fn()
        except Exception as exc:
            api = getattr(exc, "kmon_api", None) or api
            self._note_failure(exc, api)
            if kind and errors.is_access_denied(exc):
                errs[f"lag:{kind}"] = self._deny(kind, exc, api)
            else:
                errs[source] = _problem(exc, api)
            log.debug("%s failed", source, exc_info=exc)
            return None
        if self._on_success is not None:
            self._on_success(api)  # a throttled API's next pause starts short again
        return value

    def _note_failure(self, exc: BaseException, api: str) -> None:
        if self._on_error is not None:
            self._on_error(api, exc)
        elif self._on_throttle is not None and errors.is_throttle(exc):
            pause = self._on_throttle(api)
            log.warning("%s throttled, pausing %ss", api, pause)

    # -- enhanced fan-out -------------------------------------------------------------------

    def _efo_due(self, streams: Sequence[StreamRef], focus: str | None) -> list[StreamRef]:
        """The streams whose consumers are to be listed, most needed first: never listed,
        counted differently since listed, a failed first listing, then the longest unlisted
        past its time. A stream still to be described, or described with no consumers, waits."""
        live = {s.arn for s in streams}
        for arn in [a for a in self._efo_tried if a not in live]:  # deleted streams
            self._efo_tried.pop(arn, None)
            self._efo_read.pop(arn, None)
        for key in [k for k in self._lists if k[0] == "efo" and k[1] not in live]:
            del self._lists[key]
        if self._denied_note("efo"):
            return []
        now = self._mono()
        first, changed, retry, expired = [], [], [], []
        for s in streams:
            if not s.arn or s.describing or s.consumer_count == 0:
                continue
            read = self._efo_read.get(s.arn)
            if read is None:
                tried = self._efo_tried.get(s.arn)
                if tried is None:
                    first.append(s)
                elif now - tried >= EFO_RETRY_SEC:
                    retry.append(s)
            elif (
                s.consumer_count is not None
                and read < s.described_at
                and len(self._lists.get(("efo", s.arn), ())) != s.consumer_count
            ):
                changed.append(s)
            elif now - read >= (EFO_TTL if s.consumer_count is None else EFO_COUNTED_TTL):
                expired.append(s)
        expired.sort(key=lambda s: self._efo_read[s.arn])
        due = first + changed + retry + expired
        due.sort(key=lambda s: s.name != focus)  # stable: the rest keep their order
        return due

    def _list_efo(self, due: Sequence[StreamRef], until: float | None, errs: dict) -> None:
        """List ``due`` one stream at a time, each at its turn, until ``until``. A failure
        other than a stream gone ends this poll's listings: the next would fail the same way."""
        for s in due:
            if not self._list_turn(until):
                return
            self._efo_tried[s.arn] = self._mono()
            try:
                found = kinesis.list_consumers(self.kinesis, s.arn, self._gate)
            except Exception as exc:
                if errors.is_not_found(exc):
                    continue  # deleted since it was listed: the stream list drops it
                self._note_failure(exc, "ListStreamConsumers")
                if errors.is_access_denied(exc):
                    errs["lag:efo"] = self._deny("efo", exc, "ListStreamConsumers")
                    # Unknown again: listed afresh once the permission may be back.
                    self._efo_read.clear()
                    self._efo_tried.clear()
                else:
                    errs[f"lag:efo:{s.name}"] = _problem(exc, "ListStreamConsumers")
                log.debug("listing the consumers of %s failed", s.name, exc_info=exc)
                return
            if self._on_success is not None:
                self._on_success("ListStreamConsumers")
            self._lists[("efo", s.arn)] = list(found)
            self._efo_read[s.arn] = self._mono()

    def _list_turn(self, until: float | None) -> bool:
        """Wait for the next ListStreamConsumers turn; False when it comes after ``until``."""
        if self._sleep is None:
            return True
        while not self._list_turns.try_take():
            wait = self._list_turns.wait_time()
            if until is not None and self._mono() + wait > until:
                return False
            self._sleep(max(wait, 0.001))
        return True

    def _efo_known(self, s: StreamRef) -> bool:
        """Whether the stream's registered consumers are known: listed, or counted as none."""
        return not s.arn or s.consumer_count == 0 or s.arn in self._efo_read

    def _efo_consumers(self, s: StreamRef, errs: dict) -> tuple[list[dict], bool]:
        """The stream's registered consumers, and whether they are known now (a listing that
        failed this poll keeps the last good list, its rows marked stale)."""
        note = self._denied_note("efo")
        if note:
            errs["lag:efo"] = note
            self._lists.pop(("efo", s.arn), None)
            return [], False
        if not s.arn:
            return [], True
        if s.consumer_count == 0:
            self._lists[("efo", s.arn)] = []
            return [], True
        failed = f"lag:efo:{s.name}" in errs
        return list(self._lists.get(("efo", s.arn), ())), not failed and self._efo_known(s)

    # -- Lambda -----------------------------------------------------------------------------

    def _lambda_mappings(self, s: StreamRef, errs: dict) -> tuple[list[dict], bool]:
        """The stream's event source mappings, and whether they were read this poll."""
        note = self._denied_note("lambda")
        if note:
            errs["lag:lambda"] = note
            return [], False
        if not s.arn or self.lambda_client is None:
            return [], True
        found = self._guard(
            "lambda",
            f"lag:lambda:{s.name}",
            "ListEventSourceMappings",
            errs,
            # One account-wide listing serves every stream: one paginated call per refresh of
            # the cache instead of one call per stream.
            lambda: [
                m
                for m in self._lambda.get("all", self._list_mappings)
                if m.get("EventSourceArn") == s.arn
            ],
        )
        return self._last_good(("lambda", s.arn), found, errs), found is not None

    def _last_good(self, key: Hashable, found: list | None, errs: dict) -> list:
        """A list that failed to refresh keeps its last good value, so its consumers' lag
        metrics are still read (their rows keep their last judgement meanwhile), unless the
        whole kind was just turned off."""
        if found is not None:
            self._lists[key] = list(found)
        elif f"lag:{key[0]}" in errs:
            self._lists.pop(key, None)
        return self._lists.get(key, [])

    def _list_mappings(self) -> list[dict]:
        mappings: list[dict] = []
        kwargs: dict = {}
        while True:
            self._gate("ListEventSourceMappings")
            page = self.lambda_client.list_event_source_mappings(**kwargs)
            mappings.extend(page.get("EventSourceMappings", ()))
            marker = page.get("NextMarker")
            if not marker:
                return mappings
            kwargs = {"Marker": marker}

    # -- KCL --------------------------------------------------------------------------------

    def _kcl_apps(
        self, streams: Sequence[StreamRef], errs: dict
    ) -> tuple[list[_Kcl], set[str], set[str] | None]:
        """The applications read this poll, the lease tables that read no stream polled, and
        the tables that could not be read (None: none of them could)."""
        note = self._denied_note("kcl")
        if note:
            errs["lag:kcl"] = note
            return [], set(), None
        if self.dynamodb is None:
            return [], set(), set()
        tables = self._tables_to_read(errs)
        if tables is None:
            return [], set(), None
        names = {s.name for s in streams}
        apps: list[_Kcl] = []
        unmatched: set[str] = set()
        unread: set[str] = set()
        for table in tables:
            scanned = self._guard(
                "kcl", f"lag:kcl:{table}", "Scan", errs, lambda t=table: self._leases(t)
            )
            if "kcl" in self._denied:
                return [], set(), None  # permission gone for every table
            if scanned is None:
                unread.add(table)
                continue
            scanned_at, leases = scanned
            # Confirming a stream needs Kinesis reads: a denial there concerns this table only.
            found = self._guard(
                None,
                f"lag:kcl:{table}",
                "GetShardIterator",
                errs,
                lambda t=table, le=leases: self._streams_of(t, le, streams),
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
                apps.append(_Kcl(table, stream, mine, note, multi, scanned_at))
        return apps, unmatched, unread

    def _tables_to_read(self, errs: dict) -> tuple[str, ...] | None:
        """Discovered lease tables plus the named ones. When discovery is denied or fails, the
        tables named with --kcl-table are still read (a policy may allow only those)."""
        manual = tuple(sorted(self.kcl_tables))
        note = self._denied_note("kcl-discovery")
        if note:
            errs["lag:kcl-discovery"] = note
            return manual
        kind = "kcl-discovery" if manual else "kcl"
        tables = self._guard(kind, "lag:kcl", "ListTables", errs, self._lease_tables)
        if tables is not None:
            self._last_tables = tables
            return tables
        if kind in self._denied:  # just denied: only the named tables may still be read
            return manual or None
        # Discovery failed (throttled, timed out): the tables found last time are still read.
        known = tuple(sorted(set(self._last_tables or ()) | set(manual)))
        return known or None

    def _lease_tables(self) -> tuple[str, ...]:
        names = self._tables.get("tables", self._list_tables)
        # A table's key schema never changes, so each table is described once; a few per poll,
        # so that a large account's first discovery spreads over polls instead of stalling one.
        unknown = [n for n in names if n not in self._is_lease and n not in self.kcl_tables]
        for name in unknown[:DESCRIBE_PER_POLL]:
            self._is_lease[name] = self._describe_is_lease(name)
        found = {n for n in names if self._is_lease.get(n)}
        return tuple(sorted(found | set(self.kcl_tables)))

    def _list_tables(self) -> tuple[str, ...]:
        names: list[str] = []
        kwargs: dict = {"Limit": 100}
        while True:
            self._gate("ListTables")
            page = self.dynamodb.list_tables(**kwargs)
            names.extend(page.get("TableNames", ()))
            last = page.get("LastEvaluatedTableName")
            if not last:
                break
            kwargs = {"Limit": 100, "ExclusiveStartTableName": last}
        listed = set(names)
        self._is_lease = {n: v for n, v in self._is_lease.items() if n in listed}
        return tuple(names)

    def _describe_is_lease(self, name: str) -> bool:
        self._gate("DescribeTable")
        try:
            table = self.dynamodb.describe_table(TableName=name)["Table"]
        except Exception as exc:
            if errors.is_not_found(exc):
                return False  # deleted since it was listed
            exc.kmon_api = "DescribeTable"  # type: ignore[attr-defined]
            raise
        return is_lease_table(table)

    def _leases(self, table: str) -> tuple[float, list[Lease]]:
        cached = self._scans.get(table)
        if cached is not None and self._poll_started - cached[0] < self.scan_every_sec:
            return cached[1], cached[2]
        scanned_at, leases = self._mono(), self._scan(table)
        self._scans[table] = (self._poll_started, scanned_at, leases)
        return scanned_at, leases

    def _scan(self, table: str) -> list[Lease]:
        leases: list[Lease] = []
        kwargs: dict = {"TableName": table}
        while True:
            self._gate("Scan")
            page = self.dynamodb.scan(**kwargs)
            for item in page.get("Items", ()):
                lease = parse_lease(item) if isinstance(item, Mapping) else None
                if lease is not None:
                    leases.append(lease)
            last = page.get("LastEvaluatedKey")
            if not last:
                return leases
            kwargs = {"TableName": table, "ExclusiveStartKey": last}

    def _streams_of(
        self, table: str, leases: list[Lease], streams: Sequence[StreamRef]
    ) -> tuple[tuple[str, ...], str | None]:
        """The streams a lease table reads, and a note when the match is not certain."""
        if table in self.kcl_tables:
            return (self.kcl_tables[table],), None
        named = sorted({le.stream for le in leases if le.stream})
        if named:
            return tuple(named), None
        if not leases:
            return (), None
        return self._table_streams.get(table, lambda: self._confirm(table, leases, streams))

    def _confirm(
        self, table: str, leases: list[Lease], streams: Sequence[StreamRef]
    ) -> tuple[tuple[str, ...], str | None]:
        """A single-stream table names only shard ids, which every stream has: ask each
        candidate stream whether it knows a lease's checkpoint (AWS rejects another stream's
        sequence number; reading an iterator reads no data)."""
        # The highest shard id narrows the candidates most: few streams have that many shards.
        probe = max((le for le in leases if le.has_sequence), key=_shard_order, default=None)
        wanted = {probe.shard_id} if probe else {le.shard_id for le in leases}
        candidates = [s.name for s in streams if wanted <= self._shard_ids(s.name)]
        if probe is None:
            if len(candidates) == 1:
                return (candidates[0],), "matched by shard ids only (no checkpoint yet)"
            if candidates:
                return (), (
                    f"lease table {table} has no checkpoint yet and matches streams "
                    f"{', '.join(candidates)}: pass --kcl-table {table}=STREAM"
                )
            return (), None
        confirmed = [c for c in candidates if self._knows(c, probe)]
        if len(confirmed) > 1:
            # Remembered like a match, so the question is not asked again every poll.
            return (), (
                f"lease table {table} matches streams {', '.join(confirmed)}: "
                f"pass --kcl-table {table}=STREAM"
            )
        return tuple(confirmed), None

    def _shard_ids(self, stream: str) -> set[str]:
        def fetch() -> frozenset[str]:
            try:
                return frozenset(
                    s["ShardId"] for s in kinesis.list_shards(self.kinesis, stream, self._gate)
                )
            except Exception as exc:
                if errors.is_not_found(exc):
                    return frozenset()
                exc.kmon_api = "ListShards"  # type: ignore[attr-defined]
                raise

        return set(self._shards.get(stream, fetch))

    def _knows(self, stream: str, lease: Lease) -> bool:
        self._gate("GetShardIterator")
        try:
            self.kinesis.get_shard_iterator(
                StreamName=stream,
                ShardId=lease.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=lease.checkpoint,
            )
        except Exception as exc:
            if errors.error_code(exc) in ("InvalidArgumentException", "ResourceNotFoundException"):
                return False
            exc.kmon_api = "GetShardIterator"  # type: ignore[attr-defined]
            raise
        return True

    # -- probing lag directly ---------------------------------------------------------------

    def _probe(self, apps: list[_Kcl], now: int, errs: dict) -> None:
        note = self._denied_note("probe")
        if note:
            errs["lag:probe"] = note
            return
        minute = align(now)
        due = [
            ((app.table, app.stream, lease.shard_id), app.stream, lease)
            for app in apps
            for lease in app.leases
            if not lease.finished and (lease.has_sequence or lease.checkpoint == "TRIM_HORIZON")
        ]
        due = [d for d in due if self._mono() - self._probed_at.get(d[0], -1e18) >= PROBE_EVERY_SEC]
        # Longest unmeasured first; a big fleet is measured over several polls.
        due.sort(key=lambda d: self._probed_at.get(d[0], -1e18))
        for key, stream, lease in due[:PROBE_MAX_PER_POLL]:
            lag = self._guard(
                "probe",
                "lag:probe",
                "GetRecords",
                errs,
                lambda s=stream, le=lease: self._probe_one(s, le),
            )
            if "lag:probe" in errs:
                return  # denied or throttled: the rest would fare the same
            self._probed_at[key] = self._mono()
            if lag is not None:
                series = self._probes.setdefault(key, Series(LAG_HISTORY_SEC // 60 + 5))
                series.merge([(minute, float(lag))])
                series.prune(minute - LAG_HISTORY_SEC)

    def _probe_one(self, stream: str, lease: Lease) -> float | None:
        kwargs: dict = {"StreamName": stream, "ShardId": lease.shard_id}
        if lease.has_sequence:
            kwargs |= {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": lease.checkpoint,
            }
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        api = "GetShardIterator"
        try:
            self._gate(api)
            it = self.kinesis.get_shard_iterator(**kwargs)["ShardIterator"]
            api = "GetRecords"
            self._gate(api)
            page = self.kinesis.get_records(ShardIterator=it, Limit=1)
        except Exception as exc:
            if errors.error_code(exc) in ("InvalidArgumentException", "ResourceNotFoundException"):
                return None  # the checkpoint expired or the shard is gone: nothing to measure
            exc.kmon_api = api  # type: ignore[attr-defined]
            raise
        lag = page.get("MillisBehindLatest")
        return float(lag) if isinstance(lag, int | float) else None

    # -- metrics ----------------------------------------------------------------------------

    def _queries(self, efo, lam, kcl: list[_Kcl]) -> list[MetricQuery]:
        queries: dict[Hashable, MetricQuery] = {}

        def add(key, namespace, name, dims, stat="Maximum"):
            queries[key] = MetricQuery(key, namespace, name, dims, stat)

        for stream, consumers in efo.items():
            for c in consumers:
                add(
                    ("efo", stream, c.get("ConsumerName", "")),
                    "AWS/Kinesis",
                    "SubscribeToShardEvent.MillisBehindLatest",
                    (("StreamName", stream), ("ConsumerName", c.get("ConsumerName", ""))),
                )
        for mappings in lam.values():
            for m in mappings:
                fn = function_name(m)
                add(("lambda", fn), "AWS/Lambda", "IteratorAge", (("FunctionName", fn),))
        for app in kcl:
            ns = app.table  # the KCL names its metrics namespace after the application
            if not app.multi:  # a multi-stream application's own lag mixes its streams
                add(
                    ("kcl", ns, "app"),
                    ns,
                    "MillisBehindLatest",
                    (("Operation", "ApplicationTracker"),),
                )
            if self.probe_lag:
                continue  # measured directly instead
            for lease in app.leases:
                if not lease.finished:
                    dims = (("Operation", "ProcessTask"), ("ShardId", lease.shard_id))
                    if lease.stream_id:  # a multi-stream application names the stream too
                        dims += (("StreamId", lease.stream_id),)
                    add(_shard_key(app, lease), ns, "MillisBehindLatest", dims)
        return list(queries.values())

    def _fetch_metrics(self, queries: list[MetricQuery], now: int, errs: dict) -> bool:
        if not queries:
            return True
        try:
            self.metrics.fetch(self.cloudwatch, queries, now, self._gate)
        except Exception as exc:
            self._note_failure(exc, "GetMetricData")
            errs["lag:metrics"] = _problem(exc, "GetMetricData")
            log.debug("consumer lag metrics failed", exc_info=exc)
            return False
        return True

    def points(self, key: Hashable) -> list[Point]:
        return self.metrics.series(key).points()

    def shard_points(self, app: _Kcl) -> dict[str, list[Point]]:
        """Each unfinished shard's lag: measured by the probe, or as the application publishes
        it."""
        out: dict[str, list[Point]] = {}
        for lease in app.leases:
            if lease.finished:
                continue
            if self.probe_lag:
                series = self._probes.get((app.table, app.stream, lease.shard_id))
                out[lease.shard_id] = series.points() if series else []
            else:
                out[lease.shard_id] = self.points(_shard_key(app, lease))
        return out

    def still(self, app: _Kcl) -> dict[str, tuple[float, float]]:
        """How long each lease's counter and checkpoint had not moved when last read."""
        return {le.key: self._watch.observe(app.table, le, app.scanned_at) for le in app.leases}


class _Rows:
    """One poll's consumer rows: each judged afresh, or its last judgement kept (stale) when
    what it stands on could not be read this poll."""

    def __init__(self, last: dict, now: int, metrics_ok: bool) -> None:
        self._last = last
        self.now = now
        self.metrics_ok = metrics_ok
        self.judged: dict[tuple[str, str, str], tuple[ConsumerLag, int]] = {}

    def judge(
        self, key: tuple[str, str, str], judge: Callable[[], ConsumerLag], needs_metrics=True
    ) -> ConsumerLag:
        """A fresh judgement; with the lag metrics unread this poll, the last one kept."""
        last = self._last.get(key)
        if needs_metrics and not self.metrics_ok and last is not None:
            self.judged[key] = last
            return last[0].kept(last[1])
        row = judge()
        self.judged[key] = (row, self.now)
        return row

    def keep(
        self, stream: str, kind: str, which: Callable[[ConsumerLag], bool] = lambda _row: True
    ) -> list[ConsumerLag]:
        """The last judgements of ``stream``'s consumers of ``kind`` not judged this poll."""
        out = []
        for key, (row, at) in self._last.items():
            if key[0] == stream and key[1] == kind and key not in self.judged and which(row):
                self.judged[key] = (row, at)
                out.append(row.kept(at))
        return out


def _shard_key(app: _Kcl, lease: Lease) -> Hashable:
    # Every stream has a shardId-000000000000: a multi-stream table has one per stream.
    return ("kcl", app.table, app.stream, "shard", lease.shard_id)


def _shard_order(lease: Lease) -> tuple[int, str]:
    digits = lease.shard_id.rsplit("-", 1)[-1]
    return (int(digits) if digits.isdigit() else -1, lease.shard_id)


def function_name(mapping: Mapping) -> str:
    """The function a mapping invokes: the name in its ARN (a qualifier kept apart)."""
    arn = str(mapping.get("FunctionArn") or "")
    parts = arn.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6]
    return arn or "?"


def _has_traffic(series: Series, now: int, window_sec: int) -> bool | None:
    points = in_window(series.points(), now, window_sec)
    if not points:
        return None
    return any(v > 0 for _, v in points)


def _when(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _strings_only(values: Mapping[str, object]) -> dict[str, str]:
    """API fields as text, the missing ones left out."""
    return {k: str(v) for k, v in values.items() if v is not None and v != ""}


class _Judge:
    """Turns one stream's consumers into rows."""

    def __init__(
        self,
        owner: ConsumerCollector,
        s: StreamRef,
        now: int,
        traffic: bool | None,
        *,
        silent_means_stop: bool,
    ) -> None:
        self.c = owner
        self.s = s
        self.now = now
        self.traffic = traffic
        self.silent_means_stop = silent_means_stop

    def _verdict(self, points, **kw):
        kw.setdefault("silent_means_stop", self.silent_means_stop)
        return judge_lag(
            points,
            now=self.now,
            retention_hours=self.s.retention_hours,
            thresholds=self.c.thresholds,
            window_sec=self.c.window_sec,
            has_traffic=self.traffic,
            **kw,
        )

    def efo(self, consumer: Mapping) -> ConsumerLag:
        name = str(consumer.get("ConsumerName", ""))
        points = self.c.points(("efo", self.s.name, name))
        state = consumer.get("ConsumerStatus")
        active = state in (None, "ACTIVE")
        v = self._verdict(points, silent_means_stop=self.silent_means_stop and active)
        details = {
            "arn": consumer.get("ConsumerARN"),
            "status": state,
            "registered_at": _when(consumer.get("ConsumerCreationTimestamp")),
        }
        return from_verdict(
            "efo",
            name,
            v,
            points,
            note=None if active else f"consumer {state}",
            details=_strings_only(details),
        )

    def lambda_(self, mapping: Mapping) -> ConsumerLag:
        fn = function_name(mapping)
        points = self.c.points(("lambda", fn))
        state = str(mapping.get("State") or "")
        result = mapping.get("LastProcessingResult")
        stopped = [f"mapping {state}"] if state in ("Disabled", "Disabling") else []
        warned = []
        if result and result not in LAMBDA_OK_RESULTS:
            warned.append("the last batch was not processed")
        notes = [f"mapping {state}" if state else None]
        if result:
            notes.append(f"last result: {result}")
        v = self._verdict(
            points,
            stopped=stopped,
            warned=warned,
            silent_means_stop=self.silent_means_stop and state == "Enabled",
        )
        note = "; ".join(n for n in notes if n) or None
        details = {
            "uuid": mapping.get("UUID"),
            "state": state or None,
            "batch_size": mapping.get("BatchSize"),
            "parallelization_factor": mapping.get("ParallelizationFactor"),
            "last_result": result,
            "starting_position": mapping.get("StartingPosition"),
            "function_arn": mapping.get("FunctionArn"),
        }
        return from_verdict("lambda", fn, v, points, note=note, details=_strings_only(details))

    def kcl(self, app: _Kcl) -> ConsumerLag:
        return judge_kcl(
            app.table,
            app.table,
            app.leases,
            now=self.now,
            retention_hours=self.s.retention_hours,
            still=self.c.still(app),
            shard_points=self.c.shard_points(app),
            app_points=() if app.multi else self.c.points(("kcl", app.table, "app")),
            has_traffic=self.traffic,
            thresholds=self.c.thresholds,
            window_sec=self.c.window_sec,
            note=app.note,
            silent_means_stop=self.silent_means_stop,
        )

    def shared(self, series: Series) -> ConsumerLag | None:
        points = in_window(series.points(), self.now, self.c.window_sec)
        if not points:
            return None  # nobody polls with GetRecords, or no data yet
        v = self._verdict(points, silent_means_stop=False)
        return from_verdict("shared", SHARED_NAME, v, series.points(since=self.now - 3600))
