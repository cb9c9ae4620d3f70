"""When a stream's health deserves an alert: the ``[alerts]`` settings and the decision.

Pure: given successive FleetSnapshots, ``AlertPolicy`` says which alerts to raise. A stream
alerts when its health reaches ``min_severity`` and has held for ``hold_minutes`` (so a
flapping stream does not page on every blip), once per change of level; its recovery (back
below ``min_severity``, held as long) alerts only with ``on_recovery``. What kmon finds when
it starts (or when it first judges a stream) is the starting point, not a change. Stale
streams (a source failing, the last judgement kept) never alert. Running a command, ringing
the bell and showing a toast happen elsewhere (kmon/alerts.py and the dashboard).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.snapshot import FleetSnapshot, StreamState
from kmon.model.timefmt import iso, iso_epoch

SEVERITIES = ("warn", "crit")
_RANK = {Health.OK: 0, Health.WARN: 1, Health.CRIT: 2}
# The level of every health below min_severity: for alerting, all of them are "recovered".
BELOW = "below"


@dataclass(frozen=True)
class AlertSettings:
    """``[alerts]`` in the config file; its absence means no alerts at all."""

    min_severity: str = "crit"  # warn | crit
    toast: bool = True
    bell: bool = True
    # OSC 9 and OSC 777 desktop notifications, for terminals that show them.
    desktop: bool = True
    # argv of a command run with the alert's JSON on stdin (no shell); empty: none.
    command: tuple[str, ...] = ()
    timeout_sec: float = 10.0
    on_recovery: bool = False
    hold_minutes: float = 2.0

    @property
    def hold_sec(self) -> float:
        return self.hold_minutes * 60.0

    @property
    def threshold(self) -> Health:
        return Health(self.min_severity)


@dataclass(frozen=True)
class Alert:
    stream: str
    from_: str | None  # the stream's health when kmon last alerted on it (or first judged it)
    to: str  # its health now: ok | warn | crit
    since: int | None  # epoch seconds the new state began
    recovery: bool  # back below min_severity
    findings: tuple[Finding, ...] = ()
    at: datetime | None = None  # the snapshot that raised it
    region: str | None = None
    account: str | None = None
    context: str | None = None
    key: str = ""  # the stream's key in the fleet (``label/name`` with several contexts)

    @property
    def subject(self) -> str:
        """What the alert is about, unambiguous in the fleet."""
        return self.key or self.stream

    @property
    def severity(self) -> str:
        return self.to

    @property
    def cause(self) -> str | None:
        return self.findings[0].cause if self.findings else None

    @property
    def summary(self) -> str:
        """One line for a toast or a desktop notification."""
        if self.recovery:
            head = (
                f"{self.subject} recovered: {self.to.upper()} (was {(self.from_ or '?').upper()})"
            )
        else:
            head = f"{self.subject} {self.to.upper()}"
            if self.from_:
                head += f" (was {self.from_.upper()})"
        return f"{head}: {self.cause}" if self.cause else head

    def to_dict(self) -> dict:
        return {
            "kind": "recovery" if self.recovery else "alert",
            "stream": self.stream,
            "region": self.region,
            "account": self.account,
            "context": self.context,
            "key": self.subject,
            "from": self.from_,
            "to": self.to,
            "severity": self.severity,
            "since": iso_epoch(self.since),
            "at": iso(self.at),
            "cause": self.cause,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


@dataclass
class _Track:
    alerted: str  # the level last alerted on, or found first: warn | crit | BELOW
    alerted_health: str  # the health at that level most recently seen
    level: str  # the level now
    level_seen: int  # when kmon first saw the level now (epoch seconds)


class AlertPolicy:
    """Feed it every snapshot in order; it returns the alerts each one raises."""

    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings
        self._tracks: dict[str, _Track] = {}

    def _level(self, health: Health) -> str:
        if _RANK[health] >= _RANK[self.settings.threshold]:
            return health.value
        return BELOW

    def update(self, snapshot: FleetSnapshot) -> list[Alert]:
        now = int(snapshot.generated_at.timestamp())
        names = {s.key for s in snapshot.streams}
        for gone in [n for n in self._tracks if n not in names]:
            del self._tracks[gone]
        out = []
        for state in snapshot.streams:
            alert = self._judge(state, now)
            if alert is not None:
                out.append(
                    Alert(
                        **alert,
                        at=snapshot.generated_at,
                        region=state.region or snapshot.region,
                        account=state.account or snapshot.account,
                    )
                )
        return out

    def _judge(self, s: StreamState, now: int) -> dict | None:
        if s.stale or s.health not in _RANK:
            return None  # the last judgement kept, or never judged: nothing new to say
        level = self._level(s.health)
        track = self._tracks.get(s.key)
        if track is None:  # kmon starting (or first judging the stream) is not a change
            self._tracks[s.key] = _Track(level, s.health.value, level, now)
            return None
        if level != track.level:
            track.level, track.level_seen = level, now
        if level == track.alerted:
            track.alerted_health = s.health.value
            return None
        # A recovery has no `since` of its own: it began when kmon saw it.
        began = s.since if level != BELOW and s.since is not None else track.level_seen
        if now - began < self.settings.hold_sec:
            return None  # not held long enough yet: a blip
        was = track.alerted_health
        track.alerted, track.alerted_health = level, s.health.value
        recovery = level == BELOW
        if recovery and not self.settings.on_recovery:
            return None
        return dict(
            stream=s.name,
            key=s.key,
            context=s.context,
            from_=was,
            to=s.health.value,
            since=began,
            recovery=recovery,
            findings=s.findings,
        )


class Alerter(Protocol):
    """What the dashboard is given to raise alerts: the policy and whatever runs commands.
    It sets ``on_failure`` to show a failed command; ``check`` must not block."""

    settings: AlertSettings
    on_failure: Callable[[str], None] | None

    def check(self, snapshot: FleetSnapshot) -> Sequence[Alert]: ...

    def close(self) -> None: ...
