"""The demo world: a simulated Kinesis fleet on moto's server, in-process.

`kmon demo` starts one and points the dashboard at its endpoint. Importing this package does
not import moto; `demo_available()` says whether it can be.

The fleet (us-east-1), one story per stream:

    orders-events      provisioned, 4 shards, daily-shaped traffic, healthy (KCL order-enricher)
    clickstream        on-demand, high volume with bursts, inside its adaptive capacity
    payments-ledger    hot partition key: one shard at 1,000 records/s, writes throttled;
                       enhanced (shard-level) monitoring shows which shard
    inventory-updates  KCL inventory-projector falling behind: iterator age ~1 h and growing
    telemetry-fanout   3 EFO consumers, 2 polling consumers + a Lambda mapping over
                       5 GetRecords/s per shard: reads throttled
    user-profiles      split a few minutes in: closed parents, open children, child leases
    audit-trail        quiet, 7-day retention

and a second region (eu-west-1) on the same endpoint:

    clickstream        standby replica of us-east-1's clickstream, written by the Lambda
                       cs-replicate-eu-west-1 (an event source mapping on the us-east-1
                       stream), which falls minutes behind for 12 of every 40 minutes
    orders-events      the same name as in us-east-1, a seventh of its traffic (KCL
                       order-enricher)
    consent-events     only in eu-west-1 (Lambda consent-sync)

Three hours of 1-minute history are backfilled at start in both regions; then each completed
minute is published. See world.py for the lifecycle and traffic.py for the model.
"""

from __future__ import annotations

import importlib.util
import logging

from .world import DemoWorld

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["DemoWorld", "demo_available"]


def demo_available() -> bool:
    """True when moto (with its server extra) can be imported."""
    try:
        return (
            importlib.util.find_spec("moto") is not None
            and importlib.util.find_spec("moto.server") is not None
            and importlib.util.find_spec("werkzeug") is not None
        )
    except (ImportError, ValueError):
        return False
