"""The last step before the terminal: every line any widget draws passes through here, so
no text from outside can carry a control sequence to the terminal (a title change, colours,
a cursor move) or reorder a line with a direction override, whichever widget shows it."""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from kmon.model.text import visible


class VisibleControls(LineFilter):
    """Shows control characters and bidi overrides as escapes (``\\x1b``). A line that grows
    is cut back to its width: the escape is seen, the line's end may be lost."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(seg.control or seg.text.isprintable() for seg in segments):
            return segments  # the usual case: nothing to escape
        width = sum(seg.cell_length for seg in segments)
        out = [
            seg if seg.control or seg.text.isprintable() else Segment(visible(seg.text), seg.style)
            for seg in segments
        ]
        return list(Segment.adjust_line_length(out, width))
