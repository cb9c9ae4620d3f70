"""What is wrong with a stream, why, since when, and what to do: findings.

A finding has a severity, a stable code (documented in the README), a subject (the stream, a
shard, a consumer or a worker), a one-line cause, the evidence (numbers against the limit
they are judged by), since when, advice, and the AWS CLI command to copy where one exists.
kmon never runs the command: it only reads.

Pure: judged from the stream's facts, its per-minute metric history, its consumers' verdicts
and (where read) its shards, with the configured thresholds.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kmon.model import limits, units
from kmon.model.cost import StreamCost, hour_traffic, stream_cost
from kmon.model.detail import ShardRow
from kmon.model.health import Health, worst
from kmon.model.lag import ConsumerLag, LagStatus, ShardLag
from kmon.model.pricing import DEFAULT_PRICES, Prices
from kmon.model.quotas import AccountQuotas
from kmon.model.rules import Thresholds
from kmon.model.series import Series
from kmon.model.timefmt import iso_epoch, utc_minute

PERIOD = 60
# A peak for sizing advice is taken over this much history.
PEAK_WINDOW_SEC = 3600
# Findings of one kind per consumer (stalled shards, say) shown at most this many times.
MAX_PER_KIND = 5

GET_RECORDS = limits.SHARD_GET_RECORDS_PER_SEC
SHARD_WRITE_LIMIT = (
    f"{units.limit_rate(limits.SHARD_WRITE_BYTES_PER_SEC)} / "
    f"{limits.SHARD_WRITE_RECORDS_PER_SEC:,} rec/s"
)
SHARD_READ = units.limit_rate(limits.SHARD_READ_BYTES_PER_SEC)


@dataclass(frozen=True)
class Finding:
    severity: Health  # WARN or CRIT
    code: str
    subject_kind: str  # stream | shard | consumer | worker
    subject: str
    cause: str
    evidence: str
    advice: str
    command: str | None = None
    since: int | None = None  # epoch seconds the condition began; None when nothing says
    summary: str = ""  # a few words for a table cell or a wall tile: "hot shard 0 (50%)"

    def to_dict(self) -> dict:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "summary": self.summary,
            "subject": {"kind": self.subject_kind, "name": self.subject},
            "cause": self.cause,
            "evidence": self.evidence,
            "advice": self.advice,
            "command": self.command,
            "since": iso_epoch(self.since),
        }


@dataclass(frozen=True)
class StreamFacts:
    """What the control plane says about a stream (None where not known yet)."""

    name: str
    arn: str | None
    status: str
    mode: str | None
    open_shards: int | None
    retention_hours: int | None
    efo_consumers: int | None
    described_at: datetime | None = None
    # Shard-level metrics enabled (enhanced monitoring); None until described.
    shard_level_metrics: tuple[str, ...] | None = None
    # On-demand: the highest 5-minute write rate of the previous 30 days (0.0: no writes)
    # and when it began; None until read. Capacity is estimated from it.
    write_peak_bytes_per_sec: float | None = None
    write_peak_at: int | None = None
    # On-demand warm throughput (DescribeStreamSummary), MiB/s, where AWS reports it.
    warm_current_mibps: int | None = None
    warm_target_mibps: int | None = None


CONSUMER_SEVERITY = {
    LagStatus.WARN: Health.WARN,
    LagStatus.STALL: Health.WARN,
    LagStatus.ERR: Health.CRIT,
    LagStatus.STOP: Health.CRIT,
}


def consumer_severity(status: LagStatus) -> Health:
    """A consumer in err or stop makes its stream CRIT, warn or stall WARN; unknown nothing."""
    return CONSUMER_SEVERITY.get(status, Health.OK)


def short_shard(shard_id: str) -> str:
    """shardId-000000000002 -> 2, for tight cells; other ids as they are."""
    digits = shard_id.removeprefix("shardId-")
    return str(int(digits)) if digits.isdigit() else shard_id


def q(value: str) -> str:
    """A name as it goes into a command to copy: quoted when it needs to be."""
    return shlex.quote(value)


class History:
    """A stream's per-minute metrics, read back from its newest complete minute."""

    def __init__(self, facts: StreamFacts, series: Callable[[str], Series], minute: int | None):
        self.facts = facts
        self.series = series
        self.minute = minute

    def at(self, key: str, ts: int | None = None) -> float | None:
        ts = self.minute if ts is None else ts
        return None if ts is None else self.series(key).get(ts)

    def rate(self, key: str, ts: int | None = None) -> float | None:
        v = self.at(key, ts)
        return None if v is None else v / PERIOD

    def capacity(self) -> tuple[float, float | None, float | None] | None:
        """Write bytes/s, write records/s and read bytes/s limits. Provisioned: from the open
        shards. On-demand: only write bytes, estimated from the 30-day peak (see
        ``capacity_estimated``); None until that peak is known."""
        f = self.facts
        if self.capacity_estimated:
            return limits.on_demand_write_bytes(f.write_peak_bytes_per_sec), None, None
        if f.mode != "PROVISIONED" or not f.open_shards:
            return None
        return (
            limits.provisioned_write_bytes(f.open_shards),
            limits.provisioned_write_records(f.open_shards),
            limits.provisioned_read_bytes(f.open_shards),
        )

    @property
    def capacity_estimated(self) -> bool:
        """On-demand capacity is AWS's to adapt: kmon's figure is an estimate."""
        return self.facts.mode == "ON_DEMAND" and self.facts.write_peak_bytes_per_sec is not None

    def write_util(self, ts: int | None = None) -> float | None:
        cap = self.capacity()
        if cap is None:
            return None
        vals = [
            pct_of(self.rate("incoming_bytes", ts), cap[0]),
            pct_of(self.rate("incoming_records", ts), cap[1]),
        ]
        return max((v for v in vals if v is not None), default=None)

    def read_util(self, ts: int | None = None) -> float | None:
        cap = self.capacity()
        return None if cap is None else pct_of(self.rate("outgoing_bytes", ts), cap[2])

    def calls_per_shard_sec(self, ts: int | None = None) -> float | None:
        v = self.rate("get_records_calls", ts)
        shards = self.facts.open_shards
        return None if v is None or not shards else v / shards

    def recent(self, key: str, minutes: int) -> tuple[float | None, ...]:
        if self.minute is None:
            return ()
        return tuple(
            self.at(key, self.minute - i * PERIOD) or 0.0 for i in range(minutes - 1, -1, -1)
        )

    def run_start(self, holds: Callable[[int], bool]) -> int | None:
        """When the run of minutes for which ``holds`` is true, up to the newest, began."""
        if self.minute is None or not holds(self.minute):
            return None
        start = ts = self.minute
        floor = self.minute - 24 * 3600
        while ts - PERIOD > floor and holds(ts - PERIOD):
            ts -= PERIOD
            start = ts
        return start

    def cost(self, prices: Prices, **shape) -> StreamCost | None:
        """The stream's cost a day at the last hour's traffic, with ``shape`` (mode,
        open_shards, efo_consumers) changed from what it is now."""
        f = self.facts
        now = dict(
            mode=f.mode,
            open_shards=f.open_shards,
            retention_hours=f.retention_hours,
            efo_consumers=f.efo_consumers,
        )
        traffic = None if self.minute is None else hour_traffic(self.series, self.minute)
        return stream_cost(**{**now, **shape}, traffic=traffic, prices=prices)

    def cost_change(self, prices: Prices, **shape) -> float | None:
        """What changing the shape would add to the cost a day (negative: save)."""
        before, after = self.cost(prices), self.cost(prices, **shape)
        if before is None or after is None:
            return None
        return after.usd_per_day - before.usd_per_day

    def peak(self, key: str) -> float | None:
        """The highest per-second rate of the last hour."""
        if self.minute is None:
            return None
        v = self.series(key).max(self.minute - PEAK_WINDOW_SEC + PERIOD)
        return None if v is None else v / PERIOD


