"""Consumer lag: every consumer of the stream, how far behind, its verdict and when it catches
up or starts losing data. A consumer whose source failed keeps its last judgement, dimmed and
marked with its age ("■ STOP (stale 3m)"). Columns take their width from their cells (a long
name is cut only when the panel cannot hold it; lag values never are). Enter drills into the
consumer."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable

from kmon.model.lag import ConsumerLag
from kmon.model.snapshot import StreamState
from kmon.ui import format as fmt
from kmon.ui.panels.base import Panel
from kmon.ui.stale import STALE_STYLE, status_cell
from kmon.ui.widgets.gauges import sparkline
from kmon.ui.widgets.tables import Col, FitTable

# Most telling first; when the panel is narrow the trend, then the kind, then the countdown go
# before the name is cut.
COLUMNS = (
    Col("name", "Consumer", shrink=12),
    Col("lag", "Lag"),
    Col("status", "Status"),
    Col("eta", "Catch-up / loss", priority=1, shrink=16),  # a note may be cut, a countdown not
    Col("kind", "Kind", priority=2),
    Col("trend", "Trend", priority=3),
)

TREND_WIDTH = 10


class ConsumersPanel(Panel):
    def __init__(self, stream_name: str, **kwargs) -> None:
        super().__init__("Consumer lag", focusable=False, **kwargs)
        self.stream_name = stream_name
        self.consumers: tuple[ConsumerLag, ...] = ()

    def compose(self) -> ComposeResult:
        yield FitTable(COLUMNS, id="consumer-table", cursor_type="row", zebra_stripes=True)

    def show(self, state: StreamState, now: float) -> None:
        """``now``: the snapshot's time (epoch seconds), what a stale row's age runs to."""
        self.consumers = tuple(state.consumers)
        self.query_one(FitTable).show_rows({key(c): consumer_cells(c, now) for c in self.consumers})

    @on(DataTable.RowSelected, "#consumer-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on a KCL application opens its leases; on any other consumer, its details."""
        event.stop()
        chosen = next((c for c in self.consumers if key(c) == event.row_key.value), None)
        if chosen is None:
            return
        if chosen.kind == "kcl":
            from kmon.ui.screens.kcl import KclScreen

            self.app.push_screen(KclScreen(self.stream_name, chosen.name))
        else:
            from kmon.ui.screens.consumer import ConsumerScreen

            self.app.push_screen(ConsumerScreen(self.stream_name, chosen.kind, chosen.name))


def key(c: ConsumerLag) -> str:
    return f"{c.kind}:{c.name}"


def consumer_cells(c: ConsumerLag, now: float) -> tuple[Text, ...]:
    """A consumer's row: name, lag now, status, catch-up or data-loss time, kind, sparkline;
    dimmed, its status saying how old, when it is the last known judgement."""
    if c.data_loss_sec is not None:
        eta = Text(f"loss in {fmt.duration(c.data_loss_sec)}", style="bold red")
    elif c.catch_up_sec is not None:
        eta = Text(f"catch-up {fmt.duration(c.catch_up_sec)}", style="green")
    elif c.full_note:
        eta = fmt.plain(c.full_note)
    else:
        eta = Text(fmt.DASH)
    cells = (
        fmt.plain(c.name),
        Text(fmt.duration_ms(c.lag_ms), justify="right"),
        status_cell(c, now),
        eta,
        Text(c.kind),
        Text(sparkline([v for _, v in c.history], width=TREND_WIDTH)),
    )
    if c.stale:
        for cell in cells:
            cell.stylize(STALE_STYLE)
    return cells
