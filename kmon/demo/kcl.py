"""KCL applications' lease tables, kept in DynamoDB in the schema the KCL writes.

One table per application (named after it), one item per shard: leaseKey (shard id),
leaseOwner (worker id), leaseCounter (bumped on every renewal), checkpoint (a real sequence
number returned by the stream, or TRIM_HORIZON / SHARD_END), checkpointSubSequenceNumber,
ownerSwitchesSinceCheckpoint, parentShardId (string set, children only), childShardIds
(string set, set on a parent once it is finished) and the shard's hash key range.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

RENEWALS_PER_MINUTE = 18  # KCL renews every failover time / 3 (10 s / 3)
STEAL_CHANCE = 0.004  # per lease per minute: a worker takes a lease to rebalance


@dataclass
class Lease:
    shard_id: str
    owner: str
    counter: int = 0
    checkpoint: str = "TRIM_HORIZON"
    owner_switches: int = 0
    parents: set[str] = field(default_factory=set)
    children: set[str] = field(default_factory=set)
    hash_range: tuple[str, str] = ("0", "0")

    def item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "leaseKey": {"S": self.shard_id},
            "leaseOwner": {"S": self.owner},
            "leaseCounter": {"N": str(self.counter)},
            "checkpoint": {"S": self.checkpoint},
            "checkpointSubSequenceNumber": {"N": "0"},
            "ownerSwitchesSinceCheckpoint": {"N": str(self.owner_switches)},
            "startingHashKey": {"S": self.hash_range[0]},
            "endingHashKey": {"S": self.hash_range[1]},
        }
        if self.parents:  # DynamoDB sets cannot be empty; the KCL omits the attribute
            item["parentShardId"] = {"SS": sorted(self.parents)}
        if self.children:
            item["childShardIds"] = {"SS": sorted(self.children)}
        return item


class LeaseTable:
    def __init__(self, dynamodb: Any, app: str, workers: int, rng: random.Random) -> None:
        self.dynamodb = dynamodb
        self.app = app
        self.rng = rng
        self.workers = [
            f"ip-10-0-{rng.randrange(1, 250)}-{rng.randrange(2, 250)}.ec2.internal:"
            f"{rng.getrandbits(64):016x}"
            for _ in range(workers)
        ]
        self.leases: dict[str, Lease] = {}

    def create(self) -> None:
        self.dynamodb.create_table(
            TableName=self.app,
            KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def _least_loaded(self) -> str:
        load = {w: 0 for w in self.workers}
        for lease in self.leases.values():
            load[lease.owner] = load.get(lease.owner, 0) + 1
        return min(self.workers, key=lambda w: (load[w], self.workers.index(w)))

    def add(self, shard_id: str, hash_range: tuple[str, str], parent: str | None) -> None:
        if shard_id not in self.leases:
            self.leases[shard_id] = Lease(
                shard_id,
                owner=self._least_loaded(),
                parents={parent} if parent else set(),
                hash_range=hash_range,
            )

    def renew(self, minutes: int = 1) -> None:
        """Workers renew their leases; now and then one is taken over by another worker."""
        for lease in self.leases.values():
            if lease.checkpoint == "SHARD_END":
                continue
            lease.counter += RENEWALS_PER_MINUTE * minutes + self.rng.randrange(0, 2)
            if len(self.workers) > 1 and self.rng.random() < STEAL_CHANCE * minutes:
                others = [w for w in self.workers if w != lease.owner]
                lease.owner = self.rng.choice(others)
                lease.owner_switches += 1
                lease.counter += 1

    def checkpoint(self, shard_id: str, value: str) -> None:
        lease = self.leases[shard_id]
        if value != lease.checkpoint:
            lease.checkpoint = value
            lease.owner_switches = 0

    def finish(self, shard_id: str, children: set[str]) -> None:
        lease = self.leases[shard_id]
        lease.children |= children
        self.checkpoint(shard_id, "SHARD_END")

    def write(self) -> None:
        items = [{"PutRequest": {"Item": lease.item()}} for lease in self.leases.values()]
        for i in range(0, len(items), 25):
            self.dynamodb.batch_write_item(RequestItems={self.app: items[i : i + 25]})
