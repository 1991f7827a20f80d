"""The app as its own process: start → meeting list shown, and its memory with a big book open.

The parent (the benchmark, which runs the demo relay) starts ``python -m bench.app_process
MODE …`` with ``QT_QPA_PLATFORM=offscreen`` and the profile's passphrase in the environment, and
reads the child's stdout for one marker line per step:

* ``start DATA PROFILE`` — the real ``python -m furano_meet.app`` entry point (:func:`main` of
  ``furano_meet.app.__main__``) on an enrolled profile, plus a 2 ms timer that prints
  ``meeting list shown`` once a visible main window lists a meeting, then closes the window (the
  app then stops as a user's close would). Measured from ``Popen`` to that line.
  **Baseline**: ``bare`` — a Qt process that shows one ``QListWidget`` row (Python, PySide6 and a
  first window: what no app can start faster than).
* ``visit DATA PROFILE DOC VERSION PAGES`` — the app's session and main window on the profile;
  prints ``ready`` once the meeting list shows, waits for a line on stdin, opens the document,
  turns through ``PAGES`` pages (each painted), prints ``visited`` and waits again. The parent
  reads the RSS of the child and all its descendants (the render worker, once it is a process)
  with psutil at both points: before the book opens is the baseline.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import psutil  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

PASSPHRASE_ENV = "FURANO_MEET_PASSPHRASE"
SHOWN = "meeting list shown"
TIMEOUT = 120.0


# -- the parent's side -------------------------------------------------------------------------


class AppProcess:
    """A child started with ``python -m bench.app_process``; lines are awaited, not polled."""

    def __init__(
        self,
        *args: str,
        passphrase: str = "",
        module: str = "bench.app_process",
        env: dict[str, str] | None = None,
    ) -> None:
        """``python -m module *args``; ``env`` adds variables (the app tests' probe)."""
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            PASSPHRASE_ENV: passphrase,
            **(env or {}),
        }
        root = Path(__file__).resolve().parents[1]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    async def line(self, marker: str) -> float:
        """perf_counter when the child printed ``marker`` (its earlier lines are skipped)."""
        await self.first(lambda text: text == marker, marker)
        return time.perf_counter()

    async def first(
        self, wanted: Callable[[str], bool], what: str, timeout: float = TIMEOUT
    ) -> str:
        """The next line (stripped) of the child's stdout that ``wanted`` accepts."""
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                text = await asyncio.to_thread(self.proc.stdout.readline)
                if not text:
                    raise RuntimeError(f"the app process ended before {what!r}: {self.errors()}")
                if wanted(text.strip()):
                    return text.strip()

    def tell(self, text: str = "go") -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def rss(self) -> int:
        """Resident bytes of the child and every process it started."""
        parent = psutil.Process(self.proc.pid)
        return int(sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]))

    def errors(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return str(self.proc.stderr.read())[-2000:]

    async def finish(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 30)
        except TimeoutError:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait)


async def start_seconds(
    data: Path, profile: str, passphrase: str, runs: int = 5
) -> tuple[float, float]:
    """(bare Qt window, the app's meeting list): seconds from ``Popen`` to shown, the median of
    ``runs`` starts each, taken in turns. One start is one sample of a process launch on a
    shared 2-core machine: single runs of the same commit spread 1.6–2.7 s.

    Our packages' bytecode is compiled first (:func:`compile_ours`), as an installed app has it."""
    await compile_ours()
    bare: list[float] = []
    app: list[float] = []
    for _ in range(runs):
        child = AppProcess("bare")
        bare.append(await child.line(SHOWN) - child.started)
        await child.finish()
        child = AppProcess("start", str(data), profile, passphrase=passphrase)
        app.append(await child.line(SHOWN) - child.started)
        await child.finish()
    return statistics.median(bare), statistics.median(app)


