"""Measuring a KCL application's lag directly (``probe_lag``): from each lease's checkpoint, one
GetShardIterator and one GetRecords (Limit 1) whose MillisBehindLatest says how far behind the
checkpoint is. It stands in for the per-shard lag metrics the application publishes."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

from kmon.collector import errors
from kmon.collector.consumers.base import LAG_HISTORY_SEC, Context
from kmon.collector.metrics import align
from kmon.model.kcl import Lease
from kmon.model.series import Series
from kmon.model.trend import Point

if TYPE_CHECKING:
    from kmon.collector.consumers.kcl_leases import KclApp

PROBE_EVERY_SEC = 60.0
PROBE_MAX_PER_POLL = 200  # shards; each costs a GetShardIterator and a GetRecords


class LagProbe:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._probes: dict[Hashable, Series] = {}
        self._probed_at: dict[Hashable, float] = {}

    def measure(self, apps: Sequence[KclApp], now: int, errs: dict) -> None:
        ctx = self.ctx
        note = ctx.denied_note("probe")
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
        due = [d for d in due if ctx.mono() - self._probed_at.get(d[0], -1e18) >= PROBE_EVERY_SEC]
        # Longest unmeasured first; a big fleet is measured over several polls.
        due.sort(key=lambda d: self._probed_at.get(d[0], -1e18))
        for key, stream, lease in due[:PROBE_MAX_PER_POLL]:
            lag = ctx.guard(
                "probe",
                "lag:probe",
                "GetRecords",
                errs,
                lambda s=stream, le=lease: self._probe_one(s, le),
            )
            if "lag:probe" in errs:
                return  # denied or throttled: the rest would fare the same
            self._probed_at[key] = ctx.mono()
            if lag is not None:
                series = self._probes.setdefault(key, Series(LAG_HISTORY_SEC // 60 + 5))
                series.merge([(minute, float(lag))])
                series.prune(minute - LAG_HISTORY_SEC)

    def points(self, app: KclApp, lease: Lease) -> list[Point]:
        series = self._probes.get((app.table, app.stream, lease.shard_id))
        return series.points() if series else []

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
            self.ctx.gate(api)
            it = self.ctx.kinesis.get_shard_iterator(**kwargs)["ShardIterator"]
            api = "GetRecords"
            self.ctx.gate(api)
            page = self.ctx.kinesis.get_records(ShardIterator=it, Limit=1)
        except Exception as exc:
            if errors.error_code(exc) in ("InvalidArgumentException", "ResourceNotFoundException"):
                return None  # the checkpoint expired or the shard is gone: nothing to measure
            exc.kmon_api = api  # type: ignore[attr-defined]
            raise
        lag = page.get("MillisBehindLatest")
        return float(lag) if isinstance(lag, int | float) else None
