"""Replication pairs: a stream copied to a stream in another context (region or account) by
one of its consumers (a Lambda mapping, a KCL app, an EFO consumer), and how far behind the
copy is.

A pair is configured (``[[replication]] source = "us-east-1/orders", target =
"eu-west-1/orders"``, optionally ``consumer = "..."``) or inferred: a stream of the same name
lives in exactly one other context, and a Lambda, KCL or EFO consumer of the source names
that context (its label, or its region when that differs, as a whole part of the name, as in
``orders-replicate-eu-west-1``). The replication lag is
that consumer's lag: how far behind the source the copier reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kmon.model.identity import find

if TYPE_CHECKING:
    from kmon.model.lag import ConsumerLag
    from kmon.model.snapshot import StreamState

# Consumer kinds that can copy a stream somewhere else (an EFO consumer is a KCL app or a
# Lambda too, and is read through them; shared readers are not one program).
COPIER_KINDS = ("lambda", "kcl", "efo")


@dataclass(frozen=True)
class ReplicationRule:
    """A configured pair: references as the user typed them (see identity.py)."""

    source: str
    target: str
    consumer: str | None = None


@dataclass(frozen=True)
class Replication:
    role: str  # "source" (copied to ``peer``) | "target" (copied from ``peer``)
    peer: str  # the other stream's key
    via: str | None  # the consumer that copies
    lag_ms: float | None  # how far behind the source it reads; None: not known
    inferred: bool = False

    def to_dict(self) -> dict:
        return {
            "role": self.role,
            "peer": self.peer,
            "via": self.via,
            "lag_ms": self.lag_ms,
            "inferred": self.inferred,
        }


def _copier(source: StreamState, target: StreamState, name: str | None) -> ConsumerLag | None:
    readers = [c for c in source.consumers if c.kind in COPIER_KINDS]
    if name is not None:
        return next((c for c in readers if c.name == name), None)
    # The target's label, and its region when it is another region: two accounts' streams
    # in one region are told apart by label only (a consumer named after its own region
    # copies nothing).
    hints = {target.context} if target.region == source.region else {target.context, target.region}
    hints = {h.lower() for h in hints if h} - {h.lower() for h in (source.context,) if h}
    return next((c for c in readers if any(f"-{h}-" in _words(c.name) for h in hints)), None)


def _words(name: str) -> str:
    """The name with separators around it, so a hint matches whole parts only."""
    return f"-{name.lower().replace('_', '-').replace('.', '-')}-"


def pairs(
    streams: Sequence[StreamState], rules: Sequence[ReplicationRule] = ()
) -> list[tuple[StreamState, StreamState, ConsumerLag | None, bool]]:
    """(source, target, copier, inferred) for every pair found; configured pairs first, and a
    stream is in one pair at most."""
    found = []
    taken: set[str] = set()
    for rule in rules:
        sources, targets = find(streams, rule.source), find(streams, rule.target)
        if len(sources) != 1 or len(targets) != 1:
            continue  # not watched (or ambiguous): nothing to show
        src, dst = sources[0], targets[0]
        if src.key in taken or dst.key in taken or src.key == dst.key:
            continue
        found.append((src, dst, _copier(src, dst, rule.consumer), False))
        taken |= {src.key, dst.key}
    by_name: dict[str, list[StreamState]] = {}
    for s in streams:
        by_name.setdefault(s.name, []).append(s)
    for same in by_name.values():
        if len(same) != 2 or any(s.key in taken for s in same):
            continue
        for src, dst in (same, same[::-1]):
            copier = _copier(src, dst, None)
            if copier is not None:
                found.append((src, dst, copier, True))
                taken |= {src.key, dst.key}
                break
    return found


def with_replication(
    streams: Sequence[StreamState], rules: Sequence[ReplicationRule] = ()
) -> list[StreamState]:
    """The streams, each pair's two members told of each other."""
    marks: dict[str, Replication] = {}
    for src, dst, copier, inferred in pairs(streams, rules):
        via = copier.name if copier else None
        lag = copier.lag_ms if copier else None
        marks[src.key] = Replication("source", dst.key, via, lag, inferred)
        marks[dst.key] = Replication("target", src.key, via, lag, inferred)
    if not marks:
        return list(streams)
    return [replace(s, replication=marks[s.key]) if s.key in marks else s for s in streams]
