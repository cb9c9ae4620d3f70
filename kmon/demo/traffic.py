"""The traffic model: pure arithmetic, no I/O.

Each stream offers load from a time-of-day curve, noise and bursts; the load is split across
shards by partition-key skew. Token buckets sized from the real service limits (kmon.model
.limits) decide, in 10-second slices, what is accepted and what is throttled, for writes and for
reads. Consumers are queues: each shard keeps a running count of accepted records, each
consumer a count of records it has processed, and iterator age is how long ago the oldest
record it has not processed arrived. Nothing here is a hard-coded throttle count: throttles
appear only when offered load exceeds a bucket.

A replica stream (spec.replica) has no producers of its own: each minute it is offered what
its replicator processed in the source stream that minute (`feed`), so it receives the
source's records as late as the replicator is behind.

Time is epoch seconds (floats); every random draw comes from the stream's own seeded
`random.Random`, so a seed and a start time reproduce the same minutes.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field

from kmon.model import limits

from .fleet import ConsumerSpec, StreamSpec

SLICE_SEC = 10.0  # token buckets refill per slice; finer slices cost time, not accuracy
SLICES_PER_MINUTE = 6
GET_RECORDS_MAX_RECORDS = 10_000  # API limit per GetRecords call
POLLING_KINDS = ("kcl", "polling", "lambda")


class TokenBucket:
    """Refills at `rate` per second up to one second's worth (the burst Kinesis allows)."""

    __slots__ = ("rate", "capacity", "tokens")

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = rate
        self.tokens = self.capacity

    def available(self, dt: float) -> float:
        return self.tokens + self.rate * dt

    def consume(self, amount: float, dt: float) -> None:
        self.tokens = max(0.0, min(self.capacity, self.tokens + self.rate * dt - amount))


def shard_id(n: int) -> str:
    return f"shardId-{n:012d}"


@dataclass
class ShardModel:
    shard_id: str
    weight: float
    write_records: TokenBucket
    write_bytes: TokenBucket
    read_calls: TokenBucket
    read_bytes: TokenBucket
    open: bool = True
    parent: str | None = None
    cum: float = 0.0  # records ever accepted
    marks: deque[tuple[float, float]] = field(default_factory=deque)  # (minute start, cum)


@dataclass
class ConsumerShard:
    consumed: float = 0.0  # records processed
    age_ms: float = 0.0  # iterator age at the end of the last minute
    efo: TokenBucket | None = None


@dataclass
class ShardMinute:
    shard_id: str
    open: bool
    offered_records: float = 0.0
    records: float = 0.0  # accepted
    bytes: float = 0.0
    throttled_records: float = 0.0
    get_calls: float = 0.0  # accepted GetRecords calls, all polling consumers
    read_throttled: float = 0.0  # GetRecords calls rejected (call or byte limit)
    out_records: float = 0.0  # read by polling consumers
    out_bytes: float = 0.0
    age_ms: float | None = None  # worst polling consumer at minute end
    age_max_ms: float | None = None


@dataclass
class ConsumerMinute:
    name: str
    kind: str
    records: float = 0.0
    bytes: float = 0.0
    calls: float = 0.0
    throttled: float = 0.0
    age_ms: dict[str, float] = field(default_factory=dict)  # per shard, minute end
    age_max_ms: dict[str, float] = field(default_factory=dict)
    position: dict[str, float] = field(default_factory=dict)  # processed up to (epoch s)
    finished: dict[str, bool] = field(default_factory=dict)  # closed shard fully processed


@dataclass
class StreamMinute:
    stream: str
    start: float
    shards: list[ShardMinute]
    consumers: list[ConsumerMinute]
    put_calls: float
    get_latency_ms: float

    @property
    def records(self) -> float:
        return sum(s.records for s in self.shards)

    @property
    def bytes(self) -> float:
        return sum(s.bytes for s in self.shards)

    @property
    def offered_records(self) -> float:
        return sum(s.offered_records for s in self.shards)

    @property
    def throttled_records(self) -> float:
        return sum(s.throttled_records for s in self.shards)

    @property
    def read_throttled(self) -> float:
        return sum(s.read_throttled for s in self.shards)


def _clamped_gauss(rng: random.Random, limit: float = 2.5) -> float:
    return max(-limit, min(limit, rng.gauss(0.0, 1.0)))


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method; lam is tiny here (quiet streams only).
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