def judge_stream(
    facts: StreamFacts,
    series: Callable[[str], Series],
    minute: int | None,
    *,
    thresholds: Thresholds = Thresholds(),
    consumers: Sequence[ConsumerLag] = (),
    shards: Sequence[ShardRow] | None = None,
    quotas: AccountQuotas | None = None,
    prices: Prices = DEFAULT_PRICES,
) -> list[Finding]:
    """Every finding for one stream, worst first. ``quotas``: the account's, where known
    (advice that would need more than they allow says so); ``prices``: what the advice's
    cost differences are estimated with."""
    h = History(facts, series, minute)
    t = thresholds
    q_ = quotas or AccountQuotas()
    found = _stream_status(facts)
    found += _write_capacity(h, t, q_, prices)
    found += _hot_shard(h, t, shards)
    found += _shared_reads(h, t, consumers, q_, prices)
    found += _iterator_age(h, t, consumers)
    found += [f for c in consumers for f in _consumer(facts, c, t)]
    return sorted(found, key=lambda f: (-f.severity.rank, _CODE_ORDER.get(f.code, 99)))


def health_of(findings: Sequence[Finding]) -> tuple[Health, int | None]:
    """The stream's health (the worst finding) and since when it has been that bad."""
    level = worst((f.severity for f in findings), default=Health.OK)
    began = [f.since for f in findings if f.severity is level and f.since is not None]
    return level, min(began, default=None)


# -- the stream itself -------------------------------------------------------------------------


def _stream_status(facts: StreamFacts) -> list[Finding]:
    if facts.status in ("ACTIVE", "UNKNOWN", ""):
        return []
    what = {
        "UPDATING": "resharding or changing mode; reads and writes go on",
        "CREATING": "being created; not readable or writable yet",
        "DELETING": "being deleted",
    }.get(facts.status, "not ACTIVE")
    return [
        Finding(
            Health.WARN,
            "stream-status",
            "stream",
            facts.name,
            f"stream {facts.status}: {what}",
            f"status {facts.status} (expected ACTIVE)",
            "Usually minutes. If it stays UPDATING, look in CloudTrail for the "
            "UpdateShardCount, SplitShard or MergeShards call that started it.",
            f"aws kinesis describe-stream-summary --stream-name {q(facts.name)}",
            summary=f"stream {facts.status}",
        )
    ]


