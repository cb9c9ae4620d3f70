"""Consumers with known lag on the moto server: EFO, KCL lease tables, Lambda mappings."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import boto3

from kmon.model.series import Series
from tests.seed import NOW, REGION, minute

NOW_SEC = int(NOW.timestamp())


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def series(values: dict[int, float]) -> Series:
    """A per-minute series: minutes-ago -> value, like the main collector's."""
    s = Series()
    s.merge((int(minute(ago).timestamp()), float(v)) for ago, v in values.items())
    return s


def lease_item(
    key: str,
    owner: str | None = "worker-1",
    checkpoint: str = "TRIM_HORIZON",
    counter: int = 1,
    switches: int = 0,
    parents: tuple[str, ...] = (),
    **extra,
) -> dict:
    item: dict = {
        "leaseKey": {"S": key},
        "leaseCounter": {"N": str(counter)},
        "checkpoint": {"S": checkpoint},
        "checkpointSubSequenceNumber": {"N": "0"},
        "ownerSwitchesSinceCheckpoint": {"N": str(switches)},
    }
    if owner is not None:
        item["leaseOwner"] = {"S": owner}
    if parents:
        item["parentShardId"] = {"SS": list(parents)}
    item.update(extra)
    return item


@dataclass
class World:
    endpoint: str

    def __post_init__(self) -> None:
        self.kinesis = client("kinesis", self.endpoint)
        self.cloudwatch = client("cloudwatch", self.endpoint)
        self.dynamodb = client("dynamodb", self.endpoint)
        self.lambda_ = client("lambda", self.endpoint)
        self.iam = client("iam", self.endpoint)
        self._role: str | None = None

    def stream(self, name: str, shards: int = 1) -> str:
        self.kinesis.create_stream(StreamName=name, ShardCount=shards)
        return self.arn(name)

    def arn(self, name: str) -> str:
        return self.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"
        ]

    def put(self, stream: str, shard_key: str = "a") -> str:
        """Write one record; its sequence number."""
        return self.kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey=shard_key)[
            "SequenceNumber"
        ]

    def metric(
        self, namespace: str, name: str, dims: dict[str, str], values: dict[int, float]
    ) -> None:
        """Maximum per minute: minutes-ago -> value."""
        data = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Timestamp": minute(ago),
                "StatisticValues": {
                    "SampleCount": 6.0,
                    "Sum": float(v) * 6,
                    "Minimum": 0.0,
                    "Maximum": float(v),
                },
            }
            for ago, v in values.items()
        ]
        for i in range(0, len(data), 20):
            self.cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[i : i + 20])

    def table(self, name: str, items: list[dict], key: str = "leaseKey") -> None:
        self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for item in items:
            self.dynamodb.put_item(TableName=name, Item=item)

    def function(self, name: str, stream_arn: str) -> str:
        if self._role is None:
            policy = {"Version": "2012-10-17", "Statement": []}
            self._role = self.iam.create_role(
                RoleName="kmon-test", AssumeRolePolicyDocument=json.dumps(policy)
            )["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("handler.py", "def handler(event, context):\n    return None\n")
        self.lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self._role,
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
        )
        return self.lambda_.create_event_source_mapping(
            EventSourceArn=stream_arn, FunctionName=name, StartingPosition="LATEST"
        )["UUID"]
