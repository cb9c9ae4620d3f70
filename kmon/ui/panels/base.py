"""What the detail panels share: a bordered, titled box, and the stream's capacity."""

from __future__ import annotations

from textual.containers import Vertical

from kmon.model import limits
from kmon.model.snapshot import StreamState


class Panel(Vertical, can_focus=True):
    """A bordered box with a title; focusable so tab walks the panels."""

    def __init__(self, title: str, focusable: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        # A panel holding a table lets the table take focus itself, so Enter acts on it.
        self.can_focus = focusable


def capacity(state: StreamState | None) -> tuple[float | None, float | None, float | None]:
    """A provisioned stream's write bytes/s, write records/s and read bytes/s limits; None for
    each when the limit is not known (no open shards). On-demand: the estimated write bytes/s
    (``state.capacity_estimated``) alone, once its 30-day peak is known."""
    if state is not None and state.capacity_estimated:
        return state.write_capacity_bytes_per_sec, None, None
    if state is None or state.mode != "PROVISIONED" or not state.open_shards:
        return None, None, None
    return (
        limits.provisioned_write_bytes(state.open_shards),
        limits.provisioned_write_records(state.open_shards),
        limits.provisioned_read_bytes(state.open_shards),
    )
