"""Every finding of one stream in full: cause, evidence, advice and the command to copy."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from kmon.model.snapshot import FleetSnapshot
from kmon.ui.screens.base import KmonScreen
from kmon.ui.screens.stream import copy_command
from kmon.ui.widgets.findings import findings_text


class FindingsScreen(KmonScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "copy(-1)", "Copy command", id="copy"),
        *[Binding(str(i), f"copy({i - 1})", f"Copy command {i}", show=False) for i in range(1, 10)],
    ]

    def __init__(self, stream: str) -> None:
        super().__init__()
        self.stream_name = stream
        self._findings = ()

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static(id="findings-title", classes="table-title")
        with VerticalScroll(id="findings-scroll"):
            yield Static(id="findings-all")
        yield Static(
            Text(
                "c copies the first command, 1-9 the command of that finding; kmon never runs "
                "them. Text can also be selected with the mouse.",
                style="dim",
            ),
            classes="table-note",
        )
        yield Footer()

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        state = snapshot.stream(self.stream_name)
        title = Text(self.stream_name, style="bold")
        if state is None:
            title.append("  no longer listed", style="red")
        else:
            self._findings = state.findings
            title.append(f"  {len(state.findings)} finding(s)")
            if state.stale and state.as_of is not None:
                title.append(f"  as of {state.as_of:%H:%M} (a source is failing)", style="dim")
        self.query_one("#findings-title", Static).update(title)
        now = snapshot.generated_at.timestamp()
        self.query_one("#findings-all", Static).update(findings_text(self._findings, now))

    def action_copy(self, number: int) -> None:
        copy_command(self.app, self._findings, None if number < 0 else number)
