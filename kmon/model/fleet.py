"""One fleet from several contexts: their snapshots merged into one, each stream and source
told where it lives, each context's standing summed up for the header and the JSON.

Pure: the fleet collector polls the contexts and hands their snapshots here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from kmon.model.cadence import Plan
from kmon.model.findings import Finding, q
from kmon.model.identity import Context, stream_key
from kmon.model.replication import ReplicationRule, with_replication
from kmon.model.snapshot import (
    ApiUsage,
    ContextStatus,
    FleetSnapshot,
    context_freshness,
)


@dataclass(frozen=True)
class Part:
    """One context's newest snapshot; ``slow``: its poll since then has not answered yet."""

    context: Context
    snapshot: FleetSnapshot
    slow: bool = False


def context_status(part: Part) -> ContextStatus:
    snap = part.snapshot
    data_at, _ = context_freshness(snap.sources)
    error = next((s for s in snap.sources if s.error and not s.key.note), None)
    return ContextStatus(
        label=part.context.label,
        region=snap.region if snap.region != "?" else part.context.region,
        account=snap.account or part.context.role_account,
        profile=part.context.profile,
        role_arn=part.context.role_arn,
        data_at=data_at,
        error=f"{error.name}: {error.error}" if error else None,
        streams=len(snap.streams),
        by_health=dict(Counter(s.health.value for s in snap.streams)),
        api=snap.api,
        streams_usd_per_day=snap.streams_usd_per_day,
        quotas=snap.quotas,
        slow=part.slow,
    )


def merge(
    parts: Sequence[Part],
    rules: Sequence[ReplicationRule] = (),
    *,
    focus: str | None = None,
    bare: Collection[str] = frozenset(),
) -> FleetSnapshot:
    """The fleet's snapshot. One context gives its own snapshot, its streams and events
    labelled; several give every stream keyed ``label/name``, every source and event marked
    with its context, the API use and cost summed and each context's status listed.
    ``focus``: the key of the stream on screen, whose detail is kept. ``bare``: --stream
    names given without a context, which are found if any context holds them."""
    statuses = tuple(context_status(p) for p in parts)
    several = len(parts) > 1

    def placed(part: Part) -> tuple[list, list]:
        label = part.context.label
        streams = [
            replace(
                s,
                context=label,
                qualified=several,
                findings=aimed(s.findings, part.context, s.region),
            )
            for s in part.snapshot.streams
        ]
        events = [replace(e, context=label, qualified=several) for e in part.snapshot.events]
        return streams, events

    if not several:
        streams, events = placed(parts[0])
        return replace(
            parts[0].snapshot,
            streams=tuple(with_replication(streams, rules)),
            events=tuple(events),
            contexts=statuses,
        )
    streams = []
    sources = []
    events = []
    unmatched = []
    detail = None
    for part in parts:
        label = part.context.label
        snap = part.snapshot
        its_streams, its_events = placed(part)
        streams += its_streams
        events += its_events
        sources += [replace(s, context=label) for s in snap.sources]
        unmatched += [stream_key(label, t) for t in snap.unmatched_lease_tables]
        shown = snap.detail
        if shown is not None and stream_key(label, shown.name) == focus:
            detail = replace(shown, name=focus)
    # A bare --stream name is found if any context holds it: the others' "not found" is noise.
    found = {s.name for s in streams if s.name in bare}
    sources = [s for s in sources if not (s.key.kind == "stream" and s.key.subject in found)]
    snaps = [p.snapshot for p in parts]
    events.sort(key=lambda e: (e.seen_at or e.at, e.at), reverse=True)
    regions = list(dict.fromkeys(s.region for s in statuses if s.region))
    accounts = list(dict.fromkeys(s.account for s in statuses if s.account))
    return FleetSnapshot(
        generated_at=max(s.generated_at for s in snaps),
        region=", ".join(regions) or "?",
        account=", ".join(accounts) or None,
        endpoint=snaps[0].endpoint,
        profile=snaps[0].profile,
        refresh_sec=snaps[0].refresh_sec,
        streams=tuple(with_replication(streams, rules)),
        sources=tuple(sources),
        api=total_api(s.api for s in snaps),
        pending=sum(s.pending for s in snaps),
        detail=detail,
        unmatched_lease_tables=tuple(unmatched),
        events=tuple(events[:500]),
        # Quotas are an account's and a region's: each context's are in its status.
        quotas=None,
        contexts=statuses,
    )


def aimed(
    findings: tuple[Finding, ...], context: Context, region: str | None
) -> tuple[Finding, ...]:
    """Commands to copy that go where the stream is: the shell's default region and profile
    may be another's. (A role's context names no profile: the command needs that role.)"""
    where = ""
    region = region or context.region
    if region and region != "?":
        where += f" --region {region}"
    if context.profile and not context.role_arn:
        where += f" --profile {q(context.profile)}"
    if not where:
        return findings
    return tuple(replace(f, command=f.command + where) if f.command else f for f in findings)


def total_api(usages) -> ApiUsage:
    """Every context's API use together; the governors' plans summed (the slowest cadence)."""
    usages = list(usages)
    by_api: Counter[str] = Counter()
    for u in usages:
        by_api.update(u.calls_by_api)
    plans = [u.governor for u in usages if u.governor is not None]
    governor = None
    if plans:
        cadences = [p.healthy_every_sec for p in plans if p.healthy_every_sec is not None]
        governor = Plan(
            budget_usd_per_day=sum(p.budget_usd_per_day for p in plans),
            healthy_every_sec=max(cadences) if cadences else None,
            projected_usd_per_day=sum(p.projected_usd_per_day for p in plans),
            over_budget=any(p.over_budget for p in plans),
        )
    return ApiUsage(
        calls=sum(u.calls for u in usages),
        metrics_requested=sum(u.metrics_requested for u in usages),
        calls_per_min=sum(u.calls_per_min for u in usages),
        metrics_per_hour=sum(u.metrics_per_hour for u in usages),
        calls_by_api=dict(by_api),
        governor=governor,
    )


def placeholder(context: Context, now: datetime, refresh_sec: float) -> FleetSnapshot:
    """What a context whose first poll has not answered yet contributes: nothing (it is
    shown as slow, not failed)."""
    return FleetSnapshot(
        generated_at=now,
        region=context.region or "?",
        account=context.role_account,
        endpoint=None,
        profile=context.profile,
        refresh_sec=refresh_sec,
        streams=(),
        sources=(),
        api=ApiUsage(0, 0, 0.0, 0.0),
    )
