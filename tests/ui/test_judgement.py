"""The screens show the model's judgement: configured thresholds, findings, since, stale rows,
events."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kmon.model.events import Event
from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.rules import Thresholds
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.events import EventsScreen
from kmon.ui.screens.findings import FindingsScreen
from kmon.ui.screens.stream import StreamScreen
from kmon.ui.widgets.streams_table import StreamsTable
from tests.ui.fleet import NOW, detail, snapshot, stream

T = int(NOW.timestamp())
HOT = Finding(
    Health.CRIT,
    "hot-shard",
    "shard",
    "shardId-000000000000",
    "hot shard shardId-000000000000: one shard takes 58% of the writes",
    "shardId-000000000000 at 100% of its write limit",
    "Split the shard at the midpoint of its hash-key range.",
    "aws kinesis split-shard --stream-name payments-ledger "
    "--shard-to-split shardId-000000000000 "
    "--new-starting-hash-key 42535295865117307932921825928971026432",
    since=T - 30 - 72 * 60,  # 1h12m before NOW
    summary="hot shard 0 (58%)",
)


def make(**kw) -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={}, clock=lambda: NOW, **kw)


async def post(app, pilot, snap):
    app.post_message(SnapshotReady(snap))
    await pilot.pause()


def row(app, name: str) -> dict[str, object]:
    return app.screen.query_one(StreamsTable).cells(name)


async def test_utilization_colours_follow_the_configured_warning_line():
    seventy = stream("busy", write_bytes_utilization_pct=70.0, health=Health.WARN)
    calm = stream("calm", write_bytes_utilization_pct=50.0)
    for rules, style in ((Thresholds(), ""), (Thresholds(utilization_warn_pct=60), "yellow")):
        app = make(thresholds=rules)
        async with app.run_test(size=(160, 30)) as pilot:
            await post(app, pilot, snapshot(streams=(seventy, calm)))
            assert str(row(app, "busy")["write_util"].style) == style
            assert str(row(app, "calm")["write_util"].style) == ""


async def test_retention_line_and_label_follow_the_configured_fraction():
    app = make(thresholds=Thresholds(retention_crit_fraction=0.25))
    async with app.run_test(size=(140, 45)) as pilot:
        await post(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await post(app, pilot, replace(snapshot(), detail=detail()))
        text = str(app.screen.query_one("#iterator-now").render())
        assert "25% of retention 6h 00m" in text and "50%" not in text


async def test_health_says_how_long_and_the_cause_column_names_the_finding():
    crit = stream("payments-ledger", health=Health.CRIT, since=HOT.since, findings=(HOT,))
    app = make()
    async with app.run_test(size=(160, 30)) as pilot:
        await post(app, pilot, snapshot(streams=(crit, stream("calm"))))
        cells = row(app, "payments-ledger")
        assert cells["health"].plain == "✖ CRIT 1h12m"
        assert cells["cause"].plain == "hot shard 0 (58%)"
        assert row(app, "calm")["cause"].plain == "–"


async def test_an_outage_keeps_the_last_crit_streams_on_top_dimmed_with_as_of():
    as_of = NOW - timedelta(minutes=7)
    crit = stream(
        "payments-ledger",
        health=Health.CRIT,
        since=HOT.since,
        findings=(HOT,),
        stale=True,
        as_of=as_of,
    )
    app = make()
    async with app.run_test(size=(160, 30)) as pilot:
        await post(app, pilot, snapshot(streams=(stream("a-ok"), crit, stream("b-ok"))))
        table = app.screen.query_one(StreamsTable)
        assert table.row_names()[0] == "payments-ledger"
        cells = row(app, "payments-ledger")
        assert cells["cause"].plain.startswith(f"as of {as_of:%H:%M}")
        assert "dim" in str(cells["health"].spans[-1].style) or "dim" in str(cells["health"].style)


async def test_detail_shows_findings_on_top_and_copies_the_command():
    crit = stream("payments-ledger", health=Health.CRIT, since=HOT.since, findings=(HOT,))
    copied: list[str] = []
    app = make()
    app.copy_to_clipboard = copied.append  # the terminal's clipboard is not there in tests
    async with app.run_test(size=(140, 45)) as pilot:
        await post(app, pilot, snapshot(streams=(crit,)))
        app.open_stream("payments-ledger")
        await pilot.pause()
        await post(app, pilot, replace(snapshot(streams=(crit,)), detail=detail()))
        assert isinstance(app.screen, StreamScreen)
        box = str(app.screen.query_one("#findings").render())
        assert "hot-shard" in box and "since 10:48 (1h12m)" in box and "split-shard" in box
        await pilot.press("c")
        await pilot.pause()
        assert copied == [HOT.command]
        await pilot.press("f")
        assert isinstance(app.screen, FindingsScreen)
        full = str(app.screen.query_one("#findings-all").render())
        assert "Split the shard at the midpoint" in full


async def test_events_screen_lists_changes_newest_first_and_filters_by_severity():
    events = (
        Event(T - 600, "orders", "stream", "orders", "ok", "warn", "recovered", "ok"),
        Event(T - 1200, "payments", "stream", "payments", "crit", None, "hot shard", "crit"),
        Event(T - 300, "orders", "consumer", "enricher", "warn", "ok", "lag over 30 s", "warn"),
    )
    app = make()
    async with app.run_test(size=(160, 30)) as pilot:
        await post(app, pilot, replace(snapshot(), events=events))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EventsScreen)
        table = app.screen.table
        firsts = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert firsts == ["orders", "orders", "payments"]  # newest first by when it began
        assert table.get_row_at(2)[3].plain == "new → ✖ CRIT"
        await pilot.press("f")  # warn and worse
        assert table.row_count == 2
        await pilot.press("f")  # crit only
        assert [table.get_row_at(i)[1].plain for i in range(table.row_count)] == ["payments"]
