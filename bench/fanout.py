"""Page-turn fan-out: how long until the *last* of N followers sees the presenter's page turn.

Theory of operation
-------------------
Two servers run at once, each in its own process: the relay (seeded with a clerk and N member
devices, all joined to the demo meeting and following) and the bare baseline (``bare-broadcast``
from :mod:`bench.bare`: every text frame received is broadcast to every connection).  Each has its
own presenter and its own N raw followers in this process.

One *turn*: start the clock, the presenter sends one frame, stop the clock when the last
follower's reader has received the resulting ``presenter_changed`` frame.  For the relay the
presenter sends a real ``present_page`` request and the relay validates it, updates the room and
fans out ``presenter_changed``; for the baseline the presenter sends an encoded
``presenter_changed`` frame (the same size as the relay's) that the bare server rebroadcasts
verbatim.  The next turn starts only when every follower has the previous one, so turns never
queue behind each other and nothing is coalesced.

The two servers take turns, one page turn each, and which of them goes first alternates, so a
noisy moment on this shared machine hits both alike.  Followers are added as N grows
(10 → 100 → 500): the room of 500 contains the followers of the room of 100.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from furano_meet.protocol import encode
from furano_meet.protocol import messages as m

from . import report
from .council import CLERK_USER, MEETING_ID, Council, seed_council
from .processes import ServerProcess, raise_open_file_limit
from .wire import close_all, in_batches, open_raw, open_wire

MARK = '"type":"presenter_changed"'
TURN_TIMEOUT = 30.0

FULL_PLAN: dict[int, int] = {10: 200, 100: 200, 500: 100}
"""Followers → measured turns per server."""
QUICK_PLAN: dict[int, int] = {10: 40, 50: 40}
WARMUP_TURNS = 10

BENCH_RELAY_SETTINGS: dict[str, Any] = {
    # The token bucket still runs on every frame; it just never refuses a benchmark presenter
    # that turns pages back to back (hundreds a second, far beyond any human).
    "rate_per_second": 1_000_000.0,
    "rate_burst": 1_000_000.0,
}


@dataclass(eq=False)
class Audience:
    """The followers of one server, counting ``presenter_changed`` frames turn by turn."""

    followers: list[ClientConnection] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    count: int = 0
    last: float = 0.0
    received: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, ws: ClientConnection) -> None:
        self.followers.append(ws)
        self.readers.append(asyncio.create_task(self._follow(ws)))

    async def _follow(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                if isinstance(frame, str) and MARK in frame:
                    self.received += 1
                    self.count += 1
                    if self.count == len(self.followers):
                        self.last = time.perf_counter()
                        self.done.set()

    async def turn(self, presenter: ClientConnection, frame: str) -> float:
        """One page turn; seconds from the presenter's send to the last follower's receipt."""
        self.count = 0
        self.done.clear()
        start = time.perf_counter()
        await presenter.send(frame)
        try:
            async with asyncio.timeout(TURN_TIMEOUT):
                await self.done.wait()
        except TimeoutError:
            raise RuntimeError(
                f"only {self.count} of {len(self.followers)} followers got the page turn"
            ) from None
        return self.last - start

    async def close(self) -> None:
        await close_all(self.followers)
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


@dataclass(eq=False)
class Side:
    """One server under test, its presenter and its audience."""

    name: str
    server: ServerProcess
    presenter: ClientConnection
    next_frame: Callable[[int], str]
    open_follower: Callable[[int], Any]
    audience: Audience = field(default_factory=Audience)
    drain: asyncio.Task[None] | None = None
    samples: dict[int, list[float]] = field(default_factory=dict)
    server_cpu: dict[int, float] = field(default_factory=dict)
    """CPU seconds the server process spent during the measured turns, by N."""
    client_cpu: dict[int, float] = field(default_factory=dict)
    """CPU seconds this (client) process spent during the measured turns, by N."""
    turns: int = 0

    def start(self) -> None:
        self.drain = asyncio.create_task(_discard(self.presenter))

    async def grow(self, followers: int) -> None:
        have = len(self.audience.followers)

        async def one(i: int) -> None:
            self.audience.add(await self.open_follower(have + i))

        await in_batches(one, followers - have)

    async def turn(self) -> float:
        self.turns += 1
        frame = self.next_frame(self.turns)
        return await self.audience.turn(self.presenter, frame)

    async def close(self) -> None:
        await self.audience.close()
        await self.presenter.close()
        if self.drain is not None:
            self.drain.cancel()
            await asyncio.gather(self.drain, return_exceptions=True)


async def _discard(ws: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


def _bare_frame(turn: int) -> str:
    """What the relay would send for this turn, byte for byte in size."""
    state = m.PresenterState(
        seq=turn, presenter_user_id=CLERK_USER, document_id="agenda", version=1, page=turn % 1000
    )
    return encode(m.PresenterChanged(meeting_id=MEETING_ID, state=state))


async def _relay_side(server: ServerProcess, council: Council) -> Side:
    presenter = await open_wire(server.url, council.clerk, join=MEETING_ID)

    def frame(turn: int) -> str:
        return presenter.encode(
            m.PresentPage(meeting_id=MEETING_ID, document_id="agenda", version=1, page=turn % 1000)
        )

    async def follower(i: int) -> ClientConnection:
        return (await open_wire(server.url, council.members[i], join=MEETING_ID)).ws

    side = Side("relay", server, presenter.ws, frame, follower)
    side.start()
    return side


async def _bare_side(server: ServerProcess) -> Side:
    async def follower(_: int) -> ClientConnection:
        return await open_raw(server.url)

    side = Side("bare", server, await open_raw(server.url), _bare_frame, follower)
    side.start()
    return side


def _summary(side: Side, followers: int) -> dict[str, float]:
    ms = [s * 1000 for s in side.samples[followers]]
    return {
        "turns": len(ms),
        "p50_ms": round(report.percentile(ms, 50), 3),
        "p99_ms": round(report.percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
        "server_cpu_us_per_turn": round(side.server_cpu[followers] / len(ms) * 1e6, 1),
        "client_cpu_us_per_turn": round(side.client_cpu[followers] / len(ms) * 1e6, 1),
    }


async def measure(
    *, quick: bool = False, profile: Path | None = None
) -> tuple[list[report.Row], dict[str, Any]]:
    plan = QUICK_PLAN if quick else FULL_PLAN
    biggest = max(plan)
    details: dict[str, Any] = {
        "plan": {str(n): t for n, t in plan.items()},
        "load_average_before": os.getloadavg(),
        "setup_s": {},
        "setup_server_cpu_s": {},
    }
    with tempfile.TemporaryDirectory(prefix="furano-bench-fanout-") as tmp:
        council = seed_council(Path(tmp), biggest)
        async with (
            ServerProcess(
                "relay",
                data_dir=tmp,
                **BENCH_RELAY_SETTINGS,
            ) as relay_server,
            ServerProcess("bare-broadcast") as bare_server,
        ):
            relay = await _relay_side(relay_server, council)
            bare = await _bare_side(bare_server)
            try:
                for followers, turns in plan.items():
                    for side in (bare, relay):
                        started, cpu_before = time.perf_counter(), await side.server.cpu_seconds()
                        await side.grow(followers)
                        key = f"{side.name}-{followers}"
                        details["setup_s"][key] = round(time.perf_counter() - started, 2)
                        details["setup_server_cpu_s"][key] = round(
                            await side.server.cpu_seconds() - cpu_before, 2
                        )
                    for side in (bare, relay):  # warm up; also drains join-time presence frames
                        for _ in range(WARMUP_TURNS):
                            await side.turn()
                    profiling = profile is not None and followers == biggest
                    if profiling:
                        await relay_server.call("profile-start")
                    cpu = {side.name: await side.server.cpu_seconds() for side in (bare, relay)}
                    for i in range(turns):
                        for side in (bare, relay) if i % 4 in (0, 3) else (relay, bare):
                            client_cpu = time.process_time()
                            side.samples.setdefault(followers, []).append(await side.turn())
                            side.client_cpu[followers] = side.client_cpu.get(followers, 0.0) + (
                                time.process_time() - client_cpu
                            )
                    for side in (bare, relay):
                        # Each server works only during its own turns, so its whole-phase CPU
                        # time is the CPU its turns cost.
                        side.server_cpu[followers] = (
                            await side.server.cpu_seconds() - cpu[side.name]
                        )
                    if profiling:
                        await relay_server.call("profile-stop", str(profile))
            finally:
                await relay.close()
                await bare.close()
            for side in (bare, relay):
                expected = sum((WARMUP_TURNS + t) * n for n, t in plan.items())
                details[f"{side.name}_frames_received"] = side.audience.received
                details[f"{side.name}_frames_expected"] = expected

    rows: list[report.Row] = []
    for followers in plan:
        b, r = _summary(bare, followers), _summary(relay, followers)
        details[f"n{followers}"] = {"bare": b, "relay": r}
        gated = followers >= 100 and not quick
        for metric in ("p50_ms", "p99_ms"):
            rows.append(
                report.Row(
                    benchmark="fan-out",
                    metric=f"N={followers} {metric[:3]} (last follower)",
                    unit="ms",
                    baseline=b[metric],
                    relay=r[metric],
                    target="≤ 1.3×" if gated else "",
                    limit=1.3 if gated else None,
                )
            )
        rows.append(
            report.Row(
                benchmark="fan-out",
                metric=f"N={followers} server CPU per turn",
                unit="µs",
                baseline=b["server_cpu_us_per_turn"],
                relay=r["server_cpu_us_per_turn"],
                target="",
            )
        )
    return rows, details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small N, few turns (smoke run)")
    parser.add_argument(
        "--profile",
        type=Path,
        help="cProfile the relay process during the largest N and write pstats here "
        "(the profiler slows the relay: ratios from such a run are not results)",
    )
    args = parser.parse_args()
    raise_open_file_limit()
    started = time.perf_counter()
    rows, details = asyncio.run(measure(quick=args.quick, profile=args.profile))
    seconds = time.perf_counter() - started
    if args.profile is None:
        report.write_json("fanout-quick" if args.quick else "fanout", rows, details, seconds)
    print(report.markdown_table(rows))
    print(f"\nfan-out benchmark: {seconds:.1f} s")


if __name__ == "__main__":
    main()
