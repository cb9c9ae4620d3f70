"""The kmon Textual app: one poll timer, one worker, one message per poll."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from kmon.model.snapshot import FleetSnapshot
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.help import HelpScreen
from kmon.ui.screens.overview import OverviewScreen
from kmon.ui.widgets.header import HeaderBar

log = logging.getLogger(__name__)

# While the collector still has streams to describe, poll again soon instead of waiting a
# whole refresh interval, so a large fleet fills in within seconds.
FOLLOW_UP_SEC = 1.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class KmonApp(App):
    TITLE = "kmon"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("r", "refresh", "Refresh"),
        Binding("p", "toggle_pause", "Pause"),
    ]

    def __init__(
        self,
        poll: Callable[[], FleetSnapshot] | None,
        *,
        refresh_sec: float = 60.0,
        context: dict | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``poll`` is the collector's poll; None runs no poller (tests post snapshots)."""
        super().__init__()
        self._poll = poll
        self.refresh_sec = refresh_sec
        self.clock = clock
        self.paused = False
        self.polling = False
        self.snapshot: FleetSnapshot | None = None
        self.header_bar = HeaderBar(clock, refresh_sec, context or {})

    def on_mount(self) -> None:
        self.push_screen(OverviewScreen(self.header_bar))
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

    def _poll_in_thread(self) -> None:
        snapshot = self._poll()
        self.post_message(SnapshotReady(snapshot))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "poll":
            return
        if event.state == WorkerState.ERROR:
            self.polling = False
            log.error("poll worker failed", exc_info=event.worker.error)
            self.notify(f"poll failed: {event.worker.error}", severity="error", timeout=5)
        elif event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED):
            self.polling = False

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        self.polling = False
        self.snapshot = message.snapshot
        screen = self.screen
        with self.batch_update():
            if isinstance(screen, OverviewScreen):
                screen.show(message.snapshot)
            else:
                self.header_bar.show(message.snapshot)
        if message.snapshot.pending and self._poll is not None:
            self.set_timer(FOLLOW_UP_SEC, self.request_poll)

    def on_screen_resume(self) -> None:
        # A screen shown again renders the newest snapshot it missed while hidden.
        if self.snapshot is not None and isinstance(self.screen, OverviewScreen):
            self.screen.show(self.snapshot)

    # -- actions --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        if self.paused:
            self.notify("paused: press p to resume", timeout=2)
        elif not self.request_poll():
            self.notify("a refresh is already running", timeout=2)

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.header_bar.set_paused(self.paused)
        if not self.paused:
            self.request_poll()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        rows = []
        for active in self.screen.active_bindings.values():
            b = active.binding
            if b.action in ("help",) or not b.description:
                continue
            rows.append((b.key_display or self.get_key_display(b), b.action, b.description))
        self.push_screen(HelpScreen(rows))
