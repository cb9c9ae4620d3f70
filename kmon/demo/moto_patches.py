"""Small in-process adjustments to the demo's own moto backends (tested on moto 5.2.x).

Each patch is set on a backend or stream *instance* of the demo's account and region, so other
users of moto in the same process are untouched, and a backend reset removes them (the one
class-level method, DescribeAccountSettings, answers only for a backend given an answer; the
one module-level function, moto's timestamp parser, parses numbers faster to the same result).
The `forget*` helpers trim moto's registry of model instances, which otherwise grows with
every datapoint and lease write for as long as the process runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from types import MethodType
from typing import Any


def _no_stream_metrics(self: Any, *args: Any, **kwargs: Any) -> None:
    return None


def quiet_kinesis_metrics(kinesis_backend: Any) -> None:
    """moto adds an IncomingBytes/IncomingRecords datum for every PutRecords call. The world
    publishes those metrics itself, one StatisticValues datum per minute as AWS does, from a
    model that already counts the sample records it really writes."""
    kinesis_backend._send_stream_metrics = MethodType(_no_stream_metrics, kinesis_backend)


# What moto answers DescribeLimits with for these two; the counts are the world's own.
SHARD_LIMIT = 6000
ON_DEMAND_STREAM_LIMIT = 50


def _world_limits(self: Any) -> dict[str, int]:
    streams = list(self.streams.values())
    return {
        "ShardLimit": SHARD_LIMIT,
        "OpenShardCount": sum(1 for st in streams for sh in st.shards.values() if sh.is_open),
        "OnDemandStreamCount": sum(
            1 for st in streams if st.stream_mode.get("StreamMode") == "ON_DEMAND"
        ),
        "OnDemandStreamCountLimit": ON_DEMAND_STREAM_LIMIT,
    }


def true_limits(kinesis_backend: Any) -> None:
    """moto answers DescribeLimits with fixed numbers (no open shards, no on-demand streams);
    count the backend's own open shards and on-demand streams instead, as AWS does."""
    kinesis_backend.describe_limits = MethodType(_world_limits, kinesis_backend)


def _describe_account_settings(self: Any) -> Any:
    from moto.core.responses import ActionResult

    answer = self.kinesis_backend.__dict__.get("_kmon_account_settings")
    if answer is None:  # any other backend: moto as it was
        raise NotImplementedError("The describe_account_settings action has not been implemented")
    return ActionResult(answer)


def account_settings(kinesis_backend: Any, commitment: str | None = "DISABLED") -> None:
    """moto does not implement DescribeAccountSettings (it answers HTTP 500). Answer it for
    this backend with the On-demand Advantage commitment's status (ENABLED, DISABLED); None
    takes the answer back. The answering method is set on moto's Kinesis response class, the
    one place moto looks for it, and answers only for a backend given a status here: every
    other backend gets moto's own error, as before."""
    from moto.kinesis.responses import KinesisResponse

    if commitment is None:
        kinesis_backend.__dict__.pop("_kmon_account_settings", None)
        return
    if "describe_account_settings" not in KinesisResponse.__dict__:
        KinesisResponse.describe_account_settings = _describe_account_settings
    kinesis_backend._kmon_account_settings = {
        "MinimumThroughputBillingCommitment": {"Status": commitment}
    }


def fast_epoch_timestamps() -> None:
    """moto turns each epoch-seconds timestamp of a request (every datapoint's, in CBOR and
    JSON) into a datetime through the local time zone (dateutil's tzlocal): about a quarter
    of the time the emulator takes to accept the backfill's datapoints. Numbers go straight
    to UTC here, the same naive UTC datetime moto's parser returns; anything else goes to
    moto's parser. Process-wide (moto's parsers look the function up when created);
    idempotent."""
    from moto.core import parse

    original = parse.default_timestamp_parser
    if getattr(original, "_kmon_fast", False):
        return

    def parse_timestamp(value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, timezone.utc).replace(tzinfo=None)
            except (OverflowError, OSError, ValueError):
                pass  # out of range: moto's parser has its own fallbacks
        return original(value)

    parse_timestamp._kmon_fast = True  # type: ignore[attr-defined]
    parse.default_timestamp_parser = parse_timestamp