def _write_capacity(
    h: History, t: Thresholds, quotas: AccountQuotas, prices: Prices = DEFAULT_PRICES
) -> list[Finding]:
    util = h.write_util()
    level = t.utilization(util, h.capacity_estimated)
    if level not in (Health.WARN, Health.CRIT) or util is None:
        return []
    if h.capacity_estimated:
        return [_on_demand_capacity(h, t, util, level, quotas)]
    f = h.facts
    shards = f.open_shards or 1
    peak_b = h.peak("incoming_bytes") or 0.0
    peak_r = h.peak("incoming_records") or 0.0
    target = max(
        t.shards_for(peak_b, limits.SHARD_WRITE_BYTES_PER_SEC),
        t.shards_for(peak_r, limits.SHARD_WRITE_RECORDS_PER_SEC),
        shards + 1,
    )
    step = min(target, shards * limits.UPDATE_SHARD_COUNT_MAX_FACTOR)
    advice = (
        f"{target} shards keep the last hour's peak ({units.bytes_rate(peak_b)}, "
        f"{units.count_rate(peak_r)}) under {t.utilization_warn_pct:g}% of capacity"
        + _per_day(h.cost_change(prices, open_shards=target), " ({}, est.).", ".")
    )
    advice += _shard_quota_advice(quotas, shards, step, target)
    if step < target:
        advice += (
            f" UpdateShardCount at most doubles per call: go to {step} first, then to {target}."
        )
    on_demand = h.cost_change(prices, mode="ON_DEMAND")
    advice += (
        " Or switch to on-demand mode, which adapts capacity by itself"
        + _per_day(on_demand, ": {} at the last hour's traffic, est.")
        + f" (aws kinesis update-stream-mode --stream-arn {q(f.arn or '<arn>')} "
        "--stream-mode-details StreamMode=ON_DEMAND)."
    )
    if quotas.on_demand_full():
        lim = quotas.limits
        advice += (
            f" The account has {lim.on_demand_streams:,} of its {lim.on_demand_stream_limit:,} "
            "on-demand streams already: that needs a quota increase too."
        )
    cap = h.capacity()
    in_b, in_r = h.rate("incoming_bytes"), h.rate("incoming_records")
    evidence = (
        f"write {units.pct(util)} of capacity ({units.bytes_rate(in_b)} of "
        f"{units.bytes_rate(cap[0]) if cap else '?'}, {units.count_rate(in_r)} "
        f"of {units.count_rate(cap[1]) if cap else '?'} on {shards} shards); "
        f"warn at {t.utilization_warn_pct:g}%, limit {t.utilization_crit_pct:g}%"
    )
    throttled = h.at("write_throttled")
    if throttled:
        evidence += f"; {units.count(throttled)} writes throttled in the last minute"
    return [
        Finding(
            level,
            "write-capacity",
            "stream",
            f.name,
            f"writes at {units.pct(util)} of the stream's capacity",
            evidence,
            advice,
            f"aws kinesis update-shard-count --stream-name {q(f.name)} "
            f"--target-shard-count {step} --scaling-type UNIFORM_SCALING",
            h.run_start(lambda ts: t.utilization(h.write_util(ts)).rank >= level.rank),
            summary=f"writes at {units.pct(util)}",
        )
    ]


def _per_day(delta: float | None, template: str, unknown: str = "") -> str:
    """A cost difference put into ``template`` as '≈ $1.44/day more'; ``unknown`` without."""
    if delta is None:
        return unknown
    word = "more" if delta >= 0 else "less"
    return template.format(f"≈ {units.usd(abs(delta))}/day {word}")


def _shard_quota_advice(quotas: AccountQuotas, shards: int, step: int, target: int) -> str:
    """What the account's shard quota says of going from ``shards`` to ``target``."""
    left = quotas.shards_left()
    lim = quotas.limits
    more = target - shards
    if left is None or lim is None or more <= left:
        return ""
    text = (
        f" The account's shard quota is in the way: that is {more:,} more "
        f"shard{'' if more == 1 else 's'}, and {left:,} can still be opened "
        f"({lim.open_shards:,} of {lim.shard_limit:,} open). Request a higher shard quota "
        "(Service Quotas)"
    )
    if step - shards > left:
        return text + ": the command below fails until then."
    return text + f" before going past {shards + left:,}."


