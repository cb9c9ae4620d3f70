"""What every kind of consumer shares: the stream it reads, the context it reads AWS through
(clients, rate gate, clock, lag metrics, permission lock-outs), one poll's rows, and the
interface the collector calls each poll (``ConsumerKind``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from kmon.collector import errors
from kmon.collector.metrics import MetricQuery, MetricStore
from kmon.model.lag import ConsumerLag, judge_lag
from kmon.model.rules import Thresholds
from kmon.model.trend import Point

log = logging.getLogger(__name__)

Gate = Callable[[str], None]

# After AccessDenied, a kind of consumer is left alone this long before trying again: a
# permission granted (or a policy fixed) shows within five minutes, while a permission that is
# simply missing costs one refused call per kind every five minutes. The UI's retry (r) tries
# again at once.
DENIED_RETRY_SEC = 300.0
LAG_HISTORY_SEC = 3600

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
class Poll:
    """One poll as every kind reads it."""

    streams: Sequence[StreamRef]
    now: int  # epoch s: the end of the window judged
    # Monotonic: when the caller's poll began (scheduled polls begin a refresh apart).
    started: float
    # source -> one readable line, filled in as the poll goes.
    errs: dict[str, str]


@dataclass(frozen=True)
class Judging:
    """One stream as this poll judges its consumers."""

    ref: StreamRef
    now: int
    has_traffic: bool | None
    silent_means_stop: bool
    thresholds: Thresholds
    window_sec: int

    def verdict(self, points, **kw):
        kw.setdefault("silent_means_stop", self.silent_means_stop)
        return judge_lag(
            points,
            now=self.now,
            retention_hours=self.ref.retention_hours,
            thresholds=self.thresholds,
            window_sec=self.window_sec,
            has_traffic=self.has_traffic,
            **kw,
        )


class Rows:
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


class ConsumerKind(Protocol):
    """One kind of stream reader. Each poll the collector calls ``read`` on every kind, then
    ``queries`` on every kind (all lag metrics are fetched together), then ``rows`` per stream.
    What a kind read stays with it between those calls."""

    def read(self, poll: Poll) -> None:
        """This poll's consumers of the kind, from caches where fresh; failures go to
        ``poll.errs`` and never raise."""
        ...

    def queries(self) -> Iterable[MetricQuery]:
        """The lag metrics the consumers read are judged by."""
        ...

    def rows(self, stream: Judging, rows: Rows) -> list[ConsumerLag]:
        """The stream's consumers of the kind, each judged afresh or its last judgement kept."""
        ...


class Context:
    """What every kind reads AWS through: the clients, the rate gate, the clock, the lag metrics
    and the permission lock-outs, with the bookkeeping around each call."""

    def __init__(
        self,
        kinesis_client,
        cloudwatch,
        dynamodb,
        lambda_client,
        *,
        gate: Gate,
        monotonic: Callable[[], float] = time.monotonic,
        on_throttle: Callable[[str], object] | None = None,
        on_success: Callable[[str], object] | None = None,
        on_error: Callable[[str, BaseException], object] | None = None,
    ) -> None:
        self.use_clients(kinesis_client, cloudwatch, dynamodb, lambda_client)
        self.gate = gate
        # Told when AWS throttles an API, so the gate holds that API back for a while.
        self._on_throttle = on_throttle
        self._on_success = on_success
        # Told of every failed call (api, exception): the owner backs off, renews credentials
        # or stops asking a service that does not answer.
        self._on_error = on_error
        self.mono = monotonic
        self.metrics = MetricStore(history_sec=LAG_HISTORY_SEC)
        self._denied: dict[str, tuple[float, str]] = {}  # kind -> (until, note)

    def use_clients(self, kinesis_client, cloudwatch, dynamodb, lambda_client) -> None:
        self.kinesis = kinesis_client
        self.cloudwatch = cloudwatch
        self.dynamodb = dynamodb
        self.lambda_client = lambda_client

    def points(self, key: Hashable) -> list[Point]:
        return self.metrics.series(key).points()

    # -- permissions ------------------------------------------------------------------------

    def denied_note(self, kind: str) -> str | None:
        entry = self._denied.get(kind)
        if entry is None:
            return None
        until, note = entry
        if self.mono() >= until:
            del self._denied[kind]
            return None
        return note

    def is_denied(self, kind: str) -> bool:
        """Turned off, even if its lock-out has just run out (not asked again this poll)."""
        return kind in self._denied

    def deny(self, kind: str, exc: BaseException, api: str) -> str:
        note = f"{DENIED_LABELS.get(kind, kind)}: {problem(exc, api)}"
        self._denied[kind] = (self.mono() + DENIED_RETRY_SEC, note)
        return note

    def retry_now(self) -> None:
        """Forget permission lock-outs: the next poll asks again for every kind."""
        self._denied.clear()

    # -- calls ------------------------------------------------------------------------------

    def guard(self, kind: str | None, source: str, api: str, errs: dict, fn: Callable[[], object]):
        """Run ``fn``; on AccessDenied turn the whole ``kind`` off, else note the error."""
        try:
            value = fn()
        except Exception as exc:
            api = getattr(exc, "kmon_api", None) or api
            self.note_failure(exc, api)
            if kind and errors.is_access_denied(exc):
                errs[f"lag:{kind}"] = self.deny(kind, exc, api)
            else:
                errs[source] = problem(exc, api)
            log.debug("%s failed", source, exc_info=exc)
            return None
        self.succeeded(api)
        return value

    def succeeded(self, api: str) -> None:
        if self._on_success is not None:
            self._on_success(api)  # a throttled API's next pause starts short again

    def note_failure(self, exc: BaseException, api: str) -> None:
        if self._on_error is not None:
            self._on_error(api, exc)
        elif self._on_throttle is not None and errors.is_throttle(exc):
            pause = self._on_throttle(api)
            log.warning("%s throttled, pausing %ss", api, pause)


def problem(exc: BaseException, api: str) -> str:
    if errors.is_access_denied(exc):
        return f"no permission: {PERMISSIONS.get(api, api)}"
    return errors.describe(exc, api)


def when(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def strings_only(values: Mapping[str, object]) -> dict[str, str]:
    """API fields as text, the missing ones left out."""
    return {k: str(v) for k, v in values.items() if v is not None and v != ""}
