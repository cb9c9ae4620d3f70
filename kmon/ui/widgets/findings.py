"""Findings as text: what is wrong, the evidence, what to do, and the command to copy."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from kmon.model.findings import Finding
from kmon.ui import format as fmt


def since_text(since: int | None, now: float) -> str:
    if since is None:
        return ""
    return f"since {fmt.clock_hm(since)} ({fmt.compact_duration(max(0.0, now - since))})"


def headline(f: Finding, now: float, number: str = "") -> Text:
    """``[1/2] ✖ CRIT hot-shard  since 11:00 (3h00m)  cause``: one line, AWS text literal."""
    label, style = fmt.HEALTH_STYLE[f.severity]
    t = Text()
    if number:
        t.append(f"{number} ", style="bold")
    # Spaces end a styled span rather than start an unstyled one: some renderers (the SVG
    # export) drop leading spaces of a span.
    t.append(f"{label} ", style=style)
    t.append(f"{f.code}  ", style="bold")
    when = since_text(f.since, now)
    if when:
        t.append(f"{when}  ", style="dim")
    t.append(f.cause)
    return t


def finding_text(f: Finding, now: float, *, number: int | None = None, full: bool = True) -> Text:
    """Severity, code and since on the first line with the cause; then the evidence, the
    advice and the command (AWS text literal, never markup)."""
    t = headline(f, now, "" if number is None else f"[{number}]")
    t.append("\n  evidence  ", style="dim")
    t.append(f.evidence)
    if full:
        t.append("\n  do        ", style="dim")
        t.append(f.advice)
    if f.command:
        t.append("\n  $ ", style="dim")
        t.append(f.command, style="bold cyan")
    return t


def findings_text(findings: Sequence[Finding], now: float, *, full: bool = True) -> Text:
    if not findings:
        return Text("✓ no findings: nothing wrong seen", style="green")
    return Text("\n").join(
        finding_text(f, now, number=i + 1 if len(findings) > 1 else None, full=full)
        for i, f in enumerate(findings)
    )