class StreamModel:
    """One stream's offered load, shards, limits and consumers; advanced one minute at a time."""

    def __init__(self, spec: StreamSpec, seed: int, t0: float, scope: str = "") -> None:
        self.spec = spec
        self.t0 = t0  # world start: story events are relative to it
        # `scope` keeps same-named streams of two fleets (regions) from drawing alike.
        self.rng = random.Random(f"{seed}/{scope}/{spec.name}" if scope else f"{seed}/{spec.name}")
        self.fed = 0.0  # replicas: records per second the replicator writes this minute
        self.shards: dict[str, ShardModel] = {}
        weights = spec.key_skew or tuple(
            1.0 + 0.06 * _clamped_gauss(self.rng) for _ in range(spec.shards)
        )
        total = sum(weights)
        for i, w in enumerate(weights):
            self._add_shard(shard_id(i), w / total, parent=None)
        self._rebalance_capacity()
        self.consumers: dict[str, ConsumerSpec] = {c.name: c for c in spec.consumers}
        self.state: dict[tuple[str, str], ConsumerShard] = {}
        for c in spec.consumers:
            for sid in self.shards:
                self._add_consumer_shard(c, sid)
        self.burst_left = 0
        self.burst_mult = 1.0

    # -- shape -------------------------------------------------------------------------

    def _add_shard(self, sid: str, weight: float, parent: str | None) -> None:
        self.shards[sid] = ShardModel(
            shard_id=sid,
            weight=weight,
            write_records=TokenBucket(limits.SHARD_WRITE_RECORDS_PER_SEC),
            write_bytes=TokenBucket(limits.SHARD_WRITE_BYTES_PER_SEC),
            read_calls=TokenBucket(limits.SHARD_GET_RECORDS_PER_SEC),
            read_bytes=TokenBucket(limits.SHARD_READ_BYTES_PER_SEC),
            parent=parent,
        )

    def _add_consumer_shard(self, c: ConsumerSpec, sid: str) -> None:
        efo = TokenBucket(limits.EFO_READ_BYTES_PER_SEC) if c.kind == "efo" else None
        self.state[(c.name, sid)] = ConsumerShard(efo=efo)

    def _rebalance_capacity(self) -> None:
        if not self.spec.on_demand:
            return
        # On-demand capacity is per stream; the emulator's shards share it evenly.
        open_shards = [s for s in self.shards.values() if s.open]
        peak = self.spec.on_demand_peak_bytes_per_sec
        write = limits.on_demand_write_bytes(peak) / len(open_shards)
        read = limits.on_demand_read_bytes(peak) / len(open_shards)
        per_mib = limits.SHARD_WRITE_RECORDS_PER_SEC / limits.SHARD_WRITE_BYTES_PER_SEC
        for s in open_shards:
            s.write_bytes = TokenBucket(write)
            s.write_records = TokenBucket(write * per_mib)
            s.read_bytes = TokenBucket(read)

    def split(self, children: dict[str, tuple[str, str]]) -> None:
        """Close each parent and give its key range (and traffic) to two children."""
        for parent_id, kids in children.items():
            parent = self.shards[parent_id]
            parent.open = False
            for kid in kids:
                self._add_shard(kid, parent.weight / 2, parent=parent_id)
                for c in self.consumers.values():
                    self._add_consumer_shard(c, kid)
        self._rebalance_capacity()

    # -- load --------------------------------------------------------------------------

    def feed(self, records: float) -> None:
        """A replica's load for the next minute: what its replicator processed."""
        self.fed = records / 60.0

    def offered_rate(self, t: float) -> float:
        """Records per second the producers try to write at time t (before noise)."""
        spec = self.spec
        if spec.replica:
            return self.fed
        hour = (t % 86_400) / 3_600
        daily = 1.0 + spec.daily_amplitude * math.sin(
            2 * math.pi * (hour - spec.peak_hour_utc + 6) / 24
        )
        return spec.records_per_sec * daily

    def _minute_factor(self) -> float:
        spec = self.spec
        if self.burst_left > 0:
            self.burst_left -= 1
        elif spec.burst_chance and self.rng.random() < spec.burst_chance:
            self.burst_left = self.rng.randint(*spec.burst_minutes) - 1
            self.burst_mult = self.rng.uniform(*spec.burst_factor)
        burst = self.burst_mult if self.burst_left > 0 else 1.0
        return max(0.05, 1.0 + spec.noise * _clamped_gauss(self.rng)) * burst

    def capacity(self, c: ConsumerSpec, t: float) -> float | None:
        d = c.degradation
        if d is not None and d.active((t - self.t0) / 60):
            return d.records_per_sec
        return c.records_per_sec

    # -- one minute --------------------------------------------------------------------

    def step(self, start: float) -> StreamMinute:
        spec = self.spec
        rng = self.rng
        factor = self._minute_factor()
        size = spec.record_bytes * (1.0 + 0.03 * _clamped_gauss(rng))
        shards = list(self.shards.values())
        minutes = {s.shard_id: ShardMinute(s.shard_id, s.open) for s in shards}
        cons = {c.name: ConsumerMinute(c.name, c.kind) for c in self.consumers.values()}
        for s in shards:
            s.marks.append((start, s.cum))

        quiet_slices: dict[str, list[float]] = {}
        if spec.quiet:
            # A few records a minute: count them, then drop each into a random slice.
            for s in shards:
                if s.open:
                    n = _poisson(rng, self.offered_rate(start) * 60 * s.weight * factor)
                    slots = [0.0] * SLICES_PER_MINUTE
                    for _ in range(n):
                        slots[rng.randrange(SLICES_PER_MINUTE)] += 1
                    quiet_slices[s.shard_id] = slots

        polling = [c for c in self.consumers.values() if c.kind in POLLING_KINDS]
        efos = [c for c in self.consumers.values() if c.kind == "efo"]
        dt = SLICE_SEC
        for k in range(SLICES_PER_MINUTE):
            t = start + k * dt
            base = self.offered_rate(t + dt / 2) * factor
            for s in shards:
                m = minutes[s.shard_id]
                if s.open:
                    if spec.quiet:
                        offered = quiet_slices[s.shard_id][k]
                    else:
                        jitter = max(0.0, 1.0 + 0.5 * spec.noise * _clamped_gauss(rng))
                        offered = base * s.weight * jitter * dt
                    self._write(s, m, offered, size, dt)
                self._read(s, m, cons, polling, efos, size, t, dt)

        end = start + 60.0
        for s in shards:
            self._ages(s, minutes[s.shard_id], cons, end)
            self._trim(s, end)
        records = sum(m.records + m.throttled_records for m in minutes.values())
        put_calls = math.ceil(records / spec.put_batch_records) if records else 0
        return StreamMinute(
            stream=spec.name,
            start=start,
            shards=[minutes[s.shard_id] for s in shards],
            consumers=list(cons.values()),
            put_calls=float(put_calls),
            get_latency_ms=max(4.0, 14.0 + 4.0 * _clamped_gauss(rng)),
        )

    def _write(self, s: ShardModel, m: ShardMinute, offered: float, size: float, dt: float):
        if offered <= 0:
            s.write_records.consume(0.0, dt)
            s.write_bytes.consume(0.0, dt)
            return
        frac = min(
            1.0,
            s.write_records.available(dt) / offered,
            s.write_bytes.available(dt) / (offered * size),
        )
        accepted = offered * frac
        s.write_records.consume(accepted, dt)
        s.write_bytes.consume(accepted * size, dt)
        s.cum += accepted
        m.offered_records += offered
        m.records += accepted
        m.bytes += accepted * size
        m.throttled_records += offered - accepted

    def _read(
        self,
        s: ShardModel,
        m: ShardMinute,
        cons: dict[str, ConsumerMinute],
        polling: list[ConsumerSpec],
        efos: list[ConsumerSpec],
        size: float,
        t: float,
        dt: float,
    ) -> None:
        # Polling consumers share 5 calls/s and 2 MiB/s per shard. A consumer that has
        # finished a closed shard stops polling it.
        active = [
            c for c in polling if s.open or self.state[(c.name, s.shard_id)].consumed < s.cum - 1e-6
        ]
        offered_calls = [c.calls_per_sec * dt for c in active]
        total_calls = sum(offered_calls)
        if total_calls > 0:
            ok_total = min(total_calls, s.read_calls.available(dt))
            s.read_calls.consume(ok_total, dt)
            share = ok_total / total_calls
            wants = []
            for c, calls in zip(active, offered_calls, strict=True):
                st = self.state[(c.name, s.shard_id)]
                cap = self.capacity(c, t)
                want = s.cum - st.consumed
                want = min(want, calls * share * GET_RECORDS_MAX_RECORDS)
                if cap is not None:
                    want = min(want, cap * dt)
                wants.append(max(0.0, want))
            want_bytes = sum(wants) * size
            scale = 1.0
            if want_bytes > 0:
                scale = min(1.0, s.read_bytes.available(dt) / want_bytes)
            s.read_bytes.consume(want_bytes * scale, dt)
            for c, calls, want in zip(active, offered_calls, wants, strict=True):
                st = self.state[(c.name, s.shard_id)]
                ok = calls * share
                # Calls turned away by the byte limit are throttled too.
                throttled = calls - ok + (ok * (1.0 - scale) if want > 0 else 0.0)
                got = want * scale
                st.consumed += got
                cm = cons[c.name]
                cm.records += got
                cm.bytes += got * size
                cm.calls += calls - throttled
                cm.throttled += throttled
                m.get_calls += calls - throttled
                m.read_throttled += throttled
                m.out_records += got
                m.out_bytes += got * size
        for c in efos:
            st = self.state[(c.name, s.shard_id)]
            assert st.efo is not None
            want = max(0.0, s.cum - st.consumed)
            cap = self.capacity(c, t)
            if cap is not None:
                want = min(want, cap * dt)
            got = min(want, st.efo.available(dt) / size)
            st.efo.consume(got * size, dt)
            st.consumed += got
            cons[c.name].records += got
            cons[c.name].bytes += got * size

    def _position(self, s: ShardModel, consumed: float, end: float) -> float:
        """Arrival time of the oldest record not yet processed (end if caught up)."""
        if consumed >= s.cum - 0.5:
            return end
        marks = list(s.marks) + [(end, s.cum)]
        lo, hi = 0, len(marks) - 1
        if consumed <= marks[0][1]:
            return marks[0][0]
        while hi - lo > 1:  # last mark with cum <= consumed
            mid = (lo + hi) // 2
            if marks[mid][1] <= consumed:
                lo = mid
            else:
                hi = mid
        (t_a, c_a), (t_b, c_b) = marks[lo], marks[hi]
        if c_b <= c_a:
            return t_b
        return t_a + (t_b - t_a) * (consumed - c_a) / (c_b - c_a)

    def _cum_at(self, s: ShardModel, t: float, end: float) -> float:
        marks = list(s.marks) + [(end, s.cum)]
        prev = marks[0]
        for mark in marks:
            if mark[0] >= t:
                if mark[0] == prev[0]:
                    return mark[1]
                return prev[1] + (mark[1] - prev[1]) * (t - prev[0]) / (mark[0] - prev[0])
            prev = mark
        return s.cum

    def _nominal_age_ms(self, c: ConsumerSpec, m: ShardMinute) -> tuple[float, float]:
        """Mean and peak iterator age over a minute for a consumer that keeps up: records wait
        about half a poll interval on average and up to a whole one (longer when throttled);
        EFO pushes within a few hundred milliseconds."""
        rng = self.rng
        if c.kind == "efo":
            mean = max(20.0, 90.0 + 40.0 * _clamped_gauss(rng))
            return mean, mean * rng.uniform(2.5, 5.0)
        interval_ms = 1000.0 / max(c.calls_per_sec, 0.01)
        calls = m.get_calls + m.read_throttled
        slow = 1.0 + 2.0 * (m.read_throttled / calls if calls else 0.0)
        mean = max(50.0, (interval_ms / 2) * (1.0 + 0.15 * _clamped_gauss(rng)) * slow)
        peak = interval_ms * rng.uniform(0.95, 1.35) * slow + rng.uniform(10.0, 80.0)
        return mean, max(mean, peak)

    def _ages(
        self, s: ShardModel, m: ShardMinute, cons: dict[str, ConsumerMinute], end: float
    ) -> None:
        retention = self.spec.retention_hours * 3600.0
        worst: float | None = None
        worst_max: float | None = None
        for c in self.consumers.values():
            st = self.state[(c.name, s.shard_id)]
            cm = cons[c.name]
            pos = self._position(s, st.consumed, end)
            if pos < end - retention:
                # Records past the retention period expire: the consumer skips them.
                st.consumed = self._cum_at(s, end - retention, end)
                pos = end - retention
            if pos < end:  # behind: the age moved from last minute's value to this one
                age = (end - pos) * 1000.0
                age_max = max(age, st.age_ms)
            else:
                age, peak = self._nominal_age_ms(c, m)
                age_max = max(peak, st.age_ms)
            finished = not s.open and st.consumed >= s.cum - 0.5
            if finished and not cm.records:
                age = age_max = 0.0
            st.age_ms = age
            cm.age_ms[s.shard_id] = age
            cm.age_max_ms[s.shard_id] = age_max
            cm.position[s.shard_id] = pos
            cm.finished[s.shard_id] = finished
            if c.kind in POLLING_KINDS and not finished:
                worst = age if worst is None else max(worst, age)
                worst_max = age_max if worst_max is None else max(worst_max, age_max)
        m.age_ms = worst
        m.age_max_ms = worst_max

    def _trim(self, s: ShardModel, end: float) -> None:
        # Keep marks back to the slowest consumer's position (bounded by retention).
        oldest = min(
            (self._position(s, self.state[(c, s.shard_id)].consumed, end) for c in self.consumers),
            default=end,
        )
        while len(s.marks) > 1 and s.marks[1][0] <= oldest:
            s.marks.popleft()


class TrafficModel:
    """All streams of the fleet, stepped together one minute at a time."""

    def __init__(
        self, specs: tuple[StreamSpec, ...], seed: int, t0: float, scope: str = ""
    ) -> None:
        self.streams = {spec.name: StreamModel(spec, seed, t0, scope) for spec in specs}

    def step(self, start: float) -> dict[str, StreamMinute]:
        return {name: model.step(start) for name, model in self.streams.items()}
