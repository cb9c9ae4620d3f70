"""Every state's look in one place: a word and a marker besides the colour, so a monochrome
terminal or a colour-blind eye reads the same thing."""

from __future__ import annotations

from rich.text import Text

from kmon.model.health import Health

LEVEL_STYLE = {Health.WARN: "yellow", Health.CRIT: "bold red"}

HEALTH_STYLE = {
    Health.OK: ("✓ OK", "bold green"),
    Health.WARN: ("▲ WARN", "bold yellow"),
    Health.CRIT: ("✖ CRIT", "bold red"),
    Health.UNKNOWN: ("? UNKNOWN", "dim"),
}

# A consumer's lag status (model.lag.LagStatus values).
STATUS_STYLE = {
    "ok": ("✓ OK", "green"),
    "warn": ("▲ WARN", "yellow"),
    "err": ("✖ ERR", "bold red"),
    "stall": ("■ STALL", "bold red"),
    "stop": ("■ STOP", "bold red"),
    "unknown": ("? UNKNOWN", "dim"),
}

# A context's standing (model.snapshot.ContextStatus.status), in the header and on the wall.
CONTEXT_STYLE = {"ok": ("ok", "green"), "error": ("ERR", "bold red"), "slow": ("slow", "yellow")}

# The colour of a consumer's lag figure by its status (ok: the default colour).
LAG_STYLE = {"warn": "yellow", "err": "bold red", "stall": "bold red", "stop": "bold red"}


def status_text(status) -> Text:
    """A consumer or lease status (LagStatus) as marker, word and colour."""
    value = str(getattr(status, "value", status))
    label, style = STATUS_STYLE.get(value, (value.upper(), ""))
    return Text(label, style=style)
