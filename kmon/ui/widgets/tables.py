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
                if shown(table.get_cell(key, column)) != shown(value):  # unchanged: not redrawn
                    table.update_cell(key, column, value)
        else:
            table.add_row(*cells, key=key)
    for key in [k.value for k in table.rows if k.value not in rows]:
        table.remove_row(key)


def shown(cell: object) -> object:
    """A cell as the eye sees it, for change checks: rich's Text equality ignores the base
    style, so 80% turning yellow would not count as a change."""
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style), tuple(cell.spans), cell.justify)
    return cell
