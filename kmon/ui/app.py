"""The kmon Textual app: one poll timer, one worker, one message per poll."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from datetime import datetime, timezone

from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.worker import Worker, WorkerState

from kmon.model.alerting import Alert, Alerter
from kmon.model.rules import Thresholds
from kmon.model.snapshot import FleetSnapshot
from kmon.ui.commands import StreamCommands, jump_palette
from kmon.ui.filters import VisibleControls
from kmon.ui.messages import SnapshotReady
from kmon.ui.notify import desktop_notification
from kmon.ui.screens.base import KmonScreen
from kmon.ui.screens.errors import ErrorsScreen
from kmon.ui.screens.events import EventsScreen
from kmon.ui.screens.help import HelpScreen
from kmon.ui.screens.overview import OverviewScreen
from kmon.ui.screens.stream import StreamScreen
from kmon.ui.screens.wall import WallScreen

log = logging.getLogger(__name__)

# While the collector still has streams to describe, poll again soon instead of waiting a
# whole refresh interval, so a large fleet fills in within seconds.
FOLLOW_UP_SEC = 1.0
ALERT_TOAST_SEC = 15.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# Widget internals that would only clutter help (the table's own select, copy, sideways moves).
HELP_HIDDEN = {
    "help",
    "cursor_left",
    "cursor_right",
    "copy_text",
    "screen.copy_text",
    "app.copy_text",
    "screenshot",
    "page_left",
    "page_right",
    "maximize",
    "minimize",
}


class KmonApp(App):
    TITLE = "kmon"
    CSS_PATH = "app.tcss"
    COMMANDS = {StreamCommands}
    COMMAND_PALETTE_BINDING = "colon"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (20, "-tall")]
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("w", "toggle_wall", "Wall", id="wall"),
        Binding("e", "events", "Events", id="events"),
        Binding("x", "errors", "Errors", id="errors"),
    ]

    def __init__(
        self,
        poll: Callable[[], FleetSnapshot] | None,
        *,
        focus: Callable[[str | None, int], None] | None = None,
        retry: Callable[[], None] | None = None,
        refresh_sec: float = 60.0,
        context: dict | None = None,
        clock: Callable[[], datetime] = utcnow,
        thresholds: Thresholds = Thresholds(),
        wall: bool = False,
        cycle_sec: float = 15.0,
        keymap: dict[str, str] | None = None,
        alerts: Alerter | None = None,
    ) -> None:
        """``poll`` is the collector's poll and ``focus`` tells it which stream is on screen
        and ``retry`` ends its back-offs (the `r` key);
        with ``poll`` None no poller runs (tests post snapshots themselves). ``alerts``
        decides on each snapshot what to alert on and runs the alert commands."""
        super().__init__()
        self._poll = poll
        self._focus = focus
        self._retry = retry
        self.refresh_sec = refresh_sec
        self.context = context or {}
        self.clock = clock
        self.thresholds = thresholds
        self.start_in_wall = wall
        self.cycle_sec = cycle_sec
        self.paused = False
        self.polling = False
        self._repoll = False
        self.snapshot: FleetSnapshot | None = None
        if keymap:
            self.set_keymap(keymap)
        self._visible_controls = VisibleControls()
        self._alerts = alerts
        if alerts is not None:
            alerts.on_failure = self._alert_failed

    def get_line_filters(self):
        """Textual's own filters (monochrome, dimming), then ours: no control character
        from AWS data reaches the terminal."""
        return [*super().get_line_filters(), self._visible_controls]

    def on_mount(self) -> None:
        self.push_screen(OverviewScreen())
        if self.start_in_wall:
            self.push_screen(WallScreen(self.cycle_sec))
        if self._poll is not None:
            self.set_interval(self.refresh_sec, self.request_poll)
            self.call_after_refresh(self.request_poll)

    # -- polling --------------------------------------------------------------------------

    def request_poll(self) -> bool:
        """Start a poll unless one is running (ticks are dropped, never queued) or paused."""
        if self._poll is None or self.paused or self.polling:
            return False
        self.polling = True
        self.run_worker(self._poll_in_thread, thread=True, exit_on_error=False, group="poll")
        return True

    def _poll_soon(self) -> None:
        """Poll now, or right after the running poll: the user just asked for new data."""
        if not self.request_poll() and self.polling:
            self._repoll = True

    def _poll_in_thread(self) -> None:
        snapshot = self._poll()
        self.post_message(SnapshotReady(snapshot))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "poll":
            return
        if event.state == WorkerState.ERROR:
            self.polling = False
            log.error("poll worker failed", exc_info=event.worker.error)
            self.flash(f"poll failed: {event.worker.error}", timeout=5, severity="error")

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        self.polling = False
        first = self.snapshot is None
        settling = bool(self.snapshot and self.snapshot.pending) and not message.snapshot.pending
        self.snapshot = message.snapshot
        if (first or settling) and self._poll is not None:
            # What exists once the fleet is loaded (modules, botocore's service models, the
            # fleet's series) lives as long as kmon: full collections leave it alone, so one
            # never stalls a keypress (with 2,000 streams it took 120 ms of one).
            gc.collect()
            gc.freeze()
        screen = self.screen
        if isinstance(screen, KmonScreen):
            with self.batch_update():
                screen.show(message.snapshot)
        if self._alerts is not None:
            self._raise_alerts(message.snapshot)
        if self._repoll:
            self._repoll = False
            self.request_poll()
        elif message.snapshot.pending and self._poll is not None:
            self.set_timer(FOLLOW_UP_SEC, self.request_poll)

    def _raise_alerts(self, snapshot: FleetSnapshot) -> None:
        """Toast, bell and desktop notification for each alert (commands run elsewhere)."""
        try:
            fired: list[Alert] = list(self._alerts.check(snapshot))
        except Exception:  # alerting must never take the dashboard down
            log.exception("alert check failed")
            return
        settings = self._alerts.settings
        for alert in fired:
            if settings.toast:
                severity = "error" if alert.severity == "crit" else "warning"
                self.notify(
                    alert.summary,
                    title="kmon alert",
                    severity="information" if alert.recovery else severity,
                    timeout=ALERT_TOAST_SEC,
                    markup=False,
                )
            if settings.desktop and not self.is_headless and self._driver is not None:
                self._driver.write(desktop_notification("kmon", alert.summary))
        if settings.bell and any(not alert.recovery for alert in fired):
            self.bell()

    def _alert_failed(self, message: str) -> None:
        """An alert command failed; called from the thread that ran it."""
        try:
            self.call_from_thread(
                self.notify, message, severity="warning", timeout=ALERT_TOAST_SEC, markup=False
            )
        except RuntimeError:  # not running (any more)
            pass

    # -- navigation -----------------------------------------------------------------------

    def focus_stream(self, stream: str | None, window_sec: int = 3600) -> None:
        if self._focus is not None:
            self._focus(stream, window_sec)
        if stream is not None:
            self._poll_soon()

    def open_stream(self, name: str) -> None:
        while len(self.screen_stack) > 2 and not isinstance(self.screen, OverviewScreen):
            self.pop_screen()
        if isinstance(self.screen, StreamScreen):
            if self.screen.stream_name == name:
                return
            self.pop_screen()
        screen = StreamScreen(name)
        self.push_screen(screen)
        self.focus_stream(name, screen.window_sec)

    def close_stream(self) -> None:
        self.focus_stream(None)
        self.pop_screen()

    # -- actions --------------------------------------------------------------------------

    def flash(self, message: str, timeout: float = 2.0, severity: str = "information") -> None:
        """A message that replaces the previous one instead of stacking up."""
        self.clear_notifications()
        self.notify(message, timeout=timeout, severity=severity)

    def action_refresh(self) -> None:
        if self.paused:
            self.flash("paused: press p to resume")
            return
        if self._retry is not None:
            self._retry()  # back-offs and permission lock-outs end: everything is asked again
        if not self.request_poll():
            self.flash("a refresh is already running")

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if isinstance(self.screen, KmonScreen):
            self.screen.header.refresh_now()
        if not self.paused:
            self.request_poll()

    def action_toggle_wall(self) -> None:
        if isinstance(self.screen, WallScreen):
            self.pop_screen()
            # Back on a stream (or its shards or leases): its detail metrics again.
            stream = next(
                (s for s in reversed(self.screen_stack) if isinstance(s, StreamScreen)), None
            )
            if stream is not None:
                self.focus_stream(stream.stream_name, stream.window_sec)
        else:
            # From a stream's screen, the wall starts on that stream.
            start = getattr(self.screen, "stream_name", None)
            self.focus_stream(None)  # the wall needs no detail metrics: they stop costing
            self.push_screen(WallScreen(self.cycle_sec, start=start))
            if self.snapshot is not None:
                self.call_after_refresh(self.screen.show, self.snapshot)

    def action_events(self) -> None:
        if isinstance(self.screen, EventsScreen):
            self.pop_screen()
            return
        self.push_screen(EventsScreen())

    def action_command_palette(self) -> None:
        """`:` jumps to a stream: the palette says so and lists the worst first."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(jump_palette())

    def action_errors(self) -> None:
        if isinstance(self.screen, ErrorsScreen):
            self.pop_screen()
            return
        self.push_screen(ErrorsScreen())

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        rows = []
        for active in self.screen.active_bindings.values():
            b = active.binding
            if b.action in HELP_HIDDEN or not b.description:
                continue
            rows.append((b.key_display or self.get_key_display(b), b.action, b.description))
        self.push_screen(HelpScreen(rows))
