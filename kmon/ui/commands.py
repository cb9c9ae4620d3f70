"""The command palette (`:`): jump to any stream, worst first, by fuzzy name."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from kmon.model.snapshot import worst_first
from kmon.ui import format as fmt

PLACEHOLDER = "Jump to stream…"


def jump_palette() -> CommandPalette:
    return CommandPalette(placeholder=PLACEHOLDER, id="--command-palette")


class StreamCommands(Provider):
    def _streams(self):
        snapshot = getattr(self.app, "snapshot", None)
        return worst_first(snapshot.streams) if snapshot is not None else ()

    @staticmethod
    def _help(s) -> str:
        # Help text is markup to the palette: a finding's summary is escaped by building it
        # from a plain Text.
        label = fmt.HEALTH_STYLE[s.health][0]
        cause = s.findings[0].summary if s.findings else ""
        return Text(f"{label}  {cause}".rstrip()).markup

    async def discover(self) -> Hits:
        for s in self._streams():
            yield DiscoveryHit(
                Text(s.key), partial(self.app.open_stream, s.key), help=self._help(s)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for rank, s in enumerate(self._streams()):
            score = matcher.match(s.key)
            if score > 0:
                # Among equal matches the worse stream comes first (the palette sorts by score).
                yield Hit(
                    score + (1 - rank / 1e6) * 1e-3,
                    matcher.highlight(s.key),
                    partial(self.app.open_stream, s.key),
                    help=self._help(s),
                )
