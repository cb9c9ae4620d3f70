"""ISO-8601 forms of model times, as the JSON shows them."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat().replace("+00:00", "Z")


def iso_epoch(ts: int | float | None) -> str | None:
    if ts is None:
        return None
    return iso(datetime.fromtimestamp(ts, tz=timezone.utc))


def utc_minute(ts: int | float) -> str:
    """A moment days or weeks ago, to the minute: 'Nov 20 14:05 UTC'."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%b %d %H:%M UTC")
