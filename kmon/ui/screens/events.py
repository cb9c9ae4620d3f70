"""Events: every change of a stream's health or a consumer's status, newest first."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from kmon.model.events import Event
from kmon.model.health import Health
from kmon.model.snapshot import FleetSnapshot
from kmon.ui import format as fmt
from kmon.ui.screens.base import TableScreen
from kmon.ui.styles import STATUS_STYLE
from kmon.ui.widgets.tables import Col

# Sized from the cells and the terminal: the cause is cut first, then the subject and the
# stream (whose key is label/name with several contexts).
COLUMNS = (
    Col("at", "Began", 0),
    Col("stream", "Stream", 0, shrink=16),
    Col("subject", "Subject", 1, shrink=16),
    Col("change", "Change", 0),
    Col("cause", "Cause", 2, shrink=20),
)
# What the filter key steps through: everything, then warn and worse, then crit only.
FILTERS = (("all", ()), ("warn+", ("warn", "crit")), ("crit", ("crit",)))
SEVERITY_STYLE = {"crit": "bold red", "warn": "yellow", "ok": "green"}


def event_row(e: Event) -> tuple[Text, ...]:
    began = datetime.fromtimestamp(e.at, tz=timezone.utc)
    change = Text()
    change.append(e.from_ or "new", style="dim")
    change.append(" → ")
    if e.subject_kind == "stream" and e.to in Health._value2member_map_:
        label = fmt.HEALTH_STYLE[Health(e.to)][0]
    else:
        label = STATUS_STYLE.get(e.to, (e.to.upper(), ""))[0]
    change.append(label, style=SEVERITY_STYLE.get(e.severity, ""))
    subject = Text(e.subject if e.subject_kind == "stream" else f"{e.subject}")
    if e.subject_kind != "stream":
        subject = Text("consumer ", style="dim") + subject
    return (
        Text(began.strftime("%m-%d %H:%M:%S")),
        fmt.plain(e.key),
        subject,
        change,
        fmt.plain(e.cause),
    )


class EventsScreen(TableScreen):
    TABLE_ID = "events"
    COLUMNS = COLUMNS
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "app.pop_screen", "Back", show=False),
        Binding("f", "next_filter", "Severity filter", id="severity"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = 0
        self._events: tuple[Event, ...] = ()
        self._shown: tuple[Event, ...] | None = None

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        # Newest first by when each state began (a first poll learns old states at once).
        self._events = tuple(sorted(snapshot.events, key=lambda e: e.at, reverse=True))
        self._redraw()

    def _redraw(self) -> None:
        name, severities = FILTERS[self.filter]
        events = tuple(e for e in self._events if not severities or e.severity in severities)
        title = Text("Events", style="bold")
        title.append(f"  {len(events)} shown ({name}) of {len(self._events)}, newest first")
        self.query_one("#events-title", Static).update(title)
        note = self.query_one("#events-note", Static)
        note.update(
            Text(
                "f: all / warn and worse / crit only · the time is when the state began "
                "(from metric history where it says, else when kmon saw it)"
                if events
                else "no changes seen yet: every stream and consumer is as kmon first found it",
                style="dim",
            )
        )
        if events == self._shown:
            return
        self.table.show_rows({str(i): event_row(e) for i, e in enumerate(events)})
        self._shown = events

    def action_next_filter(self) -> None:
        self.filter = (self.filter + 1) % len(FILTERS)
        self._redraw()
        self.app.flash(f"showing {FILTERS[self.filter][0]} events", timeout=1.5)
