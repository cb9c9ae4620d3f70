"""What every kmon screen shares: its own header, and rendering the newest snapshot."""

from __future__ import annotations

from textual.screen import Screen

from kmon.model.snapshot import FleetSnapshot
from kmon.ui.widgets.header import HeaderBar


class KmonScreen(Screen):
    def make_header(self) -> HeaderBar:
        app = self.app
        self.header = HeaderBar(app.clock, app.refresh_sec, app.context)
        return self.header

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)

    def on_screen_resume(self) -> None:
        # A screen shown again renders the newest snapshot it missed while hidden.
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is not None:
            self.show(snapshot)
