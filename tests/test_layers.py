"""The layer rules of DESIGN.md, enforced: data layers never import the UI, the UI never boto3.

Two checks that catch different things: import-linter reads the source, so an import inside a
function counts; the subprocess checks see what importing a layer really loads, through
third-party packages and dynamic imports too.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import kmon

ROOT = Path(__file__).resolve().parent.parent
# import-linter's command, run by this interpreter (its script may not be on PATH).
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _modules(package: str) -> list[str]:
    pkg = __import__(package, fromlist=["_"])
    return [package] + [
        f"{package}.{m.name}" for m in pkgutil.walk_packages(pkg.__path__) if not m.ispkg
    ]


def _imported_after(modules: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def _top(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


@pytest.mark.parametrize("package", ["kmon.model", "kmon.collector"])
def test_data_layers_never_import_textual(package):
    loaded = _imported_after(_modules(package))
    assert "textual" not in _top(loaded)
    assert not any(m.startswith("kmon.ui") for m in loaded)


def test_model_imports_nothing_of_kmon_outside_model_and_no_io_libraries():
    loaded = _imported_after(_modules("kmon.model"))
    assert not {"boto3", "botocore", "textual", "cachetools"} & _top(loaded)
    assert not any(m.startswith(("kmon.collector", "kmon.ui", "kmon.demo")) for m in loaded)


def test_ui_never_imports_boto3():
    loaded = _imported_after(_modules("kmon.ui"))
    assert not {"boto3", "botocore"} & _top(loaded)
    assert not any(m.startswith("kmon.collector") for m in loaded)


def test_import_contracts_in_pyproject_are_kept():
    # --no-cache: nothing written into the tree, nothing stale read from it.
    r = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 0 broken." in r.stdout


def test_package_version_is_exposed():
    assert kmon.__version__.count(".") == 2


def test_alert_hooks_never_import_the_ui_and_the_ui_never_runs_them():
    loaded = _imported_after(["kmon.alerts"])
    assert "textual" not in _top(loaded)
    assert not any(m.startswith(("kmon.ui", "kmon.collector")) for m in loaded)
    assert "kmon.alerts" not in _imported_after(_modules("kmon.ui"))
