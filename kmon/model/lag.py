"""Consumer lag judged over time: status, trend, time to catch up and time to data loss.

Burrow's idea for Kinesis: a single lag reading says little, the window of recent readings
says whether a consumer is keeping up, falling behind, stuck or gone. Lag is in milliseconds
behind the tip of the stream (MillisBehindLatest, IteratorAge), sampled once a minute.

Pure arithmetic: callers pass the samples, the retention period and what they saw of the
leases; nothing here talks to AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from kmon.model import limits
from kmon.model.health import Thresholds

WINDOW_SEC = 10 * 60
# Lag that grows by less than this per minute is jitter, not falling behind.
GROWTH_MIN_MS_PER_MIN = 1_000.0
# A consumer that makes no progress falls behind as fast as the clock: 60 s of lag a minute.
# At 90% of that, over a window of at least this many samples, it is stuck, not slow.
STALL_CLOCK_FRACTION = 0.9
STALL_MIN_POINTS = 5
# ownerSwitchesSinceCheckpoint at or above this: workers keep taking the lease from each other.
THRASH_SWITCHES = 3

Point = tuple[int, float]  # (epoch seconds, lag ms)


class LagStatus(str, Enum):
    OK = "ok"
    WARN = "warn"
    ERR = "err"
    STALL = "stall"
    STOP = "stop"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Worst is highest: a stopped consumer explains a stalled one, which explains lag."""
        return _RANK[self.value]


_RANK = {"ok": 0, "unknown": 1, "warn": 2, "stall": 3, "err": 4, "stop": 5}


def worst(statuses: Iterable[LagStatus], default: LagStatus = LagStatus.UNKNOWN) -> LagStatus:
    return max(statuses, key=lambda s: s.rank, default=default)


# -- trend arithmetic -------------------------------------------------------------------------


def slope_ms_per_min(points: Sequence[Point]) -> float | None:
    """Least-squares slope of lag over time, in ms of lag per minute; None under 2 times."""
    if len({t for t, _ in points}) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return cov / var * 60.0


def catch_up_sec(lag_ms: float | None, slope: float | None) -> float | None:
    """Seconds until lag reaches zero at the current rate; None unless it is falling."""
    if lag_ms is None:
        return None
    if lag_ms <= 0:
        return 0.0
    if slope is None or slope >= 0:
        return None
    return lag_ms / -slope * 60.0


def data_loss_sec(
    lag_ms: float | None, slope: float | None, retention_hours: float | None
) -> float | None:
    """Seconds until lag reaches the retention period (records expire unread) at the current
    rate; None unless lag is growing and retention known."""
    if lag_ms is None or not retention_hours:
        return None
    retention_ms = retention_hours * limits.HOUR * 1000.0
    if lag_ms >= retention_ms:
        return 0.0
    if slope is None or slope <= 0:
        return None
    return (retention_ms - lag_ms) / slope * 60.0


def in_window(points: Iterable[Point], now: int, window_sec: int = WINDOW_SEC) -> list[Point]:
    return sorted((t, v) for t, v in points if now - window_sec <= t <= now)


def _is_growing(window: Sequence[Point], slope: float | None) -> bool:
    # Burrow: a consumer whose lag touched zero in the window is keeping up, whatever the trend.
    return (
        len(window) >= 3
        and slope is not None
        and slope >= GROWTH_MIN_MS_PER_MIN
        and window[-1][1] > window[0][1]
        and min(v for _, v in window) > 0
    )


def _is_stuck(window: Sequence[Point], slope: float | None) -> bool:
    """Lag rising as fast as the clock at every sample: the consumer is not moving at all."""
    if len(window) < STALL_MIN_POINTS or slope is None:
        return False
    rising = all(b[1] > a[1] for a, b in zip(window, window[1:]))
    return rising and slope >= STALL_CLOCK_FRACTION * 60_000.0


@dataclass(frozen=True)
class Verdict:
    status: LagStatus
    reasons: tuple[str, ...]
    lag_ms: float | None
    trend_ms_per_min: float | None
    catch_up_sec: float | None
    data_loss_sec: float | None


