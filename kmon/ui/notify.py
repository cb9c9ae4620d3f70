"""Desktop notifications through the terminal: the OSC 9 and OSC 777 escape sequences.

OSC 9 is shown by iTerm2, kitty, WezTerm and Ghostty among others; OSC 777 by foot,
rxvt-unicode (with its notify extension), WezTerm, Ghostty and some VTE builds. A terminal
that knows neither ignores both. Inside tmux they are wrapped for tmux to pass through, which
it does with ``set -g allow-passthrough on``.
"""

from __future__ import annotations

import os
import re

# Control characters would end the sequence early or start another one (C0, DEL, C1).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TEXT = 200


def _clean(text: str, semicolons: bool = True) -> str:
    text = _CONTROL.sub(" ", text)
    if not semicolons:  # OSC 777 separates its fields with ';'
        text = text.replace(";", ",")
    return text[:MAX_TEXT]


def _tmux(sequence: str) -> str:
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def desktop_notification(title: str, body: str, tmux: bool | None = None) -> str:
    """Both sequences, each ended by BEL, with the text made safe to embed. ``tmux`` (default:
    whether $TMUX is set) wraps each for tmux's passthrough."""
    osc9 = f"\x1b]9;{_clean(f'{title}: {body}')}\x07"
    osc777 = f"\x1b]777;notify;{_clean(title, False)};{_clean(body, False)}\x07"
    if tmux is None:
        tmux = bool(os.environ.get("TMUX"))
    return _tmux(osc9) + _tmux(osc777) if tmux else osc9 + osc777
