"""Every key, grouped, built from the live bindings so it can never drift from them."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NAVIGATION = {
    "cursor_down",
    "cursor_up",
    "filter",
    "clear_filter",
    "open_stream",
    "back",
    "shards",
    "command_palette",
    "app.focus_next",
    "select_cursor",
    "app.focus_previous",
    "app.pop_screen",
    "next_stream",
}
GENERAL = {"quit", "help", "refresh", "toggle_pause", "dismiss"}


DESCRIPTIONS = {
    "command_palette": "Jump to a stream (command palette)",
    "select_cursor": "Open the row under the cursor",
    "app.focus_next": "Next panel",
    "app.focus_previous": "Previous panel",
}


def _group(action: str) -> str:
    name = action.split("(")[0]
    if name in NAVIGATION or name.startswith(("cursor_", "scroll_", "page_")):
        return "Navigation"
    if name in GENERAL:
        return "General"
    return "View"


class HelpScreen(ModalScreen):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", key_display="?"),
        Binding("q", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, bindings: list[tuple[str, str, str]]) -> None:
        """``bindings``: (key display, action, description) of the screen underneath."""
        super().__init__()
        self._rows = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.help_table())

    def help_table(self) -> Table:
        groups: dict[str, list[tuple[str, str]]] = {"Navigation": [], "View": [], "General": []}
        seen: set[tuple[str, str]] = set()
        for key, action, description in self._rows:
            if (key, description) in seen:
                continue
            seen.add((key, description))
            groups[_group(action)].append((key, DESCRIPTIONS.get(action, description)))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(justify="right", style="bold cyan", no_wrap=True)
        grid.add_column()
        grid.add_row(Text("kmon keys", style="bold"), "")
        for title, rows in groups.items():
            if not rows:
                continue
            grid.add_row("", "")
            grid.add_row(Text(title, style="bold underline"), "")
            for key, description in rows:
                grid.add_row(Text(key), Text(description))
        grid.add_row("", "")
        grid.add_row("", Text("Esc or ? closes this help", style="dim"))
        return grid