def judge_lag(
    points: Iterable[Point],
    *,
    now: int,
    retention_hours: float | None,
    thresholds: Thresholds = Thresholds(),
    window_sec: int = WINDOW_SEC,
    has_traffic: bool | None = None,
    silent_means_stop: bool = True,
    stopped: Sequence[str] = (),
    stalled: Sequence[str] = (),
    warned: Sequence[str] = (),
) -> Verdict:
    """Judge one consumer (or one shard) over the window ending at ``now``.

    ``stopped``, ``stalled`` and ``warned`` are reasons the caller saw outside the lag series
    (no lease owner, a dead worker, a disabled mapping, a checkpoint that does not move).
    ``silent_means_stop``: no datapoints while the stream has traffic means nobody is reading
    (false for consumers that may simply not publish lag metrics).
    """
    window = in_window(points, now, window_sec)
    lag = window[-1][1] if window else None
    slope = slope_ms_per_min(window)
    found: list[tuple[LagStatus, str]] = [(LagStatus.STOP, r) for r in stopped]
    found += [(LagStatus.STALL, r) for r in stalled]
    found += [(LagStatus.WARN, r) for r in warned]
    if lag is None:
        if has_traffic and silent_means_stop:
            found.append((LagStatus.STOP, "no lag datapoints while the stream has traffic"))
        elif not stopped and not stalled:
            found.append((LagStatus.UNKNOWN, "no lag datapoints"))
    else:
        found += _lag_findings(window, lag, slope, retention_hours, thresholds)
    status = worst((s for s, _ in found), default=LagStatus.OK)
    ordered = sorted(found, key=lambda f: -f[0].rank)
    # A trend of a few ms a minute is jitter: projecting it gives days-long "ETAs" that mean
    # nothing, so times are only given for a real trend.
    real = slope if slope is not None and abs(slope) >= GROWTH_MIN_MS_PER_MIN else None
    return Verdict(
        status=status,
        reasons=tuple(r for _, r in ordered),
        lag_ms=lag,
        trend_ms_per_min=slope,
        catch_up_sec=catch_up_sec(lag, real),
        data_loss_sec=data_loss_sec(lag, real, retention_hours),
    )


def _lag_findings(
    window: Sequence[Point],
    lag: float,
    slope: float | None,
    retention_hours: float | None,
    t: Thresholds,
) -> list[tuple[LagStatus, str]]:
    found: list[tuple[LagStatus, str]] = []
    if retention_hours and lag >= retention_hours * limits.HOUR * 1000 * t.retention_crit_fraction:
        found.append((LagStatus.ERR, "lag past 50% of retention: records about to expire unread"))
    if _is_stuck(window, slope):
        found.append((LagStatus.STALL, "lag rising with the clock: not making progress"))
    if lag >= t.iterator_age_warn_ms:
        found.append((LagStatus.WARN, f"lag over {t.iterator_age_warn_ms / 1000:.0f} s"))
    elif _is_growing(window, slope):
        found.append((LagStatus.WARN, "lag growing across the window"))
    return found


# -- KCL leases -------------------------------------------------------------------------------


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


def balance(leases: Iterable[Lease]) -> Balance:
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
        if (lease.owner_switches or 0) >= THRASH_SWITCHES:
            thrashing.append(lease.shard_id)
    return Balance(dict(sorted(workers.items())), unowned, tuple(sorted(thrashing)))


@dataclass
class _Seen:
    counter: int | None
    counter_at: float
    checkpoint: str | None
    checkpoint_at: float
    touched: float


class LeaseWatch:
    """Remembers across polls when each lease's counter and checkpoint last changed.

    Time is whatever clock the caller uses (seconds); a one-shot snapshot has seen each lease
    once, so nothing has been still for any time yet.
    """

    def __init__(self, forget_after_sec: float = 3600.0) -> None:
        self._seen: dict[tuple[str, str], _Seen] = {}
        self.forget_after_sec = forget_after_sec

    def observe(self, table: str, lease: Lease, now: float) -> tuple[float, float]:
        """Record ``lease``; return seconds its (counter, checkpoint) have not changed."""
        key = (table, lease.key)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = _Seen(lease.lease_counter, now, lease.checkpoint, now, now)
        if lease.lease_counter != seen.counter:
            seen.counter, seen.counter_at = lease.lease_counter, now
        if lease.checkpoint != seen.checkpoint:
            seen.checkpoint, seen.checkpoint_at = lease.checkpoint, now
        seen.touched = now
        return now - seen.counter_at, now - seen.checkpoint_at

    def prune(self, now: float) -> None:
        for key in [k for k, s in self._seen.items() if now - s.touched > self.forget_after_sec]:
            del self._seen[key]


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
    elif lease.lease_counter is not None and counter_still_sec > thresholds.lease_duration_sec:
        stopped.append(
            f"worker {lease.owner} has not renewed lease {lease.shard_id} "
            f"for {counter_still_sec:.0f} s"
        )
    # An idle shard of a busy stream does not checkpoint either: only call it stalled when its
    # lag is unknown or high, i.e. records are waiting after the checkpoint.
    caught_up = shard_lag_ms is not None and shard_lag_ms < thresholds.iterator_age_warn_ms
    if has_traffic and checkpoint_still_sec >= window_sec and not caught_up and not waiting_for:
        stalled.append(
            f"checkpoint of {lease.shard_id} unchanged for {checkpoint_still_sec / 60:.0f} min "
            "while records arrive"
        )
    return stopped, stalled


