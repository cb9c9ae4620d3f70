"""A consumer whose source failed keeps its last judgement on every screen that shows it:
dimmed, and saying in words how old it is ("(stale 3m)"), never by colour alone."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from rich.style import Style
from rich.text import Text

from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus, ShardLag
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.panels.consumers import consumer_cells
from kmon.ui.screens.consumer import ConsumerScreen
from kmon.ui.screens.kcl import KclScreen
from kmon.ui.screens.wall import WallScreen
from kmon.ui.stale import stale_label
from kmon.ui.widgets.streams_table import StreamsTable
from kmon.ui.widgets.tables import FitTable
from kmon.ui.widgets.wall_tiles import TileGrid, key_figure
from tests.ui.fleet import NOW, STREAMS, detail, snapshot

STREAM = "payments-ledger"
T = int(NOW.timestamp())  # 12:00:30 UTC
# Judged at 11:57:30, kept since: 180 s old at the snapshot's time, "stale 3m".
AS_OF = T - 180
KCL = ConsumerLag(
    "kcl",
    "payments-app",
    252_000,  # 4m 12s
    LagStatus.WARN,
    table="payments-app",
    shards=(ShardLag("shardId-000000000000", "worker-1", "1", 252_000, LagStatus.WARN),),
    workers={"worker-1": 1},
    stale=True,
    as_of=AS_OF,
)
EFO = ConsumerLag("efo", "fraud-scorer", 800, LagStatus.OK)  # fresh: says nothing of staleness
LAGGING = Finding(
    Health.WARN,
    "consumer-lag",
    "consumer",
    "payments-app",
    "consumer payments-app (kcl) is 4m 12s behind",
    "lag 4m 12s over 60 s",
    "Add workers.",
    None,
    T - 600,
    summary="payments-app 4m 12s behind",
)


def fleet(consumers=(KCL, EFO)):
    streams = tuple(
        replace(s, consumers=consumers, findings=(LAGGING,), health=Health.WARN)
        if s.name == STREAM
        else s
        for s in STREAMS
    )
    return replace(snapshot(streams), detail=detail(STREAM))


def make() -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)


async def post(app, pilot, snap) -> None:
    app.post_message(SnapshotReady(snap))
    await pilot.pause()


def shown(app, selector: str) -> str:
    console = Console(width=400, file=io.StringIO(), record=True)
    console.print(app.screen.query_one(selector).content)
    return console.export_text()


def dim_everywhere(text: Text) -> bool:
    """Every visible character of ``text`` is drawn dim."""
    console = Console(width=400, file=io.StringIO())
    segments = list(text.render(console))
    return all(
        (seg.style or Style()).dim for seg in segments if seg.text.strip() and seg.text != "\n"
    )


def test_the_label_is_the_age_from_as_of_to_the_snapshot():
    assert stale_label(KCL, T) == "stale 3m"
    assert stale_label(KCL, T + 3600) == "stale 1h03m"  # 3,780 s: 1 h and 3 min
    assert stale_label(replace(KCL, as_of=None), T) == "stale"  # kept, time unknown
    assert stale_label(EFO, T) is None


def test_a_stale_consumer_row_is_dimmed_and_its_status_says_how_old():
    cells = consumer_cells(KCL, T)
    assert cells[0].plain == "payments-app"
    assert cells[2].plain == "▲ WARN (stale 3m)"
    assert all(dim_everywhere(cell) for cell in cells if cell.plain.strip())
    fresh = consumer_cells(EFO, T)
    assert fresh[2].plain == "✓ OK"
    assert not dim_everywhere(fresh[2])


async def test_the_overview_worst_lag_cell_says_stale_and_is_dimmed():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await post(app, pilot, fleet())
        table = app.screen.query_one(StreamsTable)
        cell = table.cells(STREAM)["worst_lag"]
        assert cell.plain == "4m 12s payments-app (stale 3m)"
        assert dim_everywhere(cell)
        # The stream itself is fresh: the rest of its row is not dimmed.
        assert not dim_everywhere(table.cells(STREAM)["health"])
        row = table.row_names().index(STREAM)
        assert "4m 12s payments-app (stale 3m)" in table.render_line(row + 1).text


async def test_the_detail_consumers_panel_marks_the_stale_row():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await post(app, pilot, fleet())
        app.open_stream(STREAM)
        await pilot.pause()
        await post(app, pilot, fleet())
        table = app.screen.query_one("#consumer-table", FitTable)
        status = table.get_row("kcl:payments-app")[2]
        assert status.plain == "▲ WARN (stale 3m)" and dim_everywhere(status)
        assert table.get_row("efo:fraud-scorer")[2].plain == "✓ OK"


async def test_the_kcl_screen_says_its_leases_are_the_last_known():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await post(app, pilot, fleet())
        app.push_screen(KclScreen(STREAM, "payments-app"))
        await pilot.pause()
        await post(app, pilot, fleet())
        title = shown(app, "#leases-title")
        assert "▲ WARN (stale 3m)  last known, as of 11:57" in title
        lease = app.screen.query_one("#leases", FitTable).get_row("shardId-000000000000")
        assert all(dim_everywhere(cell) for cell in lease)


async def test_the_consumer_screen_says_stale_with_its_age():
    app = make()
    efo = replace(EFO, stale=True, as_of=T - 45, since=T - 3600)
    async with app.run_test(size=(120, 40)) as pilot:
        snap = fleet((KCL, efo))
        await post(app, pilot, snap)
        app.push_screen(ConsumerScreen(STREAM, "efo", "fraud-scorer"))
        await pilot.pause()
        await post(app, pilot, snap)
        lag = shown(app, "#consumer-lag")
        # 45 s old; since 11:00:30, an hour before the snapshot.
        assert "800ms  ✓ OK (stale 45s)  since 11:00 (1h00m)  last known, as of 11:59" in lag
        assert dim_everywhere(app.screen.query_one("#consumer-lag").content)


def test_the_wall_tile_figure_says_stale():
    s = fleet().stream(STREAM)
    figure = key_figure(s, T)
    assert figure.text == "4m 12s"
    assert figure.label == "payments-app behind (stale 3m)"
    assert figure.line == "4m 12s (stale 3m)"
    fresh = key_figure(replace(s, consumers=(replace(KCL, stale=False), EFO)), T)
    assert fresh.line == "4m 12s" and fresh.label == "payments-app behind"


async def test_the_wall_shows_the_stale_consumer_in_words():
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await post(app, pilot, fleet())
        app.push_screen(WallScreen(start=STREAM))
        await pilot.pause()
        await post(app, pilot, fleet())
        text = "\n".join(
            "".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()
        )
        # Beside the focus's big digits: what they are, and the worst consumer.
        assert "4m 12s payments-app behind (stale 3m)" in text
        assert "worst consumer payments-app (kcl) 4m 12s behind ▲ WARN (stale 3m)" in text
        # On the stream's tile, whose label does not fit beside its digits: the word does.
        tile = app.screen.query_one(TileGrid).render_text()
        assert "(stale 3m)" in tile