def _on_demand_capacity(
    h: History, t: Thresholds, util: float, level: Health, quotas: AccountQuotas
) -> Finding:
    """Writes near an on-demand stream's estimated capacity: twice its 30-day peak."""
    f = h.facts
    cap = h.capacity()
    peak = f.write_peak_bytes_per_sec or 0.0
    in_b = h.rate("incoming_bytes")
    basis = (
        f"{limits.ON_DEMAND_PEAK_MULTIPLIER}x the 30-day peak {units.bytes_rate(peak)} at "
        f"{utc_minute(f.write_peak_at)}"
        if f.write_peak_at is not None
        else "no writes in 30 days"
    )
    evidence = (
        f"write {units.pct(util)} of the estimated capacity ({units.bytes_rate(in_b)} of "
        f"~{units.bytes_rate(cap[0] if cap else None)}: {basis}, at least "
        f"{units.limit_rate(limits.ON_DEMAND_INITIAL_WRITE_BYTES_PER_SEC)}); "
        f"warn at {t.utilization_warn_pct:g}%"
    )
    throttled = h.at("write_throttled")
    if throttled:
        evidence += f"; {units.count(throttled)} writes throttled in the last minute"
    advice = (
        "On-demand capacity adapts: AWS keeps room for twice the previous 30-day peak and "
        "scales up from there, but writes that more than double within 15 minutes can be "
        "throttled while it does. "
    )
    command = None
    if quotas.on_demand_advantage:
        # Warm throughput that keeps the last hour's peak under the warning line.
        want = (h.peak("incoming_bytes") or in_b or 0.0) * 100 / t.utilization_warn_pct
        mibps = max(1, math.ceil(want / limits.MIB))
        advice += f"Raise the stream's warm throughput to {mibps} MiB/s ahead of the next peak."
        command = (
            f"aws kinesis update-stream-warm-throughput --stream-name {q(f.name)} "
            f"--warm-throughput-mi-bps {mibps}"
        )
    else:
        advice += (
            "Smooth out producer bursts where possible; warm throughput (capacity raised ahead "
            "of a known peak) needs the On-demand Advantage commitment."
        )
    return Finding(
        level,
        "write-capacity",
        "stream",
        f.name,
        f"writes at {units.pct(util)} of the stream's estimated on-demand capacity",
        evidence,
        advice,
        command,
        h.run_start(lambda ts: t.utilization(h.write_util(ts), True).rank >= level.rank),
        summary=f"writes at ~{units.pct(util)}",
    )


def _hot_shard(h: History, t: Thresholds, shards: Sequence[ShardRow] | None) -> list[Finding]:
    f = h.facts
    if t.utilization(h.write_util(), h.capacity_estimated) in (Health.WARN, Health.CRIT):
        return []  # the stream as a whole is full: write-capacity says so
    rows = [s for s in shards or () if s.is_open]
    hot = [s for s in rows if t.shard_hot(s.write_utilization_pct, s.write_throttled)]
    throttle = t.throttling(h.recent("write_throttled", t.throttle_crit_minutes))
    if not hot and throttle is Health.OK:
        return []
    level = Health.CRIT if throttle is Health.CRIT else Health.WARN
    since = h.run_start(lambda ts: bool(h.at("write_throttled", ts))) if throttle else None
    util = h.write_util()
    if util is not None:
        of = "estimated capacity" if h.capacity_estimated else "capacity"
        stream_util = f"stream at {units.pct(util)} of {of}"
    else:
        stream_util = "on-demand" if f.mode == "ON_DEMAND" else ""
    thr = h.at("write_throttled")
    thr_text = f"{units.count(thr)} writes throttled in the last minute" if thr else ""
    if hot:
        shard = max(hot, key=lambda s: (s.write_utilization_pct or 0.0, s.write_throttled or 0))
        share = _share(shard, rows)
        split = shard.split_key
        evidence = "; ".join(
            p
            for p in (
                f"{shard.shard_id} at {units.pct(shard.write_utilization_pct)} of its "
                f"{SHARD_WRITE_LIMIT} write limit (hot at {t.shard_hot_pct:g}%)",
                f"{units.pct(share)} of the stream's writes on {units.pct(shard.hash_share_pct)} "
                "of the key space"
                if share is not None
                else "",
                stream_util,
                thr_text,
            )
            if p
        )
        command = None
        if split is not None:
            command = (
                f"aws kinesis split-shard --stream-name {q(f.name)} "
                f"--shard-to-split {q(shard.shard_id)} --new-starting-hash-key {split}"
            )
        return [
            Finding(
                level,
                "hot-shard",
                "shard",
                shard.shard_id,
                f"hot shard {shard.shard_id}: one shard takes "
                + (f"{units.pct(share)} of the writes" if share is not None else "most writes"),
                evidence,
                "Split the shard at the midpoint of its hash-key range (command below), or "
                "spread the partition keys: a single key cannot use more than one shard, so a "
                "hot key needs a suffix to spread it.",
                command,
                since,
                summary=f"hot shard {short_shard(shard.shard_id)}"
                + (f" ({units.pct(share)})" if share is not None else ""),
            )
        ]
    # Not described yet (or DescribeStreamSummary denied): whether shard metrics exist, and
    # so which advice fits, is not known, but the throttling counts for the stream's health.
    described = f.shard_level_metrics is not None
    enhanced = bool(f.shard_level_metrics)
    metrics = ("IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded")
    monthly = len(metrics) * limits.CLOUDWATCH_USD_PER_METRIC_MONTH * (f.open_shards or 1)
    return [
        Finding(
            level,
            "uneven-keys",
            "stream",
            f.name,
            "writes throttled while the stream has spare capacity: partition keys are uneven",
            "; ".join(p for p in (thr_text, stream_util) if p),
            f"Some shard gets more than its {SHARD_WRITE_LIMIT}. "
            + (
                "Press s to see which shard is hot."
                if enhanced
                else "Shard-level metrics (enhanced monitoring) show which one."
                if not described
                else "Enable shard-level metrics to see which one: "
                f"{len(metrics)} metrics x {f.open_shards or 1} shards cost about "
                f"${monthly:,.2f} a month (${limits.CLOUDWATCH_USD_PER_METRIC_MONTH:.2f} per "
                "metric)."
            ),
            None
            if enhanced or not described
            else f"aws kinesis enable-enhanced-monitoring --stream-name {q(f.name)} "
            f"--shard-level-metrics {' '.join(metrics)}",
            since,
            summary="uneven partition keys",
        )
    ]


