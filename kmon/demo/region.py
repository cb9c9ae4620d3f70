"""One region of the demo world: its fleet, its own boto3 clients and moto backends, the
sample records its streams hold and its KCL lease tables.

moto's server keeps one backend per account and region and picks it by the region in each
request's signature, so all the world's regions share one endpoint; each region has its own
clients, signed for it, as a multi-region tool has.
"""

from __future__ import annotations

import logging
from typing import Any

from . import emulator, moto_patches, publisher, resources
from .fleet import StreamSpec
from .kcl import LeaseTable
from .stream_ops import StreamIO
from .traffic import StreamMinute, TrafficModel

log = logging.getLogger(__name__)


class RegionFleet:
    """A fleet of streams in one region. `scope` keeps the random draws of its streams
    apart from same-named streams of another fleet ("" for the primary, whose draws stay
    what they were); `first_stream` numbers its streams after the fleets before it, so no
    two shards of the world share sequence numbers."""

    def __init__(
        self,
        name: str,
        specs: tuple[StreamSpec, ...],
        seed: int,
        *,
        scope: str = "",
        first_stream: int = 0,
    ) -> None:
        self.name = name
        self.specs = specs
        self.stream_names: list[str] = [s.name for s in specs]
        self.seed = seed
        self.scope = scope
        self.first_stream = first_stream
        self.account_id = ""
        self.clients: dict[str, Any] = {}
        self.io: dict[str, StreamIO] = {}
        self.leases: dict[str, LeaseTable] = {}
        self.model: TrafficModel | None = None
        self.metric_index: Any = None
        self.owns_backends = False  # True once this fleet has claimed its region's emulator

    # -- emulator ----------------------------------------------------------------------

    def connect(self, endpoint: str) -> None:
        self.clients = emulator.make_clients(endpoint, self.name)

    def client(self, service: str) -> Any:
        return self.clients[service]

    def backends(self) -> dict[str, Any]:
        return emulator.backends(self.account_id, self.name)

    def check_free(self) -> None:
        if self.backends()["kinesis"].streams.keys() & set(self.stream_names):
            raise RuntimeError(
                f"the emulator in this process already has demo streams in {self.name}; "
                "stop the other DemoWorld first or use another region"
            )

    def claim(self, use_metric_index: bool) -> None:
        b = self.backends()
        self.owns_backends = True
        moto_patches.fast_epoch_timestamps()
        moto_patches.quiet_kinesis_metrics(b["kinesis"])
        moto_patches.simulated_lambda(b["lambda"])
        # DescribeLimits and DescribeAccountSettings answer for the fleet built here.
        moto_patches.true_limits(b["kinesis"])
        moto_patches.account_settings(b["kinesis"])
        if use_metric_index:
            from . import metric_index

            self.metric_index = metric_index.install(b["cloudwatch"])

    def build(self) -> None:
        self.io, self.leases = resources.build_fleet(
            self.clients, self.specs, self.seed, self.name, scope=self.scope
        )
        moto_patches.check_sequence_numbers(self.backends()["kinesis"])
        for name in self.stream_names:
            self.number(name)

    def number(self, stream: str) -> None:
        """Give the stream's shards (new ones too, after a split) AWS-like sequence numbers."""
        moto_patches.aws_sequence_numbers(
            self.backends()["kinesis"].streams[stream],
            self.first_stream + self.stream_names.index(stream),
        )

    def start_model(self, t0: float) -> TrafficModel:
        self.model = TrafficModel(self.specs, self.seed, t0, self.scope)
        return self.model

    # -- one minute --------------------------------------------------------------------

    def datums(self, results: dict[str, StreamMinute]) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for spec in self.specs:
            out.extend(publisher.minute_datums(spec, results[spec.name]))
        return out

    def samples(self, spec: StreamSpec, m: StreamMinute) -> list[tuple[float, str, int]]:
        sio = self.io[spec.name]
        if spec.quiet:
            return [(m.start, s.shard_id, round(s.records)) for s in m.shards if round(s.records)]
        return [(m.start, sid, 1) for sid in sio.open]

    def put_samples(self, stream: str, wanted: list[tuple[float, str, int]]) -> None:
        if not wanted:
            return
        placed = self.io[stream].put_samples(wanted)
        moto_patches.stamp_arrivals(self.backends()["kinesis"].streams[stream], placed)

    def consume(self, results: dict[str, StreamMinute], resume: bool = False) -> None:
        """Polling consumers really read up to what they have processed; KCL checkpoints.
        With `resume` (after the backfill) each starts at its position with one small read."""
        for spec in self.specs:
            sio = self.io[spec.name]
            table = self.leases.get(spec.name)
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

    def renew_leases(self, minutes: int = 1) -> None:
        for table in self.leases.values():
            table.renew(minutes)
            table.write()

    def publish(self, datums: list[tuple[str, Any]]) -> int:
        return publisher.put_all(self.client("cloudwatch"), datums)

    # -- upkeep ------------------------------------------------------------------------

    def prune(self, cutoff: Any) -> list[Any]:
        """Drop datapoints older than `cutoff` (naive UTC, as moto stores them)."""
        if self.metric_index is not None:
            return self.metric_index.prune(cutoff)
        cw = self.backends()["cloudwatch"]
        dropped = [md for md in cw.metric_data if md.timestamp < cutoff]
        cw.metric_data = [md for md in cw.metric_data if md.timestamp >= cutoff]
        return dropped

    def expire_records(self, now: float) -> list[Any]:
        """Records past their stream's retention period expire (moto never expires them)."""
        streams = self.backends()["kinesis"].streams
        gone: list[Any] = []
        for spec in self.specs:
            before = now - spec.retention_hours * 3600
            cuts = self.io[spec.name].expire(before)
            gone.extend(moto_patches.expire_records(streams[spec.name], cuts))
        return gone

    def stored_datapoints(self) -> int:
        return len(self.backends()["cloudwatch"].metric_data)

    def teardown(self) -> list[Any]:
        """Leave nothing behind for a later world; returns moto instances to forget."""
        if not self.owns_backends:
            return []
        resources.delete_roles(self.clients, self.specs, self.name)
        backends = self.backends()
        gone: list[Any] = list(backends["cloudwatch"].metric_data)
        for stream in backends["kinesis"].streams.values():
            for shard in stream.shards.values():
                gone.extend(shard.records.values())
        for backend in backends.values():
            backend.reset()
        self.owns_backends = False
        return gone
