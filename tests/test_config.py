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


def _load(cfg, text: str):
    cfg.write_text(text)
    return load_settings({}, {"KMON_CONFIG": str(cfg)})


@pytest.mark.parametrize(
    "text, needle",
    [
        (
            "utilization_warn_pct = 90\nutilization_crit_pct = 90",
            "utilization_warn_pct (90) must be below utilization_crit_pct (90)",
        ),
        ("retention_crit_fraction = 1.5", "retention_crit_fraction must be in (0, 1], got 1.5"),
        ("retention_crit_fraction = 0", "retention_crit_fraction must be in (0, 1], got 0"),
        ("shard_hot_pct = 120", "shard_hot_pct must be in (0, 100], got 120"),
        ("shared_read_warn_pct = 0", "shared_read_warn_pct must be in (0, 100], got 0"),
        ("throttle_crit_minutes = 0", "throttle_crit_minutes must be at least 1"),
        ("thrash_switches = 0", "thrash_switches must be at least 1"),
        ("throttle_crit_minutes = 2.5", "throttle_crit_minutes must be a whole number, got 2.5"),
        ("iterator_age_warn_ms = -1", "threshold iterator_age_warn_ms must be a non-negative"),
        ("iterator_age_warn_ms = inf", "threshold iterator_age_warn_ms must be a non-negative"),
        ("iterator_age_warn_ms = true", "threshold iterator_age_warn_ms must be a non-negative"),
    ],
)
def test_thresholds_that_contradict_each_other_are_refused(tmp_path, text, needle):
    cfg = tmp_path / "c.toml"
    with pytest.raises(ConfigError) as err:
        _load(cfg, "[thresholds]\n" + text + "\n")
    assert str(err.value).startswith(f"{cfg}: ")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_sensible_thresholds_load(tmp_path):
    s = _load(
        tmp_path / "c.toml",
        "[thresholds]\nutilization_warn_pct = 70\nthrottle_crit_minutes = 3\n"
        "retention_crit_fraction = 1\n",
    )
    assert s.thresholds.utilization_warn_pct == 70 and s.thresholds.throttle_crit_minutes == 3
    assert isinstance(s.thresholds.throttle_crit_minutes, int)


@pytest.mark.parametrize("keys", ["ctrl+q", "f5", "x", "?", "question_mark", "shift+tab",
                                  "ctrl+shift+up", "q,ctrl+q", "escape", "pageup", "space", "E",
                                  "alt+x", "slash", "f24"])  # fmt: skip
def test_keys_textual_can_deliver_are_accepted(tmp_path, keys):
    s = _load(tmp_path / "c.toml", f"[keys]\nquit = {keys!r}\n".replace("'", '"'))
    assert s.keys == {"quit": keys}


@pytest.mark.parametrize(
    "keys, needle",
    [
        ("ctrlq", "'ctrlq' is not a key name"),
        ("f25", "'f25' is not a key name"),
        ("cmd+q", "'cmd' is not a modifier (shift, ctrl, alt, meta, super, hyper) in 'cmd+q'"),
        ("ctrl+", "'ctrl+' has no key after a modifier"),
        ("q,,x", "an empty key"),
        ("ctrl+?", "write 'ctrl+question_mark' for 'ctrl+?'"),
    ],
)
def test_keys_textual_cannot_deliver_are_refused_with_examples(tmp_path, keys, needle):
    cfg = tmp_path / "c.toml"
    with pytest.raises(ConfigError) as err:
        _load(cfg, f'[keys]\npause = "{keys}"\n')
    msg = str(err.value)
    assert msg.startswith(f"{cfg}: [keys] pause = {keys!r}: ") and needle in msg
    assert 'valid keys: "ctrl+q", "f5", "x", "question_mark"' in msg


def test_unknown_key_action_lists_the_known_ones(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path / "c.toml", '[keys]\nexplode = "x"\n')
    assert "known: quit, help, refresh" in str(err.value) and "events" in str(err.value)
    assert _load(tmp_path / "c.toml", '[keys]\nevents = "E"\n').keys == {"events": "E"}


def test_alerts_are_off_without_the_table_and_default_with_an_empty_one(tmp_path):
    from kmon.model.alerting import AlertSettings

    assert _load(tmp_path / "c.toml", 'region = "eu-west-1"\n').alerts is None
    assert _load(tmp_path / "c.toml", "[alerts]\n").alerts == AlertSettings()
    s = _load(
        tmp_path / "c.toml",
        '[alerts]\nmin_severity = "warn"\ntoast = false\nbell = false\ndesktop = false\n'
        'command = ["/usr/local/bin/page", "--team", "data"]\ntimeout_sec = 30\n'
        "on_recovery = true\nhold_minutes = 0\n",
    )
    assert s.alerts == AlertSettings(
        min_severity="warn",
        toast=False,
        bell=False,
        desktop=False,
        command=("/usr/local/bin/page", "--team", "data"),
        timeout_sec=30.0,
        on_recovery=True,
        hold_minutes=0.0,
    )


