"""How a consumer's last known judgement looks wherever the consumer is shown: dimmed, and
saying in words how old it is ("(stale 3m)"), so neither colour nor its absence carries the
meaning alone. The judgement is kept by the collector when its source fails (``stale``,
``as_of``); its age runs to the snapshot's time."""

from __future__ import annotations

from rich.text import Text

from kmon.model.lag import ConsumerLag
from kmon.ui import format as fmt
from kmon.ui.styles import status_text

STALE_STYLE = "dim"


def stale_label(c: ConsumerLag, now: float) -> str | None:
    """'stale 3m': how long ago the kept judgement was made (to ``now``, the snapshot's
    epoch seconds); 'stale' when that is not known; None for a fresh judgement."""
    if not c.stale:
        return None
    if c.as_of is None:
        return "stale"
    return f"stale {fmt.compact_duration(max(0.0, now - c.as_of))}"


def stale_suffix(c: ConsumerLag, now: float) -> str:
    """' (stale 3m)' to follow what it qualifies, or nothing."""
    label = stale_label(c, now)
    return f" ({label})" if label else ""


def status_cell(c: ConsumerLag, now: float) -> Text:
    """The consumer's status word and, for a kept judgement, '(stale 3m)', all dimmed:
    ■ STOP (stale 3m)."""
    word = status_text(c.status)
    label = stale_label(c, now)
    if label is None:
        return word
    t = Text()
    # The separating space ends the word's span: an SVG export drops a span's leading spaces.
    t.append(f"{word.plain} ", style=word.style)
    t.append(f"({label})")
    t.stylize(STALE_STYLE)
    return t
