"""Keyed DataTable updates: add new rows, update changed cells, drop rows that are gone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.widgets import DataTable


def add_columns(table: DataTable, columns: Sequence[tuple[str, str, int]]) -> None:
    for key, label, width in columns:
        table.add_column(label, key=key, width=width)


def sync_rows(table: DataTable, rows: Mapping[str, Sequence], column_keys: Sequence[str]) -> None:
    """Make ``table`` show ``rows`` (row key -> cells), touching only what changed, so the
    cursor and scroll position survive every refresh."""
    for key, cells in rows.items():
        if key in table.rows:
            for column, value in zip(column_keys, cells):
                if not _same(table.get_cell(key, column), value):  # unchanged: not redrawn
                    table.update_cell(key, column, value)
        else:
            table.add_row(*cells, key=key)
    for key in [k.value for k in table.rows if k.value not in rows]:
        table.remove_row(key)


def _same(a: object, b: object) -> bool:
    """Equal as shown: rich's Text equality ignores the base style (80% turning yellow)."""
    if isinstance(a, Text) and isinstance(b, Text):
        return (a.plain, str(a.style), a.spans, a.justify) == (
            b.plain,
            str(b.style),
            b.spans,
            b.justify,
        )
    return a == b
