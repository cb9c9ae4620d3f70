"""DemoWorld: moto's server in-process, the demo fleet, and a thread that keeps it alive.

The world talks to its emulator only through boto3 over HTTP, like any client. The only
in-process reach into moto is for speed and fidelity of the emulator itself (metric_index.py,
moto_patches.py), applied to the demo's own backend instances.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from . import emulator, moto_patches, publisher, resources
from .fleet import HISTORY_MINUTES, StreamSpec, default_fleet
from .kcl import LeaseTable
from .stream_ops import StreamIO
from .traffic import StreamMinute, TrafficModel

log = logging.getLogger(__name__)

PRUNE_MARGIN_MINUTES = 15
BACKFILL_DENSE_SAMPLES = 90  # minutes of backfill with a sample record per shard per minute
TICK_SEC = 0.5
# How long a resharded stream stays UPDATING, as on AWS: longer than a dashboard poll, so
# the status change (and with it the new shard count) is seen.
UPDATING_SEC = 45.0

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _floor_minute(epoch: float) -> float:
    return float(int(epoch // 60) * 60)


class DemoWorld:
    """A simulated Kinesis fleet on an in-process moto server.

    `start()` / `stop()` (or `with DemoWorld(...) as world:`); `endpoint`, `region` and
    `stream_names` say where to look. `clock` (returning an aware datetime) is the simulated
    time source; it defaults to the wall clock, so a new minute is published each time a
    wall-clock minute completes. Tests pass their own clock and drive time with
    `advance_to(t)` or `step()`. `reshard_after_sec` is when the resharding stream splits;
    `history_minutes` how much history is backfilled and kept; `metric_index=False` leaves
    moto's CloudWatch store as it is (benchmarks); `run_thread=False` publishes only when
    asked to.
    """

    def __init__(
        self,
        seed: int = 7,
        port: int | None = None,
        region: str = "us-east-1",
        *,
        clock: Clock | None = None,
        reshard_after_sec: float = 180.0,
        history_minutes: int = HISTORY_MINUTES,
        metric_index: bool = True,
        run_thread: bool = True,
        fleet: tuple[StreamSpec, ...] | None = None,
    ) -> None:
        self.seed = seed
        self.port = port
        self.region = region
        self.clock: Clock = clock or utc_now
        self.reshard_after_sec = reshard_after_sec
        self.history_minutes = history_minutes
        self.use_metric_index = metric_index
        self.run_thread = run_thread
        self.specs = fleet or default_fleet()
        self.stream_names: list[str] = [s.name for s in self.specs]
        self.endpoint = ""
        self.account_id = ""
        self.started_at: datetime | None = None
        self.start_seconds = 0.0
        self.metric_index: Any = None
        self.model: TrafficModel | None = None
        self.resharded = False
        self.updating_until: float | None = None  # epoch when resharded streams turn ACTIVE
        self.next_minute = 0.0  # epoch start of the next minute to publish
        self._server: Any = None
        self._clients: dict[str, Any] = {}
        self._io: dict[str, StreamIO] = {}
        self._leases: dict[str, LeaseTable] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._running = False
        self._owns_backends = False  # True once this world has claimed its region's emulator

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> DemoWorld:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> DemoWorld:
        """Start the emulator, build the fleet, backfill the history; returns when ready."""
        if self._running:
            return self
        if self._stopped:
            raise RuntimeError("a stopped DemoWorld cannot be started again; create a new one")
        began = time.perf_counter()
        self._server = emulator.start_server(self.port)
        self._running = True
        try:
            host, port = self._server.get_host_and_port()
            self.port = port
            self.endpoint = f"http://{host}:{port}"
            self._clients = emulator.make_clients(self.endpoint, self.region)
            self.account_id = self.client("sts").get_caller_identity()["Account"]
            self._patch_backends()
            self._io, self._leases = resources.build_fleet(
                self._clients, self.specs, self.seed, self.region
            )
            kinesis = self._backends()["kinesis"]
            moto_patches.check_sequence_numbers(kinesis)
            for i, name in enumerate(self.stream_names):
                moto_patches.aws_sequence_numbers(kinesis.streams[name], i)
            now = self.clock()
            self.started_at = now
            self.model = TrafficModel(self.specs, self.seed, now.timestamp())
            self._backfill(_floor_minute(now.timestamp()))
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - began
        if self.run_thread:
            self._thread = threading.Thread(target=self._run, name="kmon-demo-world", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._stopped or not self._running:
                self._stopped = True
                return
            self._stopped = True
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        with self._lock:
            try:
                self._teardown_resources()
            except Exception:  # the server is going away anyway
                log.debug("demo world teardown failed", exc_info=True)
            if self._server is not None:
                emulator.stop_server(self._server)
            self._running = False

    def _run(self) -> None:
        while not self._stop.wait(TICK_SEC):
            try:
                self.advance_to(self.clock())
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("demo world tick failed")

    # -- clients and backends ----------------------------------------------------------

    def client(self, service: str) -> Any:
        return self._clients[service]

    def _backends(self) -> dict[str, Any]:
        return emulator.backends(self.account_id, self.region)

    def _patch_backends(self) -> None:
        emulator.check_moto_version()
        b = self._backends()
        if b["kinesis"].streams.keys() & set(self.stream_names):
            raise RuntimeError(
                f"the emulator in this process already has demo streams in {self.region}; "
                "stop the other DemoWorld first or use another region"
            )
        self._owns_backends = True
        moto_patches.quiet_kinesis_metrics(b["kinesis"])
        moto_patches.simulated_lambda(b["lambda"])
        # DescribeLimits and DescribeAccountSettings answer for the fleet built here.
        moto_patches.true_limits(b["kinesis"])
        moto_patches.account_settings(b["kinesis"])
        if self.use_metric_index:
            from . import metric_index

            self.metric_index = metric_index.install(b["cloudwatch"])

    def _teardown_resources(self) -> None:
        # Leave nothing behind for a later world in the same process.
        if not self._owns_backends:
            return
        resources.delete_roles(self._clients, self.specs, self.region)
        if self.account_id:
            backends = self._backends()
            gone: list[Any] = list(backends["cloudwatch"].metric_data)
            for stream in backends["kinesis"].streams.values():
                for shard in stream.shards.values():
                    gone.extend(shard.records.values())
            for backend in backends.values():
                backend.reset()
            moto_patches.forget(gone)
            moto_patches.forget_replaced_items()

    # -- time --------------------------------------------------------------------------

    def _backfill(self, now_minute: float) -> None:
        assert self.model is not None
        first = now_minute - self.history_minutes * 60
        datums: list[tuple[str, Any]] = []
        wanted: dict[str, list[tuple[float, str, int]]] = {n: [] for n in self.stream_names}
        results: dict[str, StreamMinute] = {}
        for i in range(self.history_minutes):
            start = first + i * 60
            results = self.model.step(start)
            # Sample records: every minute for the last 90, every fifth before (memory, time).
            sampled = self.history_minutes - i <= BACKFILL_DENSE_SAMPLES or i % 5 == 0
            for spec in self.specs:
                datums.extend(publisher.minute_datums(spec, results[spec.name]))
                if sampled:
                    wanted[spec.name].extend(self._samples(spec, results[spec.name]))
        for name, items in wanted.items():
            self._put_samples(name, items)
        self._consume(results, resume=True)
        for table in self._leases.values():
            table.renew(self.history_minutes)
            table.write()
        publisher.put_all(self.client("cloudwatch"), datums)
        self.next_minute = now_minute

    def _put_samples(self, stream: str, wanted: list[tuple[float, str, int]]) -> None:
        placed = self._io[stream].put_samples(wanted)
        moto_patches.stamp_arrivals(self._backends()["kinesis"].streams[stream], placed)

    def _samples(self, spec: StreamSpec, m: StreamMinute) -> list[tuple[float, str, int]]:
        sio = self._io[spec.name]
        if spec.quiet:
            return [(m.start, s.shard_id, round(s.records)) for s in m.shards if round(s.records)]
        return [(m.start, sid, 1) for sid in sio.open]

    def _consume(self, results: dict[str, StreamMinute], resume: bool = False) -> None:
        """Polling consumers really read up to what they have processed; KCL checkpoints.
        With `resume` (after the backfill) each starts at its position with one small read."""
        for spec in self.specs:
            sio = self._io[spec.name]
            table = self._leases.get(spec.name)
            for cm in results[spec.name].consumers:
                if cm.kind not in ("kcl", "polling"):
                    continue
                for sid, position in cm.position.items():
                    target = sio.target_seq(sid, position)
                    if target is None:
                        seq = None
                    elif resume:
                        seq = sio.resume_at(cm.name, sid, target)
                    else:
                        seq = sio.read_to(cm.name, sid, target)
                    if table is None or cm.kind != "kcl" or sid not in table.leases:
                        continue
                    if cm.finished.get(sid):
                        table.finish(sid, set(sio.children(sid)))
                    elif seq is not None:
                        table.checkpoint(sid, seq)

    def advance_to(self, t: datetime) -> int:
        """Publish every minute completed by time `t`; returns how many were published."""
        with self._lock:
            if not self._running or self._stopped or self.model is None:
                return 0
            epoch = t.timestamp()
            done = 0
            reshard_at = self._reshard_at()
            # Catching up after a long pause re-creates at most the history window.
            horizon = _floor_minute(epoch) - self.history_minutes * 60
            if self.next_minute < horizon:
                self.next_minute = horizon
            while self.next_minute + 60 <= epoch:
                if reshard_at is not None and not self.resharded and reshard_at <= self.next_minute:
                    self._reshard()
                try:
                    self._step_minute(self.next_minute)
                    done += 1
                except Exception:
                    # Never step the model twice for one minute: a failed minute stays a gap
                    # ("no data"), as it would in CloudWatch.
                    log.exception("demo world: minute %s not published", self.next_minute)
                self.next_minute += 60
            if reshard_at is not None and not self.resharded and reshard_at <= epoch:
                self._reshard()
            if self.updating_until is None and self.resharded:
                self.updating_until = epoch + UPDATING_SEC
            elif self.updating_until is not None and epoch >= self.updating_until:
                self._set_status("ACTIVE")
                self.updating_until = float("inf")  # done: the stream stays ACTIVE
            if done:
                self.prune()
            return done

    def step(self) -> int:
        """Publish the next minute, whatever the clock says (tests, benchmarks)."""
        return self.advance_to(datetime.fromtimestamp(self.next_minute + 60, tz=timezone.utc))

    def _reshard_at(self) -> float | None:
        if self.started_at is None or not any(s.reshard for s in self.specs):
            return None
        return self.started_at.timestamp() + self.reshard_after_sec

    def _step_minute(self, start: float) -> None:
        assert self.model is not None
        results = self.model.step(start)
        datums: list[tuple[str, Any]] = []
        for spec in self.specs:
            m = results[spec.name]
            datums.extend(publisher.minute_datums(spec, m))
            samples = self._samples(spec, m)
            if samples:
                self._put_samples(spec.name, samples)
        self._consume(results)
        for table in self._leases.values():
            table.renew()
            table.write()
        publisher.put_all(self.client("cloudwatch"), datums)

    def _reshard(self) -> None:
        """Split every open shard of the resharding streams (SplitShard at the midpoint)."""
        assert self.model is not None
        self.resharded = True
        for spec in self.specs:
            if not spec.reshard:
                continue
            sio = self._io[spec.name]
            sio.refresh_shards()
            parents = list(sio.open)
            splits = [(sid, sio.midpoint(sid)) for sid in parents]
            kinesis = self._backends()["kinesis"]
            moto_patches.keep_parent_records(
                kinesis.streams[spec.name], functools.partial(self._split, spec.name, splits)
            )
            moto_patches.route_to_open_shards(kinesis, spec.name)
            moto_patches.aws_sequence_numbers(
                kinesis.streams[spec.name], self.stream_names.index(spec.name)
            )
            sio.refresh_shards()
            children: dict[str, tuple[str, str]] = {}
            for parent in parents:
                kids = sio.children(parent)
                children[parent] = (kids[0], kids[1])
            self.model.streams[spec.name].split(children)
            table = self._leases.get(spec.name)
            if table is not None:
                for kid in sorted(c for pair in children.values() for c in pair):
                    table.add(kid, sio.hash_ranges[kid], sio.parents[kid])
                table.write()
        # AWS shows a resharding stream as UPDATING for a while; moto keeps it ACTIVE.
        self._set_status("UPDATING")
        log.info("resharded %s", [s.name for s in self.specs if s.reshard])

    def _set_status(self, status: str) -> None:
        streams = self._backends()["kinesis"].streams
        for spec in self.specs:
            if spec.reshard and spec.name in streams:
                streams[spec.name].status = status

    def _split(self, stream: str, splits: list[tuple[str, str]]) -> None:
        for shard_id, new_starting_hash_key in splits:
            self.client("kinesis").split_shard(
                StreamName=stream, ShardToSplit=shard_id, NewStartingHashKey=new_starting_hash_key
            )

    def prune(self) -> None:
        """Forget datapoints older than the history window (plus a margin)."""
        cutoff_epoch = self.next_minute - (self.history_minutes + PRUNE_MARGIN_MINUTES) * 60
        cutoff = datetime.fromtimestamp(cutoff_epoch, tz=timezone.utc).replace(tzinfo=None)
        if self.metric_index is not None:
            dropped = self.metric_index.prune(cutoff)
        else:
            cw = self._backends()["cloudwatch"]
            dropped = [md for md in cw.metric_data if md.timestamp < cutoff]
            cw.metric_data = [md for md in cw.metric_data if md.timestamp >= cutoff]
        moto_patches.forget(dropped)
        moto_patches.forget_replaced_items()
        self.expire_records(self.next_minute)

    def expire_records(self, now: float) -> int:
        """Records past their stream's retention period expire (moto never expires them)."""
        streams = self._backends()["kinesis"].streams
        gone: list[Any] = []
        for spec in self.specs:
            before = now - spec.retention_hours * 3600
            cuts = self._io[spec.name].expire(before)
            gone.extend(moto_patches.expire_records(streams[spec.name], cuts))
        moto_patches.forget(gone)
        return len(gone)

    # -- introspection -----------------------------------------------------------------

    @property
    def kcl_tables(self) -> dict[str, str]:
        """Lease table -> the stream its KCL application reads."""
        return {table.app: stream for stream, table in self._leases.items()}

    @property
    def published_until(self) -> datetime:
        """End of the newest published minute (exclusive)."""
        return datetime.fromtimestamp(self.next_minute, tz=timezone.utc)

    def stored_datapoints(self) -> int:
        return len(self._backends()["cloudwatch"].metric_data)

    def history_start(self) -> datetime:
        return self.published_until - timedelta(minutes=self.history_minutes)
