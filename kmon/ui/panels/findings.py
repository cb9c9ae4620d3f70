"""The detail screen's findings strip: what is wrong, the evidence, the command, on a fixed
number of rows (and a green line when nothing is), so the panels below stay where they are.
``f`` opens every finding with its advice; ``c`` copies the command."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from kmon.model.findings import Finding
from kmon.ui.widgets.findings import headline

HINT = "f: all findings with advice · c: copy the command"


def findings_rows(findings: Sequence[Finding], now: float) -> list[Text]:
    """Three rows: the first finding and its evidence, then the second finding or the first
    one's command. Rows are cut to the width with an ellipsis, never wrapped."""
    if not findings:
        return [Text("✓ no findings: nothing wrong seen", style="green")]
    n = len(findings)
    first = findings[0]
    rows = [headline(first, now, f"[1/{n}]" if n > 1 else "")]
    evidence = Text("  ")
    evidence.append("evidence ", style="dim")
    evidence.append(first.evidence)
    rows.append(evidence)
    if n > 1:
        rows.append(headline(findings[1], now, f"[2/{n}]"))
    elif first.command:
        command = Text("  ")
        command.append("$ ", style="dim")
        command.append(first.command, style="bold cyan")
        rows.append(command)
    else:
        rows.append(Text("  ") + Text(HINT, style="dim"))
    return rows


class FindingsStrip(Static):
    DEFAULT_CSS = """
    FindingsStrip { height: 3; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, findings: Sequence[Finding], now: float) -> None:
        self.set_class(not findings, "-clear")
        self.update(Text("\n").join(findings_rows(findings, now)))
