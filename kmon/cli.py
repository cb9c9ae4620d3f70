"""Command line: argparse -> Settings -> dashboard | snapshot | events | demo."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import fields, replace
from urllib.parse import urlparse

from kmon import __version__
from kmon.config import (
    DEFAULT_REFRESH,
    DEMO_REFRESH,
    MIN_REFRESH,
    ConfigError,
    Settings,
    config_path,
    dollars,
    endpoint_problem,
    load_settings,
    seconds,
)
from kmon.model.cadence import DEFAULT_BUDGET_USD_PER_DAY, DEFAULT_MAX_STALENESS_SEC, MINUTE

# Exit statuses (README, "kmon snapshot" and "kmon events"; `kmon snapshot --help`).
EXIT_OK = 0
EXIT_FAILED = 1  # nothing usable: no JSON (credentials, region, endpoint, deadline, ...)
EXIT_USAGE = 2  # a bad option, value or setting
EXIT_PARTIAL = 3  # the JSON is printed, but some sources failed (one stderr line each)

# Seconds `kmon snapshot` and `kmon events` (without --follow) wait for their poll, --timeout.
SNAPSHOT_TIMEOUT = 60.0

DESCRIPTION = """\
kmon: a live terminal dashboard for AWS Kinesis Data Streams.

Shows every stream's throughput against its shard capacity, iterator age, throttling
against the service limits and consumer lag, refreshed from CloudWatch and the Kinesis
API. Read-only: kmon never writes to your streams.

Without a command, kmon opens the dashboard on the current account and region.
"""

EPILOG = """\
examples:
  kmon                                 dashboard, default credentials and region
  kmon --profile prod --region eu-west-1
  kmon --stream orders --stream payments --refresh 30
  kmon --wall --cycle 20               an ops wall screen
  kmon snapshot | jq '.streams[] | select(.health != "ok")'
  kmon events --follow                 health changes as JSON lines, alert commands run
  kmon demo                            try it without AWS
  kmon --endpoint-url http://127.0.0.1:4566   an emulator (LocalStack, moto)

