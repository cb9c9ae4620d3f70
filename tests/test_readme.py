"""The README is the front door: its Quick start must be what CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```sh\n")[1:]
    return [b.split("```", 1)[0].strip() for b in blocks]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    run, test = quick_start_commands()
    assert "kmon demo" in run and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text()
