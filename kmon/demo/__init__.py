"""The demo world: a simulated Kinesis fleet on moto's server, in-process.

`kmon demo` starts one and points the dashboard at its endpoint. Importing this package does
not import moto; `demo_available()` says whether it can be.
"""

from __future__ import annotations

import importlib.util
import logging

from .world import DemoWorld

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["DemoWorld", "demo_available"]


def demo_available() -> bool:
    """True when moto (with its server extra) can be imported."""
    try:
        return (
            importlib.util.find_spec("moto") is not None
            and importlib.util.find_spec("moto.server") is not None
            and importlib.util.find_spec("werkzeug") is not None
        )
    except (ImportError, ValueError):
        return False
