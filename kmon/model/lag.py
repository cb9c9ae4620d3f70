"""Consumer lag judged over time: status, reasons and the rows the dashboard and JSON show.

Burrow's idea for Kinesis: a single lag reading says little, the window of recent readings
says whether a consumer is keeping up, falling behind, stuck or gone (see trend.py for the
arithmetic, kcl.py for what leases add). Pure: callers pass the samples and what they saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from kmon.model.rules import Thresholds
from kmon.model.timefmt import iso_epoch
from kmon.model.trend import (
    GROWTH_MIN_MS_PER_MIN,
    STALL_CLOCK_FRACTION,
    WINDOW_SEC,
    Point,
    catch_up_sec,
    data_loss_sec,
    in_window,
    is_growing,
    is_stuck,
    rising_since,
    run_start,
    slope_ms_per_min,
)


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


@dataclass(frozen=True)
class Verdict:
    status: LagStatus
    reasons: tuple[str, ...]
    lag_ms: float | None
    trend_ms_per_min: float | None
    catch_up_sec: float | None
    data_loss_sec: float | None
    # When the current status began (epoch seconds), from the samples or what the caller saw;
    # None when nothing says.
    since: int | None = None


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
    stopped_since: int | None = None,
    stalled_since: int | None = None,
) -> Verdict:
    """Judge one consumer (or one shard) over the window ending at ``now``.

    ``stopped``, ``stalled`` and ``warned`` are reasons the caller saw outside the lag series
    (no lease owner, a dead worker, a disabled mapping, a checkpoint that does not move).
    ``silent_means_stop``: no datapoints while the stream has traffic means nobody is reading
    (false for consumers that may simply not publish lag metrics). ``stopped_since`` and
    ``stalled_since``: when the caller's stopped and stalled reasons began.
    """
    history = sorted(points)
    window = in_window(history, now, window_sec)
    lag = window[-1][1] if window else None
    slope = slope_ms_per_min(window)
    found: list[_Found] = [(LagStatus.STOP, r, stopped_since) for r in stopped]
    found += [(LagStatus.STALL, r, stalled_since) for r in stalled]
    found += [(LagStatus.WARN, r, None) for r in warned]
    if lag is None:
        if has_traffic and silent_means_stop:
            silent = history[-1][0] + 60 if history else None
            found.append((LagStatus.STOP, "no lag datapoints while the stream has traffic", silent))
        elif not stopped and not stalled:
            found.append((LagStatus.UNKNOWN, "no lag datapoints", None))
    else:
        found += _lag_findings(history, window, lag, slope, retention_hours, thresholds)
    status = worst((s for s, _, _ in found), default=LagStatus.OK)
    ordered = sorted(found, key=lambda f: -f[0].rank)
    began = [t for s, _, t in found if s is status and t is not None]
    # A trend of a few ms a minute is jitter: projecting it gives days-long "ETAs" that mean
    # nothing, so times are only given for a real trend.
    real = slope if slope is not None and abs(slope) >= GROWTH_MIN_MS_PER_MIN else None
    return Verdict(
        status=status,
        reasons=tuple(r for _, r, _ in ordered),
        lag_ms=lag,
        trend_ms_per_min=slope,
        catch_up_sec=catch_up_sec(lag, real),
        data_loss_sec=data_loss_sec(lag, real, retention_hours),
        since=min(began) if began else None,
    )


_Found = tuple[LagStatus, str, int | None]  # status, reason, since


def _lag_findings(
    history: Sequence[Point],
    window: Sequence[Point],
    lag: float,
    slope: float | None,
    retention_hours: float | None,
    t: Thresholds,
) -> list[_Found]:
    found: list[_Found] = []
    risk = t.retention_risk_ms(retention_hours)
    if risk is not None and lag >= risk:
        found.append(
            (
                LagStatus.ERR,
                f"lag past {t.retention_risk_label}: records about to expire unread",
                run_start(history, lambda v: v >= risk),
            )
        )
    if is_stuck(window, slope):
        found.append(
            (
                LagStatus.STALL,
                "lag rising with the clock: not making progress",
                rising_since(history, STALL_CLOCK_FRACTION * 60_000.0),
            )
        )
    if t.lag_high(lag):
        found.append(
            (
                LagStatus.WARN,
                f"lag over {t.iterator_age_warn_ms / 1000:g} s",
                run_start(history, t.lag_high),
            )
        )
    elif is_growing(window, slope):
        found.append((LagStatus.WARN, "lag growing across the window", rising_since(history, 0.0)))
    return found


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
    since: int | None = None
    # What the lease showed: its owner stopped renewing it, its checkpoint does not move
    # while records arrive, or it waits for these parent shards to finish.
    dead_owner: bool = False
    stalled: bool = False
    waiting_for: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "shard_id": self.shard_id,
            "owner": self.owner,
            "checkpoint": self.checkpoint,
            "lag_ms": self.lag_ms,
            "status": self.status.value,
            "since": iso_epoch(self.since),
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
    since: int | None = None
    trend_ms_per_min: float | None = None
    catch_up_sec: float | None = None
    data_loss_sec: float | None = None
    note: str | None = None
    reasons: tuple[str, ...] = ()
    # (epoch minute start in seconds, lag ms), oldest first: for sparklines, not in the JSON.
    history: tuple[Point, ...] = ()
    # What the consumer's API says of it (EFO: arn, status, registered; Lambda: uuid, state,
    # batch size, parallelization factor, last result), for the screens and the advice.
    details: Mapping[str, str] = field(default_factory=dict)
    # KCL only.
    table: str | None = None
    shards: tuple[ShardLag, ...] = ()
    workers: Mapping[str, int] = field(default_factory=dict)
    unowned: int = 0
    thrashing: tuple[str, ...] = ()
    # The last known judgement, kept while what it stands on cannot be read (a throttled or
    # denied list, lease table or lag metric): ``as_of`` is when it was made (epoch seconds).
    stale: bool = False
    as_of: int | None = None

    def to_dict(self) -> dict:
        d: dict = {
            "kind": self.kind,
            "name": self.name,
            "lag_ms": self.lag_ms,
            "status": self.status.value,
            "since": iso_epoch(self.since),
            "trend_ms_per_min": _round(self.trend_ms_per_min),
            "catch_up_sec": _round(self.catch_up_sec),
            "data_loss_sec": _round(self.data_loss_sec),
        }
        if self.kind == "kcl":
            d["table"] = self.table
            d["shards"] = [s.to_dict() for s in self.shards]
            d["workers"] = dict(self.workers)
            d["unowned"] = self.unowned
        if self.details:
            d["details"] = dict(self.details)
        note = self.full_note
        if note:
            d["note"] = note
        if self.stale:
            d["stale"] = True
            d["as_of"] = iso_epoch(self.as_of)
        return d

    def kept(self, as_of: int) -> ConsumerLag:
        """This judgement shown as the last known one, made at ``as_of`` (epoch seconds)."""
        if self.stale:
            return self
        return replace(self, stale=True, as_of=as_of)

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
        since=v.since,
        reasons=v.reasons,
        history=tuple(history),
        **kw,
    )


KIND_ORDER = {"efo": 0, "kcl": 1, "lambda": 2, "shared": 3}


def sort_consumers(consumers: Iterable[ConsumerLag]) -> tuple[ConsumerLag, ...]:
    return tuple(sorted(consumers, key=lambda c: (KIND_ORDER.get(c.kind, 9), c.name)))
