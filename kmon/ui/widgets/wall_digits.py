"""Block digits of any size for the wall: a 3x5 pixel font drawn with half blocks, scaled by
a whole factor. Scale 1 is three rows (like Textual's ``Digits``), scale 2 five rows, scale 4
ten rows. Units are not drawn big: they go beside the digits in ordinary text."""

from __future__ import annotations

import math

from rich.text import Text

# 3 pixels wide (the point and the colon 1), 5 tall; '#' is ink.
_FONT = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "-": ("...", "...", "###", "...", "..."),
    "–": ("...", "...", "###", "...", "..."),
    ".": (".", ".", ".", ".", "#"),
    ",": (".", ".", ".", "#", "#"),
    ":": (".", "#", ".", "#", "."),
    " ": ("..", "..", "..", "..", ".."),
}
PIXEL_ROWS = 5
# Upper and lower half of a cell: (top ink, bottom ink) -> character.
_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def drawable(text: str) -> bool:
    """Whether every character of ``text`` has a big glyph."""
    return bool(text) and all(ch in _FONT for ch in text)


def rows(scale: int) -> int:
    """Terminal rows the digits take at ``scale``."""
    return math.ceil(PIXEL_ROWS * scale / 2)


def width(text: str, scale: int) -> int:
    """Columns ``text`` takes at ``scale``: each glyph, and a gap of ``scale`` after all but
    the last."""
    if not text:
        return 0
    glyphs = sum(len(_FONT.get(ch, _FONT[" "])[0]) for ch in text)
    return glyphs * scale + (len(text) - 1) * scale


def big(text: str, scale: int) -> list[str]:
    """``text`` as ``rows(scale)`` lines of block characters, all ``width(text, scale)`` wide."""
    scale = max(1, scale)
    # The pixel rows of the whole text, each pixel ``scale`` wide, the gaps included.
    pixels: list[list[bool]] = [[] for _ in range(PIXEL_ROWS)]
    for i, ch in enumerate(text):
        glyph = _FONT.get(ch, _FONT[" "])
        for r in range(PIXEL_ROWS):
            if i:
                pixels[r].extend([False] * scale)
            for p in glyph[r]:
                pixels[r].extend([p == "#"] * scale)
    # Each pixel row repeated ``scale`` times, then two rows to a terminal row.
    tall = [row for row in pixels for _ in range(scale)]
    if len(tall) % 2:
        tall.append([False] * len(tall[0]) if tall else [])
    return [
        "".join(_HALF[(a, b)] for a, b in zip(tall[i], tall[i + 1])) for i in range(0, len(tall), 2)
    ]


def big_text(text: str, scale: int, style: str = "") -> list[Text]:
    return [Text(line, style=style) for line in big(text, scale)]
