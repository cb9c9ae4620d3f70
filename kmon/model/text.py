"""Text from outside (AWS names, lease owners, error messages) made safe to show: control
characters and direction overrides become visible escapes instead of reaching a terminal."""

from __future__ import annotations


def visible(text: str) -> str:
    """``text`` with every non-printable character but the space shown as its escape:
    ESC as ``\\x1b``, a right-to-left override as ``\\u202e``. Printable text is returned as
    it is (a fast path: most text is)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