def _share(shard: ShardRow, rows: Sequence[ShardRow]) -> float | None:
    """The shard's share of the stream's writes, in the unit that makes it hot."""
    by_records = (shard.incoming_records_per_sec or 0) / limits.SHARD_WRITE_RECORDS_PER_SEC >= (
        shard.incoming_bytes_per_sec or 0
    ) / limits.SHARD_WRITE_BYTES_PER_SEC
    attr = "incoming_records_per_sec" if by_records else "incoming_bytes_per_sec"
    total = sum(getattr(r, attr) or 0.0 for r in rows)
    mine = getattr(shard, attr)
    return None if mine is None or not total else mine / total * 100


def _polling_readers(consumers: Sequence[ConsumerLag]) -> list[str]:
    return [f"{c.name} ({c.kind})" for c in consumers if c.kind in ("kcl", "lambda")]


def _shared_reads(
    h: History,
    t: Thresholds,
    consumers: Sequence[ConsumerLag],
    quotas: AccountQuotas,
    prices: Prices = DEFAULT_PRICES,
) -> list[Finding]:
    f = h.facts
    calls = h.calls_per_shard_sec()
    calls_pct = pct_of(calls, GET_RECORDS)
    read_pct = h.read_util()
    throttle = t.throttling(h.recent("read_throttled", t.throttle_crit_minutes))
    busy = t.shared_read_busy(calls_pct) or t.shared_read_busy(read_pct)
    if throttle is Health.OK and not busy:
        return []
    level = Health.CRIT if throttle is Health.CRIT else Health.WARN
    if throttle is not Health.OK:
        since = h.run_start(lambda ts: bool(h.at("read_throttled", ts)))
    else:
        since = h.run_start(
            lambda ts: (
                t.shared_read_busy(pct_of(h.calls_per_shard_sec(ts), GET_RECORDS))
                or t.shared_read_busy(h.read_util(ts))
            )
        )
    parts = []
    if calls is not None:
        parts.append(
            f"{calls:.1f} GetRecords calls/s per shard (limit {limits.SHARD_GET_RECORDS_PER_SEC}/s)"
        )
    if read_pct is not None:
        parts.append(f"reads at {units.pct(read_pct)} of {SHARD_READ} per shard")
    thr = h.at("read_throttled")
    if thr:
        parts.append(f"{units.count(thr)} reads throttled in the last minute")
    readers = _polling_readers(consumers)
    known = (
        f"Polling readers kmon sees: {', '.join(readers)}; others may read without a lease "
        "table or mapping."
        if readers
        else "kmon sees no named polling reader (no KCL lease table or Lambda mapping)."
    )
    efo = f.efo_consumers or 0
    return [
        Finding(
            level,
            "shared-reads",
            "stream",
            f.name,
            "polling readers exceed the shared read limit"
            if throttle is not Health.OK
            else "polling readers near the shared read limit",
            "; ".join(parts),
            f"All polling (GetRecords) readers share {limits.SHARD_GET_RECORDS_PER_SEC} calls/s "
            f"and {SHARD_READ} per shard. Move readers to enhanced fan-out: each registered "
            f"consumer gets its own {units.limit_rate(limits.EFO_READ_BYTES_PER_SEC)} "
            f"per shard, pushed, with no call limit ({efo} of "
            f"{quotas.efo_consumer_limit} registered now)."
            f"{_efo_cost(h.cost_change(prices, efo_consumers=efo + 1))} {known}",
            f"aws kinesis register-stream-consumer --stream-arn {q(f.arn or '<arn>')} "
            "--consumer-name <reader-name>",
            since,
            summary="reads over shared limit" if throttle is not Health.OK else "shared reads busy",
        )
    ]


def _efo_cost(delta: float | None) -> str:
    if delta is None:
        return ""
    return f" Each costs ≈ {units.usd(delta)}/day, est. (its shard-hours and reads)."


