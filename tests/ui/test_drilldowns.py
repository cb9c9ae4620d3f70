"""Drill-downs: one consumer's screen, and the shards and lease tables sizing their columns
from their content and the terminal."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console

from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus, ShardLag
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.consumer import ConsumerScreen
from kmon.ui.screens.kcl import KclScreen
from kmon.ui.screens.shards import ShardsScreen
from kmon.ui.widgets.tables import Col, FitTable, fit_columns
from tests.ui.fleet import CONSUMERS, LAG_MINUTES, NOW, STREAMS, detail, snapshot

STREAM = "payments-ledger"
EFO_ARN = (
    "arn:aws:kinesis:us-east-1:123456789012:stream/payments-ledger/consumer/"
    "[bold]fraud-scorer[/]:1763900000"
)
EFO = ConsumerLag(
    "efo",
    "[bold]fraud-scorer[/]",
    800,
    LagStatus.OK,
    trend_ms_per_min=-5,
    history=tuple((t, 800.0 + 50 * (i % 3)) for i, t in enumerate(LAG_MINUTES)),
    details={
        "arn": EFO_ARN,
        "status": "ACTIVE",
        "registered_at": "2026-11-20T09:14:00+00:00",
    },
    shards=(
        ShardLag("shardId-000000000000", None, None, 800, LagStatus.OK),
        ShardLag("shardId-000000000001", None, None, 650, LagStatus.OK),
    ),
)
LAMBDA = ConsumerLag(
    "lambda",
    "order-enricher",
    95_000,
    LagStatus.WARN,
    since=int(NOW.timestamp()) - 600,
    trend_ms_per_min=4_000,
    data_loss_sec=36_000,
    history=tuple((t, 50_000.0 + 4_000 * i) for i, t in enumerate(LAG_MINUTES)),
    note="mapping Enabled; last result: PROBLEM: Function call failed",
    details={
        "uuid": "6f1c2a3b-1111-2222-3333-444455556666",
        "state": "Enabled",
        "batch_size": "100",
        "parallelization_factor": "1",
        "last_result": "PROBLEM: Function call failed",
    },
)
LAMBDA_FINDING = Finding(
    Health.WARN,
    "lambda-batch-failed",
    "consumer",
    "order-enricher",
    "order-enricher's last batch was not processed",
    "last processing result: PROBLEM: Function call failed",
    "Look at the function's errors.",
    None,
    int(NOW.timestamp()) - 600,
)
OTHER_FINDING = Finding(
    Health.CRIT,
    "hot-shard",
    "shard",
    "shardId-000000000000",
    "shard shardId-000000000000 is hot",
    "100% of 1 MiB/s",
    "Split it.",
)
OWNER = "ip-10-0-239-149.ec2.internal"
KCL = ConsumerLag(
    "kcl",
    "billing-kcl",
    2_000,
    LagStatus.OK,
    table="billing-kcl",
    shards=(
        ShardLag(
            "shardId-000000000000",
            OWNER,
            "4960" + "1" * 52,
            2_000,
            LagStatus.OK,
            lease_counter=1_234,
            owner_switches=0,
        ),
        ShardLag(
            "shardId-000000000001",
            "ip-10-0-17-3.ec2.internal",
            "4960" + "2" * 52,
            1_000,
            LagStatus.OK,
            lease_counter=99,
            owner_switches=1,
        ),
    ),
    workers={OWNER: 1, "ip-10-0-17-3.ec2.internal": 1},
)


def fleet(consumers=(*CONSUMERS, EFO, LAMBDA, KCL), findings=(LAMBDA_FINDING, OTHER_FINDING)):
    streams = tuple(
        replace(s, consumers=consumers, findings=findings) if s.name == STREAM else s
        for s in STREAMS
    )
    return replace(snapshot(streams), detail=detail(STREAM))


def make() -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)


async def post(app, pilot, snap) -> None:
    app.post_message(SnapshotReady(snap))
    await pilot.pause()


def shown(app, selector: str) -> str:
    """A Static's content as plain text, rendered at a width where nothing wraps."""
    console = Console(width=400, file=io.StringIO(), record=True)
    console.print(app.screen.query_one(selector).content)
    return console.export_text()


def screen_text(app) -> str:
    """Everything on the screen as plain text, row by row."""
    return "\n".join(
        "".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()
    )


