"""What kmon remembers of its judgements between polls: the last known state of each stream
(kept, marked stale, while a source fails), when each problem was first seen (for a `since`
that history cannot give), and the log of changes (events).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import replace
from datetime import datetime

from kmon.model.events import Event
from kmon.model.findings import consumer_severity
from kmon.model.health import Health
from kmon.model.lag import LagStatus
from kmon.model.snapshot import StreamState

log = logging.getLogger("kmon.events")

MAX_EVENTS = 500
# States that are no news when kmon first sees them.
QUIET_HEALTH = (Health.OK, Health.UNKNOWN)
QUIET_STATUS = (LagStatus.OK, LagStatus.UNKNOWN)


class Memory:
    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self._last: dict[str, tuple[StreamState, datetime]] = {}
        self._first_seen: dict[tuple, int] = {}
        self._health: dict[str, Health] = {}
        self._consumers: dict[tuple[str, str], LagStatus] = {}
        self.events: deque[Event] = deque(maxlen=max_events)

    def apply(self, states: list[StreamState], now: datetime) -> list[StreamState]:
        """The states to show: stale ones replaced by their last judgement, every ``since``
        filled in; records events for what changed."""
        ts = int(now.timestamp())
        out = []
        live: set[tuple] = set()
        for state in states:
            if state.health is Health.UNKNOWN and state.name in self._last:
                last, at = self._last[state.name]
                # Keep the last judgement and values; the consumers as they are now, which
                # keep their own last state.
                out.append(replace(last, stale=True, as_of=at, consumers=state.consumers))
                live |= {k for k in self._first_seen if k[0] == state.name}
                continue
            state = self._fill_since(state, ts, live)
            if state.health is not Health.UNKNOWN:
                self._last[state.name] = (state, now)
            self._record(state, ts)
            out.append(state)
        for key in [k for k in self._first_seen if k not in live]:
            del self._first_seen[key]
        names = {s.name for s in states}
        for name in [n for n in self._last if n not in names]:
            del self._last[name]
        for name in [n for n in self._health if n not in names]:
            del self._health[name]  # a stream re-created later starts afresh
        for key in [k for k in self._consumers if k[0] not in names]:
            del self._consumers[key]
        return out

    def _seen(self, key: tuple, ts: int, live: set[tuple]) -> int:
        live.add(key)
        return self._first_seen.setdefault(key, ts)

    def _fill_since(self, s: StreamState, ts: int, live: set[tuple]) -> StreamState:
        findings = tuple(
            f
            if f.since is not None
            else replace(f, since=self._seen((s.name, f.code, f.subject), ts, live))
            for f in s.findings
        )
        consumers = tuple(
            c
            if c.since is not None or c.status in QUIET_STATUS
            else replace(
                c, since=self._seen((s.name, "consumer", c.kind, c.name, c.status), ts, live)
            )
            for c in s.consumers
        )
        since = s.since
        if since is None and s.health in (Health.WARN, Health.CRIT):
            began = [f.since for f in findings if f.severity is s.health and f.since is not None]
            since = min(began) if began else self._seen((s.name, "health", s.health), ts, live)
        return replace(s, findings=findings, consumers=consumers, since=since)

    def _record(self, s: StreamState, ts: int) -> None:
        """An event for the stream's health and each consumer's status, where they changed.
        Nothing for a first sighting that is fine (or not judged yet)."""
        cause = s.findings[0].cause if s.findings else None
        if s.health is Health.UNKNOWN:
            cause = s.health_reasons[0] if s.health_reasons else None
        before = self._health.get(s.name)
        self._health[s.name] = s.health
        if s.health is not before and not (before is None and s.health in QUIET_HEALTH):
            severity = s.health if s.health is not Health.UNKNOWN else Health.OK
            self._add(s, "stream", s.name, before, s.health, s.since, cause, severity, ts)
        for c in s.consumers:
            key = (s.name, f"{c.kind}:{c.name}")
            was = self._consumers.get(key)
            self._consumers[key] = c.status
            if c.status is was or (was is None and c.status in QUIET_STATUS):
                continue
            reason = c.reasons[0] if c.reasons else c.note
            severity = consumer_severity(c.status)
            self._add(s, "consumer", c.name, was, c.status, c.since, reason, severity, ts)

    def _add(self, s, kind, subject, before, after, since, cause, severity, ts) -> None:
        event = Event(
            at=since or ts,
            stream=s.name,
            subject_kind=kind,
            subject=subject,
            to=after.value,
            from_=before.value if before else None,
            cause=cause,
            severity=severity.value,
            seen_at=ts,
        )
        self.events.append(event)
        log.info("event %s", event.to_json())
