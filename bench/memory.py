"""Relay memory per idle authenticated connection (RSS growth ÷ connections).

Theory of operation
-------------------
The server runs in its own process; this process opens the connections and reads the server's
resident set size with psutil.  For each server: warm up (open and close a few connections, so
lazily imported code and first-use caches are not charged to the connections), collect garbage in
the server, read RSS, open C connections and complete the handshake, let them sit for a moment,
collect garbage again, read RSS.  The difference divided by C is the cost of one idle connection.

Relay connections say hello and authenticate (a real device each; no meeting joined).  The bare
baseline (``bare-idle``) gets the same number of connections, each exchanging two frames of the
same sizes, so both servers have been through the same websockets code paths.

RSS is a coarse instrument (the allocator keeps freed memory, pages are 4 KiB), which is why the
count is large; the per-connection figure is accurate to a few hundred bytes at C = 1000.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from furano_meet.protocol import PROTOCOL_MAJOR, PROTOCOL_MINOR, encode
from furano_meet.protocol import messages as m

from . import report
from .council import Council, seed_council
from .processes import ServerProcess, raise_open_file_limit
from .wire import close_all, in_batches, open_raw, open_wire

KiB = 1024
FULL_CONNECTIONS = 1000
QUICK_CONNECTIONS = 100
WARMUP = 20
SETTLE_SECONDS = 1.0


OpenMany = Callable[[int, int], Awaitable[list[ClientConnection]]]
"""``open_many(first, count)``: open ``count`` connections using devices from ``first`` on."""


async def _relay_connections(
    url: str, council: Council, first: int, count: int
) -> list[ClientConnection]:
    async def one(i: int) -> ClientConnection:
        return (await open_wire(url, council.members[first + i])).ws

    return await in_batches(one, count)


async def _bare_connections(url: str, count: int) -> list[ClientConnection]:
    """Connections that exchange the same two frames as a relay handshake (echoed back)."""
    frames = [
        encode(m.Hello(rid=1, major=PROTOCOL_MAJOR, minor=PROTOCOL_MINOR, client="bench")),
        encode(m.Authenticate(rid=2, device_id="dev-0123456789abcdef", token="x" * 43)),
    ]

    async def one(_: int) -> ClientConnection:
        ws = await open_raw(url)
        for frame in frames:
            await ws.send(frame)
            await ws.recv()
        return ws

    return await in_batches(one, count)


async def _measure_server(
    server: ServerProcess, open_many: OpenMany, warmup: int, count: int
) -> dict[str, float]:
    await close_all(await open_many(0, warmup))
    await asyncio.sleep(SETTLE_SECONDS)
    await server.call("gc")
    before = server.rss()
    connections = await open_many(warmup, count)
    await asyncio.sleep(SETTLE_SECONDS)
    await server.call("gc")
    after = server.rss()
    await close_all(connections)
    return {
        "connections": count,
        "rss_before_MiB": round(before / 2**20, 2),
        "rss_after_MiB": round(after / 2**20, 2),
        "per_connection_KiB": round((after - before) / count / KiB, 2),
    }


async def measure(*, quick: bool = False) -> tuple[list[report.Row], dict[str, Any]]:
    count = QUICK_CONNECTIONS if quick else FULL_CONNECTIONS
    details: dict[str, Any] = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="furano-bench-memory-") as tmp:
        council = seed_council(Path(tmp), WARMUP + count, join_meeting=False)
        async with ServerProcess("bare-idle") as bare:
            details["bare"] = await _measure_server(
                bare, lambda _first, n: _bare_connections(bare.url, n), WARMUP, count
            )
        async with ServerProcess("relay", data_dir=tmp) as relay:
            details["relay"] = await _measure_server(
                relay,
                lambda first, n: _relay_connections(relay.url, council, first, n),
                WARMUP,
                count,
            )
    rows = [
        report.Row(
            benchmark="memory",
            metric=f"RSS per idle authenticated connection ({count} open)",
            unit="KiB",
            baseline=details["bare"]["per_connection_KiB"],
            relay=details["relay"]["per_connection_KiB"],
            target="relay ≤ 50 KiB",
            limit=50.0,
            per_ratio=False,
        )
    ]
    return rows, details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="100 connections instead of 1000")
    args = parser.parse_args()
    raise_open_file_limit()
    started = time.perf_counter()
    rows, details = asyncio.run(measure(quick=args.quick))
    seconds = time.perf_counter() - started
    report.write_json("memory-quick" if args.quick else "memory", rows, details, seconds)
    print(report.markdown_table(rows))
    print(f"\nmemory benchmark: {seconds:.1f} s")


if __name__ == "__main__":
    main()
