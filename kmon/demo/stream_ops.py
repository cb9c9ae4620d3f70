"""Real data-plane operations against the emulator, at a low rate that keeps memory bounded.

Each minute the world writes one small sample record per open shard (PutRecords with an
explicit hash key, so every shard gets one) and remembers which sequence number stands for
which simulated minute. Polling consumers then really read (GetShardIterator + GetRecords) up
to the sample of the last minute they have fully processed; that record's sequence number is
what a KCL application checkpoints.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

PUT_RECORDS_MAX = 500
SAMPLES_KEPT = 1_500  # per shard: more than a day of minutes


@dataclass
class Cursor:
    seq: str | None = None  # last sequence number read
    iterator: str | None = None  # NextShardIterator, reused across minutes


class StreamIO:
    def __init__(self, kinesis: Any, stream: str) -> None:
        self.kinesis = kinesis
        self.stream = stream
        self.hash_ranges: dict[str, tuple[str, str]] = {}
        self.parents: dict[str, str | None] = {}
        self.open: list[str] = []
        self.samples: dict[str, deque[tuple[float, str]]] = {}
        self.cursors: dict[tuple[str, str], Cursor] = {}

    def refresh_shards(self) -> None:
        # The world stands apart from kmon's collector (it only plays AWS), so it pages itself.
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamName": self.stream}
        while True:
            page = self.kinesis.list_shards(**kwargs)
            shards.extend(page["Shards"])
            token = page.get("NextToken")
            if not token:
                break
            kwargs = {"NextToken": token}
        self.open = []
        for s in shards:
            sid = s["ShardId"]
            rng = s["HashKeyRange"]
            self.hash_ranges[sid] = (rng["StartingHashKey"], rng["EndingHashKey"])
            self.parents[sid] = s.get("ParentShardId")
            self.samples.setdefault(sid, deque(maxlen=SAMPLES_KEPT))
            if "EndingSequenceNumber" not in s["SequenceNumberRange"]:
                self.open.append(sid)

    def midpoint(self, sid: str) -> str:
        """The hash key halfway through a shard's range: where a split cuts it."""
        lo, hi = self.hash_ranges[sid]
        return str((int(lo) + int(hi)) // 2)

    def children(self, sid: str) -> list[str]:
        return sorted(c for c, p in self.parents.items() if p == sid)

    def put_samples(self, wanted: list[tuple[float, str, int]]) -> list[tuple[str, str, float]]:
        """Write `count` sample records for each (minute start, shard, count). Returns
        (shard, sequence number, simulated arrival) for each record written; the last record
        of a minute stands for the end of that minute."""
        records: list[dict[str, Any]] = []
        keys: list[tuple[float, float]] = []  # (minute, arrival)
        for minute, sid, count in wanted:
            stamp = datetime.fromtimestamp(minute, tz=timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
            for n in range(count):
                body = {"stream": self.stream, "minute": stamp, "shard": sid, "n": n}
                records.append(
                    {
                        "Data": json.dumps(body, separators=(",", ":")).encode(),
                        "PartitionKey": f"{self.stream}-{sid[-4:]}-{n}",
                        "ExplicitHashKey": self.midpoint(sid),
                    }
                )
                keys.append((minute, minute + 59.0 * (n + 1) / count))
        placed: list[tuple[str, str, float]] = []
        for i in range(0, len(records), PUT_RECORDS_MAX):
            chunk = records[i : i + PUT_RECORDS_MAX]
            resp = self.kinesis.put_records(StreamName=self.stream, Records=chunk)
            for (minute, arrival), rec in zip(
                keys[i : i + PUT_RECORDS_MAX], resp["Records"], strict=True
            ):
                if "SequenceNumber" in rec:
                    self.samples[rec["ShardId"]].append((minute, rec["SequenceNumber"]))
                    placed.append((rec["ShardId"], rec["SequenceNumber"], arrival))
        return placed

    def target_seq(self, sid: str, position: float) -> str | None:
        """The newest sample of a minute fully processed by `position` (epoch seconds)."""
        for minute, seq in reversed(self.samples.get(sid, ())):
            if minute + 60.0 <= position:
                return seq
        return None

    def resume_at(self, consumer: str, sid: str, target: str) -> str | None:
        """Start a consumer at `target` (as after a restart from its checkpoint): one small
        read that returns exactly that record."""
        cur = self.cursors.setdefault((consumer, sid), Cursor())
        it = self.kinesis.get_shard_iterator(
            StreamName=self.stream,
            ShardId=sid,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=target,
        )["ShardIterator"]
        resp = self.kinesis.get_records(ShardIterator=it, Limit=1)
        cur.iterator = resp.get("NextShardIterator")
        if resp["Records"]:
            cur.seq = resp["Records"][-1]["SequenceNumber"]
        return cur.seq

    def read_to(self, consumer: str, sid: str, target: str) -> str | None:
        """Read from the consumer's cursor up to `target`; returns the last sequence read."""
        cur = self.cursors.setdefault((consumer, sid), Cursor())
        if cur.seq is not None and int(cur.seq) >= int(target):
            return cur.seq
        pending = sum(
            1
            for _, seq in self.samples[sid]
            if int(seq) <= int(target) and (cur.seq is None or int(seq) > int(cur.seq))
        )
        if cur.iterator is None:
            kwargs: dict[str, Any] = {"StreamName": self.stream, "ShardId": sid}
            if cur.seq is None:
                kwargs["ShardIteratorType"] = "TRIM_HORIZON"
            else:
                kwargs["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
                kwargs["StartingSequenceNumber"] = cur.seq
            cur.iterator = self.kinesis.get_shard_iterator(**kwargs)["ShardIterator"]
        resp = self.kinesis.get_records(ShardIterator=cur.iterator, Limit=max(1, pending))
        cur.iterator = resp.get("NextShardIterator")
        if resp["Records"]:
            cur.seq = resp["Records"][-1]["SequenceNumber"]
        return cur.seq

    def expire(self, before: float) -> dict[str, int]:
        """Forget samples older than `before` (simulated epoch seconds); returns, per shard,
        the newest sequence number forgotten, for the records to expire with them."""
        cuts: dict[str, int] = {}
        for sid, samples in self.samples.items():
            while samples and samples[0][0] < before:
                cuts[sid] = int(samples.popleft()[1])
        return cuts
