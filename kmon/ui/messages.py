"""Messages between the poller and the screens: one snapshot per poll is the whole seam."""

from __future__ import annotations

from textual.message import Message

from kmon.model.snapshot import FleetSnapshot


class SnapshotReady(Message):
    """A poll finished. A newer one replaces an older one still waiting in the queue."""

    def __init__(self, snapshot: FleetSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)
