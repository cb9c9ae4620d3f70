"""Settings: command line > KMON_* environment > config file > defaults."""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlparse

from kmon.model.alerting import SEVERITIES, AlertSettings
from kmon.model.cadence import DEFAULT_BUDGET_USD_PER_DAY, DEFAULT_MAX_STALENESS_SEC, MINUTE
from kmon.model.identity import ROLE_ARN, Context, contexts_from, default_label, label_problem
from kmon.model.pricing import DEFAULT_BOOK, PriceBook, price_problem
from kmon.model.replication import ReplicationRule
from kmon.model.rules import Thresholds

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MIN_REFRESH = 5.0
DEFAULT_REFRESH = 60.0
# `kmon demo` polls its own world this often unless --refresh says otherwise: its traffic
# changes by the minute and a first-time viewer should see it move.
DEMO_REFRESH = 15.0


class ConfigError(Exception):
    """A bad setting, with a message naming where it came from."""


@dataclass(frozen=True)
class Settings:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    refresh: float = DEFAULT_REFRESH
    streams: tuple[str, ...] = ()
    debug: bool = False
    log: str | None = None
    wall: bool = False
    cycle: float = 15.0
    # What kmon may spend on CloudWatch a day (USD, 0: no limit), and how stale a healthy
    # stream off screen may get to stay within it.
    budget: float = DEFAULT_BUDGET_USD_PER_DAY
    max_staleness: float = DEFAULT_MAX_STALENESS_SEC
    kcl_tables: dict[str, str] = field(default_factory=dict)
    probe_lag: bool = False
    keys: dict[str, str] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)
    alerts: AlertSettings | None = None  # None: no [alerts] table, no alerts
    pricing: PriceBook = DEFAULT_BOOK  # [pricing]: list prices overridden, per region or all
    # Several accounts and regions: --profile / --region repeated (each profile with each
    # region), or [[contexts]] in the config file. Empty: the one profile and region above.
    profiles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    contexts: tuple[Context, ...] = ()
    # [[replication]]: pairs of streams one copies to the other, where kmon cannot infer them.
    replication: tuple[ReplicationRule, ...] = ()

    def fleet(self) -> tuple[Context, ...]:
        """The contexts to watch: the repeated flags, else [[contexts]], else the one
        profile and region."""
        if self.profiles or self.regions:
            return contexts_from(self.profiles or [self.profile], self.regions or [self.region])
        if self.contexts:
            return self.contexts
        return (Context(default_label(None, self.region, None), self.region, self.profile),)


