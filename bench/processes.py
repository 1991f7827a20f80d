"""The server under test, in a process of its own, driven over a pipe.

Theory of operation
-------------------
:class:`ServerProcess` spawns (never forks: a forked child would inherit the parent's event loop
and sockets) a child that runs one server — the relay, or one of the bare baselines from
:mod:`bench.bare` — on an ephemeral loopback port.  The child reports ``("ready", port)`` and then
serves until told to stop.  The parent can also ask it to collect garbage (before an RSS reading)
and to start/stop :mod:`cProfile` around a measured section; the profile covers the child's main
thread, which is the event loop that does all the relay's per-frame work.

Commands arrive on the pipe's file descriptor through ``loop.add_reader``, so the child's event
loop never blocks on the pipe and no extra thread runs next to the server being measured.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import logging
import multiprocessing
import multiprocessing.connection
import pstats
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # no stubs in the venv

ServerKind = str
"""``relay``, or a bare baseline: ``bare-broadcast``, ``bare-blob``, ``bare-idle``."""

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0


def raise_open_file_limit() -> int:
    """Raise the soft limit on open files to the hard limit (1000 sockets need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class ServerProcess:
    """An async context manager around one spawned server; ``url`` and ``rss()`` while inside."""

    def __init__(self, kind: ServerKind, **options: Any) -> None:
        self.kind = kind
        self.options = options
        self.port = 0
        self._context = multiprocessing.get_context("spawn")
        self._conn: multiprocessing.connection.Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None and self._process.pid is not None
        return self._process.pid

    def rss(self) -> int:
        """Resident set size of the server process, in bytes."""
        return int(psutil.Process(self.pid).memory_info().rss)

    async def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the server process has used so far.

        Asked of the child (``time.process_time``, nanosecond clock) rather than read from
        ``/proc`` (10 ms ticks), because a block of page turns can take less than a tick.
        """
        return float(await self.call("cpu"))

    async def __aenter__(self) -> ServerProcess:
        parent, child = self._context.Pipe()
        self._conn = parent
        self._process = self._context.Process(
            target=_child_main, args=(self.kind, self.options, child), daemon=True
        )
        self._process.start()
        child.close()
        try:
            reply = await self._receive(_START_TIMEOUT)
        except EOFError:
            await asyncio.to_thread(self._process.join, 5.0)
            raise RuntimeError(
                f"{self.kind} server process exited while starting "
                f"(exit code {self._process.exitcode}); its stderr says why"
            ) from None
        if reply[0] != "ready":
            raise RuntimeError(f"{self.kind} server failed to start: {reply!r}")
        self.port = int(reply[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        process, conn = self._process, self._conn
        if process is None or conn is None:
            return
        try:
            conn.send(("stop",))
            await self._receive(_STOP_TIMEOUT)
        except (OSError, EOFError, TimeoutError):
            pass
        await asyncio.to_thread(process.join, _STOP_TIMEOUT)
        if process.is_alive():  # pragma: no cover - only when the child hangs
            process.kill()
            await asyncio.to_thread(process.join, 5.0)
        conn.close()

    async def call(self, *command: Any, timeout: float = 60.0) -> Any:
        """Send one command to the child and return its reply."""
        assert self._conn is not None
        self._conn.send(command)
        reply = await self._receive(timeout)
        if reply[0] != "ok":
            raise RuntimeError(f"{self.kind} server: {command[0]} failed: {reply!r}")
        return reply[1] if len(reply) > 1 else None

    async def _receive(self, timeout: float) -> tuple[Any, ...]:
        conn = self._conn
        assert conn is not None
        ready = await asyncio.to_thread(conn.poll, timeout)
        if not ready:
            raise TimeoutError(f"{self.kind} server did not answer within {timeout:.0f} s")
        reply: tuple[Any, ...] = conn.recv()
        return reply


# -- the child -------------------------------------------------------------------------------


def _child_main(
    kind: ServerKind, options: dict[str, Any], conn: multiprocessing.connection.Connection
) -> None:
    raise_open_file_limit()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        asyncio.run(_child(kind, options, conn))
    except BaseException as exc:
        conn.send(("error", f"{exc.__class__.__name__}: {exc}"))
        raise


async def _child(
    kind: ServerKind, options: dict[str, Any], conn: multiprocessing.connection.Connection
) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def readable() -> None:
        try:
            commands.put_nowait(conn.recv())
        except EOFError:  # the parent is gone
            loop.remove_reader(conn.fileno())
            commands.put_nowait(("stop",))

    serve = _server_for(kind)
    async with serve(options) as port:
        loop.add_reader(conn.fileno(), readable)
        conn.send(("ready", port))
        profiler: cProfile.Profile | None = None
        while True:
            command = await commands.get()
            match command:
                case ("stop",):
                    break
                case ("cpu",):
                    conn.send(("ok", time.process_time()))
                case ("gc",):
                    gc.collect()
                    conn.send(("ok",))
                case ("profile-start",):
                    profiler = cProfile.Profile()
                    profiler.enable()
                    conn.send(("ok",))
                case ("profile-stop", path):
                    if profiler is not None:
                        profiler.disable()
                        pstats.Stats(profiler).dump_stats(path)
                        profiler = None
                    conn.send(("ok",))
                case _:
                    conn.send(("error", f"unknown command {command!r}"))
        loop.remove_reader(conn.fileno())
    conn.send(("ok",))


def _server_for(kind: ServerKind) -> Callable[[dict[str, Any]], Any]:
    if kind == "relay":
        return _relay
    from . import bare

    servers: dict[str, Callable[[dict[str, Any]], Any]] = {
        "bare-broadcast": bare.broadcast_server,
        "bare-blob": bare.blob_server,
        "bare-idle": bare.idle_server,
    }
    return servers[kind]


class _relay:  # noqa: N801 - used like a function returning an async context manager
    """The real relay on an ephemeral port, with the benchmark's configuration overrides."""

    def __init__(self, options: dict[str, Any]) -> None:
        from server.config import RelayConfig
        from server.relay import Relay

        settings = dict(options)
        data_dir = Path(settings.pop("data_dir"))
        self.relay = Relay(RelayConfig(data_dir=data_dir, port=0, **settings))

    async def __aenter__(self) -> int:
        await self.relay.start()
        return self.relay.port

    async def __aexit__(self, *exc: object) -> None:
        await self.relay.close()