def pct_of(value: float | None, limit: float | None) -> float | None:
    """``value`` as a percentage of ``limit``; None without either."""
    return None if value is None or not limit else value / limit * 100


def _iterator_age(h: History, t: Thresholds, consumers: Sequence[ConsumerLag]) -> list[Finding]:
    f = h.facts
    age = h.at("iterator_age_ms")
    level = t.iterator_age(age, f.retention_hours)
    if level not in (Health.WARN, Health.CRIT) or age is None:
        return []
    # A named consumer this far behind explains it better: its own finding names it.
    if any(
        c.kind != "shared"
        and consumer_severity(c.status).rank >= level.rank
        and (c.lag_ms or 0) >= age * 0.9
        for c in consumers
    ):
        return []
    risk = t.retention_risk_ms(f.retention_hours)
    shared = next((c for c in consumers if c.kind == "shared"), None)
    trend = _trend_text(shared) if shared else ""
    evidence = (
        f"iterator age {units.duration_ms(age)} "
        f"(warn at {units.duration_ms(t.iterator_age_warn_ms)}"
        + (f", {t.retention_risk_label} {units.duration_ms(risk)}" if risk else "")
        + ")"
        + (f"; {trend}" if trend else "")
    )
    crit = level is Health.CRIT
    return [
        Finding(
            level,
            "retention-risk" if crit else "iterator-age",
            "stream",
            f.name,
            "the slowest polling reader is past "
            + (
                t.retention_risk_label
                if crit
                else f"{units.duration_ms(t.iterator_age_warn_ms)} behind"
            ),
            evidence,
            (
                "Records older than the retention period expire unread. Extend retention now "
                "to buy time, then speed up the reader (more workers, a faster downstream)."
                if crit
                else "A polling reader is behind: open the stream (Enter) to see which. Scale "
                "it out (one worker per shard at most) or fix its slow downstream."
            ),
            _retention_command(f) if crit else None,
            h.run_start(
                lambda ts: (
                    t.iterator_age(h.at("iterator_age_ms", ts), f.retention_hours).rank
                    >= level.rank
                )
            ),
            summary=("records near expiry " if crit else "readers ")
            + units.duration_ms(age)
            + ("" if crit else " behind"),
        )
    ]


def _retention_command(f: StreamFacts) -> str | None:
    if not f.retention_hours or f.retention_hours >= limits.MAX_RETENTION_HOURS:
        return None
    target = min(limits.MAX_RETENTION_HOURS, max(48, f.retention_hours * 2))
    return (
        f"aws kinesis increase-stream-retention-period --stream-name {q(f.name)} "
        f"--retention-period-hours {target}"
    )


def _trend_text(c: ConsumerLag) -> str:
    parts = []
    if c.trend_ms_per_min and abs(c.trend_ms_per_min) >= 1000:
        word = "growing" if c.trend_ms_per_min > 0 else "falling"
        parts.append(f"{word} {units.duration_ms(abs(c.trend_ms_per_min))}/min")
    if c.data_loss_sec is not None:
        parts.append(f"data loss in {units.duration(c.data_loss_sec)} at this rate")
    elif c.catch_up_sec is not None:
        parts.append(f"caught up in {units.duration(c.catch_up_sec)} at this rate")
    return ", ".join(parts)


# -- consumers ---------------------------------------------------------------------------------


def _consumer(f: StreamFacts, c: ConsumerLag, t: Thresholds) -> list[Finding]:
    """The consumer's own findings; the stream-level iterator age covers shared readers."""
    level = consumer_severity(c.status)
    if c.kind == "shared" or level is Health.OK:
        return []
    found: list[Finding] = []
    if c.kind == "kcl":
        found += _kcl(f, c, t)
    elif c.kind == "lambda":
        found += _lambda(f, c)
    elif c.kind == "efo" and c.details.get("status") not in (None, "ACTIVE"):
        found.append(
            Finding(
                Health.CRIT,
                "consumer-stopped",
                "consumer",
                c.name,
                f"EFO consumer {c.name} is {c.details.get('status')}",
                f"consumer status {c.details.get('status')} (expected ACTIVE)",
                "A consumer that is not ACTIVE receives nothing. If it is being deleted on "
                "purpose, nothing to do; otherwise register it again.",
                None,
                c.since,
                summary=f"{c.name} {c.details.get('status')}",
            )
        )
    # The lag itself, with its ETA, unless what was found already explains the status and
    # the lag is not high.
    covered = any(x.severity.rank >= level.rank for x in found)
    if not covered or t.lag_high(c.lag_ms):
        lag = _lag_finding(f, c, t)
        if lag is not None:
            found.append(lag)
    return found