def config_path(env: dict[str, str]) -> Path:
    if env.get("KMON_CONFIG"):
        return Path(env["KMON_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kmon" / "config.toml"


def seconds(value: object, minimum: float) -> float:
    """A finite number of seconds, at least ``minimum``; ValueError says what is wrong."""
    if isinstance(value, bool):  # TOML true is not a duration
        raise ValueError(f"not a number of seconds: {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"not a number of seconds: {value!r}")
    if number < minimum:
        unit = "second" if minimum == 1 else "seconds"
        raise ValueError(f"must be at least {minimum:g} {unit}, got {value}")
    return number


def dollars(value: object) -> float:
    """A finite amount of US dollars, 0 or more; ValueError says what is wrong."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount of dollars: {value!r}")
    try:
        number = float(str(value).lstrip("$"))  # "$2" reads as 2
    except ValueError:
        raise ValueError(f"not an amount of dollars: {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"must be 0 (no limit) or more dollars a day, got {value}")
    return number


def _dollars_setting(name: str, value: object, where: str) -> float:
    try:
        return dollars(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {name} {exc}") from None


def endpoint_problem(text: str) -> str | None:
    """Why ``text`` is not an endpoint URL kmon can send AWS calls to; None if it is."""
    parsed = urlparse(text)
    try:
        parsed.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return f"not an http(s) URL: {text!r} (bad port)"
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"not an http(s) URL: {text!r}"
    return None


def _endpoint_setting(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: endpoint_url must be a URL string")
    problem = endpoint_problem(value)
    if problem:
        raise ConfigError(f"{where}: endpoint_url {problem}")
    return value


def _seconds_setting(name: str, value: object, minimum: float, where: str) -> float:
    try:
        return seconds(value, minimum)
    except ValueError as exc:
        raise ConfigError(f"{where}: {name} {exc}") from None


def _from_file(path: Path, named: bool = False) -> dict:
    if not path.exists():
        if named:  # a file asked for by name must exist
            raise ConfigError(f"KMON_CONFIG names {path}, which does not exist")
        return {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    known = {f.name for f in fields(Settings)} - {"debug"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    out = {
        k: v
        for k, v in data.items()
        if k not in ("thresholds", "alerts", "pricing", "contexts", "replication")
    }
    if "refresh" in out:
        out["refresh"] = _seconds_setting("refresh", out["refresh"], MIN_REFRESH, str(path))
    if "streams" in out:
        if not isinstance(out["streams"], list) or not all(
            isinstance(s, str) for s in out["streams"]
        ):
            raise ConfigError(f"{path}: streams must be a list of stream names")
        out["streams"] = tuple(out["streams"])
    if "cycle" in out:
        out["cycle"] = _seconds_setting("cycle", out["cycle"], 1, str(path))
    if "budget" in out:
        out["budget"] = _dollars_setting("budget", out["budget"], str(path))
    if "max_staleness" in out:
        out["max_staleness"] = _seconds_setting(
            "max_staleness", out["max_staleness"], MINUTE, str(path)
        )
    if "endpoint_url" in out:
        out["endpoint_url"] = _endpoint_setting(out["endpoint_url"], str(path))
    for flag in ("wall", "probe_lag"):
        if flag in out and not isinstance(out[flag], bool):
            raise ConfigError(f"{path}: {flag} must be true or false")
    if "kcl_tables" in out:
        tables = out["kcl_tables"]
        if not isinstance(tables, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in tables.items()
        ):
            raise ConfigError(f'{path}: kcl_tables must be a table of TABLE = "STREAM"')
    if "keys" in out:
        out["keys"] = _keys(out["keys"], path)
    if "thresholds" in data:
        out["thresholds"] = _thresholds(data["thresholds"], path)
    if "alerts" in data:
        out["alerts"] = _alerts(data["alerts"], path)
    if "pricing" in data:
        out["pricing"] = _pricing(data["pricing"], path)
    for key in ("profiles", "regions"):
        if key in out:
            if not isinstance(out[key], list) or not all(
                isinstance(v, str) and v for v in out[key]
            ):
                raise ConfigError(f"{path}: {key} must be a list of names")
            out[key] = tuple(out[key])
    if "contexts" in data:
        both = [k for k in ("regions", "profiles") if k in out]
        if both:
            raise ConfigError(
                f"{path}: {both[0]} and [[contexts]] both say what to watch: keep one (a "
                "[[contexts]] table per account and region)"
            )
        out["contexts"] = _contexts(data["contexts"], path)
    if "replication" in data:
        out["replication"] = _replication(data["replication"], path)
    return out


CONTEXT_KEYS = ("label", "profile", "region", "role_arn", "monitoring_account")


def _contexts(tables: object, path: Path) -> tuple[Context, ...]:
    """``[[contexts]]``: each an account and region, as profile, region, role_arn, label."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f'{path}: contexts must be [[contexts]] tables (region = "eu-west-1")')
    out: list[Context] = []
    for i, table in enumerate(tables, 1):
        where = f"{path}: [[contexts]] #{i}"
        unknown = sorted(set(table) - set(CONTEXT_KEYS))
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r} (known: {', '.join(CONTEXT_KEYS)})"
            )
        monitoring = table.pop("monitoring_account", False)
        if not isinstance(monitoring, bool):
            raise ConfigError(f"{where}: monitoring_account must be true or false")
        if not all(isinstance(v, str) and v for v in table.values()):
            raise ConfigError(f"{where}: {', '.join(CONTEXT_KEYS[:4])} must be non-empty strings")
        region = table.get("region")
        if region is not None and not _REGION.fullmatch(region):
            raise ConfigError(f"{where}: {region!r} is not a region name (e.g. eu-west-1)")
        role = table.get("role_arn")
        if role is not None and not ROLE_ARN.match(role):
            raise ConfigError(
                f"{where}: role_arn {role!r} is not a role ARN "
                "(arn:aws:iam::123456789012:role/NAME)"
            )
        label = table.get("label") or default_label(table.get("profile"), region, role)
        problem = label_problem(label)
        if problem:
            raise ConfigError(f"{where}: {problem}")
        if any(c.label == label for c in out):
            raise ConfigError(f"{where}: two contexts are labelled {label!r}: give each a label")
        out.append(Context(label, region, table.get("profile"), role, monitoring))
    return tuple(out)


def _replication(tables: object, path: Path) -> tuple[ReplicationRule, ...]:
    """``[[replication]]``: source and target references, and optionally the consumer that
    copies."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            f'{path}: replication must be [[replication]] tables (source = "us-east-1/orders", '
            'target = "eu-west-1/orders")'
        )
    out = []
    for i, table in enumerate(tables, 1):
        where = f"{path}: [[replication]] #{i}"
        unknown = sorted(set(table) - {"source", "target", "consumer"})
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r} (known: source, target, consumer)"
            )
        if not all(isinstance(table.get(k), str) and table[k] for k in ("source", "target")):
            raise ConfigError(f"{where}: source and target must name streams (region/name)")
        out.append(ReplicationRule(table["source"], table["target"], table.get("consumer")))
    return tuple(out)


def _thresholds(table: object, path: Path) -> Thresholds:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [thresholds] must be a table")
    names = {f.name: f.type for f in fields(Thresholds)}
    values = {}
    for key, value in table.items():
        if key not in names:
            raise ConfigError(
                f"{path}: unknown threshold {key!r} (known: {', '.join(sorted(names))})"
            )
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ConfigError(f"{path}: threshold {key} must be a non-negative number")
        if names[key] in ("int", int):
            if value != int(value):
                raise ConfigError(f"{path}: threshold {key} must be a whole number, got {value}")
            values[key] = int(value)
        else:
            values[key] = float(value)
    thresholds = Thresholds(**values)
    problems = thresholds.problems()
    if problems:
        raise ConfigError(f"{path}: [thresholds] " + "; ".join(problems))
    return thresholds


# A region name as AWS spells it: us-east-1, eu-central-2, us-gov-west-1, cn-north-1.
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


def _pricing(table: object, path: Path) -> PriceBook:
    """``[pricing]``: price = USD for every region, or a ``[pricing.REGION]`` table of them
    for one region (on top of the ones for every region)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [pricing] must be a table")
    everywhere: dict[str, float] = {}
    regions: dict[str, dict[str, float]] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            if not _REGION.fullmatch(key):
                raise ConfigError(
                    f"{path}: [pricing.{key}]: {key!r} is not a region name (e.g. eu-west-1)"
                )
            regions[key] = _prices(value, path, f"pricing.{key}")
        else:
            everywhere.update(_prices({key: value}, path, "pricing"))
    return PriceBook(everywhere, regions)


def _prices(table: dict, path: Path, where: str) -> dict[str, float]:
    for key, value in table.items():
        problem = price_problem(key, value)
        if problem:
            raise ConfigError(f"{path}: {where}.{key}: {problem}")
    return {k: float(v) for k, v in table.items()}


ALERT_FLAGS = ("toast", "bell", "desktop", "on_recovery")


def _alerts(table: object, path: Path) -> AlertSettings:
    """``[alerts]``: every key checked, each problem one line naming the file."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [alerts] must be a table")
    known = [f.name for f in fields(AlertSettings)]
    values: dict = {}
    for key, value in table.items():
        where = f"{path}: alerts.{key}"
        if key not in known:
            raise ConfigError(f"{path}: unknown alerts setting {key!r} (known: {', '.join(known)})")
        if key == "min_severity":
            if value not in SEVERITIES:
                raise ConfigError(f'{where} must be "warn" or "crit", got {value!r}')
        elif key in ALERT_FLAGS:
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false, got {value!r}")
        elif key == "command":
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(a, str) and a for a in value)
            ):
                raise ConfigError(
                    f"{where} must be a list of strings, the program and its arguments "
                    f'(no shell), e.g. ["/usr/local/bin/page", "--team", "data"]; got {value!r}'
                )
            value = tuple(value)
        elif key == "timeout_sec":
            value = _seconds_setting(f"alerts.{key}", value, 1, str(path))
        elif key == "hold_minutes":
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(f"{where} must be a number of minutes, 0 or more, got {value!r}")
            value = float(value)
        values[key] = value
    return AlertSettings(**values)


# The dashboard's binding ids a config file may remap (a test keeps them in step with the UI).
KEY_IDS = (
    "quit",
    "help",
    "refresh",
    "pause",
    "wall",
    "filter",
    "open",
    "back",
    "window",
    "shards",
    "next",
    "events",
    "context",
)


KEY_EXAMPLES = '"ctrl+q", "f5", "x", "question_mark", "shift+tab"; alternatives: "q,ctrl+q"'
MODIFIERS = ("shift", "ctrl", "alt", "meta", "super", "hyper")


def _keys(table: object, path: Path) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) and v for v in table.values()):
        raise ConfigError(f'{path}: [keys] must map actions to keys, e.g. quit = "ctrl+q"')
    unknown = sorted(set(table) - set(KEY_IDS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key action {unknown[0]!r} (known: {', '.join(KEY_IDS)})"
        )
    for action, keys in table.items():
        for key in keys.split(","):
            problem = key_problem(key.strip())
            if problem:
                raise ConfigError(
                    f"{path}: [keys] {action} = {keys!r}: {problem} (valid keys: {KEY_EXAMPLES})"
                )
    return dict(table)


def key_problem(key: str) -> str | None:
    """Why the terminal can never send ``key`` as the dashboard names keys; None if it can.
    A key is a character ("x", "?") or a key name ("question_mark", "f5", "pageup"),
    after any modifiers ("ctrl+q", "ctrl+shift+up")."""
    # Imported here: only a config file with [keys] pays for it.
    from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

    if not key:
        return "an empty key"
    if len(key) == 1:
        return None if key.isprintable() and not key.isspace() else f"{key!r} is not a key"
    *mods, name = key.split("+")
    if not name or "" in mods:
        return f"{key!r} has no key after a modifier (for +, write 'plus')"
    bad = [m for m in mods if m not in MODIFIERS]
    if bad:
        return f"{bad[0]!r} is not a modifier ({', '.join(MODIFIERS)}) in {key!r}"
    if len(name) == 1:
        if name.isalnum():
            return None
        return f"write {'+'.join(mods + [_character_to_key(name)])!r} for {key!r}"
    names = {k.value.rpartition("+")[2] for k in Keys}
    if name in names or key_to_character(REPLACED_KEYS.get(name, name)) is not None:
        return None
    return f"{name!r} is not a key name"


def _from_env(env: dict[str, str]) -> dict:
    out: dict = {}
    for key in ("profile", "region", "endpoint_url", "log"):
        value = env.get(f"KMON_{key.upper()}")
        if value:
            out[key] = value
    if "endpoint_url" in out:
        out["endpoint_url"] = _endpoint_setting(out["endpoint_url"], "KMON_ENDPOINT_URL")
    if env.get("KMON_REFRESH"):
        out["refresh"] = _seconds_setting(
            "refresh", env["KMON_REFRESH"], MIN_REFRESH, "KMON_REFRESH"
        )
    if env.get("KMON_BUDGET"):
        out["budget"] = _dollars_setting("budget", env["KMON_BUDGET"], "KMON_BUDGET")
    if env.get("KMON_STREAMS"):
        out["streams"] = tuple(s.strip() for s in env["KMON_STREAMS"].split(",") if s.strip())
    return out


def load_settings(cli: dict, env: dict[str, str] | None = None) -> Settings:
    """Merge the layers. ``cli`` holds only options given on the command line."""
    env = dict(os.environ) if env is None else env
    merged: dict = {}
    merged.update(_from_file(config_path(env), named=bool(env.get("KMON_CONFIG"))))
    merged.update(_from_env(env))
    cli = {k: v for k, v in cli.items() if v is not None}
    if "kcl_tables" in cli:  # command-line mappings add to the file's
        cli["kcl_tables"] = {**merged.get("kcl_tables", {}), **cli["kcl_tables"]}
    asked_now = set(cli) | set(_from_env(env))
    if {"region", "profile"} & asked_now:
        merged.pop("contexts", None)  # a region or profile asked for now replaces the file's
    for one, many in (("region", "regions"), ("profile", "profiles")):
        if one in asked_now:
            merged.pop(many, None)
    merged.update(cli)
    if "streams" in merged:
        merged["streams"] = tuple(merged["streams"])
    settings = replace(Settings(), **merged)
    for context in settings.fleet():  # labels made from profile names are checked too
        problem = label_problem(context.label)
        if problem:
            raise ConfigError(f"{problem}: rename the profile or use [[contexts]] with a label")
    return settings
