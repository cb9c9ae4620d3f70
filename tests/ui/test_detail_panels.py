"""The stream detail's layout: a summary and findings on fixed rows (panels stay put between
streams), whole fields, no run-together text, the four panels as components, the consumer
table sized from its cells, Enter on any consumer."""

from __future__ import annotations

import sys
import types
from dataclasses import replace
from datetime import timedelta

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.screen import Screen

from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus
from kmon.ui.app import KmonApp
from kmon.ui.charts import IteratorAgeChart
from kmon.ui.messages import SnapshotReady
from kmon.ui.panels import (
    ConsumersPanel,
    IteratorAgePanel,
    ThrottlingPanel,
    ThroughputPanel,
)
from kmon.ui.panels.summary import pack
from kmon.ui.widgets.tables import FitTable
from tests.ui.fleet import CONSUMERS, NOW, STREAMS, detail, snapshot, stream

T = int(NOW.timestamp())
HALF_BLOCKS = set("▀▄█▌▐▖▗▘▝▚▞▙▛▜▟")
LONG_NAME = "payments-ledger-eu-west-1-settlement-and-reconciliation-events"

HOT = Finding(
    Health.CRIT,
    "hot-shard",
    "shard",
    "shardId-000000000000",
    "hot shard shardId-000000000000: one shard takes 58% of the writes, far more than its share",
    "shardId-000000000000 at 100% of its 1 MiB/s / 1,000 rec/s write limit (hot at 80%); "
    "48% of the stream's writes on 25% of the key space",
    "Split the shard at the midpoint of its hash-key range.",
    "aws kinesis split-shard --stream-name payments-ledger "
    "--shard-to-split shardId-000000000000 "
    "--new-starting-hash-key 42535295865117307932921825928971026432",
    since=T - 30 - 72 * 60,
    summary="hot shard 0 (58%)",
)


def make() -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={}, clock=lambda: NOW)


async def show(app, pilot, name, snap) -> None:
    app.post_message(SnapshotReady(snap))
    await pilot.pause()
    app.open_stream(name)
    await pilot.pause()
    app.post_message(SnapshotReady(snap))
    await pilot.pause()


def fleet(*extra, detail_of: str | None = None):
    """The test fleet plus ``extra`` streams; the detail of ``detail_of`` when given."""
    snap = snapshot(streams=STREAMS + extra)
    return replace(snap, detail=detail(detail_of)) if detail_of else snap


# Long: every field, stale with its time, a CRIT since, a name of 62 characters, findings.
LONG = stream(
    LONG_NAME,
    health=Health.CRIT,
    since=T - 3 * 3600,
    stale=True,
    as_of=NOW - timedelta(minutes=7),
    findings=(HOT, replace(HOT, severity=Health.WARN, code="consumer-lag")),
    consumers=CONSUMERS,
    incoming_bytes_per_sec=2 * 1024 * 1024,
    write_bytes_utilization_pct=100,
)
# Short: no detail yet, OK, no findings.
SHORT = stream("audit", open_shards=1)


def spans_starting_with_spaces(text: Text) -> list[str]:
    """Runs of one style that start with spaces and go on with text: the SVG export drops
    those spaces, running the text into what is before it."""
    segments = Segment.simplify(text.render(Console(width=400)))
    return [s.text for s in segments if s.text[:1] == " " and s.text.strip()]


@pytest.mark.parametrize("width", [80, 120, 160])
async def test_summary_has_fixed_rows_of_whole_fields_and_panels_stay_put(width):
    app = make()
    async with app.run_test(size=(width, 40)) as pilot:
        places = {}
        for name, snap in (
            (LONG_NAME, fleet(LONG, detail_of=LONG_NAME)),
            ("audit", fleet(SHORT)),
            ("payments-ledger", fleet(detail_of="payments-ledger")),
        ):
            await show(app, pilot, name, snap)
            summary = app.screen.query_one("#summary")
            assert summary.size.height == 2
            room = summary.content_size.width
            rows = summary.render().plain.split("\n")
            assert len(rows) <= 2 and all(len(row) <= room for row in rows), rows
            shown = [f for line in summary.lines() for f in line]
            # Whole fields, in order of importance: what is left out is the least important.
            fields = summary.fields
            assert [f.plain for f in shown[1:]] == [f.plain for f in fields[1 : len(shown)]]
            for f in shown[1:]:
                assert sum(f.plain in row for row in rows) == 1, (f.plain, rows)
            assert rows[0].startswith(name[: room - 1])  # the name first, cut if need be
            places[name] = (
                app.screen.query_one("#findings").region,
                app.screen.query_one("#panels").region,
            )
        assert len(set(places.values())) == 1, places  # nothing moved between streams
        if width == 160:  # room for every field of the long set on two rows
            assert len(shown) == len(fields)


async def test_short_terminal_keeps_one_row_each_for_summary_and_findings():
    app = make()
    async with app.run_test(size=(100, 18)) as pilot:
        await show(app, pilot, LONG_NAME, fleet(LONG, detail_of=LONG_NAME))
        assert app.screen.query_one("#summary").size.height == 1
        assert app.screen.query_one("#findings").size.height == 1


def test_pack_moves_a_field_that_does_not_fit_to_the_next_row_whole():
    fields = [Text("name"), Text("status ACTIVE"), Text("retention 24h"), Text("EFO 0/20")]
    assert [[f.plain for f in row] for row in pack(fields, 23, 2)] == [
        ["name", "status ACTIVE"],
        ["retention 24h", "EFO 0/20"],
    ]
    # No row left: that field and every less important one go.
    assert [[f.plain for f in row] for row in pack(fields, 14, 2)] == [["name"], ["status ACTIVE"]]
    # The name is cut rather than left out.
    (row,) = pack([Text("a-very-long-stream-name"), Text("x")], 10, 1)
    assert row[0].plain == "a-very-lo…"


