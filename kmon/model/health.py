"""A stream's health: ok / warn / crit / unknown. The rules that judge it are in rules.py."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Health(str, Enum):
    OK = "ok"
    WARN = "warn"
    CRIT = "crit"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Worst first when sorting descending: crit > warn > unknown > ok."""
        return {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}[self.value]


def worst(levels: Iterable[Health], default: Health = Health.OK) -> Health:
    return max(levels, key=lambda h: h.rank, default=default)
