"""What kmon itself costs: the current rate (the last five minutes) and the totals so far."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kmon.model.snapshot import ApiUsage
from kmon.ui import format as fmt


class UsageBar(Static):
    DEFAULT_CSS = """
    UsageBar { height: 1; padding: 0 1; color: $text-muted; }
    """

    def show(self, api: ApiUsage, streams_usd_per_day: float | None = None) -> None:
        # The rate first: on a narrow terminal the line is cut at the right, totals go first.
        t = Text(no_wrap=True, overflow="ellipsis")
        governor = api.governor
        if api.metrics_per_hour == 0 and governor is not None and governor.projected_usd_per_day:
            # Nothing asked since the start yet (metrics wait for the next minute): the plan.
            t.append(f"CloudWatch ≈ {fmt.usd(governor.projected_usd_per_day)}/day planned")
        else:
            t.append(f"CloudWatch ≈ {fmt.usd(api.cloudwatch_usd_per_day)}/day now")
        if governor is not None and governor.budget_usd_per_day:
            t.append(f" of {fmt.usd(governor.budget_usd_per_day)}")
            if governor.over_budget:
                t.append(" · over budget", style="bold")
            if governor.healthy_every_sec:
                t.append(f" · healthy streams every {fmt.interval(governor.healthy_every_sec)}")
        t.append(f" ({fmt.count(api.metrics_per_hour)} metrics/h, last 5 min)")
        if streams_usd_per_day is not None:  # what the streams themselves cost, beside it
            t.append(f" · streams ≈ {fmt.usd(streams_usd_per_day)}/day est.")
        t.append(f" · API {api.calls_per_min:.0f} calls/min")
        t.append(
            f" · since start {fmt.usd(api.cloudwatch_usd_so_far)}: "
            f"{fmt.count(api.metrics_requested)} metrics, {fmt.count(api.calls)} calls"
        )
        self.update(t)
