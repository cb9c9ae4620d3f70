"""Text gauges and sparklines: colour always with a number and a marker."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from kmon.model.health import Health
from kmon.ui import format as fmt

BLOCKS = "▁▂▃▄▅▆▇█"


def gauge(label: str, pct: float | None, limit: str, level: Health, width: int = 12) -> Text:
    """``write bytes  [██████░░░░]  62% of 2 MiB/s``; ``level`` is how the rules judge it."""
    t = Text()
    t.append(f"{label:<14}")
    if pct is None:
        t.append("[" + "·" * width + "] ", style="dim")
        t.append(f"{fmt.DASH} no limit or no data", style="dim")
        return t
    filled = min(width, round(width * min(pct, 100) / 100))
    style = fmt.util_style(level, ok="green")
    marker = {Health.WARN: " ▲", Health.CRIT: " ✖"}.get(level, "")
    t.append("[")
    t.append("█" * filled, style=style)
    t.append("░" * (width - filled), style="dim")
    # Separators end the span before them (a styled span never starts with spaces), and
    # the percentage is padded on the right, so every renderer lines the gauges up.
    value = fmt.pct(pct)
    t.append("] " + " " * (5 - len(value)))
    t.append(f"{value}{marker} ", style=style)
    t.append(f"of {limit}", style="dim")
    return t


def sparkline(values: Sequence[float], width: int = 12) -> str:
    vals = list(values)[-width:]
    if not vals:
        return fmt.DASH
    lo, hi = min(vals), max(vals)
    span = hi - lo
    if span <= 0:
        return BLOCKS[0] * len(vals)
    return "".join(BLOCKS[min(7, int((v - lo) / span * 7.999))] for v in vals)
