"""For tests that call kmon.cli.main in-process."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def in_process(monkeypatch):
    """main() without its process-wide side effects (the root logger's handlers) and with no
    KMON_* setting, AWS profile or config file from the machine running the tests."""
    from kmon import cli

    monkeypatch.setattr(cli, "setup_logging", lambda *args, **kwargs: None)
    for name in list(os.environ):
        if name.startswith("KMON_") or name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    return cli
