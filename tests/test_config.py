import pytest

from kmon.config import ConfigError, load_settings


def test_precedence_cli_over_env_over_file_over_defaults(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'region = "eu-west-1"\nrefresh = 30\nprofile = "file"\nstreams = ["a"]\n'
        "[thresholds]\niterator_age_warn_ms = 60000\n"
    )
    env = {"KMON_CONFIG": str(cfg), "KMON_PROFILE": "env", "KMON_REFRESH": "20"}
    s = load_settings({"refresh": 10.0}, env)
    assert (s.region, s.profile, s.refresh, s.streams) == ("eu-west-1", "env", 10.0, ("a",))
    assert s.thresholds.iterator_age_warn_ms == 60_000
    assert s.thresholds.utilization_warn_pct == 80  # untouched defaults stay
    assert load_settings({}, {}).refresh == 60


def test_bad_values_name_their_source(tmp_path):
    with pytest.raises(ConfigError, match="KMON_REFRESH"):
        load_settings({}, {"KMON_REFRESH": "soon"})
    cfg = tmp_path / "c.toml"
    cfg.write_text("[thresholds]\nbogus = 1\n")
    with pytest.raises(ConfigError, match="unknown threshold 'bogus'"):
        load_settings({}, {"KMON_CONFIG": str(cfg)})
    cfg.write_text("region = [")
    with pytest.raises(ConfigError, match=str(cfg)):
        load_settings({}, {"KMON_CONFIG": str(cfg)})


def test_keys_table_is_validated(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[keys]\nquit = "ctrl+q"\n')
    assert load_settings({}, {"KMON_CONFIG": str(cfg)}).keys == {"quit": "ctrl+q"}
    cfg.write_text('[keys]\nexplode = "x"\n')
    with pytest.raises(ConfigError, match="unknown key action 'explode'"):
        load_settings({}, {"KMON_CONFIG": str(cfg)})


def test_file_durations_are_checked_like_the_command_line(tmp_path):
    cfg = tmp_path / "c.toml"
    for text, needle in (
        ("cycle = nan", "cycle not a number of seconds"),
        ("cycle = 0.5", "cycle must be at least 1 second,"),
        ("refresh = true", "refresh not a number of seconds"),
        ("refresh = 2", "refresh must be at least 5 seconds"),
    ):
        cfg.write_text(text + "\n")
        with pytest.raises(ConfigError, match=needle):
            load_settings({}, {"KMON_CONFIG": str(cfg)})
    cfg.write_text("cycle = 20\n")
    assert load_settings({}, {"KMON_CONFIG": str(cfg)}).cycle == 20
