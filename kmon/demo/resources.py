"""Creating the fleet's resources in the emulator: streams, consumers, lease tables, Lambda."""

from __future__ import annotations

import io
import json
import logging
import random
import zipfile
from typing import Any

from .fleet import SHARD_LEVEL_METRICS, StreamSpec
from .kcl import LeaseTable
from .stream_ops import StreamIO

log = logging.getLogger(__name__)


def build_fleet(
    clients: dict[str, Any],
    specs: tuple[StreamSpec, ...],
    seed: int,
    region: str,
    *,
    scope: str = "",
) -> tuple[dict[str, StreamIO], dict[str, LeaseTable]]:
    """Create every stream and its consumers; returns each stream's I/O and lease table.
    `scope` (the fleet's) gives a KCL application deployed in two regions its own workers."""
    k = clients["kinesis"]
    streams: dict[str, StreamIO] = {}
    leases: dict[str, LeaseTable] = {}
    for spec in specs:
        if spec.on_demand:
            k.create_stream(StreamName=spec.name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        else:
            k.create_stream(StreamName=spec.name, ShardCount=spec.shards)
        k.add_tags_to_stream(
            StreamName=spec.name, Tags={"team": spec.team, "env": "demo", "kmon-demo": "true"}
        )
        if spec.retention_hours > 24:
            k.increase_stream_retention_period(
                StreamName=spec.name, RetentionPeriodHours=spec.retention_hours
            )
        if spec.enhanced_monitoring:
            k.enable_enhanced_monitoring(
                StreamName=spec.name, ShardLevelMetrics=list(SHARD_LEVEL_METRICS)
            )
        summary = k.describe_stream_summary(StreamName=spec.name)["StreamDescriptionSummary"]
        sio = StreamIO(k, spec.name)
        sio.refresh_shards()
        streams[spec.name] = sio
        for c in spec.consumers:
            if c.kind == "efo":
                k.register_stream_consumer(StreamARN=summary["StreamARN"], ConsumerName=c.name)
            elif c.kind == "kcl":
                key = f"{seed}/{scope}/{c.name}" if scope else f"{seed}/{c.name}"
                rng = random.Random(f"{key}/leases")
                table = LeaseTable(clients["dynamodb"], c.name, c.workers, rng)
                table.create()
                for sid in sio.open:
                    table.add(sid, sio.hash_ranges[sid], sio.parents[sid])
                leases[spec.name] = table
            elif c.kind == "lambda":
                create_lambda(clients, c.name, summary["StreamARN"], region)
    return streams, leases


def role_name(function: str, region: str) -> str:
    # IAM is global to the account: one role per region keeps worlds in other regions apart.
    return f"{function}-{region}-role"


def create_lambda(clients: dict[str, Any], name: str, stream_arn: str, region: str) -> None:
    """A function with an event source mapping on the stream (moto needs no docker for this)."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = clients["iam"].create_role(
        RoleName=role_name(name, region), AssumeRolePolicyDocument=json.dumps(policy)
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return None\n")
    lam = clients["lambda"]
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=name,
        StartingPosition="LATEST",
        BatchSize=1000,
    )


def delete_roles(clients: dict[str, Any], specs: tuple[StreamSpec, ...], region: str) -> None:
    for spec in specs:
        for c in spec.consumers:
            if c.kind == "lambda":
                try:
                    clients["iam"].delete_role(RoleName=role_name(c.name, region))
                except Exception:
                    log.debug("delete_role failed", exc_info=True)
