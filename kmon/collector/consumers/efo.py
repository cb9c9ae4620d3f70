"""Enhanced fan-out consumers: ListStreamConsumers, judged by their
SubscribeToShardEvent.MillisBehindLatest.

Registered EFO consumers are listed one stream at a time, paced across the whole fleet and
spread over polls: a stream is listed once its description says it may have consumers, again
when a newer description counts them differently, and otherwise every ``EFO_COUNTED_TTL``
(``EFO_TTL`` when descriptions do not count them). Until its first listing a stream's EFO
consumers are unknown (``ConsumersResult.unlisted``), never "none".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial

from kmon.collector import errors, kinesis
from kmon.collector.budget import ApiBudget, TokenBucket
from kmon.collector.consumers.base import (
    Context,
    Judging,
    Poll,
    Rows,
    StreamRef,
    problem,
    strings_only,
    when,
)
from kmon.collector.metrics import MetricQuery
from kmon.model.lag import ConsumerLag, from_verdict
from kmon.model.limits import API_RATES_PER_SEC

log = logging.getLogger(__name__)

# Registered consumers change by deploys.
EFO_TTL = 600.0
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


class EfoConsumers:
    """The ``efo`` kind. ``list_due`` sends this poll's listings; ``read`` then takes each
    stream's consumers from the last good listing."""

    def __init__(self, ctx: Context, sleep: Callable[[float], None] | None = None) -> None:
        """With ``sleep``, ListStreamConsumers calls are paced at LIST_CONSUMERS_PER_SEC (on
        the context's clock); without it the owner paces them."""
        self.ctx = ctx
        self._sleep = sleep
        self._turns = TokenBucket(LIST_CONSUMERS_PER_SEC, 1.0, ctx.mono)
        self._read: dict[str, float] = {}  # stream ARN -> when its consumers were listed
        self._tried: dict[str, float] = {}  # stream ARN -> when a listing was last sent
        self._lists: dict[str | None, list] = {}  # stream ARN -> last good consumer list
        # This poll: stream -> its consumers, and the streams whose consumers are known.
        self._consumers: dict[str, list[dict]] = {}
        self._listed: set[str] = set()

    # -- listing ----------------------------------------------------------------------------

    def list_due(
        self, streams: Sequence[StreamRef], focus: str | None, until: float | None, errs: dict
    ) -> None:
        """Send the listings due, the stream ``focus`` first, until ``until`` (None: every
        listing due is sent now)."""
        self._list(self._due(streams, focus), until, errs)

    def _due(self, streams: Sequence[StreamRef], focus: str | None) -> list[StreamRef]:
        """The streams whose consumers are to be listed, most needed first: never listed,
        counted differently since listed, a failed first listing, then the longest unlisted
        past its time. A stream still to be described, or described with no consumers, waits."""
        live = {s.arn for s in streams}
        for arn in [a for a in self._tried if a not in live]:  # deleted streams
            self._tried.pop(arn, None)
            self._read.pop(arn, None)
        for arn in [a for a in self._lists if a not in live]:
            del self._lists[arn]
        if self.ctx.denied_note("efo"):
            return []
        now = self.ctx.mono()
        first, changed, retry, expired = [], [], [], []
        for s in streams:
            if not s.arn or s.describing or s.consumer_count == 0:
                continue
            read = self._read.get(s.arn)
            if read is None:
                tried = self._tried.get(s.arn)
                if tried is None:
                    first.append(s)
                elif now - tried >= EFO_RETRY_SEC:
                    retry.append(s)
            elif (
                s.consumer_count is not None
                and read < s.described_at
                and len(self._lists.get(s.arn, ())) != s.consumer_count
            ):
                changed.append(s)
            elif now - read >= (EFO_TTL if s.consumer_count is None else EFO_COUNTED_TTL):
                expired.append(s)
        expired.sort(key=lambda s: self._read[s.arn])
        due = first + changed + retry + expired
        due.sort(key=lambda s: s.name != focus)  # stable: the rest keep their order
        return due

    def _list(self, due: Sequence[StreamRef], until: float | None, errs: dict) -> None:
        """List ``due`` one stream at a time, each at its turn, until ``until``. A failure
        other than a stream gone ends this poll's listings: the next would fail the same way."""
        ctx = self.ctx
        for s in due:
            if not self._turn(until):
                return
            self._tried[s.arn] = ctx.mono()
            try:
                found = kinesis.list_consumers(ctx.kinesis, s.arn, ctx.gate)
            except Exception as exc:
                if errors.is_not_found(exc):
                    continue  # deleted since it was listed: the stream list drops it
                ctx.note_failure(exc, "ListStreamConsumers")
                if errors.is_access_denied(exc):
                    errs["lag:efo"] = ctx.deny("efo", exc, "ListStreamConsumers")
                    # Unknown again: listed afresh once the permission may be back.
                    self._read.clear()
                    self._tried.clear()
                else:
                    errs[f"lag:efo:{s.name}"] = problem(exc, "ListStreamConsumers")
                log.debug("listing the consumers of %s failed", s.name, exc_info=exc)
                return
            ctx.succeeded("ListStreamConsumers")
            self._lists[s.arn] = list(found)
            self._read[s.arn] = ctx.mono()

    def _turn(self, until: float | None) -> bool:
        """Wait for the next ListStreamConsumers turn; False when it comes after ``until``."""
        if self._sleep is None:
            return True
        while not self._turns.try_take():
            wait = self._turns.wait_time()
            if until is not None and self.ctx.mono() + wait > until:
                return False
            self._sleep(max(wait, 0.001))
        return True

    def _known(self, s: StreamRef) -> bool:
        """Whether the stream's registered consumers are known: listed, or counted as none."""
        return not s.arn or s.consumer_count == 0 or s.arn in self._read

    def unlisted(self, streams: Sequence[StreamRef]) -> list[StreamRef]:
        """The streams whose consumers are not known this poll (never listed)."""
        return [s for s in streams if s.name not in self._listed and not self._known(s)]

    def owed(self, unlisted: Sequence[StreamRef]) -> int:
        """Of ``unlisted``, the streams whose first listing comes in the next polls."""
        if self.ctx.is_denied("efo"):
            return 0
        return sum(1 for s in unlisted if s.arn and not s.describing and s.arn not in self._tried)

    # -- the kind ---------------------------------------------------------------------------

    def read(self, poll: Poll) -> None:
        self._consumers, self._listed = {}, set()
        for s in poll.streams:
            self._consumers[s.name], ok = self._of(s, poll.errs)
            if ok:
                self._listed.add(s.name)

    def _of(self, s: StreamRef, errs: dict) -> tuple[list[dict], bool]:
        """The stream's registered consumers, and whether they are known now (a listing that
        failed this poll keeps the last good list, its rows marked stale)."""
        note = self.ctx.denied_note("efo")
        if note:
            errs["lag:efo"] = note
            self._lists.pop(s.arn, None)
            return [], False
        if not s.arn:
            return [], True
        if s.consumer_count == 0:
            self._lists[s.arn] = []
            return [], True
        failed = f"lag:efo:{s.name}" in errs
        return list(self._lists.get(s.arn, ())), not failed and self._known(s)

    def queries(self) -> Iterator[MetricQuery]:
        for stream, consumers in self._consumers.items():
            for c in consumers:
                name = c.get("ConsumerName", "")
                yield MetricQuery(
                    ("efo", stream, name),
                    "AWS/Kinesis",
                    "SubscribeToShardEvent.MillisBehindLatest",
                    (("StreamName", stream), ("ConsumerName", name)),
                    "Maximum",
                )

    def rows(self, stream: Judging, rows: Rows) -> list[ConsumerLag]:
        name = stream.ref.name
        if name not in self._listed:
            return rows.keep(name, "efo")
        return [
            rows.judge(
                (name, "efo", str(c.get("ConsumerName", ""))), partial(self._judge, stream, c)
            )
            for c in self._consumers[name]
        ]

    def _judge(self, stream: Judging, consumer: Mapping) -> ConsumerLag:
        name = str(consumer.get("ConsumerName", ""))
        points = self.ctx.points(("efo", stream.ref.name, name))
        state = consumer.get("ConsumerStatus")
        active = state in (None, "ACTIVE")
        v = stream.verdict(points, silent_means_stop=stream.silent_means_stop and active)
        details = {
            "arn": consumer.get("ConsumerARN"),
            "status": state,
            "registered_at": when(consumer.get("ConsumerCreationTimestamp")),
        }
        return from_verdict(
            "efo",
            name,
            v,
            points,
            note=None if active else f"consumer {state}",
            details=strings_only(details),
        )
