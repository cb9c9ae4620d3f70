"""Human units for everything on screen. Model values are SI; only this module formats them."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text

from kmon.model.health import Health
from kmon.model.units import (  # noqa: F401  (re-exported: screens format through this module)
    DASH,
    age,
    axis_duration_ms,
    bytes_,
    bytes_rate,
    compact_duration,
    count,
    count_rate,
    duration,
    duration_ms,
    hours,
    interval,
    pct,
    scaled_bytes,
    usd,
)
from kmon.ui.styles import HEALTH_STYLE, LEVEL_STYLE  # noqa: F401  (re-exported)

# Marks a figure measured against an estimated limit (on-demand capacity): "~25%".
ESTIMATE = "~"


def util_pct(value: float | None, estimated: bool = False) -> str:
    """A utilization, marked when its limit is an estimate."""
    text = pct(value)
    return f"{ESTIMATE}{text}" if estimated and text != DASH else text


def util_style(level: Health, ok: str = "") -> str:
    """The colour of a judged level (``Thresholds.utilization`` says which): ``ok`` below the
    warning line, yellow past it, bold red at the limit."""
    return LEVEL_STYLE.get(level, ok)


def clock(t: datetime) -> str:
    return t.strftime("%H:%M:%S UTC")


def clock_hm(epoch: float) -> str:
    """An epoch time as HH:MM UTC: when a state began."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%H:%M")


def health(h: Health, for_sec: float | None = None, stale: bool = False) -> Text:
    """Colour always comes with a word and a marker, for monochrome and colour-blind eyes;
    ``for_sec``: how long the stream has been in this state (✖ CRIT 1h12m); ``stale``: the
    last known judgement, shown dimmed."""
    label, style = HEALTH_STYLE[h]
    text = Text(label, style=style)
    if for_sec is not None and h in (Health.WARN, Health.CRIT):
        text.append(f" {compact_duration(for_sec)}")
    if stale:
        text.stylize("dim")
    return text


def plain(value: str | None) -> Text:
    """AWS-supplied text (names, owners) shown literally, never parsed as markup."""
    return Text(DASH if value is None else str(value))