def _no_invoke(self: Any, *args: Any, **kwargs: Any) -> None:
    return None


def simulated_lambda(lambda_backend: Any) -> None:
    """moto invokes a mapped function (in docker) for every record put to the stream. The
    demo's function is simulated by the traffic model, so skip the invocation."""
    lambda_backend.send_kinesis_message = MethodType(_no_invoke, lambda_backend)


def _open_shard_for_key(self: Any, partition_key: str, explicit_hash_key: str) -> Any:
    # Like moto's Stream.get_shard_for_key, but only open shards take new records.
    from moto.kinesis.models import Stream

    shard = Stream.get_shard_for_key(self, partition_key, explicit_hash_key)
    if shard is None or shard.is_open:
        return shard
    key = int(explicit_hash_key) if explicit_hash_key else None
    if key is None:
        from moto.utilities.utils import md5_hash

        key = int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
    for candidate in self.shards.values():
        if candidate.is_open and candidate.starting_hash <= key <= candidate.ending_hash:
            return candidate
    return shard


def route_to_open_shards(kinesis_backend: Any, stream_name: str) -> None:
    """moto routes records to the first shard whose hash range matches, closed parents
    included, so after a split new records would land in the closed parent. Call this after
    the split (moto's split re-puts the parent's records through the same routing, which
    keeps them, with their sequence numbers, in the parent as on AWS)."""
    stream = kinesis_backend.streams[stream_name]
    stream.get_shard_for_key = MethodType(_open_shard_for_key, stream)


def forget(instances: Iterable[Any]) -> int:
    """moto keeps every model instance it ever created in a class-level registry (for its
    /moto-api/ dashboard), so a datapoint the world prunes would stay in memory for good.
    Drop the given instances from that registry; returns how many were dropped."""
    by_class: dict[type, set[int]] = {}
    for obj in instances:
        by_class.setdefault(type(obj), set()).add(id(obj))
    dropped = 0
    for cls, ids in by_class.items():
        tracked = getattr(cls, "instances_tracked", None)
        if not tracked:
            continue
        before = len(tracked)
        tracked[:] = [x for x in tracked if id(x) not in ids]
        dropped += before - len(tracked)
    return dropped


