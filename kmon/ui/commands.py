"""The command palette (`:`): jump to any stream by fuzzy name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class StreamCommands(Provider):
    def _streams(self):
        snapshot = getattr(self.app, "snapshot", None)
        return snapshot.streams if snapshot is not None else ()

    async def discover(self) -> Hits:
        for s in self._streams():
            yield DiscoveryHit(
                s.name, partial(self.app.open_stream, s.name), help=f"health {s.health.value}"
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for s in self._streams():
            score = matcher.match(s.name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(s.name),
                    partial(self.app.open_stream, s.name),
                    help=f"open stream · health {s.health.value}",
                )
