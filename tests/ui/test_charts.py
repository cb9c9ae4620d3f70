"""Charts: round steps in the unit each chart shows; each series its own colour and marker,
the legend above the plot, scales that show the data, limits across the whole window."""

from __future__ import annotations

import re

import pytest
from rich.text import Text
from textual.app import App

from kmon.ui.charts import (
    BytesChart,
    IteratorAgeChart,
    Limit,
    RecordsChart,
    ThrottleChart,
    nice_step,
)
from kmon.ui.charts.base import fit_legend, share_pct

MIB = 1024 * 1024
HOUR_MS = 3600 * 1000


@pytest.mark.parametrize(
    ("raw", "scale", "step"),
    [
        (0.3, "decimal", 0.5),
        (380, "decimal", 500),
        (1000, "decimal", 1000),
        (1100, "decimal", 2000),
        (2.25 * MIB, "bytes", 2.5 * MIB),  # 2.5 MiB/s, not 2.36 MB
        (1.2 * MIB, "bytes", 2 * MIB),
        (700, "bytes", 1024),  # 1.0 KiB, not 1000 B
        (900 * 1024, "bytes", MIB),  # 1 MiB/s, never "1000 KiB/s"
        (float("inf"), "bytes", 1.0),
        (float("nan"), "decimal", 1.0),
        (40 * 24 * HOUR_MS, "duration", 60 * 24 * HOUR_MS),  # a year's retention: 60d steps
        (7_000, "duration", 10_000),  # 10s
        (3.36 * HOUR_MS, "duration", 6 * HOUR_MS),  # a 12h retention line gets 6h ticks
        (0, "duration", 1.0),
    ],
)
def test_nice_step(raw, scale, step):
    assert nice_step(raw, scale) == step


# -- the chart kinds -------------------------------------------------------------------------

NOW_TS = 1_800_000_000
MINUTES = [NOW_TS - 60 * (60 - i) for i in range(60)]
# plotext's half-block marker ("hd"): what the first series of each chart is drawn with.
HALF_BLOCKS = set("▀▄█▌▐▖▗▘▝▚▞▙▛▜▟")
CHART_KINDS = (BytesChart, RecordsChart, IteratorAgeChart, ThrottleChart)


class Host(App):
    def __init__(self, chart) -> None:
        super().__init__()
        self.chart = chart

    def compose(self):
        yield self.chart


async def draw(chart, data, limits=(), size=(60, 14)):
    """``chart`` shown at ``size`` with ``data``: (legend rows, plot rows) as plain text."""
    async with Host(chart).run_test(size=size) as pilot:
        await pilot.pause()
        chart.show(data, limits, window_sec=3600, now=NOW_TS)
        await pilot.pause()
        lines = chart.render().plain.split("\n")
    n = len(chart.legend)
    return lines[:n], lines[n:]


def flat(value, ts=MINUTES):
    return [(t, float(value)) for t in ts]


def rows_with(plot: list[str], glyphs) -> list[int]:
    return [i for i, line in enumerate(plot) if any(c in glyphs for c in line)]


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_every_series_and_limit_has_its_own_colour_and_marker(kind):
    styles = kind.SERIES + kind.LIMITS
    assert len({s.color for s in styles}) == len(styles)  # colour...
    assert len({s.marker for s in styles}) == len(styles)  # ...and never colour alone
    assert len({s.glyph for s in styles}) == len(styles)  # the legend shows the marker
    assert len({s.rich.color for s in styles}) == len(styles)  # in the colour drawn


async def test_equal_series_both_show_and_the_legend_says_so():
    # payments-ledger: every record over the write limit is a throttled put, minute by minute.
    counts = [(t, 20_000.0 + 500 * (i % 7)) for i, t in enumerate(MINUTES)]
    chart = ThrottleChart()
    legend, plot = await draw(
        chart,
        {"write": counts, "put_throttled": counts, "read": flat(0), "put_failed": flat(0)},
        size=(100, 14),
    )
    text = "  ".join(legend)
    assert "▄ write exceeded" in text and "• put throttled = write exceeded" in text
    assert "+× read exceeded, put failed = 0" in text
    body = "".join(plot)
    # The write line and the put markers both on the canvas, and the zero lines under them.
    assert HALF_BLOCKS & set(body) and "•" in body and "+" in body and "×" in body
    assert body.count("•") >= 8  # spaced over the whole window, not one stray marker
    assert not any("exceeded" in row or "throttled" in row for row in plot)  # legend outside


