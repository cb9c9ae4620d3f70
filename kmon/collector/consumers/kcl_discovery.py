"""Finding KCL applications: their DynamoDB lease tables (ListTables, then DescribeTable once
per table for its key schema) plus the ones named with --kcl-table, and the stream each table's
leases belong to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kmon.collector import errors, kinesis
from kmon.collector.cache import SingleFlightCache
from kmon.collector.consumers.base import Context, StreamRef
from kmon.collector.pages import pages
from kmon.model.kcl import Lease

# Lease tables rarely appear, and a table's stream never changes.
TABLES_TTL = 1800.0
SHARDS_TTL = 600.0
DESCRIBE_PER_POLL = 25


def is_lease_table(table: Mapping) -> bool:
    return list(table.get("KeySchema") or ()) == [{"AttributeName": "leaseKey", "KeyType": "HASH"}]


class KclDiscovery:
    def __init__(self, ctx: Context, kcl_tables: Mapping[str, str] | None = None) -> None:
        self.ctx = ctx
        self.kcl_tables = dict(kcl_tables or {})
        self._shards = SingleFlightCache(SHARDS_TTL, jitter=0.3, clock=ctx.mono)
        self._tables = SingleFlightCache(TABLES_TTL, clock=ctx.mono)
        self._table_streams = SingleFlightCache(TABLES_TTL, clock=ctx.mono)
        self._is_lease: dict[str, bool] = {}
        self._last_tables: tuple[str, ...] | None = None  # last good lease table discovery

    # -- lease tables -----------------------------------------------------------------------

    def tables(self, errs: dict) -> tuple[str, ...] | None:
        """Discovered lease tables plus the named ones. When discovery is denied or fails, the
        tables named with --kcl-table are still read (a policy may allow only those)."""
        manual = tuple(sorted(self.kcl_tables))
        note = self.ctx.denied_note("kcl-discovery")
        if note:
            errs["lag:kcl-discovery"] = note
            return manual
        kind = "kcl-discovery" if manual else "kcl"
        tables = self.ctx.guard(kind, "lag:kcl", "ListTables", errs, self._lease_tables)
        if tables is not None:
            self._last_tables = tables
            return tables
        if self.ctx.is_denied(kind):  # just denied: only the named tables may still be read
            return manual or None
        # Discovery failed (throttled, timed out): the tables found last time are still read.
        known = tuple(sorted(set(self._last_tables or ()) | set(manual)))
        return known or None

    def _lease_tables(self) -> tuple[str, ...]:
        names = self._tables.get("tables", self._list_tables)
        # A table's key schema never changes, so each table is described once; a few per poll,
        # so that a large account's first discovery spreads over polls instead of stalling one.
        unknown = [n for n in names if n not in self._is_lease and n not in self.kcl_tables]
        for name in unknown[:DESCRIBE_PER_POLL]:
            self._is_lease[name] = self._describe_is_lease(name)
        found = {n for n in names if self._is_lease.get(n)}
        return tuple(sorted(found | set(self.kcl_tables)))

    def _list_tables(self) -> tuple[str, ...]:
        names: list[str] = []
        pagination = {"PageSize": 100}  # Limit=100 on every request
        for page in pages(
            self.ctx.dynamodb, "list_tables", self.ctx.gate, PaginationConfig=pagination
        ):
            names.extend(page.get("TableNames", ()))
        listed = set(names)
        self._is_lease = {n: v for n, v in self._is_lease.items() if n in listed}
        return tuple(names)

    def _describe_is_lease(self, name: str) -> bool:
        self.ctx.gate("DescribeTable")
        try:
            table = self.ctx.dynamodb.describe_table(TableName=name)["Table"]
        except Exception as exc:
            if errors.is_not_found(exc):
                return False  # deleted since it was listed
            exc.kmon_api = "DescribeTable"  # type: ignore[attr-defined]
            raise
        return is_lease_table(table)

    # -- the stream a table reads -----------------------------------------------------------

    def streams_of(
        self, table: str, leases: list[Lease], streams: Sequence[StreamRef]
    ) -> tuple[tuple[str, ...], str | None]:
        """The streams a lease table reads, and a note when the match is not certain."""
        if table in self.kcl_tables:
            return (self.kcl_tables[table],), None
        named = sorted({le.stream for le in leases if le.stream})
        if named:
            return tuple(named), None
        if not leases:
            return (), None
        return self._table_streams.get(table, lambda: self._confirm(table, leases, streams))

    def _confirm(
        self, table: str, leases: list[Lease], streams: Sequence[StreamRef]
    ) -> tuple[tuple[str, ...], str | None]:
        """A single-stream table names only shard ids, which every stream has: ask each
        candidate stream whether it knows a lease's checkpoint (AWS rejects another stream's
        sequence number; reading an iterator reads no data)."""
        # The highest shard id narrows the candidates most: few streams have that many shards.
        probe = max((le for le in leases if le.has_sequence), key=_shard_order, default=None)
        wanted = {probe.shard_id} if probe else {le.shard_id for le in leases}
        candidates = [s.name for s in streams if wanted <= self._shard_ids(s.name)]
        if probe is None:
            if len(candidates) == 1:
                return (candidates[0],), "matched by shard ids only (no checkpoint yet)"
            if candidates:
                return (), (
                    f"lease table {table} has no checkpoint yet and matches streams "
                    f"{', '.join(candidates)}: pass --kcl-table {table}=STREAM"
                )
            return (), None
        confirmed = [c for c in candidates if self._knows(c, probe)]
        if len(confirmed) > 1:
            # Remembered like a match, so the question is not asked again every poll.
            return (), (
                f"lease table {table} matches streams {', '.join(confirmed)}: "
                f"pass --kcl-table {table}=STREAM"
            )
        return tuple(confirmed), None

    def _shard_ids(self, stream: str) -> set[str]:
        def fetch() -> frozenset[str]:
            try:
                return frozenset(
                    s["ShardId"]
                    for s in kinesis.list_shards(self.ctx.kinesis, stream, self.ctx.gate)
                )
            except Exception as exc:
                if errors.is_not_found(exc):
                    return frozenset()
                exc.kmon_api = "ListShards"  # type: ignore[attr-defined]
                raise

        return set(self._shards.get(stream, fetch))

    def _knows(self, stream: str, lease: Lease) -> bool:
        self.ctx.gate("GetShardIterator")
        try:
            self.ctx.kinesis.get_shard_iterator(
                StreamName=stream,
                ShardId=lease.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=lease.checkpoint,
            )
        except Exception as exc:
            if errors.error_code(exc) in ("InvalidArgumentException", "ResourceNotFoundException"):
                return False
            exc.kmon_api = "GetShardIterator"  # type: ignore[attr-defined]
            raise
        return True


def _shard_order(lease: Lease) -> tuple[int, str]:
    digits = lease.shard_id.rsplit("-", 1)[-1]
    return (int(digits) if digits.isdigit() else -1, lease.shard_id)
