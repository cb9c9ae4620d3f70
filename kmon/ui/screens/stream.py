"""One stream, everything an on-call engineer needs: throughput, iterator age, throttling and
consumer lag against the limits, live. The summary and the findings sit on top on fixed rows,
so the four panels (kmon/ui/panels/) keep their place from one stream to the next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Footer

from kmon.model.detail import WINDOWS_SEC, StreamDetail
from kmon.model.snapshot import FleetSnapshot, StreamState
from kmon.ui.panels import (
    ConsumersPanel,
    FindingsStrip,
    IteratorAgePanel,
    SummaryBar,
    ThrottlingPanel,
    ThroughputPanel,
    summary_fields,
    window_label,
)
from kmon.ui.screens.base import KmonScreen

__all__ = ["StreamScreen", "copy_command", "window_label"]


class StreamScreen(KmonScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("t", "cycle_window", "Time window", id="window"),
        *[
            Binding(str(i + 1), f"window({w})", f"Window {window_label(w)}", show=False)
            for i, w in enumerate(WINDOWS_SEC)
        ],
        Binding("s", "shards", "Shards", id="shards"),
        Binding("f", "findings", "Findings", id="findings"),
        Binding("c", "copy_command", "Copy command", id="copy"),
        Binding("tab", "app.focus_next", "Next panel", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous panel", show=False),
    ]

    def __init__(self, stream: str, window_sec: int = WINDOWS_SEC[1]) -> None:
        super().__init__()
        self.stream_name = stream
        self.window_sec = window_sec
        self.detail: StreamDetail | None = None
        self.state: StreamState | None = None
        self.now = 0
        self.gone = False

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield SummaryBar(id="summary")
        yield FindingsStrip(id="findings")
        with Grid(id="panels"):
            yield ThroughputPanel(id="throughput")
            yield IteratorAgePanel(id="iterator")
            yield ThrottlingPanel(id="throttling")
            yield ConsumersPanel(self.stream_name, id="consumers")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.stream_name
        self.query_one("#throughput").focus()

    # -- rendering ------------------------------------------------------------------------

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        state = snapshot.stream(self.stream_name)
        self.gone = state is None
        if state is not None:
            self.state = state
        if snapshot.detail is not None and snapshot.detail.name == self.stream_name:
            self.detail = snapshot.detail
        now = int(snapshot.generated_at.timestamp())
        self.now = now
        self._summary()
        self.query_one(FindingsStrip).show(self.state.findings if self.state else (), now)
        if self.detail is None or self.state is None:
            return
        if self.detail.window_sec != self.window_sec:
            return  # the poll for the newly chosen window is on its way
        self.query_one(ThroughputPanel).show(self.state, self.detail, now)
        self.query_one(IteratorAgePanel).show(self.state, self.detail, now)
        self.query_one(ThrottlingPanel).show(self.state, self.detail, now)
        self.query_one(ConsumersPanel).show(self.state, now)

    def _summary(self) -> None:
        self.query_one(SummaryBar).show(
            summary_fields(
                self.stream_name, self.state, self.detail, self.now, self.window_sec, self.gone
            )
        )

    # -- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.close_stream()

    def action_cycle_window(self) -> None:
        i = WINDOWS_SEC.index(self.window_sec) if self.window_sec in WINDOWS_SEC else 0
        self.action_window(WINDOWS_SEC[(i + 1) % len(WINDOWS_SEC)])

    def action_window(self, seconds: int) -> None:
        self.window_sec = seconds
        self.app.focus_stream(self.stream_name, seconds)
        self._summary()
        self.app.flash(f"window {window_label(seconds)}", timeout=1.5)

    def action_findings(self) -> None:
        from kmon.ui.screens.findings import FindingsScreen

        self.app.push_screen(FindingsScreen(self.stream_name))

    def action_copy_command(self) -> None:
        copy_command(self.app, self.state.findings if self.state else ())

    def action_shards(self) -> None:
        from kmon.ui.screens.shards import ShardsScreen

        self.app.push_screen(ShardsScreen(self.stream_name))


def copy_command(app, findings, number: int | None = None) -> None:
    """Put a finding's command (the first one that has a command, or finding ``number``,
    counted from 0) on the clipboard (OSC 52): kmon shows it, the operator runs it."""
    if number is None:
        command = next((f.command for f in findings if f.command), None)
    else:
        command = findings[number].command if number < len(findings) else None
    if not command:
        app.flash("no command to copy here")
        return
    app.copy_to_clipboard(command)
    app.flash(f"copied: {command}", timeout=4)
