"""`kmon demo` at start: the exact moto it needs, and a busy --port said in one line."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from kmon.demo import emulator
from tests.cli.test_cli import run

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture
def busy_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_a_busy_port_is_one_kmon_line(busy_port):
    r = run("demo", "--serve", "--port", str(busy_port), timeout=60)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (
        f"kmon: cannot start the demo: port {busy_port} on 127.0.0.1 is in use: pick another "
        "with --port, or leave it out\n"
    )


def test_a_port_taken_after_the_check_is_still_said_once(busy_port, monkeypatch, capfd):
    """werkzeug prints its own lines when it cannot bind; kmon keeps them off the terminal."""
    monkeypatch.setattr(emulator, "check_port", lambda port: None)
    with pytest.raises(emulator.PortInUse, match=f"port {busy_port} on 127.0.0.1 is in use"):
        emulator.start_server(busy_port)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_another_moto_is_refused_naming_the_one_to_install(in_process, monkeypatch, capsys):
    monkeypatch.setattr(emulator, "installed_moto_version", lambda: "5.1.0")

    def no_world(*args, **kwargs):
        raise AssertionError("the world must not start on another moto")

    monkeypatch.setattr("kmon.demo.DemoWorld", no_world)
    assert in_process.main(["demo"]) == 1
    v = emulator.MOTO_VERSION
    assert capsys.readouterr().err == (
        f"kmon: the demo needs moto=={v} (found 5.1.0): pip install 'moto[server]=={v}'\n"
    )


def test_the_version_check():
    v = emulator.MOTO_VERSION
    assert emulator.moto_version_problem(v) is None
    assert emulator.moto_version_problem("5.2.4") == (
        f"the demo needs moto=={v} (found 5.2.4): pip install 'moto[server]=={v}'"
    )
    assert "(not installed)" in emulator.moto_version_problem(None)


def test_pyproject_pins_the_moto_the_demo_needs_and_it_is_installed():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    pin = f"moto[server]=={emulator.MOTO_VERSION}"
    assert pin in extras["demo"] and pin in extras["test"]
    assert emulator.installed_moto_version() == emulator.MOTO_VERSION


def test_without_moto_it_says_how_to_install_it_pinned(tmp_path):
    fake = tmp_path / "moto"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('no moto here')\n")
    r = run("demo", env_extra={"PYTHONPATH": str(tmp_path)})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"pip install 'moto[server]=={emulator.MOTO_VERSION}'" in r.stderr
