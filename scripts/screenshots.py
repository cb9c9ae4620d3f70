"""Render the README screenshots from the demo world: SVG, plus PNG where rsvg-convert exists.

    python scripts/screenshots.py [--out screenshots]

The world runs with a fixed seed and the dashboard's clock is frozen at the poll's time, so
the only thing that changes between runs is the time of day the traffic curve is at.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
from pathlib import Path

from kmon.collector.collector import Collector, CollectorOptions
from kmon.demo import DemoWorld
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady

SIZE = (150, 24)


async def render(snapshot, path: Path) -> None:
    app = KmonApp(
        None,
        refresh_sec=60,
        context={"endpoint": snapshot.endpoint, "region": snapshot.region},
        clock=lambda: snapshot.generated_at,
    )
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(SnapshotReady(snapshot))
        await pilot.pause()
        app.save_screenshot(filename=path.name, path=str(path.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with DemoWorld(seed=7) as world:
        collector = Collector(
            CollectorOptions(region=world.region, endpoint_url=world.endpoint, emulator=True)
        )
        snapshot = collector.poll(complete=True)
    svg = args.out / "overview.svg"
    asyncio.run(render(snapshot, svg))
    print(f"wrote {svg}")
    if shutil.which("rsvg-convert"):
        png = svg.with_suffix(".png")
        subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)
        print(f"wrote {png}")


if __name__ == "__main__":
    main()