def _lag_finding(f: StreamFacts, c: ConsumerLag, t: Thresholds) -> Finding | None:
    stopped = c.status is LagStatus.STOP
    if stopped and c.lag_ms is None:
        return Finding(
            Health.CRIT,
            "consumer-stopped",
            "consumer",
            c.name,
            f"consumer {c.name} has stopped: no lag reported while records arrive",
            "; ".join(c.reasons) or "no lag datapoints while the stream has traffic",
            _advice_stopped(c),
            None,
            c.since,
            summary=f"{c.name} stopped",
        )
    if c.status not in (LagStatus.WARN, LagStatus.ERR, LagStatus.STALL) and not (
        c.lag_ms is not None and t.lag_high(c.lag_ms)
    ):
        return None
    sev = Health.CRIT if c.status is LagStatus.ERR else Health.WARN
    trend = _trend_text(c)
    evidence = (
        f"lag {units.duration_ms(c.lag_ms)} (warn at {units.duration_ms(t.iterator_age_warn_ms)})"
    )
    if trend:
        evidence += f"; {trend}"
    if f.retention_hours:
        evidence += f"; retention {units.hours(f.retention_hours)}"
    if c.status is LagStatus.STALL:
        cause = f"consumer {c.name} is not making progress: lag rises with the clock"
    elif c.status is LagStatus.ERR:
        cause = f"consumer {c.name} past {t.retention_risk_label}: records about to expire"
    else:
        cause = f"consumer {c.name} ({c.kind}) is {units.duration_ms(c.lag_ms)} behind"
        if c.data_loss_sec is not None:
            cause += f", data loss in {units.duration(c.data_loss_sec)}"
    advice, command = _lag_advice(f, c)
    if c.status is LagStatus.ERR or (c.data_loss_sec is not None and c.data_loss_sec < 6 * 3600):
        advice += " Extend retention to buy time while it catches up."
        command = _retention_command(f) or command
    return Finding(
        sev,
        "consumer-lag",
        "consumer",
        c.name,
        cause,
        evidence,
        advice,
        command,
        c.since,
        summary=f"{c.name} {units.compact_duration(c.lag_ms / 1000)} behind"
        if c.lag_ms is not None
        else f"{c.name} behind",
    )


def _lag_advice(f: StreamFacts, c: ConsumerLag) -> tuple[str, str | None]:
    if c.kind == "kcl":
        workers = len(c.workers)
        shards = sum(1 for s in c.shards if s.checkpoint != "SHARD_END") or f.open_shards or 0
        if workers and shards and workers < shards:
            return (
                f"Add workers to {c.name}: {workers} workers hold {shards} leases; a KCL "
                "application uses at most one worker per shard. If the workers are busy with "
                "a slow downstream, fix that first.",
                None,
            )
        return (
            f"{c.name} has a worker per shard already: its record processing is too slow "
            "(a slow downstream, retries). Split shards to spread the work wider.",
            None,
        )
    if c.kind == "lambda":
        uuid = c.details.get("uuid")
        try:
            factor = int(c.details.get("parallelization_factor") or 1)
        except ValueError:
            factor = 1
        if factor < limits.LAMBDA_MAX_PARALLELIZATION_FACTOR and uuid:
            new = min(limits.LAMBDA_MAX_PARALLELIZATION_FACTOR, factor * 2)
            return (
                f"Raise the mapping's ParallelizationFactor ({factor} now, up to "
                f"{limits.LAMBDA_MAX_PARALLELIZATION_FACTOR}) so more batches per shard run at "
                "once, or make the function faster.",
                f"aws lambda update-event-source-mapping --uuid {q(uuid)} "
                f"--parallelization-factor {new}",
            )
        return ("Make the function faster or split shards to spread batches wider.", None)
    if c.kind == "efo":
        return (
            f"{c.name} has its own {units.limit_rate(limits.EFO_READ_BYTES_PER_SEC)} per shard: "
            "Kinesis is not the limit. Scale the "
            "consumer application's processing.",
            None,
        )
    return ("Find the slow reader and scale it out.", None)


def _advice_stopped(c: ConsumerLag) -> str:
    if c.kind == "kcl":
        return (
            f"Check that {c.name}'s workers are running; the lease table shows who holds "
            "which shard (Enter on the consumer)."
        )
    if c.kind == "lambda":
        return "Check the function's errors and its event source mapping in the Lambda console."
    return "Check that the consumer application is running and subscribed."