async def test_texts_do_not_run_together():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        snap = fleet(detail_of="payments-ledger")
        payments = replace(snap.stream("payments-ledger"), findings=(HOT,), iterator_age_ms=2000)
        snap = replace(
            snap,
            streams=tuple(payments if s.name == "payments-ledger" else s for s in snap.streams),
        )
        await show(app, pilot, "payments-ledger", snap)
        screen = app.screen
        texts = {
            "summary": screen.query_one("#summary").render(),
            "findings": screen.query_one("#findings").content,
            "iterator": screen.query_one("#iterator-now").content,
            "throughput": screen.query_one("#throughput-now").content,
        }
        for chart in screen.query(IteratorAgeChart):
            texts["legend"] = Text("\n").join(chart.legend)
        for where, text in texts.items():
            assert isinstance(text, Text), where
            assert spans_starting_with_spaces(text) == [], where
        iterator = texts["iterator"].plain
        assert "now 2s\n50% of retention 12h 00m" in iterator  # not "now 2s50% of retention"
        assert "window 1h  " in texts["summary"].plain  # a separator after the window


async def test_the_four_panels_are_components_with_their_own_show():
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await show(app, pilot, "payments-ledger", fleet(detail_of="payments-ledger"))
        screen = app.screen
        for kind in (ThroughputPanel, IteratorAgePanel, ThrottlingPanel, ConsumersPanel):
            (panel,) = screen.query(kind)
            assert callable(panel.show)
        # Each panel updates itself from the state and the detail it is given.
        state = replace(snapshot().stream("payments-ledger"), iterator_age_ms=61_000)
        screen.query_one(IteratorAgePanel).show(state, detail(), T)
        await pilot.pause()
        assert "now 1m 01s" in str(screen.query_one("#iterator-now").render())


async def test_iterator_age_climbing_to_55_minutes_fills_a_third_of_its_chart_on_screen():
    ts = [t for t, _ in detail().values("iterator_age_ms")]
    minute = 60_000
    climb = tuple((t, minute + i * 54 * minute / 59) for i, t in enumerate(ts))
    d = replace(detail("inventory-updates"), series={**detail().series, "iterator_age_ms": climb})
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await show(app, pilot, "inventory-updates", replace(snapshot(), detail=d))
        await pilot.pause()
        chart = app.screen.query_one(IteratorAgeChart)
        lines = chart.render().plain.split("\n")[len(chart.legend) :]
        rows = [i for i, line in enumerate(lines) if HALF_BLOCKS & set(line)]
        assert max(rows) - min(rows) + 1 >= chart.size.height / 3, lines
        assert any("12h" in row and "↑" in row for row in chart.legend)


LONG_CONSUMER = "settlement-reconciliation-projector-with-a-long-application-name"


async def test_consumer_columns_fit_their_cells_and_never_cut_the_lag():
    consumers = (
        ConsumerLag("kcl", LONG_CONSUMER, 3 * 3600_000 + 21 * 60_000, LagStatus.WARN),
        ConsumerLag("efo", "fraud", 800, LagStatus.OK),
    )
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        s = replace(snapshot().stream("payments-ledger"), consumers=consumers)
        snap = replace(snapshot(streams=(s,)), detail=detail())
        await show(app, pilot, "payments-ledger", snap)
        table = app.screen.query_one("#consumer-table", FitTable)
        assert table.get_row_at(0)[1].plain == "3h 21m"  # the lag, whole
        # The long name takes what the panel can give, and is cut with an ellipsis.
        name = table.get_row_at(0)[0].plain
        assert name.endswith("…") and len(name) == table.widths["name"]
        assert sum(w + 2 for w in table.widths.values()) <= table.size.width
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await show(app, pilot, "payments-ledger", fleet(detail_of="payments-ledger"))
        table = app.screen.query_one("#consumer-table", FitTable)
        # Short names: the column is the longest name wide, not a fixed 17.
        assert table.widths["name"] == len("shared-throughput readers")
        assert table.get_row_at(2)[0].plain == "shared-throughput readers"


async def test_enter_on_a_consumer_that_is_not_kcl_opens_its_details(monkeypatch):
    """The handler's contract: ConsumerScreen(stream, kind, name), imported when chosen. A
    stand-in plays kmon.ui.screens.consumer here; the screen itself has its own tests."""
    opened = []

    class ConsumerScreen(Screen):
        def __init__(self, stream_name: str, kind: str, name: str) -> None:
            super().__init__()
            opened.append((stream_name, kind, name))

    fake = types.ModuleType("kmon.ui.screens.consumer")
    fake.ConsumerScreen = ConsumerScreen
    monkeypatch.setitem(sys.modules, "kmon.ui.screens.consumer", fake)
    app = make()
    async with app.run_test(size=(140, 45)) as pilot:
        await show(app, pilot, "payments-ledger", fleet(detail_of="payments-ledger"))
        await pilot.press("j", "j", "j")  # the panels, then the consumer table
        assert app.screen.focused is app.screen.query_one("#consumer-table")
        await pilot.press("j", "enter")  # fraud-scorer, an EFO consumer
        await pilot.pause()
        assert isinstance(app.screen, ConsumerScreen)
        assert opened == [("payments-ledger", "efo", "fraud-scorer")]


async def test_the_detail_survives_a_tiny_terminal_and_resizes():
    app = make()
    async with app.run_test(size=(40, 12)) as pilot:
        await show(app, pilot, "payments-ledger", fleet(detail_of="payments-ledger"))
        for size in ((40, 12), (80, 24), (200, 60), (60, 15)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert app.is_running
            assert "payments-ledger" in app.export_screenshot()
