"""KCL applications judged from their lease tables: owners, dead workers, stalls, balance.

Pure: the caller passes the leases and how long each has been still (the collector's
LeaseWatch remembers that across polls).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kmon.model.lag import ConsumerLag, LagStatus, ShardLag, judge_lag, worst
from kmon.model.rules import Thresholds
from kmon.model.trend import WINDOW_SEC, Point, in_window


@dataclass(frozen=True)
class Lease:
    """One KCL lease row, as read (attributes from another program: anything may be missing)."""

    key: str
    shard_id: str
    owner: str | None
    checkpoint: str | None
    lease_counter: int | None
    owner_switches: int | None
    parents: tuple[str, ...] = ()
    stream: str | None = None  # named by multi-stream lease keys only

    @property
    def stream_id(self) -> str | None:
        """``account:stream:epoch`` of a multi-stream lease: the KCL's StreamId metric dimension."""
        return self.key.rsplit(":", 1)[0] if self.stream else None

    @property
    def finished(self) -> bool:
        return self.checkpoint == "SHARD_END"

    @property
    def has_sequence(self) -> bool:
        """The checkpoint is a sequence number, not TRIM_HORIZON / LATEST / AT_TIMESTAMP / ..."""
        return bool(self.checkpoint) and self.checkpoint.isdigit()


@dataclass(frozen=True)
class Balance:
    workers: Mapping[str, int]
    unowned: int
    thrashing: tuple[str, ...]  # shard ids


def balance(leases: Iterable[Lease], thresholds: Thresholds = Thresholds()) -> Balance:
    """Leases per worker, unowned leases, and leases workers keep taking from each other."""
    workers: dict[str, int] = {}
    unowned = 0
    thrashing: list[str] = []
    for lease in leases:
        if lease.finished:
            continue
        if lease.owner:
            workers[lease.owner] = workers.get(lease.owner, 0) + 1
        else:
            unowned += 1
        if thresholds.thrashing(lease.owner_switches):
            thrashing.append(lease.shard_id)
    return Balance(dict(sorted(workers.items())), unowned, tuple(sorted(thrashing)))