async def open_consumer(app, pilot, kind: str, name: str, snap=None) -> ConsumerScreen:
    snap = snap or fleet()
    await post(app, pilot, snap)
    screen = ConsumerScreen(STREAM, kind, name)
    app.push_screen(screen)
    await pilot.pause()
    await post(app, pilot, snap)
    return screen


# -- the consumer screen ------------------------------------------------------------------------


async def test_efo_consumer_shows_its_registration_lag_and_shards():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await open_consumer(app, pilot, "efo", EFO.name)
        title = shown(app, "#consumer-title")
        assert "[bold]fraud-scorer[/]" in title  # a name from AWS, literal
        assert "enhanced fan-out" in title and STREAM in title
        details = shown(app, "#consumer-details")
        assert EFO_ARN in details
        assert "ACTIVE" in details
        # Registered: a UTC time and how long ago (NOW is 2026-11-25 12:00:30).
        assert "2026-11-20 09:14 UTC" in details and "5d 2h ago" in details
        assert "shardId-000000000001" in details and "650ms" in details
        lag = shown(app, "#consumer-lag")
        assert "800ms" in lag and "✓ OK" in lag and "steady" in lag
        assert any(ch in lag for ch in "▁▂▃▄▅▆▇█")  # the history sparkline
        assert "no findings" in shown(app, "#consumer-findings")


async def test_lambda_consumer_shows_its_mapping_eta_and_findings():
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_consumer(app, pilot, "lambda", "order-enricher")
        details = shown(app, "#consumer-details")
        assert "6f1c2a3b-1111-2222-3333-444455556666" in details
        assert "Enabled" in details
        assert "batch size" in details and "100" in details
        assert "parallelization" in details
        assert "PROBLEM: Function call failed" in details
        lag = shown(app, "#consumer-lag")
        assert "1m 35s" in lag and "▲ WARN" in lag
        assert "growing 4s/min" in lag and "data loss in 10h 00m" in lag
        assert "records expire" in lag and "12h 00m" in lag  # half of 24 h retention
        found = shown(app, "#consumer-findings")
        assert "lambda-batch-failed" in found and "Findings (1)" in found
        assert "hot-shard" not in found  # another subject's finding


async def test_shared_readers_say_what_the_lag_means_with_the_streams_reader_findings():
    age = Finding(
        Health.WARN,
        "iterator-age",
        "stream",
        STREAM,
        "the slowest polling reader is past 30 s",
        "iterator age 47m",
        "Find the slow reader.",
    )
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        snap = fleet(findings=(LAMBDA_FINDING, OTHER_FINDING, age))
        await open_consumer(app, pilot, "shared", "shared-throughput readers", snap)
        details = shown(app, "#consumer-details")
        assert "GetRecords.IteratorAgeMilliseconds" in details
        assert "slowest" in details
        found = shown(app, "#consumer-findings")
        assert "iterator-age" in found and "Findings (1)" in found


async def test_a_consumer_that_disappears_keeps_its_last_data_and_esc_goes_back():
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_consumer(app, pilot, "lambda", "order-enricher")
        await post(app, pilot, fleet(consumers=CONSUMERS, findings=()))
        assert "GONE" in shown(app, "#consumer-title")
        assert "last data" in shown(app, "#consumer-title")
        assert "6f1c2a3b-1111-2222-3333-444455556666" in shown(app, "#consumer-details")
        assert "lambda-batch-failed" in shown(app, "#consumer-findings")
        await pilot.press("escape")
        assert app.screen is not screen


# -- shards and leases size their columns from their content ----------------------------------


async def test_a_long_lease_owner_is_shown_whole_when_the_room_is_there():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await post(app, pilot, fleet())
        app.open_stream(STREAM)
        await pilot.pause()
        app.push_screen(KclScreen(STREAM, "billing-kcl"))
        await pilot.pause()
        await post(app, pilot, fleet())
        table = app.screen.query_one(FitTable)
        assert table.get_cell("shardId-000000000000", "owner").plain == OWNER
        assert table.widths["owner"] >= len(OWNER)
        assert [k.value for k in table.columns][:4] == ["shard", "owner", "lag", "status"]
        assert OWNER in screen_text(app)


