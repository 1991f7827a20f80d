"""An administrator's first day, exactly as the README tells it.

The commands are parsed out of the README's "Running the relay for real" code block, so the
README and this test cannot drift: every line runs as a real process (the relay, the admin's
certifying device, the clerk's and a councillor's devices) on a fresh data directory. The only
changes are the ones a test must make: a temporary directory for ``/var/lib/furano-relay``, an
ephemeral port on 127.0.0.1 and ``ws://`` for ``wss://relay.example``.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.relay_process import ROOT
from tests.pdfs import demo_documents

README = ROOT / "README.md"
SECTION = "## Running the relay for real"
PROGRAMS = {
    "furano-relay": [sys.executable, "-m", "server"],
    "furano-meet": [sys.executable, "-m", "furano_meet.cli"],
}
READY = re.compile(r"Relay ready at (\S+)|\[online\]")


@dataclass
class Step:
    argv: list[str]
    background: bool = False
    prints: str = ""
    """The placeholder (``<NAME>``) this command's output fills in for later steps."""


def readme_steps() -> list[Step]:
    """The walkthrough: the first ``sh`` block of the section that runs ``furano-relay``."""
    section = README.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    block = next(b for b in blocks if "furano-relay" in b and "serve" in b)
    steps = []
    for line in block.splitlines():
        command, _, comment = line.partition("  #")
        if not command.strip() or command.lstrip().startswith(("#", "pip ")):
            continue
        prints = re.search(r"prints (<[A-Z0-9-]+>)", comment)
        words = shlex.split(command)
        background = words[-1] == "&"
        steps.append(
            Step(words[:-1] if background else words, background, prints[1] if prints else "")
        )
    return steps


@dataclass
class Walk:
    cwd: Path
    data: Path
    env: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    services: list[subprocess.Popen[str]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def argv(self, step: Step) -> list[str]:
        test_values = {
            **self.values,
            "wss://relay.example": self.values.get("url", ""),
            **({"8765": "0"} if "serve" in step.argv else {}),  # an ephemeral port
        }
        words = [w.replace("/var/lib/furano-relay", str(self.data)) for w in step.argv[1:]]
        return [*PROGRAMS[step.argv[0]], *(test_values.get(w, w) for w in words)]

    def run(self, step: Step) -> None:
        argv = self.argv(step)
        if step.background:
            self.start(argv)
            return
        done = subprocess.run(
            argv,
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        self.outputs.append(done.stdout)
        assert done.returncode == 0, f"{shlex.join(step.argv)}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        if step.prints:
            self.values[step.prints] = done.stdout.strip().splitlines()[-1]

    def start(self, argv: list[str]) -> None:
        proc = subprocess.Popen(
            argv,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.services.append(proc)
        assert proc.stdout is not None
        for line in proc.stdout:
            if found := READY.search(line):
                if found[1]:
                    self.values["url"] = found[1]
                return
        raise AssertionError(f"{shlex.join(argv)} stopped (exit {proc.wait()})")

    def stop(self) -> list[int]:
        """Ctrl+C each service, newest first, as the administrator would; their exit codes."""
        codes = []
        for proc in reversed(self.services):
            proc.send_signal(signal.SIGINT)
            try:
                codes.append(proc.wait(timeout=30))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
            if proc.stdout is not None:
                proc.stdout.close()
        return codes


def test_the_readme_names_the_steps_this_test_runs() -> None:
    steps = readme_steps()
    commands = [" ".join(s.argv) for s in steps]
    assert any("add-user furano admin" in c for c in commands), "the admin user is added"
    serve = next(i for i, s in enumerate(steps) if "serve" in s.argv)
    enrol = min(i for i, s in enumerate(steps) if "enrol" in s.argv)
    assert serve < enrol, "the relay serves before anyone enrols"
    certify = next(i for i, s in enumerate(steps) if "--certify" in s.argv)
    assert steps[certify].background and "admin" in steps[certify].argv
    assert {s.prints for s in steps} >= {"<FINGERPRINT>", "<ADMIN-INVITATION>"}


@pytest.mark.slow
def test_the_readme_walkthrough_runs_on_a_fresh_data_directory(tmp_path: Path) -> None:
    _, pdf = demo_documents()[0]
    (tmp_path / "議案第12号.pdf").write_bytes(pdf)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "XDG_DATA_HOME": str(tmp_path / "home"),
        "FURANO_MEET_PASSPHRASE": "first-day test passphrase",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    walk = Walk(cwd=tmp_path, data=tmp_path / "relay", env=env)
    try:
        for step in readme_steps():
            walk.run(step)
    finally:
        codes = walk.stop()
    assert "document ready" in walk.outputs[-2]
    assert "議案第12号 補正予算" in walk.outputs[-1]
    assert codes == [0, 0], "Ctrl+C stops the relay and the admin's device cleanly"