@pytest.mark.parametrize(
    "text, needle",
    [
        ("alerts = 1", "[alerts] must be a table"),
        ("[alerts]\nsms = true", "unknown alerts setting 'sms' (known: min_severity, toast"),
        ('[alerts]\nmin_severity = "ok"', """must be "warn" or "crit", got 'ok'"""),
        ('[alerts]\nmin_severity = "CRIT"', 'alerts.min_severity must be "warn" or "crit"'),
        ('[alerts]\ntoast = "yes"', "alerts.toast must be true or false, got 'yes'"),
        ("[alerts]\nbell = 1", "alerts.bell must be true or false, got 1"),
        ('[alerts]\ndesktop = "no"', "alerts.desktop must be true or false"),
        ("[alerts]\non_recovery = 0", "alerts.on_recovery must be true or false"),
        ('[alerts]\ncommand = "page --team data"', "alerts.command must be a list of strings"),
        ("[alerts]\ncommand = []", "alerts.command must be a list of strings"),
        ('[alerts]\ncommand = ["page", 3]', "the program and its arguments (no shell)"),
        ('[alerts]\ncommand = ["page", ""]', "alerts.command must be a list of strings"),
        ("[alerts]\ntimeout_sec = 0", "alerts.timeout_sec must be at least 1 second, got 0"),
        ('[alerts]\ntimeout_sec = "soon"', "alerts.timeout_sec not a number of seconds"),
        ("[alerts]\ntimeout_sec = nan", "alerts.timeout_sec not a number of seconds"),
        ("[alerts]\nhold_minutes = -1", "alerts.hold_minutes must be a number of minutes, 0 or"),
        ("[alerts]\nhold_minutes = true", "alerts.hold_minutes must be a number of minutes"),
        ("[alerts]\nhold_minutes = inf", "alerts.hold_minutes must be a number of minutes"),
    ],
)  # fmt: skip
def test_every_alerts_setting_is_checked(tmp_path, text, needle):
    cfg = tmp_path / "c.toml"
    with pytest.raises(ConfigError) as err:
        _load(cfg, text + "\n")
    msg = str(err.value)
    assert msg.startswith(f"{cfg}: ") and needle in msg and "\n" not in msg


def test_endpoint_url_from_env_or_file_must_be_a_url(tmp_path):
    assert load_settings({}, {"KMON_ENDPOINT_URL": "http://127.0.0.1:4566"}).endpoint_url == (
        "http://127.0.0.1:4566"
    )
    for bad in ("localhost:4566", "ftp://x", "http://", "http://x:port"):
        with pytest.raises(ConfigError, match="KMON_ENDPOINT_URL: endpoint_url not an http"):
            load_settings({}, {"KMON_ENDPOINT_URL": bad})
    cfg = tmp_path / "c.toml"
    cfg.write_text("endpoint_url = 4566\n")
    with pytest.raises(ConfigError, match=f"{cfg}: endpoint_url must be a URL string"):
        load_settings({}, {"KMON_CONFIG": str(cfg)})
    cfg.write_text('endpoint_url = "127.0.0.1:4566"\n')
    with pytest.raises(ConfigError, match="not an http"):
        load_settings({}, {"KMON_CONFIG": str(cfg)})


def test_pricing_overrides_list_prices_everywhere_or_per_region(tmp_path):
    cfg = tmp_path / "c.toml"
    s = _load(
        cfg,
        "[pricing]\nshard_hour = 0.0165\n"
        "[pricing.eu-west-1]\nshard_hour = 0.017\non_demand_in_gb = 0.09\n",
    )
    # Flat keys hold for every region; a region's own table goes on top of them.
    assert s.pricing.for_region("us-east-1").shard_hour == 0.0165
    eu = s.pricing.for_region("eu-west-1")
    assert (eu.shard_hour, eu.on_demand_in_gb, eu.efo_gb) == (0.017, 0.09, 0.013)
    assert load_settings({}, {}).pricing.for_region("eu-west-1").shard_hour == 0.015


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("shard_hours = 0.015", "pricing.shard_hours: unknown price 'shard_hours' (known: "),
        ('shard_hour = "cheap"', "pricing.shard_hour: price shard_hour must be a number"),
        ("efo_gb = -1", "pricing.efo_gb: price efo_gb must be a number of USD, 0 or more"),
        ("[pricing.mars]\nshard_hour = 1", "[pricing.mars]: 'mars' is not a region name"),
        ("[pricing.eu-west-1]\nefo_gb = true", "pricing.eu-west-1.efo_gb: price efo_gb must"),
    ],
)
def test_bad_prices_name_the_file_and_the_key(tmp_path, text, needle):
    cfg = tmp_path / "c.toml"
    with pytest.raises(ConfigError) as err:
        _load(cfg, "[pricing]\n" + text + "\n")
    assert str(err.value).startswith(f"{cfg}: ")
    assert needle in str(err.value)


def test_the_cloudwatch_budget_from_file_env_or_command_line(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("budget = 1.5\nmax_staleness = 600\n")
    env = {"KMON_CONFIG": str(cfg)}
    s = load_settings({}, env)
    assert (s.budget, s.max_staleness) == (1.5, 600)
    assert load_settings({}, {**env, "KMON_BUDGET": "$0"}).budget == 0  # 0: no limit
    assert load_settings({"budget": 4.0}, {**env, "KMON_BUDGET": "2"}).budget == 4.0
    assert (load_settings({}, {}).budget, load_settings({}, {}).max_staleness) == (3.0, 300)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("budget = -1", "budget must be 0 (no limit) or more dollars a day, got -1"),
        ('budget = "lots"', "budget not an amount of dollars: 'lots'"),
        ("budget = true", "budget not an amount of dollars: True"),
        ("max_staleness = 30", "max_staleness must be at least 60 seconds, got 30"),
    ],
)
def test_bad_budgets_name_the_file(tmp_path, text, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text + "\n")
    with pytest.raises(ConfigError, match=f"{cfg}: ") as e:
        load_settings({}, {"KMON_CONFIG": str(cfg)})
    assert needle in str(e.value)
