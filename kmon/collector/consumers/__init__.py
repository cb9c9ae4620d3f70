"""Every consumer of a stream and how far behind it is: enhanced fan-out consumers, KCL
applications (from their DynamoDB lease tables), Lambda event source mappings, and everyone
else who polls with GetRecords (seen only in the stream's iterator age).

One ``poll()`` per refresh: control-plane lists come from TTL caches, each lease table is
scanned once, and every consumer lag metric of every stream is asked for in one GetMetricData
call per 500 queries (its own MetricStore, so each minute is fetched once). A missing
permission turns off that kind of consumer with a note; nothing raises out of ``poll()``.

A consumer whose list, lease table or lag metrics cannot be read this poll (throttled, denied,
timed out) keeps its last judgement, marked stale with when it was made: an outage never makes
a stopped application vanish from the dashboard.

One module per kind (``efo``, ``kcl_leases`` with ``kcl_discovery`` and ``lag_probe``,
``lambda_mappings``), each a ``base.ConsumerKind``; ``collector`` runs them.
"""

from __future__ import annotations

from kmon.collector.consumers.base import (
    DENIED_RETRY_SEC,
    ConsumerKind,
    Gate,
    StreamRef,
)
from kmon.collector.consumers.collector import ConsumerCollector, ConsumersResult
from kmon.collector.consumers.efo import LIST_CONSUMERS_PER_SEC
from kmon.collector.consumers.kcl_discovery import TABLES_TTL, is_lease_table
from kmon.collector.consumers.kcl_leases import parse_lease, split_lease_key
from kmon.collector.consumers.lambda_mappings import function_name

__all__ = [
    "DENIED_RETRY_SEC",
    "LIST_CONSUMERS_PER_SEC",
    "TABLES_TTL",
    "ConsumerCollector",
    "ConsumerKind",
    "ConsumersResult",
    "Gate",
    "StreamRef",
    "function_name",
    "is_lease_table",
    "parse_lease",
    "split_lease_key",
]