credentials come from the standard AWS chain (environment, profile, SSO, role, IMDS).
settings: command line > KMON_* environment > ~/.config/kmon/config.toml > defaults.
keys in the dashboard: ? shows them all.
"""

# Settings the command line can give (keys, thresholds and alerts: the config file only).
SETTING_KEYS = tuple(
    f.name for f in fields(Settings) if f.name not in ("keys", "thresholds", "alerts")
)


def _at_least(minimum: float):
    def parse(text: str) -> float:
        try:
            return seconds(text, minimum)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


refresh_seconds = _at_least(MIN_REFRESH)
staleness_seconds = _at_least(MINUTE)


def budget_dollars(text: str) -> float:
    try:
        return dollars(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


cycle_seconds = _at_least(1)
timeout_seconds = _at_least(1)


def endpoint_url(text: str) -> str:
    problem = endpoint_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def stream_name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("a stream name cannot be empty")
    return text


def kcl_mapping(text: str) -> tuple[str, str]:
    table, sep, stream = text.partition("=")
    if not sep or not table.strip() or not stream.strip():
        raise argparse.ArgumentTypeError(f"expected TABLE=STREAM, got {text!r}")
    return table.strip(), stream.strip()


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {text}")
    return value


def _add_common(
    p: argparse.ArgumentParser,
    suppress: bool,
    dashboard: bool = True,
    refresh_default: float | None = DEFAULT_REFRESH,
    refresh_when: str = "",
    aws_options: bool = True,
) -> None:
    """Options every command takes; subcommands repeat them so they work on either side.
    Without ``aws_options`` (and with no ``refresh_default``, for --refresh) the options are
    still parsed, so main can refuse them with a reason, but not shown."""
    d = {"default": argparse.SUPPRESS} if suppress else {}

    def shown(text: str) -> str:
        return text if aws_options else argparse.SUPPRESS

    aws = p.add_argument_group("AWS")
    aws.add_argument(
        "--profile",
        metavar="NAME",
        action="append",
        help=shown("AWS profile (default: AWS_PROFILE); repeat it to watch several accounts"),
        **d,
    )
    aws.add_argument(
        "--region",
        metavar="REGION",
        action="append",
        help=shown(
            "AWS region (default: the profile's); repeat it to watch several regions: each "
            "profile is watched in each region"
        ),
        **d,
    )
    aws.add_argument(
        "--endpoint-url",
        metavar="URL",
        dest="endpoint_url",
        type=endpoint_url,
        help=shown("send every AWS call to URL, for emulators such as moto or LocalStack"),
        **d,
    )
    view = p.add_argument_group("what to watch")
    view.add_argument(
        "--stream",
        metavar="NAME",
        action="append",
        type=stream_name,
        dest="streams",
        help="watch only this stream (repeatable); with several regions or accounts, "
        "REGION/NAME or LABEL:NAME names one of them",
        **d,
    )
    view.add_argument(
        "--refresh",
        metavar="SECONDS",
        type=refresh_seconds,
        help=argparse.SUPPRESS
        if refresh_default is None
        else f"{refresh_when}seconds between polls (default {refresh_default:g}, "
        f"minimum {MIN_REFRESH:g}); CloudWatch data is per minute",
        **d,
    )
    # Only for commands that keep polling; the others parse them to refuse them with a reason.
    polls = refresh_default is not None
    cost = p.add_argument_group("CloudWatch cost")
    cost.add_argument(
        "--budget",
        metavar="USD_PER_DAY",
        type=budget_dollars,
        help="what kmon may spend on CloudWatch a day (default "
        f"{DEFAULT_BUDGET_USD_PER_DAY:g}; 0: no limit, every stream every minute). The "
        "stream on screen and streams not OK are read every minute, healthy ones every "
        "--max-staleness, less often only if the budget needs it"
        if polls
        else argparse.SUPPRESS,
        **d,
    )
    cost.add_argument(
        "--max-staleness",
        metavar="SECONDS",
        dest="max_staleness",
        type=staleness_seconds,
        help="under a budget, how old a healthy stream's numbers may get "
        f"(default {DEFAULT_MAX_STALENESS_SEC:g}, minimum {MINUTE})"
        if polls
        else argparse.SUPPRESS,
        **d,
    )
    lag = p.add_argument_group("consumer lag")
    lag.add_argument(
        "--kcl-table",
        metavar="TABLE=STREAM",
        type=kcl_mapping,
        action="append",
        dest="kcl_tables",
        help="this DynamoDB table is the KCL lease table of STREAM (repeatable; "
        "skips discovery for it)",
        **d,
    )
    lag.add_argument(
        "--probe-lag",
        action="store_true",
        dest="probe_lag",
        help="measure KCL lag with GetRecords, one record per shard per minute "
        "(spends read capacity; default: the application's own metrics)",
        **d,
    )
    if dashboard:
        _add_wall(p, d)
    out = p.add_argument_group("diagnostics")
    out.add_argument("--debug", action="store_true", help="show tracebacks and debug logs", **d)
    out.add_argument("--log", metavar="FILE", help="write logs to FILE (never to the screen)", **d)


def _add_wall(p: argparse.ArgumentParser, d: dict) -> None:
    wall = p.add_argument_group("wall screen")
    wall.add_argument(
        "--wall",
        action="store_true",
        help="start in wall mode: big numbers, cycling through streams worst first",
        **d,
    )
    wall.add_argument(
        "--cycle",
        metavar="SECONDS",
        type=cycle_seconds,
        help="seconds per stream in wall mode (default 15)",
        **d,
    )


def _add_one_poll(p: argparse.ArgumentParser, title: str, timeout: float | None) -> None:
    """The options of a command that polls once: its deadline and its partial-data rule."""
    once = p.add_argument_group(title)
    once.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=timeout_seconds,
        default=timeout,
        help=f"give up after this long without a complete poll (default {SNAPSHOT_TIMEOUT:g}, "
        f"exit {EXIT_FAILED})",
    )
    once.add_argument(
        "--allow-partial",
        action="store_true",
        dest="allow_partial",
        help=f"exit {EXIT_OK}, not {EXIT_PARTIAL}, when some sources failed (still one line "
        "each on stderr)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kmon",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kmon {__version__}")
    _add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    snap = sub.add_parser(
        "snapshot",
        help="poll once and print JSON",
        description="Poll once and print one JSON document to stdout (format: see README).",
        epilog=SNAPSHOT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(snap, suppress=True, dashboard=False, refresh_default=None)
    _add_one_poll(snap, "snapshot", SNAPSHOT_TIMEOUT)
    events = sub.add_parser(
        "events",
        help="print health changes as JSON lines (--follow: keep watching, run alert commands)",
        description="Poll once and print the changes of stream health and consumer status "
        "kmon knows of, one JSON object per line, oldest first (right after starting, that is "
        "every stream and consumer not OK, with since when), then exit with the status below. "
        "With --follow, keep polling every refresh interval, print each new change as it "
        "happens and run the [alerts] command for each alert; Ctrl-C stops it (exit "
        f"{EXIT_OK}). With or without it, kmon exits {EXIT_FAILED} with one line on stderr "
        "when AWS cannot be reached at start.",
        epilog=EVENTS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(events, suppress=True, dashboard=False, refresh_when="with --follow: ")
    events.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="keep polling and print new events as they happen, until Ctrl-C",
    )
    # No default: given with --follow, it is refused (see refusal).
    _add_one_poll(events, "without --follow", None)
    demo = sub.add_parser(
        "demo",
        help="dashboard on a simulated fleet (no AWS account needed)",
        description="Start an emulated Kinesis fleet in-process (moto, on 127.0.0.1) with "
        "streams that behave like a production account on a bad day, and open the dashboard "
        f"on it, refreshing every {DEMO_REFRESH:g} s. Needs the demo extra: pip install "
        "'.[demo]' in a kmon checkout. The world is its own account and region: --profile, "
        "--region and --endpoint-url are refused; with --serve, so are the dashboard's "
        "options (what to watch, lag, wall screen).",
    )
    _add_common(demo, suppress=True, refresh_default=DEMO_REFRESH, aws_options=False)
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--port", type=port_number, help="emulator port (default: a free one)")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="run the world without the dashboard and print how to watch it",
    )
    return parser


SNAPSHOT_EPILOG = f"""\
exit status:
  {EXIT_OK}  every source answered; the JSON is on stdout
  {EXIT_FAILED}  nothing usable: one line on stderr, nothing on stdout (no credentials, unknown
     profile, no region, endpoint unreachable, stream list denied, none of the --stream
     exist, or no complete poll within --timeout)
  {EXIT_USAGE}  a bad option, value or setting
  {EXIT_PARTIAL}  partial: the JSON is on stdout, and stderr has one line per source that failed
     (e.g. CloudWatch denied or throttled); --allow-partial makes this {EXIT_OK}