# -- what the dashboard and the JSON show -----------------------------------------------------


@dataclass(frozen=True)
class ShardLag:
    shard_id: str
    owner: str | None
    checkpoint: str | None
    lag_ms: float | None
    status: LagStatus
    lease_counter: int | None = None
    owner_switches: int | None = None
    parents: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "shard_id": self.shard_id,
            "owner": self.owner,
            "checkpoint": self.checkpoint,
            "lag_ms": self.lag_ms,
            "status": self.status.value,
            "lease_counter": self.lease_counter,
            "owner_switches": self.owner_switches,
            "parents": list(self.parents),
        }


@dataclass(frozen=True)
class ConsumerLag:
    kind: str  # efo | kcl | lambda | shared
    name: str
    lag_ms: float | None
    status: LagStatus
    trend_ms_per_min: float | None = None
    catch_up_sec: float | None = None
    data_loss_sec: float | None = None
    note: str | None = None
    reasons: tuple[str, ...] = ()
    # (epoch minute start in seconds, lag ms), oldest first: for sparklines, not in the JSON.
    history: tuple[Point, ...] = ()
    # KCL only.
    table: str | None = None
    shards: tuple[ShardLag, ...] = ()
    workers: Mapping[str, int] = field(default_factory=dict)
    unowned: int = 0
    thrashing: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d: dict = {
            "kind": self.kind,
            "name": self.name,
            "lag_ms": self.lag_ms,
            "status": self.status.value,
            "trend_ms_per_min": _round(self.trend_ms_per_min),
            "catch_up_sec": _round(self.catch_up_sec),
            "data_loss_sec": _round(self.data_loss_sec),
        }
        if self.kind == "kcl":
            d["table"] = self.table
            d["shards"] = [s.to_dict() for s in self.shards]
            d["workers"] = dict(self.workers)
            d["unowned"] = self.unowned
        note = self.full_note
        if note:
            d["note"] = note
        return d

    @property
    def full_note(self) -> str | None:
        """The note and the reasons for the status, in one line."""
        parts = [p for p in (self.note, *self.reasons) if p]
        return "; ".join(parts) if parts else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def from_verdict(kind: str, name: str, v: Verdict, history: Sequence[Point], **kw) -> ConsumerLag:
    return ConsumerLag(
        kind=kind,
        name=name,
        lag_ms=v.lag_ms,
        status=v.status,
        trend_ms_per_min=v.trend_ms_per_min,
        catch_up_sec=v.catch_up_sec,
        data_loss_sec=v.data_loss_sec,
        reasons=v.reasons,
        history=tuple(history),
        **kw,
    )


KIND_ORDER = {"efo": 0, "kcl": 1, "lambda": 2, "shared": 3}


def sort_consumers(consumers: Iterable[ConsumerLag]) -> tuple[ConsumerLag, ...]:
    return tuple(sorted(consumers, key=lambda c: (KIND_ORDER.get(c.kind, 9), c.name)))


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
    open_shards = {le.shard_id for le in leases if not le.finished}
    for lease in sorted(leases, key=lambda le: le.shard_id):
        points = in_window(shard_points.get(lease.shard_id, ()), now, window_sec)
        counter_still, checkpoint_still = still.get(lease.key, (0.0, 0.0))
        stop, stall = lease_problems(
            lease,
            counter_still,
            checkpoint_still,
            has_traffic=has_traffic,
            shard_lag_ms=points[-1][1] if points else None,
            thresholds=thresholds,
            window_sec=window_sec,
            waiting_for=[p for p in lease.parents if p in open_shards],
        )
        stopped += stop
        stalled += stall
        v = judge_lag(
            points,
            now=now,
            retention_hours=retention_hours,
            thresholds=thresholds,
            window_sec=window_sec,
            silent_means_stop=False,
            stopped=stop,
            stalled=stall,
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
            )
        )
    bal = balance(leases)
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
    )
    live = [s.status for s in shards if s.status is not LagStatus.UNKNOWN]
    status = worst([v.status, *live]) if leases else LagStatus.UNKNOWN
    return ConsumerLag(
        kind="kcl",
        name=name,
        lag_ms=v.lag_ms,
        status=status,
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