def forget_replaced_items() -> int:
    """Lease writes replace DynamoDB items every minute; forget items no table holds any more."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import Item

    live: set[int] = set()
    for account in list(dynamodb_backends.values()):
        for backend in list(account.values()):
            for table in list(backend.tables.values()):
                live.update(id(item) for item in table.all_items())
    tracked = Item.instances_tracked  # type: ignore[attr-defined]
    before = len(tracked)
    tracked[:] = [item for item in tracked if id(item) in live]
    return before - len(tracked)


# -- sequence numbers and arrival times, as on AWS ---------------------------------------------

SEQ_SHARD_UNIT = 10**40  # a sequence number // this = which stream and shard it belongs to


# moto serves each request on its own thread without locks: a GetRecords iterating a shard
# while a PutRecords (or an expiry) changes it fails with "mutated during iteration".
RECORDS_LOCK = threading.RLock()


def _aws_put_record(self: Any, partition_key: str, data: str, explicit_hash_key: str) -> str:
    from moto.kinesis.models import Record

    with RECORDS_LOCK:
        self._kmon_next += 1
        seq = self._kmon_next
        self.records[seq] = Record(partition_key, data, seq, explicit_hash_key)
    return str(seq)


def _locked_get_records(self: Any, last_sequence_id: str, limit: int | None) -> Any:
    from moto.kinesis.models import Shard

    with RECORDS_LOCK:
        return Shard.get_records(self, last_sequence_id, limit)


def aws_sequence_numbers(stream: Any, stream_index: int) -> None:
    """moto numbers records 1, 2, 3 in every shard, so one stream's checkpoint is valid in every
    other stream; on AWS a sequence number belongs to one shard (tools rely on that to match
    a lease table to its stream). Give each shard its own large, increasing range."""
    for shard in stream.shards.values():
        if "_kmon_base" in shard.__dict__:
            continue
        base = (49 * 10**8 + stream_index * 10**5 + shard._shard_id) * SEQ_SHARD_UNIT
        shard._kmon_base = base
        shard._kmon_next = max([base, *shard.records])
        shard.put_record = MethodType(_aws_put_record, shard)
        shard.get_records = MethodType(_locked_get_records, shard)


def _checked_shard_iterator(
    self: Any,
    stream_arn: str | None,
    stream_name: str | None,
    shard_id: str,
    shard_iterator_type: str,
    starting_sequence_number: Any,
    at_timestamp: Any,
) -> str:
    from moto.kinesis.exceptions import InvalidArgumentError
    from moto.kinesis.models import KinesisBackend

    if shard_iterator_type in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        shard = stream.shards.get(shard_id)
        base = shard.__dict__.get("_kmon_base") if shard is not None else None
        if base is not None:
            try:
                seq = int(starting_sequence_number)
            except (TypeError, ValueError):
                raise InvalidArgumentError(
                    f"StartingSequenceNumber {starting_sequence_number} used in GetShardIterator"
                    f" on shard {shard_id} in stream {stream.stream_name} is invalid."
                ) from None
            if seq // SEQ_SHARD_UNIT != base // SEQ_SHARD_UNIT:
                raise InvalidArgumentError(
                    f"Invalid StartingSequenceNumber. It does not belong to shard {shard_id}"
                    f" in stream {stream.stream_name}."
                )
    return KinesisBackend.get_shard_iterator(
        self,
        stream_arn,
        stream_name,
        shard_id,
        shard_iterator_type,
        starting_sequence_number,
        at_timestamp,
    )


def check_sequence_numbers(kinesis_backend: Any) -> None:
    """GetShardIterator rejects a sequence number of another shard, as AWS does."""
    kinesis_backend.get_shard_iterator = MethodType(_checked_shard_iterator, kinesis_backend)


def stamp_arrivals(stream: Any, arrivals: Iterable[tuple[str, str, float]]) -> None:
    """Set records' arrival time (ApproximateArrivalTimestamp, and with it GetRecords'
    MillisBehindLatest) to the simulated time they stand for, not the moment they were
    written: the backfill writes three hours of samples in a second."""
    with RECORDS_LOCK:
        for shard_id, seq, epoch in arrivals:
            shard = stream.shards.get(shard_id)
            record = shard.records.get(int(seq)) if shard is not None else None
            if record is not None:
                record.created_at_datetime = datetime.fromtimestamp(epoch, tz=timezone.utc).replace(
                    tzinfo=None
                )
                record.created_at = epoch


def keep_parent_records(stream: Any, split: Any) -> None:
    """Run `split()` (SplitShard calls) keeping each parent's records as they were, and the
    open shard count right. moto re-writes a parent's records during a split, which renumbers
    and re-times them; on AWS the parent keeps its records, sequence numbers and arrival
    times."""
    saved = {sid: shard.records for sid, shard in stream.shards.items()}
    split()  # over HTTP: the server's threads take RECORDS_LOCK, so it is not held here
    rewritten: list[Any] = []
    with RECORDS_LOCK:
        for sid, records in saved.items():
            shard = stream.shards[sid]
            if shard.records is not records:
                rewritten.extend(shard.records.values())
                shard.records = records
    forget(rewritten)
    # moto's SplitShard leaves the stream's shard count alone, so DescribeStreamSummary would
    # keep reporting the old OpenShardCount.
    stream.shard_count = sum(1 for shard in stream.shards.values() if shard.is_open)


def expire_records(stream: Any, cuts: dict[str, int]) -> list[Any]:
    """Drop each shard's records up to its cut sequence number, as the retention period does
    on AWS (moto keeps records forever). Returns the dropped records."""
    gone: list[Any] = []
    with RECORDS_LOCK:
        for shard_id, cut in cuts.items():
            shard = stream.shards.get(shard_id)
            while shard is not None and shard.records:
                seq = next(iter(shard.records))
                if seq > cut:
                    break
                gone.append(shard.records.pop(seq))
    return gone
