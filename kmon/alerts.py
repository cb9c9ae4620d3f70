"""Alert hooks: the ``[alerts]`` command, run with each alert's JSON on stdin.

``AlertPolicy`` (kmon/model/alerting.py) decides what alerts; ``AlertRunner`` runs the
configured command for each, never on the caller's thread: one command at a time per stream
(an alert for a stream whose command still runs is skipped and logged), killed with its whole
process group at ``timeout_sec``, its output kept off the terminal, failures logged and
reported through ``on_failure``. ``Alerts`` puts the two together for the dashboard and
``kmon events --follow``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence

from kmon.model.alerting import Alert, AlertPolicy, AlertSettings
from kmon.model.snapshot import FleetSnapshot

log = logging.getLogger("kmon.alerts")

POSIX = os.name == "posix"
# The tail of a failed command's output quoted in its failure message.
OUTPUT_TAIL = 200


class AlertRunner:
    def __init__(
        self,
        command: Sequence[str],
        timeout_sec: float,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.command = tuple(command)
        self.timeout_sec = timeout_sec
        self.on_failure = on_failure
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._closed = False

    def run(self, alert: Alert) -> bool:
        """Start the command for ``alert`` in the background; False when skipped."""
        with self._lock:
            if self._closed:
                return False
            running = self._threads.get(alert.subject)
            if running is not None and running.is_alive():
                log.warning(
                    "alert for %s (%s) skipped: the command for its previous alert still runs",
                    alert.subject,
                    alert.to,
                )
                return False
            thread = threading.Thread(
                target=self._run,
                args=(alert,),
                name=f"kmon-alert-{alert.subject}",
                daemon=True,
            )
            self._threads[alert.subject] = thread
            thread.start()
        return True

    def running(self) -> list[str]:
        """Streams whose command still runs."""
        with self._lock:
            return [s for s, t in self._threads.items() if t.is_alive()]

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every running command; False if some still run after ``timeout``."""
        with self._lock:
            threads = list(self._threads.values())
        for t in threads:
            t.join(timeout)
        return not any(t.is_alive() for t in threads)

    def close(self, timeout: float = 2.0) -> None:
        """Kill every running command (kmon is exiting) and start no more."""
        with self._lock:
            self._closed = True
            procs = list(self._procs.values())
        for proc in procs:
            _kill(proc)
        self.wait(timeout)

    # -- the background thread ------------------------------------------------------------

    def _run(self, alert: Alert) -> None:
        try:
            self._execute(alert)
        except Exception:  # a hook must never take kmon down
            log.exception("alert command for %s failed", alert.subject)
        finally:
            with self._lock:
                if self._threads.get(alert.subject) is threading.current_thread():
                    del self._threads[alert.subject]

    def _execute(self, alert: Alert) -> None:
        data = (alert.to_json() + "\n").encode()
        with tempfile.TemporaryFile() as output:
            try:
                proc = subprocess.Popen(
                    self.command,
                    stdin=subprocess.PIPE,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    # Its own process group: a timeout kills everything it started.
                    start_new_session=POSIX,
                )
            except OSError as exc:
                self._fail(f"alert command {self.command[0]!r} could not start: {exc}")
                return
            with self._lock:
                self._procs[alert.subject] = proc
                closed = self._closed
            if closed:  # kmon began exiting while it started
                _kill(proc)
            log.info("alert command for %s started (pid %d)", alert.subject, proc.pid)
            try:
                proc.communicate(data, timeout=self.timeout_sec)
            except subprocess.TimeoutExpired:
                _kill(proc)
                proc.wait()
                self._fail(f"alert command for {alert.subject} killed after {self.timeout_sec:g} s")
                return
            finally:
                with self._lock:
                    self._procs.pop(alert.subject, None)
            output.seek(0)
            text = output.read().decode(errors="replace").strip()
        if text:
            log.debug("alert command for %s said: %s", alert.subject, text)
        rc = proc.returncode
        if rc == 0:
            log.info("alert command for %s done", alert.subject)
            return
        if rc < 0 and self._closed:
            log.info("alert command for %s killed: kmon is exiting", alert.subject)
            return
        how = f"was killed by signal {-rc}" if rc < 0 else f"exited {rc}"
        tail = text.splitlines()[-1][-OUTPUT_TAIL:] if text else ""
        self._fail(f"alert command for {alert.subject} {how}" + (f": {tail}" if tail else ""))

    def _fail(self, message: str) -> None:
        log.warning("%s", message)
        callback = self.on_failure
        if callback is not None:
            try:
                callback(message)
            except Exception:
                log.exception("reporting an alert command failure failed")


def _kill(proc: subprocess.Popen) -> None:
    """Kill the command and whatever it started."""
    try:
        if POSIX:
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


class Alerts:
    """The policy and the runner together: ``check`` each snapshot as it arrives."""

    def __init__(self, settings: AlertSettings, on_failure: Callable[[str], None] | None = None):
        self.settings = settings
        self.policy = AlertPolicy(settings)
        self.runner = (
            AlertRunner(settings.command, settings.timeout_sec, on_failure)
            if settings.command
            else None
        )
        self._on_failure = on_failure

    @property
    def on_failure(self) -> Callable[[str], None] | None:
        return self._on_failure

    @on_failure.setter
    def on_failure(self, callback: Callable[[str], None] | None) -> None:
        self._on_failure = callback
        if self.runner is not None:
            self.runner.on_failure = callback

    def check(self, snapshot: FleetSnapshot) -> list[Alert]:
        """The alerts this snapshot raises, their commands started (never waited for)."""
        fired = self.policy.update(snapshot)
        for alert in fired:
            log.info("alert %s", alert.to_json())
            if self.runner is not None:
                self.runner.run(alert)
        return fired

    def close(self) -> None:
        if self.runner is not None:
            self.runner.close()