def lease_problems(
    lease: Lease,
    counter_still_sec: float,
    checkpoint_still_sec: float,
    *,
    has_traffic: bool | None,
    shard_lag_ms: float | None,
    thresholds: Thresholds = Thresholds(),
    window_sec: int = WINDOW_SEC,
    waiting_for: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """(stopped reasons, stalled reasons) for one lease from what was seen of it.

    ``waiting_for``: parent shards not finished yet; the KCL holds a child until its parents
    are done, so a child that does not move then is waiting, not stalled.
    """
    stopped: list[str] = []
    stalled: list[str] = []
    if lease.finished:
        return stopped, stalled
    # A row without a readable counter says nothing about its worker.
    if not lease.owner:
        stopped.append(f"lease {lease.shard_id} has no owner")
    elif lease.lease_counter is not None and thresholds.lease_dead(counter_still_sec):
        stopped.append(
            f"worker {lease.owner} has not renewed lease {lease.shard_id} "
            f"for {counter_still_sec:.0f} s"
        )
    # An idle shard of a busy stream does not checkpoint either: only call it stalled when its
    # lag is unknown or high, i.e. records are waiting after the checkpoint.
    caught_up = shard_lag_ms is not None and not thresholds.lag_high(shard_lag_ms)
    if has_traffic and checkpoint_still_sec >= window_sec and not caught_up and not waiting_for:
        stalled.append(
            f"checkpoint of {lease.shard_id} unchanged for {checkpoint_still_sec / 60:.0f} min "
            "while records arrive"
        )
    return stopped, stalled


MAX_REASONS = 5


def _cap(reasons: Sequence[str]) -> list[str]:
    if len(reasons) <= MAX_REASONS:
        return list(reasons)
    return [*reasons[:MAX_REASONS], f"and {len(reasons) - MAX_REASONS} more"]


def max_per_minute(series: Iterable[Sequence[Point]]) -> list[Point]:
    """The worst lag of several shards at each minute."""
    out: dict[int, float] = {}
    for points in series:
        for t, v in points:
            out[t] = max(v, out.get(t, v))
    return sorted(out.items())


def judge_kcl(
    name: str,
    table: str,
    leases: Sequence[Lease],
    *,
    now: int,
    retention_hours: float | None,
    still: Mapping[str, tuple[float, float]],
    shard_points: Mapping[str, Sequence[Point]],
    app_points: Sequence[Point] = (),
    has_traffic: bool | None = None,
    thresholds: Thresholds = Thresholds(),
    window_sec: int = WINDOW_SEC,
    note: str | None = None,
    silent_means_stop: bool = True,
) -> ConsumerLag:
    """One KCL application on one stream, from its leases and its lag series.

    ``still`` maps a lease key to how long (s) its counter and checkpoint have not changed;
    ``app_points`` is the application-wide lag when the application publishes it, otherwise
    the worst shard at each minute stands in. An application that published lag before but
    nothing in the window while records arrive has stopped; one that never published may just
    have its metrics turned off.
    """
    shards: list[ShardLag] = []
    stopped: list[str] = []
    stalled: list[str] = []
    stopped_at: list[int] = []
    stalled_at: list[int] = []
    open_shards = {le.shard_id for le in leases if not le.finished}
    for lease in sorted(leases, key=lambda le: le.shard_id):
        all_points = sorted(shard_points.get(lease.shard_id, ()))
        points = in_window(all_points, now, window_sec)
        counter_still, checkpoint_still = still.get(lease.key, (0.0, 0.0))
        waiting = tuple(p for p in lease.parents if p in open_shards)
        stop, stall = lease_problems(
            lease,
            counter_still,
            checkpoint_still,
            has_traffic=has_traffic,
            shard_lag_ms=points[-1][1] if points else None,
            thresholds=thresholds,
            window_sec=window_sec,
            waiting_for=waiting,
        )
        # A lease row read once has been still for no time: since is when kmon saw it.
        stop_since = int(now - counter_still) if stop and lease.owner else None
        stall_since = int(now - checkpoint_still) if stall else None
        stopped += stop
        stalled += stall
        stopped_at += [stop_since] if stop_since is not None else []
        stalled_at += [stall_since] if stall_since is not None else []
        v = judge_lag(
            all_points,
            now=now,
            retention_hours=retention_hours,
            thresholds=thresholds,
            window_sec=window_sec,
            silent_means_stop=False,
            stopped=stop,
            stalled=stall,
            stopped_since=stop_since,
            stalled_since=stall_since,
        )
        status = LagStatus.OK if lease.finished and not points else v.status
        shards.append(
            ShardLag(
                shard_id=lease.shard_id,
                owner=lease.owner,
                checkpoint=lease.checkpoint,
                lag_ms=v.lag_ms,
                status=status,
                lease_counter=lease.lease_counter,
                owner_switches=lease.owner_switches,
                parents=lease.parents,
                reasons=v.reasons,
                since=v.since,
                dead_owner=bool(stop) and bool(lease.owner),
                stalled=bool(stall),
                waiting_for=waiting,
            )
        )
    bal = balance(leases, thresholds)
    warned = []
    if bal.thrashing:
        warned.append("leases changing owner repeatedly: " + ", ".join(bal.thrashing))
    history = list(app_points) or max_per_minute(shard_points.values())
    v = judge_lag(
        history,
        now=now,
        retention_hours=retention_hours,
        thresholds=thresholds,
        window_sec=window_sec,
        has_traffic=has_traffic,
        silent_means_stop=silent_means_stop and bool(history),
        stopped=_cap(stopped),
        stalled=_cap(stalled),
        warned=warned,
        stopped_since=min(stopped_at, default=None),
        stalled_since=min(stalled_at, default=None),
    )
    live = [s for s in shards if s.status is not LagStatus.UNKNOWN]
    status = worst([v.status, *(s.status for s in live)]) if leases else LagStatus.UNKNOWN
    began = [s.since for s in live if s.status is status and s.since is not None]
    if v.status is status and v.since is not None:
        began.append(v.since)
    return ConsumerLag(
        kind="kcl",
        name=name,
        lag_ms=v.lag_ms,
        status=status,
        since=min(began, default=None),
        trend_ms_per_min=v.trend_ms_per_min,
        catch_up_sec=v.catch_up_sec,
        data_loss_sec=v.data_loss_sec,
        note=note if leases else (note or "no leases"),
        reasons=v.reasons,
        history=tuple(history),
        table=table,
        shards=tuple(shards),
        workers=bal.workers,
        unowned=bal.unowned,
        thrashing=bal.thrashing,
    )