async def test_a_far_limit_is_named_at_the_top_edge_with_the_peak_share():
    # 440 KiB/s against a 4 MiB/s write limit: the scale fits the data, not the limit.
    chart = BytesChart()
    legend, plot = await draw(
        chart,
        {"in": flat(0.44 * MIB), "out": flat(0.2 * MIB)},
        [Limit("write", 4 * MIB, "write limit 4.0 MiB/s", "write 4 MiB/s")],
    )
    assert "write limit 4.0 MiB/s ↑ 11%" in legend[0]
    assert chart.drawn.top <= 1 * MIB  # 0.44 MiB/s fills the chart
    assert not any("─" in row.split("┤")[-1].split("│")[-1] for row in plot[:-2])
    assert any("KiB/s" in row or "MiB/s" in row for row in plot)  # ticks carry the unit


async def test_a_near_limit_is_drawn_across_the_whole_plot():
    chart = BytesChart()
    legend, plot = await draw(
        chart,
        {"in": flat(2.0 * MIB), "out": flat(1.0 * MIB)},
        [Limit("write", 4 * MIB, "write limit 4.0 MiB/s")],
    )
    assert "─ write limit 4.0 MiB/s" in legend[0] and "↑" not in legend[0]
    (row,) = [r for r in plot if r.count("─") > 10 and "┬" not in r]
    canvas = row.split("┤", 1)[-1] if "┤" in row else row.split("│", 1)[-1]
    # From the left edge of the window to now: a mark every other column, the last one too.
    canvas = canvas.rstrip()
    assert set(canvas[::2]) == {"─"} and canvas[-1] == "─"
    assert len(canvas) == len(plot[-2].split("└", 1)[-1])  # as wide as the x axis
    assert chart.drawn.top >= 4 * MIB


async def test_data_at_a_near_limit_still_shows_between_the_limit_marks():
    chart = BytesChart()
    _, plot = await draw(
        chart, {"in": flat(3.9 * MIB), "out": flat(0.0)}, [Limit("write", 4 * MIB, "write")]
    )
    (row,) = [r for r in plot if r.count("─") > 10 and "┬" not in r]
    assert HALF_BLOCKS & set(row)


async def test_iterator_age_growth_from_1_to_55_minutes_spans_a_third_of_the_chart():
    """inventory-updates: the retention-risk line at 12 h must not flatten a climb to 55 min."""
    minute = 60_000
    age = [(t, minute + i * 54 * minute / 59) for i, t in enumerate(MINUTES)]
    limits = [
        Limit("warn", 30_000, "warn 30s"),
        Limit("risk", 12 * 3600 * 1000, "50% of retention 12h 00m", "50% of retention 12h"),
    ]
    for size in ((56, 12), (74, 16), (40, 8)):
        chart = IteratorAgeChart()
        legend, plot = await draw(chart, {"age": age}, limits, size=size)
        rows = rows_with(plot, HALF_BLOCKS)
        assert max(rows) - min(rows) + 1 >= size[1] / 3, (size, plot)
        assert any("12h" in line and "↑" in line for line in legend)  # named at the edge
    assert plot[0].lstrip().startswith("1h")  # the scale is the data's: 0 to 1 h


@pytest.mark.parametrize(
    ("kind", "data", "unit"),
    [
        (BytesChart, {"in": flat(3 * MIB)}, "(B|KiB|MiB)/s"),
        (RecordsChart, {"in": flat(2500)}, "rec/s"),
        (ThrottleChart, {"write": flat(240)}, "/min"),
        (IteratorAgeChart, {"age": flat(90_000)}, r"(ms|s|m|h|d)"),
    ],
)
async def test_y_ticks_carry_the_unit(kind, data, unit):
    _, plot = await draw(kind(), data)
    ticks = [row.split("┤")[0].strip() for row in plot if "┤" in row]
    assert len(ticks) >= 3
    assert all(re.search(rf"^\d.*{unit}$", tick) for tick in ticks), ticks


async def test_no_data_says_so_instead_of_a_legend():
    legend, _ = await draw(BytesChart(), {"in": (), "out": ()})
    assert legend == ["no datapoints in this window"]


def test_legend_shortens_limits_then_series_then_wraps():
    def item(full, short, limit=False):
        return (Text(full), Text(short), limit)

    items = [item("▄ iterator age", "▄ age"), item("warn limit 30s ↑ 5%", "warn ↑5%", True)]
    assert [t.plain for t in fit_legend(items, 40)] == ["▄ iterator age  warn limit 30s ↑ 5%"]
    assert [t.plain for t in fit_legend(items, 30)] == ["▄ iterator age  warn ↑5%"]
    assert [t.plain for t in fit_legend(items, 16)] == ["▄ age  warn ↑5%"]
    assert [t.plain for t in fit_legend(items, 10)] == ["▄ age", "warn ↑5%"]


@pytest.mark.parametrize(
    ("share", "text"), [(0.11, "11%"), (0.0996, "10%"), (0.047, "4.7%"), (1e-5, "<0.1%")]
)
def test_share_of_a_far_limit(share, text):
    assert share_pct(share) == text
