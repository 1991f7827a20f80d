"""Blob distribution: one clerk uploads a large document once, then many tablets fetch it at once.

Theory of operation
-------------------
The blob is random bytes (``os.urandom``: incompressible, like the encrypted packs the relay
really stores).  Against the relay, the clerk's :class:`RelayConnection` uploads it with
:meth:`~RelayConnection.upload` (1 MiB chunks with a per-chunk SHA-256; the relay hashes, writes,
fsyncs every 8 MiB and publishes durably), then C authenticated connections call
:meth:`~RelayConnection.download` together; each verifies the SHA-256 of what it received.

The baseline (``bare-blob``) is the least a websockets server can do for the same result: the
upload is the same bytes in the same 1 MiB binary frames, kept in memory; each download is the
same bytes sent back in the relay's ``download_chunk`` frames (256 KiB) with
``await ws.send(chunk)``; its clients concatenate and hash too.

Uploads and downloads are timed from the first byte asked for until the last client has all
bytes (and, for the relay, the document is published).  Each is repeated and the servers
alternate; the median is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from furano_meet.net.connection import RelayConnection
from furano_meet.protocol import MAX_CHUNK
from server.config import RelayConfig

from . import report
from .council import MEETING_ID, Device, seed_council
from .processes import ServerProcess, raise_open_file_limit
from .wire import close_all, open_raw

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Plan:
    size: int
    clients: int
    repeats: int


FULL = Plan(size=50 * MiB, clients=30, repeats=3)
QUICK = Plan(size=4 * MiB, clients=5, repeats=1)
WARMUP_ROUNDS = 1
"""Unmeasured rounds first: the first 1.5 GB a process receives also pays for page faults."""


@dataclass(frozen=True, slots=True)
class Timed:
    seconds: float
    server_cpu: float
    """CPU seconds of the server process (all threads) during the run."""
    client_cpu: float
    """CPU seconds of this process (all clients) during the run."""


async def _timed(server: ServerProcess, run: Awaitable[float]) -> Timed:
    server_cpu, client_cpu = await server.cpu_seconds(), time.process_time()
    seconds = await run
    return Timed(seconds, await server.cpu_seconds() - server_cpu, time.process_time() - client_cpu)


async def _relay_client(url: str, device: Device) -> RelayConnection:
    conn = await RelayConnection.connect(url)
    await conn.authenticate(device.device_id, device.token)
    return conn


async def _relay_upload(clerk: RelayConnection, blob: bytes, document_id: str) -> float:
    start = time.perf_counter()
    await clerk.upload(
        meeting_id=MEETING_ID, document_id=document_id, version=1, data=blob, manifest=b"m" * 512
    )
    return time.perf_counter() - start


async def _relay_downloads(clients: list[RelayConnection], document_id: str, size: int) -> float:
    async def one(conn: RelayConnection) -> int:
        data = await conn.download(meeting_id=MEETING_ID, document_id=document_id, version=1)
        return len(data)  # drop the bytes at once: 30 copies of 50 MB add up

    start = time.perf_counter()
    sizes = await asyncio.gather(*(one(c) for c in clients))
    elapsed = time.perf_counter() - start
    if any(s != size for s in sizes):
        raise RuntimeError(f"relay download sizes {set(sizes)} != {size}")
    return elapsed


async def _bare_upload(ws: ClientConnection, blob: bytes) -> float:
    view = memoryview(blob)
    start = time.perf_counter()
    await ws.send("begin")
    for offset in range(0, len(view), MAX_CHUNK):
        await ws.send(view[offset : offset + MAX_CHUNK])
    await ws.send("uploaded")
    reply = await ws.recv()
    elapsed = time.perf_counter() - start
    if reply != "ok":
        raise RuntimeError(f"bare upload answered {reply!r}")
    return elapsed


async def _bare_downloads(clients: list[ClientConnection], sha256: str) -> float:
    async def one(ws: ClientConnection) -> None:
        await ws.send("get")
        data = bytearray()
        while isinstance(frame := await ws.recv(), bytes):
            data += frame
        if frame != "end" or hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError("bare download does not match")

    start = time.perf_counter()
    await asyncio.gather(*(one(ws) for ws in clients))
    return time.perf_counter() - start


async def measure(
    *, quick: bool = False, profile: Path | None = None
) -> tuple[list[report.Row], dict[str, Any]]:
    plan = QUICK if quick else FULL
    load_before = os.getloadavg()
    blob = os.urandom(plan.size)
    sha256 = hashlib.sha256(blob).hexdigest()
    runs: dict[str, list[Timed]] = {
        "bare_upload": [],
        "relay_upload": [],
        "bare_download": [],
        "relay_download": [],
    }
    with tempfile.TemporaryDirectory(prefix="furano-bench-blobs-") as tmp:
        council = seed_council(Path(tmp), plan.clients)
        async with (
            ServerProcess("relay", data_dir=tmp) as relay_server,
            ServerProcess("bare-blob") as bare_server,
        ):
            clerk = await _relay_client(relay_server.url, council.clerk)
            readers = [await _relay_client(relay_server.url, d) for d in council.members]
            uploader = await open_raw(bare_server.url)
            bare_readers = [await open_raw(bare_server.url) for _ in range(plan.clients)]
            try:
                if profile is not None:
                    await relay_server.call("profile-start")
                for repeat in range(-WARMUP_ROUNDS, plan.repeats):
                    document_id = f"budget-{repeat + WARMUP_ROUNDS}"
                    sides = ("bare", "relay") if repeat % 2 == 0 else ("relay", "bare")
                    for side in sides:
                        if side == "bare":
                            upload = await _timed(bare_server, _bare_upload(uploader, blob))
                            download = await _timed(
                                bare_server, _bare_downloads(bare_readers, sha256)
                            )
                        else:
                            upload = await _timed(
                                relay_server, _relay_upload(clerk, blob, document_id)
                            )
                            download = await _timed(
                                relay_server, _relay_downloads(readers, document_id, plan.size)
                            )
                        if repeat >= 0:
                            runs[f"{side}_upload"].append(upload)
                            runs[f"{side}_download"].append(download)
                if profile is not None:
                    await relay_server.call("profile-stop", str(profile))
            finally:
                await asyncio.gather(*(c.close() for c in (clerk, *readers)))
                await close_all([uploader, *bare_readers])

    median = {k: statistics.median(t.seconds for t in v) for k, v in runs.items()}
    total = plan.size * plan.clients
    details: dict[str, Any] = {
        "load_average_before": load_before,
        "blob_bytes": plan.size,
        "clients": plan.clients,
        "repeats": plan.repeats,
        "download_chunk": RelayConfig(data_dir=Path(tmp)).download_chunk,
        "upload_chunk": MAX_CHUNK,
        "warmup_rounds": WARMUP_ROUNDS,
        "seconds": {k: [round(t.seconds, 3) for t in v] for k, v in runs.items()},
        "server_cpu_s": {k: [round(t.server_cpu, 3) for t in v] for k, v in runs.items()},
        "client_cpu_s": {k: [round(t.client_cpu, 3) for t in v] for k, v in runs.items()},
        "aggregate_download_MiB_s": {
            k: round(total / MiB / median[f"{k}_download"], 1) for k in ("bare", "relay")
        },
    }
    size = f"{plan.size // MiB} MiB"
    rows = [
        report.Row(
            benchmark="blobs",
            metric=f"{size} to {plan.clients} clients at once (last done)",
            unit="s",
            baseline=median["bare_download"],
            relay=median["relay_download"],
            target="≤ 1.5×" if not quick else "",
            limit=1.5 if not quick else None,
        ),
        report.Row(
            benchmark="blobs",
            metric=f"{size} to {plan.clients} clients: server CPU",
            unit="s",
            baseline=_median_cpu(runs["bare_download"]),
            relay=_median_cpu(runs["relay_download"]),
            target="",
        ),
        report.Row(
            benchmark="blobs",
            metric=f"upload {size}, one client",
            unit="s",
            baseline=median["bare_upload"],
            relay=median["relay_upload"],
            target="",
        ),
    ]
    return rows, details


def _median_cpu(runs: list[Timed]) -> float:
    return statistics.median(t.server_cpu for t in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small blob, few clients")
    parser.add_argument(
        "--profile", type=Path, help="cProfile the relay process and write pstats here"
    )
    args = parser.parse_args()
    raise_open_file_limit()
    started = time.perf_counter()
    rows, details = asyncio.run(measure(quick=args.quick, profile=args.profile))
    seconds = time.perf_counter() - started
    if args.profile is None:
        report.write_json("blobs-quick" if args.quick else "blobs", rows, details, seconds)
    print(report.markdown_table(rows))
    print(f"\nblob benchmark: {seconds:.1f} s")


if __name__ == "__main__":
    main()
