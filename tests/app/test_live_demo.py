"""``python3 dev.py run``'s entry point: two windows with a display, the headless demo without."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from furano_meet.app.live_demo import NO_DISPLAY, has_display
from tests.e2e.relay_process import ROOT, free_port


def test_a_display_is_recognised_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert has_display() is (sys.platform in ("win32", "darwin"))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="these always have a display")
def test_without_a_display_it_says_so_and_runs_the_headless_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    argv = ["--data", str(tmp_path / "demo"), "--port", str(free_port())]
    proc = subprocess.Popen(
        [sys.executable, "-m", "furano_meet.app.live_demo", *argv],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "Demo ready" in line:
            break
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0, "".join(lines)
    proc.stdout.close()
    assert lines[0].strip() == NO_DISPLAY
    assert any("Demo ready" in line for line in lines)
