#!/usr/bin/env python3
"""One-file bootstrap: the two commands in the README.

    python3 dev.py run    # set up, then run the main job: the demo council in two app windows
    python3 dev.py run --tour DIR   # the same, offscreen and scripted: screenshots + tour.json
    python3 dev.py test   # set up, then lint, type-check and run every test

Why a script and not a Makefile: the only thing a fresh machine is promised is Python 3.11+.
The virtual environment lives in ``.venv`` beside this file and is rebuilt only when
``pyproject.toml`` changes (a hash stamp), so the second run starts in well under a second.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
EXTRAS = {"run": "app", "test": "dev"}


def _ensure_venv(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on old Pythons
        sys.exit(f"Furano Meet needs Python 3.11 or newer (this is {sys.version.split()[0]}).")  # noqa: UP032
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extra}-{digest}"
    if stamp.exists():
        return
    if not PY.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"Installing Furano Meet with its [{extra}] dependencies …", flush=True)
    subprocess.run(
        [
            str(PY),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f".[{extra}]",
        ],
        cwd=ROOT,
        check=True,
    )
    for old in VENV.glob(f".installed-{extra}-*"):
        old.unlink()
    stamp.touch()


def _run(*args: str) -> int:
    print("$", " ".join(args), flush=True)
    return supervise([str(PY), *args])


def supervise(argv: list[str]) -> int:
    """Run ``argv`` until it exits; Ctrl+C and SIGTERM are the child's to handle, not ours.

    Why not ``subprocess.run``: on Ctrl+C it raises ``KeyboardInterrupt`` here (a traceback) and
    SIGKILLs the child 0.25 s later, before the relay has finished what it acknowledged. On POSIX
    the child runs in its own process group, so a Ctrl+C reaches it exactly once: through us
    (a second SIGINT would cut asyncio's clean shutdown short). On Windows the console delivers
    Ctrl+C to both of us; we only ignore ours.
    """
    posix = os.name == "posix"
    child = subprocess.Popen(argv, cwd=ROOT, process_group=0 if posix else None)

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        if posix and child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    _ensure_venv(EXTRAS[command])
    if command == "run":
        return _run("-m", "furano_meet.app.live_demo", *rest)  # headless demo without a display
    for step in (
        ("-m", "ruff", "check", "."),
        ("-m", "ruff", "format", "--check", "."),
        ("-m", "mypy"),
    ):
        if code := _run(*step):
            return code
    return _run("-X", "dev", "-m", "pytest", *(rest or ["-q"]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
