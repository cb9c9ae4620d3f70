"""Render the README screenshots from the demo world: SVG, plus PNG where rsvg-convert exists.

    python scripts/screenshots.py [--out screenshots]

The world runs with a fixed seed on a frozen clock, and the dashboard renders that one
snapshot: overview, the throttled stream's detail, its shards and findings, help, wall mode
and the events.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from kmon.collector.collector import Collector, CollectorOptions
from kmon.collector.fleet import FleetCollector
from kmon.demo import DemoWorld
from kmon.model.identity import Context
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady

SIZE = (150, 45)
FROZEN = datetime(2026, 11, 25, 14, 0, 20, tzinfo=timezone.utc)
# The demo world spans two regions, so a stream is known by its key, region/name.
THROTTLED = "us-east-1/payments-ledger"

# name -> keys pressed after the snapshot is shown ("open" drills into THROTTLED).
SHOTS = {
    "overview": (),
    "detail": ("open",),
    "shards": ("open", "s"),
    "help": ("question_mark",),
    "wall": ("w",),
    "events": ("e",),
    "findings": ("open", "f"),
}


async def render(overview, detailed, keys: tuple[str, ...], path: Path) -> None:
    app = KmonApp(
        None,
        refresh_sec=60,
        context={"endpoint": overview.endpoint, "region": overview.region},
        clock=lambda: FROZEN,
    )
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(SnapshotReady(overview))
        await pilot.pause()
        for key in keys:
            if key == "open":
                app.open_stream(THROTTLED)
                await pilot.pause()
                app.post_message(SnapshotReady(detailed))
            else:
                await pilot.press(key)
                app.post_message(SnapshotReady(detailed if "open" in keys else overview))
            await pilot.pause()
        await pilot.pause(0.3)
        app.save_screenshot(filename=path.name, path=str(path.parent))


def demo_snapshots(focus: str = THROTTLED):
    """The demo world's fleet at FROZEN: the overview snapshot, then one with ``focus``'s
    detail. The same seed and clock give the same numbers on every machine."""
    with DemoWorld(seed=7, clock=lambda: FROZEN, run_thread=False) as world:
        members = [
            (
                Context(region, region),
                Collector(
                    CollectorOptions(region=region, endpoint_url=world.endpoint, emulator=True),
                    clock=lambda: FROZEN,
                ),
            )
            for region in world.regions
        ]
        collector = FleetCollector(members, clock=lambda: FROZEN)
        overview = collector.poll(complete=True)
        collector.set_focus(focus, 3600)
        detailed = collector.poll(complete=True)
    return replace(overview, generated_at=FROZEN), replace(detailed, generated_at=FROZEN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    overview, detailed = demo_snapshots()
    for name, keys in SHOTS.items():
        svg = args.out / f"{name}.svg"
        asyncio.run(render(overview, detailed, keys, svg))
        print(f"wrote {svg}")
        if shutil.which("rsvg-convert"):
            png = svg.with_suffix(".png")
            subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)
            print(f"wrote {png}")


if __name__ == "__main__":
    main()