"""

EVENTS_EPILOG = f"""\
exit status without --follow:
  {EXIT_OK}  every source answered; the events are on stdout (none when nothing is wrong)
  {EXIT_FAILED}  nothing usable: one line on stderr, nothing on stdout (no credentials, unknown
     profile, no region, endpoint unreachable, stream list denied, none of the --stream
     exist, or no complete poll within --timeout)
  {EXIT_USAGE}  a bad option, value or setting
  {EXIT_PARTIAL}  partial: the events kmon could judge are on stdout, and stderr has one line per
     source that failed (e.g. CloudWatch denied or throttled); --allow-partial makes this {EXIT_OK}
with --follow: {EXIT_OK} when stopped (Ctrl-C, SIGTERM); a source failing later is one stderr line
  and polling goes on
"""


def setup_logging(settings: Settings, to_stderr: bool) -> None:
    root = logging.getLogger()
    root.handlers.clear()
    level = logging.DEBUG if settings.debug else logging.INFO
    if settings.log:
        try:
            handler: logging.Handler = logging.FileHandler(settings.log)
        except OSError as exc:
            raise ConfigError(f"cannot write the log file {settings.log}: {exc.strerror}") from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    elif settings.debug and to_stderr:
        handler = logging.StreamHandler(sys.stderr)
    else:
        # Nothing may write to the terminal while the dashboard owns it.
        handler = logging.NullHandler()
    root.addHandler(handler)
    root.setLevel(level)
    # botocore's DEBUG output includes request headers (access key ids, session tokens): it
    # stays at INFO even with --debug, so nothing ever logs a credential.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.INFO if settings.debug else logging.WARNING)


# The command-line spelling of each option, by its argparse dest.
FLAGS = {
    "profile": "--profile",
    "region": "--region",
    "endpoint_url": "--endpoint-url",
    "streams": "--stream",
    "refresh": "--refresh",
    "kcl_tables": "--kcl-table",
    "probe_lag": "--probe-lag",
    "wall": "--wall",
    "cycle": "--cycle",
    "budget": "--budget",
    "max_staleness": "--max-staleness",
}


def refusal(args: argparse.Namespace) -> str | None:
    """Why an option given on the command line would be ignored where it was given; None
    when every option given does something. (Settings from KMON_* or the config file are for
    the user's own fleet and are not refused.)"""
    # "is": a value of 0 (--budget 0) is given, though 0 == False.
    given = [d for d in FLAGS if (v := getattr(args, d, None)) is not None and v is not False]
    command = args.command
    if command == "events" and args.follow:
        for dest, flag in (("timeout", "--timeout"), ("allow_partial", "--allow-partial")):
            if getattr(args, dest, None) not in (None, False):
                return f"events --follow keeps polling: {flag} is for one poll (without --follow)"
    for dest in given:
        flag = FLAGS[dest]
        if command in ("snapshot", "events") and dest in ("wall", "cycle"):
            return f"{flag} is for the dashboard; {command} has no screen"
        if command == "snapshot" and dest in ("refresh", "budget", "max_staleness"):
            return f"snapshot polls once: {flag} does not apply"
        if (
            command == "events"
            and dest in ("refresh", "budget", "max_staleness")
            and not (args.follow)
        ):
            return f"events polls once without --follow: {flag} does not apply"
        if command == "demo" and dest in ("profile", "region", "endpoint_url"):
            return (
                "demo runs its own emulator (moto on 127.0.0.1, its own account and region): "
                f"{flag} does not apply"
            )
        if command == "demo" and args.serve:
            return (
                f"demo --serve opens no dashboard: {flag} does not apply (give it to the kmon "
                "that watches the world)"
            )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    refused = refusal(args)
    if refused:
        print(f"kmon: {refused}", file=sys.stderr)
        return EXIT_USAGE
    cli = {k: getattr(args, k) for k in SETTING_KEYS if getattr(args, k, None) is not None}
    if "kcl_tables" in cli:
        cli["kcl_tables"] = dict(cli["kcl_tables"])
    for one, many in (("region", "regions"), ("profile", "profiles")):
        if one in cli:  # repeated: the first is the one, all of them the contexts
            values = tuple(dict.fromkeys(cli[one]))
            cli[one] = values[0]
            if len(values) > 1:
                cli[many] = values
    for flag in ("debug", "wall", "probe_lag"):
        if not cli.get(flag):
            cli.pop(flag, None)
    try:
        settings = load_settings(cli)
    except ConfigError as exc:
        print(f"kmon: {exc}", file=sys.stderr)
        return EXIT_USAGE
    alerting = args.command in (None, "demo") or (args.command == "events" and args.follow)
    try:
        setup_logging(settings, to_stderr=args.command in ("snapshot", "events"))
        if alerting:
            check_alert_command(settings)
    except ConfigError as exc:
        print(f"kmon: {exc}", file=sys.stderr)
        return EXIT_USAGE
    unplaced = unplaced_streams(settings)
    if unplaced and args.command != "demo":
        print(f"kmon: {unplaced}", file=sys.stderr)
        return EXIT_USAGE
    if args.command != "demo":
        for profile in dict.fromkeys(c.profile for c in settings.fleet()):
            named = replace(settings, profile=profile)
            problem = missing_profile(named, from_cli="profile" in cli)
            if problem:
                print(f"kmon: {problem}", file=sys.stderr)
                return EXIT_FAILED
        warning = plain_http_warning(settings.endpoint_url)
        if warning:
            print(f"kmon: warning: {warning}", file=sys.stderr, flush=True)
    try:
        if args.command == "snapshot":
            return run_snapshot(settings, args.timeout, allow_partial=args.allow_partial)
        if args.command == "events":
            return run_events(
                settings,
                follow=args.follow,
                timeout=args.timeout or SNAPSHOT_TIMEOUT,
                allow_partial=args.allow_partial,
            )
        if args.command == "demo":
            return run_demo(settings, args)
        return run_dashboard(settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if settings.debug:
            raise
        from kmon.collector.errors import describe

        print(f"kmon: {describe(exc)}", file=sys.stderr)
        return EXIT_FAILED


def unplaced_streams(settings: Settings) -> str | None:
    """Why no context watched can hold the --stream names asked for; None when one can."""
    from kmon.model.identity import names_in

    contexts = settings.fleet()
    if not settings.streams or any(names_in(settings.streams, c) for c in contexts):
        return None
    labels = ", ".join(c.label for c in contexts)
    return (
        f"--stream {settings.streams[0]}: no context watched is named that (contexts: {labels}); "
        "write REGION/NAME, LABEL:NAME or just NAME"
    )


def missing_profile(
    settings: Settings, from_cli: bool, env: dict[str, str] | None = None
) -> str | None:
    """One line naming the profile and the files read when the profile kmon would use does
    not exist; None when it exists, or when no profile is named."""
    env = dict(os.environ) if env is None else env
    if settings.profile:
        name = settings.profile
        if from_cli:
            origin = "--profile"
        elif env.get("KMON_PROFILE"):
            origin = "KMON_PROFILE"
        else:
            origin = str(config_path(env))
    else:
        origin = next((v for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") if env.get(v)), None)
        if origin is None:
            return None
        name = env[origin]
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    session = botocore.session.Session(profile=name)
    try:
        session.get_scoped_config()
        return None
    except ProfileNotFound:
        pass
    except Exception:  # a config file botocore cannot parse: the collector says so
        return None
    files = []
    for variable, var in (
        ("config_file", "AWS_CONFIG_FILE"),
        ("credentials_file", "AWS_SHARED_CREDENTIALS_FILE"),
    ):
        path = os.path.expanduser(str(session.get_config_variable(variable)))
        notes = [var] if env.get(var) else []
        if not os.path.exists(path):
            notes.append("which does not exist")
        files.append(f"{path} ({', '.join(notes)})" if notes else path)
    return (
        f"AWS profile {name!r} (from {origin}) is not in {files[0]} or {files[1]}: check "
        "the name ('aws configure list-profiles' lists them)"
    )


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and localhost: traffic that never leaves this machine."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def plain_http_warning(endpoint: str | None) -> str | None:
    """What travels in the clear when the endpoint is plain http to another machine."""
    if not endpoint:
        return None
    parsed = urlparse(endpoint)
    if parsed.scheme != "http" or is_loopback(parsed.hostname):
        return None
    return (
        f"{endpoint} is plain http to another machine: every request's signature, access key "
        "id and any session token travel unencrypted (use https, or an emulator on 127.0.0.1)"
    )


def _collector(settings: Settings, emulator: bool = False):
    """A collector per context (account and region), polled together as one fleet."""
    from kmon.collector.clients import MetricsVia
    from kmon.collector.collector import Collector, CollectorOptions
    from kmon.collector.fleet import FleetCollector
    from kmon.model.identity import monitor_of, names_in, split_ref

    contexts = settings.fleet()
    if settings.streams:  # a context none of the --stream names can be in is not asked
        contexts = tuple(c for c in contexts if names_in(settings.streams, c))
    members = []
    monitors = {ctx.label: monitor_of(ctx, contexts) for ctx in contexts}
    for ctx in contexts:
        monitor = monitors[ctx.label]
        # TABLE=STREAM where the stream may name its context (eu-west-1/orders).
        tables = {t: names_in([ref], ctx) for t, ref in settings.kcl_tables.items()}
        options = CollectorOptions(
            metrics_via=None
            if monitor is None
            else MetricsVia(ctx.role_account, monitor.profile, monitor.role_arn),
            profile=ctx.profile,
            region=ctx.region,
            role_arn=ctx.role_arn,
            endpoint_url=settings.endpoint_url,
            refresh=settings.refresh,
            streams=names_in(settings.streams, ctx),
            thresholds=settings.thresholds,
            emulator=emulator,
            kcl_tables={table: names[0] for table, names in tables.items() if names},
            probe_lag=settings.probe_lag,
            prices=settings.pricing,
            # One budget for kmon's whole CloudWatch bill: shared evenly until the contexts'
            # streams are known, then by their streams (FleetCollector).
            budget_usd_per_day=settings.budget / len(contexts),
            max_staleness_sec=settings.max_staleness,
        )
        members.append((ctx, Collector(options)))
    by_label = {ctx.label: collector for ctx, collector in members}
    for ctx, collector in members:
        monitor = monitors[ctx.label]
        if monitor is not None and monitor.label in by_label:
            # Its metrics are read as the monitoring account: within that account's rate.
            collector.budget.share("GetMetricData", by_label[monitor.label].budget)
    bare = [ref for ref in settings.streams if split_ref(ref)[0] is None]
    return FleetCollector(
        members,
        rules=settings.replication,
        refresh_sec=settings.refresh,
        bare=bare,
        budget_usd_per_day=settings.budget,
    )


def check_alert_command(settings: Settings) -> None:
    """Fail at start, not at the first alert, when the alert command cannot be found."""
    command = settings.alerts.command if settings.alerts else ()
    if command and shutil.which(command[0]) is None:
        raise ConfigError(
            f"alerts.command: {command[0]!r} is not an executable file or a program on PATH"
        )


# What a one-shot poll keeps for itself of --timeout: a context slower than the rest is left
# out (and named) in time for the others' answer to be printed.
TIMEOUT_MARGIN_SEC = 1.0


def _first_poll(settings: Settings, timeout: float | None = None):
    """One complete poll: (collector, snapshot, None), or (collector, None, why there is
    nothing to show)."""
    collector = _collector(settings)
    within = None if timeout is None else max(0.5, timeout - TIMEOUT_MARGIN_SEC)
    snapshot = collector.poll(complete=True, timeout=within)
    fatal = collector.fatal_error()
    if fatal:
        return collector, None, fatal
    if settings.streams and not snapshot.streams:
        return (
            collector,
            None,
            f"none of the streams asked for exist in {snapshot.region}: "
            + ", ".join(settings.streams),
        )
    return collector, snapshot, None


def failures(snapshot) -> list[str]:
    """One line per source that failed (consumer kinds kmon could not read are notes), and
    one per context that did not answer in time."""
    slow = [
        f"{c.label}: no complete answer within --timeout: its streams are left out"
        for c in snapshot.contexts
        if c.slow
    ]
    return [f"{e.where}: {e.message}" for e in snapshot.errors if not e.note] + slow


def _where(settings: Settings) -> str:
    if settings.endpoint_url:
        return settings.endpoint_url
    return f"AWS in {settings.region}" if settings.region else "AWS"


def _poll_within(settings: Settings, timeout: float):
    """``_first_poll`` given up at a deadline: (collector, snapshot, None), or (collector or
    None, None, why there is nothing to show)."""
    # The poll runs in a daemon thread so a slow or silent endpoint (each call retried, each
    # waiting its read timeout) cannot hold the command past its deadline.
    outcome: list = []

    def poll() -> None:
        try:
            outcome.append(_first_poll(settings, timeout))
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome.append(exc)

    worker = threading.Thread(target=poll, name="kmon-poll", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return (
            None,
            None,
            f"no complete answer from {_where(settings)} within {timeout:g} s (--timeout): "
            "the endpoint or the network is slow or not answering",
        )
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _exit_status(snapshot, allow_partial: bool) -> int:
    """One stderr line per failed source; partial unless ``allow_partial``."""
    failed = failures(snapshot)
    for line in failed:
        _say(line)
    if failed and not allow_partial:
        return EXIT_PARTIAL
    return EXIT_OK


def run_snapshot(
    settings: Settings, timeout: float = SNAPSHOT_TIMEOUT, allow_partial: bool = False
) -> int:
    _, snapshot, problem = _poll_within(settings, timeout)
    if snapshot is None:
        _say(problem)
        return EXIT_FAILED
    sys.stdout.write(snapshot.to_json() + "\n")
    sys.stdout.flush()
    return _exit_status(snapshot, allow_partial)


# While the collector still has streams to describe, poll again this soon.
EVENTS_FOLLOW_UP_SEC = 1.0


class EventLines:
    """Prints events one JSON object per line, oldest first, each only once."""

    # Events a snapshot holds at most, twice over: what was printed is remembered that long.
    REMEMBERED = 1000

    def __init__(self, out) -> None:
        self.out = out
        self._printed: set = set()
        self._order: deque = deque()

    def write_new(self, events) -> int:
        """``events`` newest first, as a snapshot holds them; prints those not printed yet
        (with several contexts a slow one's events can come in between ones printed)."""
        new = [e for e in events if e not in self._printed]
        for event in reversed(new):
            self.out.write(event.to_json() + "\n")
            self._printed.add(event)
            self._order.append(event)
            if len(self._order) > self.REMEMBERED:
                self._printed.discard(self._order.popleft())
        if new:
            self.out.flush()
        return len(new)


def run_events(
    settings: Settings,
    follow: bool,
    timeout: float = SNAPSHOT_TIMEOUT,
    allow_partial: bool = False,
) -> int:
    """Without ``follow``: one poll within ``timeout``, its events, and the exit status of
    ``kmon snapshot``. With it: poll until stopped (sources failing are told as they fail)."""
    previous = {}
    if follow and threading.current_thread() is threading.main_thread():
        # From the start, not from the first poll's end: a SIGTERM that comes while the first
        # events are printed ends --follow as cleanly as Ctrl-C. SIGINT too, explicitly: a
        # process started in the background by a script inherits it ignored.
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, _interrupt)
    try:
        if follow:
            collector, snapshot, problem = _first_poll(settings)
        else:
            collector, snapshot, problem = _poll_within(settings, timeout)
        if snapshot is None:
            _say(problem)
            return EXIT_FAILED
        lines = EventLines(sys.stdout)
        lines.write_new(snapshot.events)
        if not follow:
            return _exit_status(snapshot, allow_partial)
        _follow(settings, collector, snapshot, lines)
        return EXIT_OK
    except KeyboardInterrupt:
        if follow:
            return 0  # how --follow is meant to end
        raise
    except BrokenPipeError:
        # The reader went away (kmon events --follow | head -1): nothing more to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _say(message: str) -> None:
    print(f"kmon: {message}", file=sys.stderr, flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _follow(settings: Settings, collector, snapshot, lines: EventLines) -> None:
    """Poll every refresh interval until Ctrl-C (or SIGTERM, see run_events) raises
    KeyboardInterrupt."""
    alerts = None
    try:
        if settings.alerts is not None and settings.alerts.command:
            from kmon.alerts import Alerts

            alerts = Alerts(settings.alerts, on_failure=_say)
        errors: set[str] = set()
        while True:
            started = time.monotonic()
            now = {f"{e.where}: {e.message}" for e in snapshot.errors}
            for line in sorted(now - errors):
                _say(line)
            errors = now
            if alerts is not None:
                alerts.check(snapshot)
            wait = EVENTS_FOLLOW_UP_SEC if snapshot.pending else settings.refresh
            time.sleep(max(0.0, started + wait - time.monotonic()))
            snapshot = collector.poll()
            lines.write_new(snapshot.events)
    finally:
        if alerts is not None:
            alerts.close()


def run_dashboard(settings: Settings, emulator: bool = False) -> int:
    from kmon.ui.app import KmonApp

    collector = _collector(settings, emulator)
    context = {
        "region": settings.region,
        "endpoint": settings.endpoint_url,
        "profile": settings.profile,
    }
    alerts = None
    if settings.alerts is not None:
        from kmon.alerts import Alerts

        alerts = Alerts(settings.alerts)
    app = KmonApp(
        collector.poll,
        focus=collector.set_focus,
        retry=collector.retry_now,
        refresh_sec=settings.refresh,
        context=context,
        thresholds=settings.thresholds,
        wall=settings.wall,
        cycle_sec=settings.cycle,
        keymap=settings.keys,
        alerts=alerts,
    )
    try:
        app.run()
    finally:
        if alerts is not None:
            alerts.close()
    return app.return_code or 0


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from kmon.demo import DemoWorld, demo_available
        from kmon.demo.emulator import (
            MOTO_VERSION,
            PortInUse,
            installed_moto_version,
            moto_version_problem,
        )
    except ImportError:
        demo_available = None  # type: ignore[assignment]
    if demo_available is None or not demo_available():
        pin = f"=={MOTO_VERSION}" if demo_available is not None else ""
        _say(
            "the demo needs moto (the demo extra); in the kmon checkout run: "
            f"pip install '.[demo]'  (or: pip install 'moto[server]{pin}')"
        )
        return EXIT_FAILED
    problem = moto_version_problem(installed_moto_version())
    if problem:
        _say(problem)
        return EXIT_FAILED
    world = DemoWorld(seed=args.seed, port=args.port)
    try:
        world.start()
    except PortInUse as exc:
        reason = exc.strerror or exc
        _say(f"cannot start the demo: {reason}: pick another with --port, or leave it out")
        world.stop()
        return EXIT_FAILED
    except OSError as exc:
        _say(f"cannot start the demo: {exc.strerror or exc}")
        world.stop()
        return EXIT_FAILED
    try:
        if args.serve:
            return _serve(world)
        # The demo is livelier than the 60 s default unless a refresh was asked for.
        refresh = DEMO_REFRESH if getattr(args, "refresh", None) is None else settings.refresh
        regions = world.regions
        demo_settings = replace(
            settings,
            endpoint_url=world.endpoint,
            region=world.region,
            regions=regions if len(regions) > 1 else (),
            profile=None,
            profiles=(),
            contexts=(),  # the file's accounts and regions are for the user's own fleet
            replication=(),
            refresh=refresh,
        )
        return run_dashboard(demo_settings, emulator=True)
    finally:
        world.stop()


def _serve(world) -> int:
    print(f"KMON_ENDPOINT={world.endpoint}")
    print("watch it from another terminal with:")
    where = " ".join(f"--region {r}" for r in world.regions)
    print(f"  kmon --endpoint-url {world.endpoint} {where}")
    print(f"  kmon snapshot --endpoint-url {world.endpoint} {where}")
    print("Ctrl-C stops the world.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0
