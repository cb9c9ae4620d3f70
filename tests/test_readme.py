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


def test_config_example_is_valid(tmp_path):
    from kmon.config import load_settings

    text = (ROOT / "README.md").read_text()
    example = text.split("## Configuration", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    cfg = tmp_path / "config.toml"
    cfg.write_text(example)
    s = load_settings({}, {"KMON_CONFIG": str(cfg)})
    assert s.region == "eu-west-1" and s.kcl_tables == {"orders-projector": "orders"}
    assert s.keys == {"quit": "ctrl+q"} and s.thresholds.throttle_crit_minutes == 5
