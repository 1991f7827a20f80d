"""``python3 dev.py run`` as a person uses it: Ctrl+C stops it cleanly, restarts reuse invitations.

The demo runs under ``dev.supervise`` (what ``dev.py run`` calls once the venv exists) in its own
session, and Ctrl+C is sent to that session's process group, as a terminal does.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from furano_meet.cli import main as furano_meet
from tests.e2e.relay_process import ROOT, free_port

INVITATION = re.compile(r"^\s+(iincho|giin\d)\s.*?(\S+/\S+)\s*$")


class Demo:
    """One run of the demo under ``dev.supervise``."""

    def __init__(self, data: Path, port: int) -> None:
        code = (
            "import sys, dev\n"
            "sys.exit(dev.supervise([sys.executable, '-m', 'furano_meet.demo', "
            f"'--data', {str(data)!r}, '--port', '{port}']))"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        self.url = ""
        self.invitations: dict[str, str] = {}
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if found := INVITATION.match(line):
                self.invitations[found[1]] = found[2]
            if found := re.search(r"demo relay — (\S+)", line):
                self.url = found[1]
            if "Demo ready" in line:
                return
        raise AssertionError(f"the demo did not start: {self.proc.communicate()}")

    def ctrl_c(self) -> tuple[int, str, str]:
        """Ctrl+C in the terminal: SIGINT to the foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, out, err


def test_ctrl_c_stops_the_demo_cleanly_and_restarts_reuse_unused_invitations(
    tmp_path: Path,
) -> None:
    data, port = tmp_path / "demo", free_port()  # one port: the demo's devices remember it
    first = Demo(data, port)
    code, out, err = first.ctrl_c()
    assert (code, "Traceback" in err, "KeyboardInterrupt" in err) == (0, False, False), err
    assert "Demo stopped." in out

    second = Demo(data, port)
    assert second.invitations == first.invitations, "unused, unexpired invitations are reused"
    devices = str(tmp_path / "tablet")
    enrol = ["--data", devices, "--profile", "giin1", "enrol", second.url]
    assert furano_meet([*enrol, second.invitations["giin1"]]) == 0
    assert second.ctrl_c()[0] == 0

    third = Demo(data, port)
    assert third.ctrl_c()[0] == 0
    assert third.invitations["giin1"] != second.invitations["giin1"], "a used one is replaced"
    others = {u: i for u, i in third.invitations.items() if u != "giin1"}
    assert others == {u: i for u, i in first.invitations.items() if u != "giin1"}
