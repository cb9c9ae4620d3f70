"""2,000 streams in the overview: every sort key and the filter reorder the whole table.
(How fast is benchmarks/large_fleet.py's business; this checks what they show.)"""

from __future__ import annotations

import random

from kmon.model.health import Health
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.widgets.streams_table import StreamsTable
from tests.ui.fleet import NOW, snapshot, stream

N = 2000


def fleet():
    """s-0000 … s-1999 in shuffled order. s-NNNN writes 2000 - NNNN bytes/s (s-0000 the
    most); even numbers have an iterator age of NNNN x 10 ms, odd ones none; s-1234 is CRIT
    and s-0042 WARN, every other stream OK."""
    streams = []
    for i in range(N):
        health = {1234: Health.CRIT, 42: Health.WARN}.get(i, Health.OK)
        streams.append(
            stream(
                f"s-{i:04d}",
                health=health,
                incoming_bytes_per_sec=float(N - i),
                iterator_age_ms=float(i * 10) if i % 2 == 0 else None,
            )
        )
    random.Random(7).shuffle(streams)
    return streams


async def test_sort_and_filter_two_thousand_rows():
    app = KmonApp(None, refresh_sec=60, clock=lambda: NOW)
    async with app.run_test(size=(160, 45)) as pilot:
        app.post_message(SnapshotReady(snapshot(fleet())))
        await pilot.pause()
        table = app.screen.query_one(StreamsTable)

        def names() -> list[str]:
            return table.row_names()

        # Worst first, ties by name.
        assert names()[:4] == ["s-1234", "s-0042", "s-0000", "s-0001"]
        assert len(names()) == N

        await pilot.press("I")  # incoming bytes, largest first
        assert names()[:3] == ["s-0000", "s-0001", "s-0002"] and names()[-1] == "s-1999"
        await pilot.press("I")  # again: smallest first
        assert names()[:2] == ["s-1999", "s-1998"] and names()[-1] == "s-0000"

        await pilot.press("A")  # iterator age, largest first; streams without one last
        rows = names()
        assert rows[:2] == ["s-1998", "s-1996"] and rows[999] == "s-0000"
        assert rows[1000:1002] == ["s-0001", "s-0003"] and rows[-1] == "s-1999"

        await pilot.press("N")  # name, A to Z
        assert names() == [f"s-{i:04d}" for i in range(N)]

        # Names containing "12": 12xx (100), x12x (0120-0129, 1120-1129: 20), xx12 (0012 …
        # 1912: 20), less 1212 counted twice: 139. Containing "123": 1230-1239, 0123, 1123.
        await pilot.press("slash", "1", "2")
        assert len(names()) == 139
        await pilot.press("3")
        expected = ["s-0123", "s-1123"] + [f"s-123{d}" for d in range(10)]
        assert names() == expected  # still sorted by name
        await pilot.press("backspace")
        assert len(names()) == 139
        await pilot.press("escape")
        assert len(names()) == N


async def test_a_slow_poll_of_a_large_fleet_is_not_stale_until_the_next_one_is_late():
    from dataclasses import replace
    from datetime import timedelta

    from kmon.model.snapshot import SourceStatus

    clock = [NOW]
    app = KmonApp(None, refresh_sec=5, clock=lambda: clock[0])
    # The poll began 12 s before its snapshot (the list read then, the metrics 2 s later):
    # longer than two 5 s refreshes, yet the newest numbers there are.
    sources = (
        SourceStatus("streams", NOW - timedelta(seconds=12)),
        SourceStatus("metrics", NOW - timedelta(seconds=10)),
    )
    snap = replace(snapshot(), sources=sources)
    async with app.run_test(size=(160, 45)) as pilot:
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        header = app.screen.header
        assert "updated 12s ago" in header.render_text().plain
        assert not header.is_stale()
        # Stale once the next poll is two refreshes late: 12 s + 2 x 5 s = 22 s old.
        clock[0] = NOW + timedelta(seconds=10)
        assert not header.is_stale()
        clock[0] = NOW + timedelta(seconds=11)
        assert header.is_stale() and "STALE" in header.render_text().plain
        # A source that failed gets no allowance: its numbers are older than that poll.
        failing = (
            sources[0],
            SourceStatus("metrics", NOW - timedelta(seconds=10), "GetMetricData throttled"),
        )
        clock[0] = NOW
        app.post_message(SnapshotReady(replace(snap, sources=failing)))
        await pilot.pause()
        assert header.is_stale()  # 12 s > 2 x 5 s


async def test_the_stream_list_alone_is_never_stale_until_a_source_fails():
    from dataclasses import replace
    from datetime import timedelta

    from kmon.model.snapshot import SourceStatus

    clock = [NOW + timedelta(seconds=30)]
    app = KmonApp(None, refresh_sec=5, clock=lambda: clock[0])
    # A large fleet's first screen: the list, read 30 s ago; its metrics still on their way.
    listed = replace(snapshot(), sources=(SourceStatus("streams", NOW),), pending=2000)
    async with app.run_test(size=(160, 45)) as pilot:
        app.post_message(SnapshotReady(listed))
        await pilot.pause()
        header = app.screen.header
        assert not header.is_stale()
        assert "reading 2,000 more streams…" in header.render_text().plain
        failed = (SourceStatus("streams", NOW, "cannot reach http://127.0.0.1:9/"),)
        app.post_message(SnapshotReady(replace(listed, sources=failed)))
        await pilot.pause()
        assert header.is_stale()  # 30 s > 2 x 5 s, and the list no longer answers
