"""Wall mode: the whole fleet on screen at once, worst first, a focus that cycles through the
streams that are not OK with a countdown that counts, at wall-screen to tiny sizes."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.wall import FocusBody, WallScreen, fleet_counts, wall_order
from kmon.ui.widgets import wall_digits
from kmon.ui.widgets.wall_tiles import (
    Painter,
    TileGrid,
    key_figure,
    plan_tiles,
    shorten,
    split_units,
)
from tests.ui.fleet import CONSUMERS, MIB, NOW, snapshot, stream

T = int(NOW.timestamp())
LONG = "telemetry-fanout-device-shadow-eu-central-1"


def finding(severity, code, subject, summary, since, evidence="", kind="stream"):
    return Finding(
        severity,
        code,
        kind,
        subject,
        f"{summary} (cause)",
        evidence or f"evidence for {summary}",
        "advice",
        None,
        since,
        summary=summary,
    )


def demo_fleet():
    """Seven streams as the demo has them: two CRIT, two WARN, three OK, one long name."""
    crit, warn = Health.CRIT, Health.WARN
    return (
        stream(
            "payments-ledger",
            incoming_bytes_per_sec=2.0 * MIB,
            write_bytes_utilization_pct=100,
            write_records_utilization_pct=95,
            write_throttled_per_min=312,
            read_throttled_per_min=0,
            iterator_age_ms=2_000,
            health=crit,
            since=T - 72 * 60,
            consumers=CONSUMERS,
            findings=(
                finding(crit, "write-capacity", "payments-ledger", "writes at 100%", T - 72 * 60),
            ),
        ),
        stream(
            "inventory-updates",
            incoming_bytes_per_sec=300 * 1024,
            iterator_age_ms=3_433_000,
            health=crit,
            since=T - 70 * 60,
            consumers=(ConsumerLag("kcl", "inventory-sync", 3_433_000, LagStatus.ERR),),
            findings=(
                finding(
                    crit,
                    "consumer-lag",
                    "inventory-sync",
                    "inventory-sync 57m behind",
                    T - 70 * 60,
                    kind="consumer",
                ),
            ),
        ),
        stream(
            LONG,
            incoming_bytes_per_sec=5 * MIB,
            read_bytes_utilization_pct=85,
            health=warn,
            since=T - 14 * 60,
            findings=(finding(warn, "shared-reads", LONG, "shared reads busy", T - 14 * 60),),
        ),
        stream(
            "orders-events",
            incoming_bytes_per_sec=1.2 * MIB,
            write_bytes_utilization_pct=40,
            write_throttled_per_min=45,
            health=warn,
            since=T - 5 * 60,
            findings=(finding(warn, "hot-shard", "shardId-3", "hot shard 3 (48%)", T - 5 * 60),),
        ),
        stream("clickstream", mode="ON_DEMAND", incoming_bytes_per_sec=9 * MIB),
        stream("user-profiles", incoming_bytes_per_sec=40 * 1024),
        stream("audit-trail", incoming_bytes_per_sec=2 * 1024),
    )


PREFIXES = (
    "orders",
    "payments",
    "clicks",
    "inventory",
    "telemetry",
    "audit",
    "profiles",
    "shipments",
    "search-index",
    "fraud-signals",
)
CODES = (
    ("write-capacity", "writes at 97%"),
    ("consumer-lag", "indexer 12m behind"),
    ("iterator-age", "readers 8m 20s behind"),
    ("hot-shard", "hot shard 2 (61%)"),
    ("shared-reads", "reads over shared limit"),
    ("kcl-dead-worker", "dead worker w-3"),
)


def generated_fleet(n: int, crit: int, warn: int):
    """``n`` streams, the first ``crit`` CRIT and the next ``warn`` WARN, mixed by name."""
    out = []
    for i in range(n):
        name = f"{PREFIXES[i % len(PREFIXES)]}-events-{i:03d}"
        if i < crit + warn:
            level = Health.CRIT if i < crit else Health.WARN
            code, summary = CODES[i % len(CODES)]
            since = T - 60 * (3 + i * 7)
            out.append(
                stream(
                    name,
                    health=level,
                    since=since,
                    iterator_age_ms=500_000,
                    write_bytes_utilization_pct=97,
                    write_throttled_per_min=20 + i,
                    consumers=(ConsumerLag("kcl", "indexer", 720_000, LagStatus.WARN),),
                    findings=(finding(level, code, name, summary, since),),
                )
            )
        else:
            out.append(stream(name, incoming_bytes_per_sec=1024 * (i + 1)))
    # Not in order: the wall sorts them.
    return tuple(out[::2] + out[1::2])


class Clock:
    def __init__(self):
        self.t = NOW

    def __call__(self):
        return self.t


def make(clock=None, **kw) -> KmonApp:
    return KmonApp(
        None, refresh_sec=60, context={"profile": "prod"}, clock=clock or (lambda: NOW), **kw
    )


async def on_wall(app, pilot, snap):
    app.post_message(SnapshotReady(snap))
    await pilot.pause()
    await pilot.press("w")
    await pilot.pause()
    assert isinstance(app.screen, WallScreen)
    return app.screen


def screen_text(app) -> str:
    """Every character on screen, as an exported screenshot has it."""
    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    import html

    return html.unescape("".join(texts)).replace("\xa0", " ")


def tiles_text(wall: WallScreen) -> str:
    return wall.query_one(TileGrid).render_text()


# -- pure parts --------------------------------------------------------------------------------


def test_durations_are_words_never_clock_digits():
    inventory = demo_fleet()[1]
    figure = key_figure(inventory, T)
    assert figure.text == "57m 13s" and figure.label == "inventory-sync behind"
    assert split_units("57m 13s") == (("57", "m "), ("13", "s"))
    assert split_units("2.0 MiB/s") == (("2.0", " MiB/s"),)
    assert split_units("100%") == (("100", "%"),)


def test_names_are_shortened_in_the_middle():
    assert shorten("payments-ledger", 20) == "payments-ledger"
    short = shorten(LONG, 21)
    assert len(short) == 21 and short.startswith("telemetry") and short.endswith("central-1")
    assert "…" in short


def test_fleet_counts_worst_first():
    text = fleet_counts(demo_fleet()).plain
    assert text.index("2 CRIT") < text.index("2 WARN") < text.index("3 OK")


def test_big_digits_grow_with_the_scale():
    for scale in (1, 2, 4):
        lines = wall_digits.big("57.3", scale)
        assert len(lines) == wall_digits.rows(scale)
        assert {len(line) for line in lines} == {wall_digits.width("57.3", scale)}
    assert wall_digits.rows(1) == 3 and wall_digits.rows(4) == 10


def test_plans_list_every_stream_not_ok_and_count_the_rest():
    fleet = generated_fleet(500, 27, 42)
    plan = plan_tiles(fleet, 160, 30, T)
    assert plan.complete and plan.ok_hidden == 431 and len(plan.shown) == 69
    seven = plan_tiles(demo_fleet(), 160, 29, T)
    assert seven.form.bordered and seven.form.digits and len(seven.shown) == 7


@pytest.mark.parametrize("size", [(160, 40), (120, 30), (80, 20), (60, 10), (40, 6)])
def test_every_tile_says_its_state_without_colour(size):
    width, height = size
    forms = set()
    for fleet in (demo_fleet(), generated_fleet(60, 8, 12), generated_fleet(500, 27, 42)):
        plan = plan_tiles(wall_order(fleet), width, height, T)
        forms.add(plan.form.name)
        lines = Painter(plan, width, T, None).lines()
        assert len(lines) == plan.height <= height
        assert all(line.cell_len == width for line in lines)
        text = "\n".join(line.plain for line in lines)
        markers = sum(text.count(m) for m in "✖▲✓")
        assert markers >= len(plan.shown)  # a marker for every tile, colour or not
        ok = sum(1 for s in fleet if s.health is Health.OK)
        if plan.ok_hidden:
            assert f"+{ok} OK" in text


# -- on screen ---------------------------------------------------------------------------------


async def test_seven_streams_all_on_a_wall_screen_at_once():
    fleet = demo_fleet()
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        wall = await on_wall(app, pilot, snapshot(fleet))
        text = screen_text(app)
        for s in fleet:  # whole, or a long one cut in the middle: both ends readable
            assert s.name in text or (s.name[:14] in text and s.name[-14:] in text), s.name
        for state in ("CRIT 1h12m", "CRIT 1h10m", "WARN 14m", "WARN 5m", "✓ OK"):
            assert state in text, state
        assert "writes at 100%" in text and "inventory-sync 57m behind" in text
        assert "57:13" not in text
        counts = text[text.index("✖ 2 CRIT") :]
        assert counts.index("2 CRIT") < counts.index("2 WARN") < counts.index("3 OK")
        # Large tiles: block digits in them, and bigger ones in the focus.
        assert wall.query_one(TileGrid).plan.form.digits >= 1
        assert wall.current == "payments-ledger"
        assert "█" in wall.query_one(FocusBody).render_text()
        await pilot.press("n")
        await pilot.pause()
        assert wall.current == "inventory-updates"
        focus = wall.query_one(FocusBody).render_text()
        assert "57m 13s inventory-sync behind" in focus and "57:13" not in screen_text(app)


@pytest.mark.parametrize("size", [(160, 45), (120, 40)])
@pytest.mark.parametrize("n,crit,warn", [(60, 8, 12), (500, 27, 42)])
async def test_every_stream_not_ok_is_named_and_the_ok_ones_counted(size, n, crit, warn):
    fleet = generated_fleet(n, crit, warn)
    app = make()
    async with app.run_test(size=size) as pilot:
        wall = await on_wall(app, pilot, snapshot(fleet))
        text = screen_text(app)
        for s in fleet:
            if s.health is not Health.OK:
                assert s.name in text, (size, s.name)
        ok = n - crit - warn
        assert f"{ok} OK" in text
        grid = wall.query_one(TileGrid)
        assert grid.plan.complete
        if n == 500:
            assert f"+{ok} OK" in tiles_text(wall)


async def test_countdown_counts_down_and_moves_on():
    app = make(cycle_sec=15)
    async with app.run_test(size=(120, 40)) as pilot:
        wall = await on_wall(app, pilot, snapshot(demo_fleet()))
        t = [0.0]
        wall.monotonic = lambda: t[0]
        wall.action_next_stream()  # restart the cycle on the test's clock
        wall.action_next_stream()
        wall.action_next_stream()
        wall.action_next_stream()  # four streams not OK: back at the first
        await pilot.pause()
        assert wall.current == "payments-ledger"
        countdown = wall.query_one("#countdown")
        assert "1 of 4 not OK · next in 15s" in str(countdown.render())
        t[0] = 3.2
        wall._every_second()
        assert "next in 12s" in str(countdown.render())
        t[0] = 15.0
        wall._every_second()
        assert wall.current == "inventory-updates"
        assert "2 of 4 not OK · next in 15s" in str(countdown.render())
        # The real timer ticks too.
        wall.monotonic = lambda: t[0] + 2.0
        await pilot.pause(1.2)
        assert "next in 13s" in str(countdown.render())


async def test_the_countdown_repaints_alone():
    app = make(cycle_sec=30)
    async with app.run_test(size=(160, 45)) as pilot:
        wall = await on_wall(app, pilot, snapshot(demo_fleet()))
        grid = wall.query_one(TileGrid)
        lines = grid._lines
        plan = grid.plan
        await pilot.pause(1.3)
        assert grid._lines is lines and grid.plan is plan  # not laid out again


async def test_tiny_terminal_and_resizes():
    fleets = (demo_fleet(), generated_fleet(500, 27, 42))
    for fleet in fleets:
        app = make()
        async with app.run_test(size=(40, 12)) as pilot:
            wall = await on_wall(app, pilot, snapshot(fleet))
            app.export_screenshot()
            for size in ((80, 24), (160, 45), (120, 40), (40, 12), (20, 6), (160, 45)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                text = screen_text(app)
                assert wall.query_one(TileGrid).size.width == size[0]
            assert "payments" in text


async def test_tiles_reflow_on_resize():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        wall = await on_wall(app, pilot, snapshot(demo_fleet()))
        big = wall.query_one(TileGrid).plan
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        small = wall.query_one(TileGrid).plan
        assert small.form.height < big.form.height
        text = screen_text(app)
        for s in demo_fleet():
            assert shorten(s.name, 30)[:8] in text


async def test_stale_data_keeps_the_wall_and_says_so():
    clock = Clock()
    app = make(clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        wall = await on_wall(app, pilot, snapshot(demo_fleet()))
        clock.t = NOW + timedelta(minutes=5)
        fleet = tuple(replace(s, stale=True, as_of=NOW) for s in demo_fleet())
        failing = snapshot(fleet, at=clock.t, errors={"streams": "cannot reach x"})
        app.post_message(
            SnapshotReady(replace(failing, sources=snapshot().sources + failing.sources[1:]))
        )
        await pilot.pause()
        text = screen_text(app)
        assert "DATA STALE" in text and "cannot reach x" in text
        assert "as last known" in text and "as of 12:00" in text
        assert wall.current == "payments-ledger"


async def test_all_ok_cycles_every_stream_and_an_empty_fleet_says_so():
    app = make()
    calm = tuple(replace(s, health=Health.OK, since=None, findings=()) for s in demo_fleet())
    async with app.run_test(size=(120, 40)) as pilot:
        wall = await on_wall(app, pilot, snapshot(calm))
        assert "1 of 7 · next in 15s" in str(wall.query_one("#countdown").render())
        seen = {wall.current}
        for _ in range(6):
            wall.action_next_stream()
            seen.add(wall.current)
        assert seen == {s.name for s in calm}
        assert "7 OK" in screen_text(app)
        app.post_message(SnapshotReady(snapshot(())))
        await pilot.pause()
        assert "no streams" in screen_text(app)
