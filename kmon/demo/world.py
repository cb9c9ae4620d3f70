"""DemoWorld: moto's server in-process, the demo fleet, and a thread that keeps it alive.

The world spans two regions on the one endpoint: the primary (us-east-1) with the story
fleet, and a replica region (eu-west-1) with a small fleet of its own, one stream of which a
Lambda replicator in the primary region copies there (region.py holds what each region has).

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

from . import emulator, moto_patches
from .fleet import (
    HISTORY_MINUTES,
    REPLICA_REGION,
    StreamSpec,
    default_fleet,
    replica_fleet,
    replicator_name,
    with_replicator,
)
from .region import RegionFleet
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

    `start()` / `stop()` (or `with DemoWorld(...) as world:`); `endpoint`, `region` (the
    primary) and `stream_names` (the primary's streams) say where to look; `regions`,
    `streams_by_region` and `replication` say what else there is. `clock` (returning an
    aware datetime) is the simulated time source; it defaults to the wall clock, so a new
    minute is published each time a wall-clock minute completes. Tests pass their own clock
    and drive time with `advance_to(t)` or `step()`. `reshard_after_sec` is when the
    resharding stream splits; `history_minutes` how much history is backfilled and kept;
    `metric_index=False` leaves moto's CloudWatch store as it is (benchmarks);
    `run_thread=False` publishes only when asked to. `replica_region` is the second region
    (None, or the primary itself, for a world in one region); `replica` its fleet.
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
        replica_region: str | None = REPLICA_REGION,
        replica: tuple[StreamSpec, ...] | None = None,
    ) -> None:
        self.seed = seed
        self.port = port
        self.region = region
        self.clock: Clock = clock or utc_now
        self.reshard_after_sec = reshard_after_sec
        self.history_minutes = history_minutes
        self.use_metric_index = metric_index
        self.run_thread = run_thread
        second = replica_region if replica_region and replica_region != region else None
        self.replica_region = second
        # function -> (source, replica), as "region/stream"
        self.replicators: dict[str, tuple[str, str]] = {}
        self._links: list[tuple[str, str]] = []  # (replicated stream, replicator function)
        self._fleets = self._lay_out(fleet or default_fleet(), second, replica)
        self.specs = self._fleets[0].specs  # the primary's, with any replicator
        self.stream_names: list[str] = list(self._fleets[0].stream_names)
        self.regions: tuple[str, ...] = tuple(f.name for f in self._fleets)
        # (("us-east-1/clickstream", "eu-west-1/clickstream"),): each source and its replica
        self.replication: tuple[tuple[str, str], ...] = tuple(self.replicators.values())
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
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._running = False

    def _lay_out(
        self,
        specs: tuple[StreamSpec, ...],
        second: str | None,
        replica: tuple[StreamSpec, ...] | None,
    ) -> list[RegionFleet]:
        """The primary region's fleet, then the replica region's (if any); each replica
        stream's source in the primary gains the Lambda replicator that copies it."""
        if second is None:
            return [RegionFleet(self.region, specs, self.seed)]
        replica_specs = replica or replica_fleet()
        for spec in replica_specs:
            if spec.replica:
                specs = with_replicator(specs, spec.name, second)
                function = replicator_name(spec.name, second)
                self._links.append((spec.name, function))
                self.replicators[function] = (
                    f"{self.region}/{spec.name}",
                    f"{second}/{spec.name}",
                )
        # The replica fleet draws as "replica", not by its region's name: like the primary,
        # a seed gives the same fleet whichever region it is placed in.
        return [
            RegionFleet(self.region, specs, self.seed),
            RegionFleet(second, replica_specs, self.seed, scope="replica", first_stream=len(specs)),
        ]

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
            primary = self._fleets[0]
            for f in self._fleets:
                f.connect(self.endpoint)
            self.account_id = primary.client("sts").get_caller_identity()["Account"]
            for f in self._fleets:
                f.account_id = self.account_id
            self._patch_backends()
            for f in self._fleets:
                f.build()
            self._tag_replicas()
            now = self.clock()
            self.started_at = now
            for f in self._fleets:
                f.start_model(now.timestamp())
            self.model = primary.model
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

    def client(self, service: str, region: str | None = None) -> Any:
        """The world's own client for `service` in `region` (the primary by default)."""
        return self._fleet(region).client(service)

    def _fleet(self, region: str | None = None) -> RegionFleet:
        for f in self._fleets:
            if region is None or f.name == region:
                return f
        raise KeyError(f"the demo world has no region {region!r}")

    def _backends(self) -> dict[str, Any]:
        return self._fleets[0].backends()

    def _patch_backends(self) -> None:
        emulator.check_moto_version()
        # Refuse before claiming anything: another world's streams stay untouched.
        for f in self._fleets:
            f.check_free()
        for f in self._fleets:
            f.claim(self.use_metric_index)
        self.metric_index = self._fleets[0].metric_index

    def _tag_replicas(self) -> None:
        # Where a replica's records come from, as teams tag it (a hint for whoever looks).
        for source, target in self.replication:
            region, stream = target.split("/", 1)
            self.client("kinesis", region).add_tags_to_stream(
                StreamName=stream, Tags={"replica-of": source}
            )

    def _teardown_resources(self) -> None:
        # Leave nothing behind for a later world in the same process.
        if not self.account_id:
            return
        gone: list[Any] = []
        for f in self._fleets:
            try:
                gone.extend(f.teardown())
            except Exception:  # the other regions are cleaned up all the same
                log.debug("demo world teardown of %s failed", f.name, exc_info=True)
        moto_patches.forget(gone)
        moto_patches.forget_replaced_items()

    # -- time --------------------------------------------------------------------------

    def _step_models(self, start: float) -> list[dict[str, StreamMinute]]:
        """Step every region's model one minute, the primary first: each replica is offered
        what its replicator processed in the source this minute."""
        primary, *others = self._fleets
        assert primary.model is not None
        first = primary.model.step(start)
        out = [first]
        for f in others:
            assert f.model is not None
            for stream, function in self._links:
                if stream in f.model.streams:
                    done = next(c for c in first[stream].consumers if c.name == function)
                    f.model.streams[stream].feed(done.records)
            out.append(f.model.step(start))
        return out

    def _backfill(self, now_minute: float) -> None:
        first = now_minute - self.history_minutes * 60
        datums: list[list[tuple[str, Any]]] = [[] for _ in self._fleets]
        wanted: list[dict[str, list[tuple[float, str, int]]]] = [
            {n: [] for n in f.stream_names} for f in self._fleets
        ]
        results: list[dict[str, StreamMinute]] = []
        for i in range(self.history_minutes):
            start = first + i * 60
            results = self._step_models(start)
            # Sample records: every minute for the last 90, every fifth before (memory, time).
            sampled = self.history_minutes - i <= BACKFILL_DENSE_SAMPLES or i % 5 == 0
            for n, f in enumerate(self._fleets):
                datums[n].extend(f.datums(results[n]))
                if sampled:
                    for spec in f.specs:
                        wanted[n][spec.name].extend(f.samples(spec, results[n][spec.name]))
        for n, f in enumerate(self._fleets):
            for name, items in wanted[n].items():
                f.put_samples(name, items)
            if results:
                f.consume(results[n], resume=True)
            f.renew_leases(self.history_minutes)
            f.publish(datums[n])
        self.next_minute = now_minute

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
        results = self._step_models(start)
        for f, res in zip(self._fleets, results, strict=True):
            for spec in f.specs:
                f.put_samples(spec.name, f.samples(spec, res[spec.name]))
            f.consume(res)
            f.renew_leases()
            f.publish(f.datums(res))

    def _reshard(self) -> None:
        """Split every open shard of the resharding streams (SplitShard at the midpoint)."""
        primary = self._fleets[0]
        assert primary.model is not None
        self.resharded = True
        for spec in self.specs:
            if not spec.reshard:
                continue
            sio = primary.io[spec.name]
            sio.refresh_shards()
            parents = list(sio.open)
            splits = [(sid, sio.midpoint(sid)) for sid in parents]
            kinesis = self._backends()["kinesis"]
            moto_patches.keep_parent_records(
                kinesis.streams[spec.name], functools.partial(self._split, spec.name, splits)
            )
            moto_patches.route_to_open_shards(kinesis, spec.name)
            primary.number(spec.name)
            sio.refresh_shards()
            children: dict[str, tuple[str, str]] = {}
            for parent in parents:
                kids = sio.children(parent)
                children[parent] = (kids[0], kids[1])
            primary.model.streams[spec.name].split(children)
            table = primary.leases.get(spec.name)
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
        for f in self._fleets:
            moto_patches.forget(f.prune(cutoff))
        moto_patches.forget_replaced_items()
        self.expire_records(self.next_minute)

    def expire_records(self, now: float) -> int:
        """Records past their stream's retention period expire (moto never expires them)."""
        gone: list[Any] = []
        for f in self._fleets:
            gone.extend(f.expire_records(now))
        moto_patches.forget(gone)
        return len(gone)

    # -- introspection -----------------------------------------------------------------

    @property
    def streams_by_region(self) -> dict[str, list[str]]:
        """Each region's stream names, the primary first."""
        return {f.name: list(f.stream_names) for f in self._fleets}

    def stream_names_in(self, region: str) -> list[str]:
        return list(self._fleet(region).stream_names)

    @property
    def kcl_tables(self) -> dict[str, str]:
        """Lease table -> the stream its KCL application reads (the primary region's)."""
        return {table.app: stream for stream, table in self._fleets[0].leases.items()}

    @property
    def published_until(self) -> datetime:
        """End of the newest published minute (exclusive)."""
        return datetime.fromtimestamp(self.next_minute, tz=timezone.utc)

    def stored_datapoints(self) -> int:
        """Datapoints held in the emulator's CloudWatch, all regions together."""
        return sum(f.stored_datapoints() for f in self._fleets)

    def history_start(self) -> datetime:
        return self.published_until - timedelta(minutes=self.history_minutes)