async def test_the_shards_view_at_80_columns_keeps_the_hot_shard_columns():
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await post(app, pilot, fleet())
        app.open_stream(STREAM)
        await pilot.pause()
        await post(app, pilot, fleet())
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ShardsScreen)
        await post(app, pilot, fleet())
        table = app.screen.query_one(FitTable)
        keys = [k.value for k in table.columns]
        assert {"shard", "write", "wthr", "hot"} <= set(keys)
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Shard" in line)
        for label in ("Write%", "W thr", "Hot"):
            assert label in header
        assert "▲ HOT" in text and "312" in text and "100%" in text
        # Every cell whole: nothing cut, so no ellipsis anywhere in the table.
        for key in keys:
            assert all("…" not in cell.plain for cell in table.get_column(key))
        assert sum(table.widths[k] + 2 for k in keys) <= 80


async def test_40x12_does_not_crash():
    app = make()
    async with app.run_test(size=(40, 12)) as pilot:
        await post(app, pilot, fleet())
        app.open_stream(STREAM)
        await pilot.pause()
        await post(app, pilot, fleet())
        await pilot.press("s")
        await post(app, pilot, fleet())
        assert isinstance(app.screen, ShardsScreen)
        await pilot.press("escape")
        app.push_screen(KclScreen(STREAM, "billing-kcl"))
        await post(app, pilot, fleet())
        await pilot.press("escape")
        for kind, name in (("efo", EFO.name), ("lambda", "order-enricher"), ("kcl", "billing-kcl")):
            app.push_screen(ConsumerScreen(STREAM, kind, name))
            await post(app, pilot, fleet())
            await pilot.press("escape")
        await pilot.pause()


async def test_resizing_brings_columns_back_and_keeps_the_cursor():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await post(app, pilot, fleet())
        app.open_stream(STREAM)
        await pilot.pause()
        app.push_screen(KclScreen(STREAM, "billing-kcl"))
        await post(app, pilot, fleet())
        table = app.screen.query_one(FitTable)
        await pilot.press("j")
        wide = [k.value for k in table.columns]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        narrow = [k.value for k in table.columns]
        assert len(narrow) < len(wide) and narrow[0] == "shard"
        assert table.cursor_row == 1
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        assert [k.value for k in table.columns] == wide
        assert table.cursor_row == 1


# -- the fitting itself ----------------------------------------------------------------------


COLS = (
    Col("id", "Id", 0),
    Col("owner", "Owner", 2, shrink=6),
    Col("lag", "Lag", 1),
    Col("extra", "Extra", 3),
)
ROWS = [("a1", "ip-10-0-239-149.ec2.internal", "3m 12s", "xxxx")]


def test_every_column_takes_its_content_width_when_there_is_room():
    assert fit_columns(COLS, ROWS, 200) == {"id": 2, "owner": 28, "lag": 6, "extra": 5}


def test_the_least_important_go_first_and_text_is_cut_only_for_a_column_as_important():
    # 2+2, 28+2, 6+2 = 42: no room for Extra (priority 3), and it cuts nothing to get in.
    assert fit_columns(COLS, ROWS, 44) == {"id": 2, "owner": 28, "lag": 6}
    # Lag is more important than the owner: the owner is cut to make room for it.
    assert fit_columns(COLS, ROWS, 30) == {"id": 2, "owner": 16, "lag": 6}
    # Too narrow for even the shortest owner: it goes, the numbers stay whole.
    assert fit_columns(COLS, ROWS, 14) == {"id": 2, "lag": 6}
    # The key column stays whatever the room.
    assert fit_columns(COLS, ROWS, 1) == {"id": 2}


async def test_an_owner_too_long_for_80_columns_is_cut_before_lag_or_status_go():
    long_owner = "worker-" + "x" * 60 + ".ec2.internal"
    lease = replace(KCL.shards[0], owner=long_owner)
    kcl = replace(KCL, shards=(lease, KCL.shards[1]), workers={long_owner: 1})
    snap = fleet(consumers=(*CONSUMERS, kcl))
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await post(app, pilot, snap)
        app.push_screen(KclScreen(STREAM, "billing-kcl"))
        await post(app, pilot, snap)
        table = app.screen.query_one(FitTable)
        assert [k.value for k in table.columns] == ["shard", "owner", "lag", "status"]
        owner = table.get_cell("shardId-000000000000", "owner").plain
        assert owner.endswith("…") and long_owner.startswith(owner[:-1])
        assert table.get_cell("shardId-000000000000", "lag").plain == "2s"
