"""Run the relay as a real separate process (for kill -9, CLI and TLS scenarios)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(data_dir: Path, *args: str) -> str:
    """Run ``python -m server`` admin commands against ``data_dir``; returns stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "server", "--data", str(data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"furano-relay {' '.join(args)} failed: {done.stderr}")
    return done.stdout


class RelayProcess:
    def __init__(self, data_dir: Path, *extra: str, port: int = 0) -> None:
        self.data_dir = data_dir
        self.extra = extra
        self.port = port
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 20.0) -> RelayProcess:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "--data",
                str(self.data_dir),
                "serve",
                "--port",
                str(self.port),
                *self.extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            found = re.search(r"Relay ready at (\S+)", line)
            if found:
                self.url = found.group(1)
                return self
        self.kill()
        raise RuntimeError("the relay process did not start")

    def kill(self) -> None:
        """``kill -9``: no shutdown handlers, no flushing — what a power cut looks like."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seeded(data_dir: Path) -> Path:
    """A relay data directory holding the demo council (see server/demo.py)."""
    from server import demo
    from server.store import Store

    store = Store(data_dir / "relay.sqlite3")
    store.open()
    try:
        demo.seed(store)
    finally:
        store.close()
    return data_dir
