"""The real dashboard on its real collector, through the fault proxy in front of moto, with
polls driven one at a time on the collector's fake clocks.

    async with dashboard(proxy.url, clocks) as d:
        d.header()                      # the header's two lines, as drawn
        proxy.set("cloudwatch", "deny")
        await d.tick()                  # one refresh of fake time, then one poll
        proxy.clear()
        took = await d.recover(lambda: "ERROR" not in d.header())

A poll is what the app's timer starts (`request_poll`), so what a test sees is what the
operator's screen would show at that refresh. The app's own poll timer runs on real time, so
it is paused after the first poll: the test is the timer, one refresh of fake time a tick.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from kmon.collector.collector import Collector, CollectorOptions
from kmon.config import MIN_REFRESH
from kmon.model.snapshot import FleetSnapshot
from kmon.ui.app import KmonApp
from tests.collector.test_faults import Clocks
from tests.seed import REGION

# The shortest refresh kmon allows; the collector paces its back-offs and credential renewals
# by it, so recovery is measured in these.
REFRESH = MIN_REFRESH
SIZE = (160, 45)


class Dashboard:
    def __init__(self, app: KmonApp, pilot, clocks: Clocks, collector: Collector) -> None:
        self.app = app
        self.pilot = pilot
        self.clocks = clocks
        self.collector = collector
        self.polls = 0

    @property
    def snapshot(self) -> FleetSnapshot:
        assert self.app.snapshot is not None
        return self.app.snapshot

    async def idle(self, timeout: float = 20.0) -> None:
        """Until no poll runs and the last snapshot is on screen."""
        await self.pilot.pause()
        for _ in range(int(timeout / 0.02)):
            if not self.app.polling and self.app.snapshot is not None:
                break
            await asyncio.sleep(0.02)
        assert not self.app.polling, "a poll did not finish"
        await self.pilot.pause()

    async def poll(self) -> FleetSnapshot:
        """One poll, as the app's timer starts it, shown on the current screen."""
        await self.idle()
        while not self.app.request_poll():  # a follow-up poll of the app's own was due
            await self.idle()
        self.polls += 1
        await self.idle()
        return self.snapshot

    async def tick(self, seconds: float = REFRESH) -> FleetSnapshot:
        """``seconds`` of fake time go by, then the poll of that refresh."""
        self.clocks.advance(seconds)
        return await self.poll()

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.idle()

    async def recover(self, healthy: Callable[[], bool], limit: int = 3) -> float:
        """Seconds of fake time, one refresh a poll, until ``healthy()`` holds on screen
        (after at most ``limit`` refreshes; the test then says how many it expected)."""
        for n in range(1, limit + 1):
            await self.tick()
            if healthy():
                return n * REFRESH
        raise AssertionError(f"not recovered after {limit} refreshes:\n{self.text()}")

    # -- what is on screen ------------------------------------------------------------------

    def header(self) -> str:
        return self.app.screen.header.render_text().plain

    def text(self) -> str:
        """Everything drawn, row by row, after the app's line filters."""
        strips = self.app.screen._compositor.render_strips()
        return "\n".join("".join(seg.text for seg in strip) for strip in strips)

    def terminal_bytes(self) -> str:
        """What the app would write to a terminal to draw the whole screen."""
        update = self.app.screen._compositor.render_full_update()
        return update.render_segments(self.app.console)


@asynccontextmanager
async def dashboard(
    url: str, clocks: Clocks | None = None, size: tuple[int, int] = SIZE, **options
) -> AsyncIterator[Dashboard]:
    """kmon's dashboard wired as `kmon --endpoint-url URL` wires it, after its first poll."""
    clocks = clocks or Clocks()
    # No CloudWatch budget: every stream's metrics are due each minute, so a CloudWatch fault
    # is met at the first poll of the next minute.
    options.setdefault("budget_usd_per_day", 0.0)
    collector = Collector(
        CollectorOptions(region=REGION, endpoint_url=url, refresh=REFRESH, **options),
        clock=clocks.wall,
        monotonic=clocks.monotonic,
        sleep=clocks.sleep,
    )
    app = KmonApp(
        collector.poll,
        focus=collector.set_focus,
        retry=collector.retry_now,
        refresh_sec=REFRESH,
        context={"region": REGION, "endpoint": url},
        clock=clocks.wall,
    )
    async with app.run_test(size=size) as pilot:
        d = Dashboard(app, pilot, clocks, collector)
        await d.idle()  # the first poll, started when the app mounts
        for timer in list(app._timers):  # the refresh timer (the header keeps its own)
            timer.pause()
        yield d
