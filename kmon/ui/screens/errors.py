"""Every current error and note in full: what failed, what kmon last had from it, what to do.
The header has room for one at a time; this screen has room for all of them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from kmon.model.snapshot import FleetSnapshot
from kmon.ui import format as fmt
from kmon.ui.screens.base import KmonScreen


def errors_text(snapshot: FleetSnapshot) -> Text:
    """Errors first, then notes; each with its source, when it last answered, and the full
    message (AWS text literal, never markup)."""
    now = snapshot.generated_at
    failing = [s for s in snapshot.sources if s.error]
    errors = [s for s in failing if not s.key.note]
    notes = [s for s in failing if s.key.note]
    t = Text()
    if not failing:
        t.append("✓ no errors", style="bold green")
        t.append(": every source answered at the last refresh.\n", style="green")
        return t
    for title, group, marker, style in (
        ("Errors", errors, "✖", "bold red"),
        ("Notes", notes, "●", "yellow"),
    ):
        if not group:
            continue
        t.append(f"{title} ({len(group)})\n", style="bold")
        for src in group:
            # Separators close each span: the line reads the same in every renderer.
            t.append(f"{marker} {src.where}  ", style=style)
            if src.updated_at is None:
                t.append("never answered since kmon started\n", style="dim")
            else:
                ago = fmt.age((now - src.updated_at).total_seconds())
                t.append(f"last good {fmt.clock(src.updated_at)} ({ago} ago)\n", style="dim")
            t.append(src.error or "")
            t.append("\n\n")
    t.append(
        "The last good numbers stay on screen, dimmed, until a source answers again.",
        style="dim",
    )
    return t


class ErrorsScreen(KmonScreen):
    DEFAULT_CSS = """
    #errors-body { padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("x", "app.pop_screen", "Back", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield self.make_header()
        with VerticalScroll(id="errors-body"):
            yield Static(id="errors-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#errors-body").focus()

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        self.query_one("#errors-text", Static).update(errors_text(snapshot))