def _kcl(f: StreamFacts, c: ConsumerLag, t: Thresholds) -> list[Finding]:
    found: list[Finding] = []
    open_leases = [s for s in c.shards if s.checkpoint != "SHARD_END"]
    dead: dict[str, list[ShardLag]] = {}
    for s in open_leases:
        if s.dead_owner and s.owner:
            dead.setdefault(s.owner, []).append(s)
    for owner, leases in list(dead.items())[:MAX_PER_KIND]:
        ids = ", ".join(s.shard_id for s in leases)
        since = min((s.since for s in leases if s.since is not None), default=None)
        found.append(
            Finding(
                Health.CRIT,
                "kcl-dead-worker",
                "worker",
                owner,
                f"worker {owner} of {c.name} stopped renewing its leases",
                f"lease counter of {ids} unchanged longer than the lease duration "
                f"({t.lease_duration_sec:g} s)",
                f"Look at worker {owner}: is its process alive, can it reach DynamoDB? Other "
                "workers take its leases after the failover time; if none do, start a worker.",
                None,
                since,
                summary=f"dead worker {owner}",
            )
        )
    unowned = [s for s in open_leases if not s.owner]
    if unowned:
        found.append(
            Finding(
                Health.CRIT,
                "kcl-unowned-lease",
                "consumer",
                c.name,
                f"{len(unowned)} lease(s) of {c.name} have no owner: nobody reads those shards",
                "no leaseOwner on " + ", ".join(s.shard_id for s in unowned[:MAX_PER_KIND]),
                f"Start workers for {c.name}, or check that they use the lease table "
                f"{c.table or c.name}.",
                None,
                min((s.since for s in unowned if s.since is not None), default=c.since),
                summary=f"{c.name}: {len(unowned)} unowned",
            )
        )
    shard_state = {s.shard_id: s for s in c.shards}
    for s in [s for s in open_leases if s.stalled][:MAX_PER_KIND]:
        found.append(
            Finding(
                Health.WARN,
                "kcl-stalled-shard",
                "shard",
                s.shard_id,
                f"consumer {c.name} stalled on {s.shard_id}",
                f"checkpoint unchanged while records arrive; lag {units.duration_ms(s.lag_ms)}",
                f"Look at worker {s.owner or '(none)'}: the record processor for {s.shard_id} "
                "is stuck (a poison record, a blocked downstream call); a thread dump of the "
                "worker shows where.",
                None,
                s.since,
                summary=f"{c.name} stalled on {short_shard(s.shard_id)}",
            )
        )
    for s in open_leases:
        parents = [shard_state[p] for p in s.waiting_for if p in shard_state]
        blocked = [
            p for p in parents if p.status in (LagStatus.STALL, LagStatus.STOP, LagStatus.ERR)
        ]
        if blocked:
            p = blocked[0]
            found.append(
                Finding(
                    Health.WARN,
                    "kcl-parent-unfinished",
                    "shard",
                    p.shard_id,
                    f"{c.name}: child {s.shard_id} waits for parent {p.shard_id} to finish",
                    f"parent lease {p.shard_id} not at SHARD_END (status {p.status.value}, "
                    f"owner {p.owner or 'none'}); the KCL reads a child only after its parents",
                    f"The worker holding {p.shard_id} must read it to its end: look at "
                    f"{p.owner or 'why no worker holds it'}.",
                    None,
                    p.since,
                    summary=f"parent {short_shard(p.shard_id)} unfinished",
                )
            )
            break
    if c.thrashing:
        found.append(
            Finding(
                Health.WARN,
                "kcl-thrashing",
                "consumer",
                c.name,
                f"{c.name}'s workers keep taking leases from each other",
                "ownerSwitchesSinceCheckpoint at or above "
                f"{t.thrash_switches} on " + ", ".join(c.thrashing[:MAX_PER_KIND]),
                "Workers steal leases when some look dead: check for long GC pauses, a "
                "failover time shorter than a processing batch, or workers joining and leaving.",
                None,
                c.since,
                summary=f"{c.name} leases thrashing",
            )
        )
    return found


def _lambda(f: StreamFacts, c: ConsumerLag) -> list[Finding]:
    found: list[Finding] = []
    state = c.details.get("state")
    uuid = c.details.get("uuid")
    if state in ("Disabled", "Disabling"):
        found.append(
            Finding(
                Health.CRIT,
                "lambda-mapping-disabled",
                "consumer",
                c.name,
                f"the event source mapping of {c.name} is {state}: nothing reads for it",
                f"mapping state {state}",
                "Enable the mapping once the function is fixed; it resumes from its last "
                "checkpoint, as long as that is still within retention.",
                f"aws lambda update-event-source-mapping --uuid {q(uuid)} --enabled"
                if uuid
                else None,
                c.since,
                summary=f"{c.name} mapping {state}",
            )
        )
    result = c.details.get("last_result")
    if result and result != "OK" and not found:
        found.append(
            Finding(
                Health.WARN,
                "lambda-batch-failed",
                "consumer",
                c.name,
                f"{c.name}'s last batch was not processed",
                f"last processing result: {result}",
                "Look at the function's errors (its logs and the Errors metric); a batch that "
                "keeps failing blocks its shard until it expires or is bisected away.",
                None,
                c.since,
                summary=f"{c.name} batch failed",
            )
        )
    return found


_CODE_ORDER = {
    code: i
    for i, code in enumerate(
        (
            "kcl-dead-worker",
            "kcl-unowned-lease",
            "consumer-stopped",
            "lambda-mapping-disabled",
            "retention-risk",
            "consumer-lag",
            "kcl-stalled-shard",
            "kcl-parent-unfinished",
            "hot-shard",
            "uneven-keys",
            "write-capacity",
            "shared-reads",
            "iterator-age",
            "lambda-batch-failed",
            "kcl-thrashing",
            "stream-status",
        )
    )
}
CODES = tuple(_CODE_ORDER)
