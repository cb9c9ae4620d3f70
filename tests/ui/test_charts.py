"""Chart axes: round steps in the unit each chart shows."""

from __future__ import annotations

import pytest

from kmon.ui.widgets.charts import nice_step

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
