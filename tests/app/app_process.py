"""The real app as its own process, watched through its probe (``furano_meet/app/probe.py``).

``python -m furano_meet.app --profile P --data D`` is started with ``FURANO_MEET_PROBE=1``
offscreen by the benchmark's :class:`bench.app_process.AppProcess` (one way to start an app
child); every ``probe …`` line it prints is kept, so a test waits for a fact whether it was
printed before or after the wait began — a positive marker, never a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bench.app_process import AppProcess
from furano_meet.app.probe import PROBE_ENV
from furano_meet.demo import DEMO_PASSPHRASE

WAIT = 60.0  # seconds: a cold process start, a download, a render on a shared 2-core machine


class ProbedApp:
    """One running app; ``await app.seen("painted demo-1 1 4")`` returns when it printed it."""

    def __init__(self, data: Path, profile: str) -> None:
        self.profile = profile
        self.child = AppProcess(
            "--profile", profile, "--data", str(data),
            module="furano_meet.app", passphrase=DEMO_PASSPHRASE, env={PROBE_ENV: "1"},
        )  # fmt: skip
        self.lines: list[tuple[float, str]] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(RuntimeError):  # the process ended: seen() says what was missing
            while True:
                line = await self.child.first(lambda _text: True, "a line", timeout=3600)
                if line.startswith("probe "):
                    self.lines.append((time.perf_counter(), line.removeprefix("probe ")))
                    self._changed.set()
        self._changed.set()

    async def seen(self, fact: str, after: float = 0.0, timeout: float = WAIT) -> float:
        """perf_counter when the app printed ``fact`` (at or after ``after``)."""
        at, _ = await self.said(lambda line: line == fact, fact, after, timeout)
        return at

    async def said(
        self, wanted: Callable[[str], bool], what: str, after: float = 0.0, timeout: float = WAIT
    ) -> tuple[float, str]:
        """(perf_counter, line) of the first line ``wanted`` accepts (at or after ``after``):
        for facts whose words are counts a test reads (``settled FROZEN SCANNED …``)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self._changed.clear()
                    for at, line in self.lines:
                        if wanted(line) and at >= after:
                            return at, line
                    if self._reader.done():
                        raise RuntimeError(f"{self.profile} ended: {self.child.errors()}")
                    await self._changed.wait()
        except TimeoutError:
            said = [line for _, line in self.lines][-15:]
            raise AssertionError(f"{self.profile} never said {what!r}; last: {said}") from None

    def tell(self, command: str) -> float:
        """Send one command line; returns perf_counter just before it was written."""
        now = time.perf_counter()
        self.child.tell(command)
        return now

    async def quit(self) -> int:
        """Close the window as a user would and wait for the process to end; its exit code."""
        if self.child.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.tell("quit")
        await self.child.finish()
        await asyncio.wait_for(self._reader, WAIT)  # ends at the pipe's end of file
        for pipe in (self.child.proc.stdout, self.child.proc.stderr):
            if pipe is not None:
                pipe.close()
        return int(self.child.proc.returncode)


@contextlib.asynccontextmanager
async def app_processes(data: Path, *profiles: str) -> AsyncIterator[list[ProbedApp]]:
    """Start one app per profile; every one is quit (or killed) before the block ends."""
    apps = [ProbedApp(data, profile) for profile in profiles]
    try:
        yield apps
    finally:
        for app in apps:
            await app.quit()
