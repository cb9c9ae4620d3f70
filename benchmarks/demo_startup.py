"""Time `kmon demo` end to end, as a user sees it: launch to a full overview, and Enter to
the detail charts. Runs the real command in tmux and reads the screen.

    python benchmarks/demo_startup.py [--runs 3]

Needs tmux. "Full" means every stream of the demo fleet listed with its throughput; the
detail screen is "full" when its charts have drawn their time axes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

from kmon.demo.fleet import default_fleet

BUDGET_S = 5.0
SESSION = "kmon-startup-bench"


def screen() -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-t", SESSION, "-p"], capture_output=True, text=True
    ).stdout


def wait_for(check, timeout: float = 60.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if check(screen()):
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"timed out; the screen was:\n{screen()}")


def overview_full(text: str) -> bool:
    names = [s.name for s in default_fleet()]
    rows = [line for line in text.splitlines() if any(n in line for n in names)]
    return len(rows) >= len(names) and all("/s" in row for row in rows)


def detail_full(text: str) -> bool:
    return text.count("-45m") >= 3  # three charts with their time axes drawn


def one_run() -> tuple[float, float]:
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    cmd = f"{sys.executable} -m kmon demo"
    t0 = time.perf_counter()
    subprocess.run(["tmux", "new", "-d", "-s", SESSION, "-x", "160", "-y", "45", cmd], check=True)
    try:
        full = wait_for(overview_full) - t0
        t1 = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", SESSION, "Enter"], check=True)
        detail = wait_for(detail_full) - t1
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    return full, detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("needs tmux (apt-get install tmux)")
        return 1
    runs = [one_run() for _ in range(args.runs)]
    full = [r[0] for r in runs]
    detail = [r[1] for r in runs]
    print(f"kmon demo, {args.runs} runs, 160x45")
    print(
        f"  launch -> full overview     median {statistics.median(full):5.2f} s  "
        f"(min {min(full):.2f}, max {max(full):.2f})  budget {BUDGET_S:.0f} s"
    )
    print(
        f"  Enter  -> full detail       median {statistics.median(detail):5.2f} s  "
        f"(min {min(detail):.2f}, max {max(detail):.2f})"
    )
    over = statistics.median(full) > BUDGET_S
    print("  OVER BUDGET" if over else "  within budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