async def compile_ours() -> None:
    """Write our packages' bytecode beside their sources (``__pycache__``, ignored by git), as
    a wheel install or the frozen app has it: this repository runs from source with
    ``PYTHONDONTWRITEBYTECODE=1`` set on the machine, so every measured start compiled ~200 of
    our modules again (~0.2 s of CPU; BENCHMARKS.md, "App start, fifth session"). Reading
    bytecode needs no write; third-party packages have theirs from pip."""
    root = Path(__file__).resolve().parents[1]
    packages = [str(root / name) for name in ("furano_meet", "server", "bench")]
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "compileall", "-q", *packages],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"compileall failed: {done.stdout!r} {done.stderr!r}")


async def visit_rss(
    data: Path, profile: str, passphrase: str, document: tuple[str, int], pages: int
) -> tuple[int, int]:
    """(RSS with the meeting list shown, RSS after ``pages`` pages of ``document`` visited)."""
    child = AppProcess(
        "visit", str(data), profile, document[0], str(document[1]), str(pages),
        passphrase=passphrase,
    )  # fmt: skip
    try:
        await child.line("ready")
        before = child.rss()
        child.tell()
        await child.line("visited")
        after = child.rss()
    finally:
        await child.finish()
    return before, after


# -- the child's side --------------------------------------------------------------------------


def _bare() -> int:
    from PySide6.QtWidgets import QApplication, QListWidget

    app = QApplication(sys.argv[:1])
    widget = QListWidget()
    widget.addItem("令和8年12月8日 総務文教委員会")
    widget.show()
    app.processEvents()
    print(SHOWN, flush=True)
    return 0


def _start(data: str, profile: str) -> int:
    from PySide6.QtCore import QTimer

    import furano_meet.app.__main__ as entry

    make_app = entry.make_app

    def watched(argv: list[str]) -> QApplication:
        """The app's own ``make_app``, plus the watch: ``main`` calls it where it always
        does (after it starts opening the store), so the start keeps the app's own order."""
        app = make_app(argv)
        timer = QTimer(app)
        timer.setInterval(2)

        def check() -> None:
            window = sys.modules.get("furano_meet.app.window")  # imported as the app does
            if window is None:
                return
            for widget in app.topLevelWidgets():
                if (
                    isinstance(widget, window.MainWindow)
                    and widget.isVisible()
                    and widget.meetings.count()
                ):
                    print(SHOWN, flush=True)
                    timer.stop()
                    widget.close()

        timer.timeout.connect(check)
        timer.start()
        return app

    entry.make_app = watched
    return entry.main(["--profile", profile, "--data", data])


async def _visit(data: str, profile: str, document: tuple[str, int], pages: int) -> None:
    from furano_meet.app.session import Session
    from furano_meet.app.tour import expect_paint, until
    from furano_meet.app.window import MainWindow
    from furano_meet.store import LocalStore
    from furano_meet.sync.engine import SyncEngine
    from server.demo import MEETING_ID

    def open_engine() -> SyncEngine:
        return SyncEngine(LocalStore.open(Path(data), profile, os.environ[PASSPHRASE_ENV]))

    session = Session(await asyncio.to_thread(open_engine))
    session.start()
    window = MainWindow(session)
    window.resize(1366, 900)
    window.show()
    window.choose_meeting(MEETING_ID)
    try:
        await until(lambda: window.meetings.count() > 0, TIMEOUT)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        viewer = window.viewer  # (not bench.app_viewer's open_page: it loads PyMuPDF here)
        for page in range(pages):
            painted = expect_paint(viewer, page, document)
            if page == 0:
                viewer.open_document(*document)
            else:
                viewer.turn_page(page)
            await asyncio.wait_for(painted, TIMEOUT)
        print("visited", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    finally:
        window.close()
        await session.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[0] == "bare":
        return _bare()
    if args[0] == "start":
        return _start(args[1], args[2])
    import qasync

    from furano_meet.app.__main__ import make_app

    app = make_app(sys.argv[:1])
    document = (args[3], int(args[4]))
    qasync.run(_visit(args[1], args[2], document, int(args[5])))
    app.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
