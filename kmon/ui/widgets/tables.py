"""Keyed DataTable updates: add new rows, update changed cells, drop rows that are gone; and
tables whose columns size themselves from their cells and the room there is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from kmon.model.text import visible


def add_columns(table: DataTable, columns: Sequence[tuple[str, str, int]]) -> None:
    for key, label, width in columns:
        table.add_column(label, key=key, width=width)


def sync_rows(
    table: DataTable,
    rows: Mapping[str, Sequence],
    column_keys: Sequence[str],
    update_width: bool = False,
) -> None:
    """Make ``table`` show ``rows`` (row key -> cells), touching only what changed, so the
    cursor and scroll position survive every refresh. ``update_width``: the table lays itself
    out again after a change (its column widths changed)."""
    for key, cells in rows.items():
        if key in table.rows:
            for column, value in zip(column_keys, cells):
                if shown(table.get_cell(key, column)) != shown(value):  # unchanged: not redrawn
                    table.update_cell(key, column, value, update_width=update_width)
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


# -- tables that size their columns from their cells -------------------------------------------


@dataclass(frozen=True)
class Col:
    """A column of a ``FitTable``. ``priority``: 0 is always shown; when the room runs out,
    the highest numbers go first. ``shrink``: a text column (a name, an owner) that may be cut,
    with an ellipsis, down to this width to make room for a column at least as important;
    None: never cut (numbers, ids whose tail is what tells them apart)."""

    key: str
    label: str
    priority: int = 0
    shrink: int | None = None


def natural_width(cell: object) -> int:
    """How many terminal cells the widest line of ``cell`` takes."""
    text = cell if isinstance(cell, Text) else Text(str(cell))
    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def fit_columns(
    columns: Sequence[Col], rows: Iterable[Sequence], room: int, padding: int = 1
) -> dict[str, int]:
    """Which columns to show and how wide (key -> width, without padding), from the cells
    (each row's cells in ``columns`` order) and ``room`` (the table's width in cells).

    Every column gets its content's width. Columns are taken most important first; one that
    does not fit is left out, unless cutting text columns of its importance or lower makes it
    fit. A column is never cut to make room for a less important one."""
    natural = [natural_width(c.label) for c in columns]
    for cells in rows:
        for i, cell in enumerate(cells):
            natural[i] = max(natural[i], natural_width(cell))

    def least(i: int) -> int:
        shrink = columns[i].shrink
        return natural[i] if shrink is None else min(natural[i], shrink)

    chosen: list[int] = []
    for i in sorted(range(len(columns)), key=lambda i: (columns[i].priority, i)):
        level = columns[i].priority
        need = sum(
            (least(j) if columns[j].priority >= level else natural[j]) + 2 * padding
            for j in [*chosen, i]
        )
        if need <= room or level == 0:
            chosen.append(i)
    widths = {i: natural[i] for i in chosen}
    over = sum(w + 2 * padding for w in widths.values()) - room
    # Cut the least important text first.
    for i in sorted(chosen, key=lambda i: (-columns[i].priority, -i)):
        if over <= 0:
            break
        cut = min(over, widths[i] - least(i))
        widths[i] -= cut
        over -= cut
    return {columns[i].key: widths[i] for i in sorted(chosen)}


def escaped(cell: object) -> object:
    """``cell`` with control characters and direction overrides shown as escapes before it
    is measured, so its column is as wide as what is drawn (the line filter would escape them
    after layout, pushing the rest of the row out of its columns). Such a cell keeps its base
    style only."""
    if not isinstance(cell, Text | str):
        return cell
    plain = cell.plain if isinstance(cell, Text) else cell
    lines = plain.split("\n")  # a cell may have several lines
    if all(line.isprintable() for line in lines):
        return cell  # the usual case
    text = "\n".join(map(visible, lines))
    return Text(text, style=cell.style, justify=cell.justify) if isinstance(cell, Text) else text


def fitted(cell: object, width: int) -> object:
    """``cell`` cut to ``width`` cells with an ellipsis; as it is when it fits."""
    if natural_width(cell) <= width:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.truncate(width, overflow="ellipsis")
    return text


class FitTable(DataTable):
    """A keyed table (rows diffed by key, as ``sync_rows``) whose columns take their width
    from their cells and the room there is: nothing is cut while the room is there, numbers
    never are, and the least important columns are left out when the terminal is too narrow.
    Refitted on every update and resize."""

    def __init__(self, columns: Sequence[Col], **kwargs) -> None:
        super().__init__(**kwargs)
        self.specs = tuple(columns)
        self._all_rows: dict[str, Sequence] = {}
        self.widths: dict[str, int] = {}

    def on_mount(self) -> None:
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def show_rows(self, rows: Mapping[str, Sequence]) -> None:
        """Show ``rows`` (row key -> cells in column order), touching only what changed."""
        self._all_rows = {key: tuple(map(escaped, cells)) for key, cells in rows.items()}
        self._fit()

    @property
    def room(self) -> int:
        width = self.size.width or self.app.size.width
        if len(self._all_rows) + (1 if self.show_header else 0) > (self.size.height or 0):
            width -= self.styles.scrollbar_size_vertical
        return max(0, width)

    def _fit(self) -> None:
        widths = fit_columns(self.specs, self._all_rows.values(), self.room, self.cell_padding)
        keys = [c.key for c in self.specs if c.key in widths]
        rows = {
            key: tuple(
                fitted(cell, widths[c.key]) for c, cell in zip(self.specs, cells) if c.key in widths
            )
            for key, cells in self._all_rows.items()
        }
        labels = self._labels(widths)
        self.widths = widths
        if keys != [k.value for k in self.columns]:
            self._rebuild(keys, labels, rows)
            return
        resized = False
        for column in self.columns.values():
            key = column.key.value
            if column.width != widths[key] or shown(column.label) != shown(labels[key]):
                column.width = widths[key]
                column.label = labels[key]
                resized = True
        sync_rows(self, rows, keys, update_width=True)
        if resized and self.row_count:
            # Any cell updated with update_width has the table lay itself out again.
            first = self.coordinate_to_cell_key(Coordinate(0, 0))
            self.update_cell(*first, self.get_cell(*first), update_width=True)

    def _labels(self, widths: Mapping[str, int]) -> dict[str, Text]:
        """Column labels, right-justified over right-justified (numeric) cells."""
        labels = {}
        for i, c in enumerate(self.specs):
            if c.key not in widths:
                continue
            right = any(
                isinstance(cells[i], Text) and cells[i].justify == "right"
                for cells in self._all_rows.values()
            )
            labels[c.key] = fitted(Text(c.label, justify="right" if right else None), widths[c.key])
        return labels

    def _rebuild(
        self, keys: list[str], labels: Mapping[str, Text], rows: Mapping[str, Sequence]
    ) -> None:
        """Other columns shown (a resize, a longer value): the table again, the cursor on the
        same row."""
        current = self._cursor_key()
        scroll_y = self.scroll_y
        self.clear(columns=True)
        for key in keys:
            self.add_column(labels[key], key=key, width=self.widths[key])
        for key, cells in rows.items():
            self.add_row(*cells, key=key)
        if current in rows:
            self.move_cursor(row=list(rows).index(current), animate=False, scroll=False)
        self.scroll_y = scroll_y

    def _cursor_key(self) -> str | None:
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
