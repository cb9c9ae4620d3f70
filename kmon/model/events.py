"""A change of a stream's health or a consumer's status: from, to, when, and why."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kmon.model.identity import stream_key
from kmon.model.timefmt import iso_epoch


@dataclass(frozen=True)
class Event:
    at: int  # epoch seconds the new state began (from history where known, else when seen)
    stream: str
    subject_kind: str  # stream | consumer
    subject: str  # the stream's or the consumer's name
    to: str  # health (ok/warn/crit/unknown) or consumer status (ok/warn/stall/err/stop/...)
    from_: str | None  # None: the first time kmon judged it
    cause: str | None = None
    severity: str = "ok"  # the stream-level severity this state means: ok | warn | crit
    seen_at: int | None = None  # when kmon noticed the change
    context: str | None = None  # the label of the context the stream lives in
    qualified: bool = False  # several contexts: the stream is known by ``label/name``

    @property
    def key(self) -> str:
        """The stream's key in the fleet, as StreamState.key."""
        return stream_key(self.context if self.qualified else None, self.stream)

    @property
    def recovery(self) -> bool:
        return self.severity == "ok" and self.from_ not in (None, "ok", "unknown")

    def to_dict(self) -> dict:
        return {
            "at": iso_epoch(self.at),
            "seen_at": iso_epoch(self.seen_at),
            "stream": self.stream,
            "key": self.key,
            "subject": {"kind": self.subject_kind, "name": self.subject},
            "from": self.from_,
            "to": self.to,
            "severity": self.severity,
            "cause": self.cause,
            "context": self.context,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())
