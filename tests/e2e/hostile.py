"""A malicious relay for end-to-end tests: the real relay behind a frame-level proxy.

Issue #8 asks for attacks by an *active* relay (or whoever controls it) against real client
engines. Rather than teaching the relay test-only branches, :class:`HostileRelay` is a
websocket proxy on 127.0.0.1 between the engines and the real, unmodified relay. Every text
frame is decoded (strictly, with the real codec) and matched against the test's rules; binary
chunk frames pass through untouched. The relay's database is at hand too, for planting and
altering rows the way someone with the relay's disk could.

How to use it (fixtures ``hostile`` and ``hostile_council`` in ``tests/e2e/conftest.py``)::

    async def test_x(hostile: HostileRelay, hostile_council: Council) -> None:
        clerk = await hostile_council.device("jimukyoku")   # engines connect through the proxy
        # frames: direction TO_CLIENT (relay -> engine) or TO_RELAY (engine -> relay),
        # matched by message class and/or a predicate; optionally only one device's
        # connections (``device=``). Rules apply in the order added; the first match wins.
        hostile.drop(TO_CLIENT, m.RosterChanged)
        hostile.replace(TO_CLIENT, m.DeviceKeysListed, lambda msg: replace(msg, devices=...))
        held = hostile.hold(TO_CLIENT, m.OpsAdded)         # reorder: held.release(order=[1, 0])
        await hostile.inject(TO_CLIENT, device_id, m.KeyEnvelopesDelivered(...))  # plant a push
        await hostile.replay(TO_CLIENT, device_id, hostile.seen(TO_CLIENT, m.RosterChanged)[0])
        await hostile.rows(lambda db: db.execute("UPDATE ..."))                    # plant rows
        rule.remove()                                      # every method returns its rule

A replacing function returns the new message, a sequence of messages (sent in order; ``()``
drops it) or ``None`` (keep the original). ``seen`` lists every decoded frame of a direction
(for replays). Frames are re-encoded only when a rule changed them, for the connection's
protocol minor. Wait on what the engines do (their events, their stores), never on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from furano_meet.protocol import codec
from furano_meet.protocol import messages as m
from server.relay import Relay

M = TypeVar("M", bound=m.Msg)


class Direction(Enum):
    TO_CLIENT = "relay -> client"
    TO_RELAY = "client -> relay"


TO_CLIENT = Direction.TO_CLIENT
TO_RELAY = Direction.TO_RELAY

Match = Callable[["Proxied", m.Msg], bool]
Replacement = m.Msg | Sequence[m.Msg] | None


@dataclass(eq=False)
class Proxied:
    """One engine connection through the proxy: who it is once authenticated."""

    conn_id: int
    client: ServerConnection
    upstream: ClientConnection
    device_id: str = ""
    minor: int = codec.PROTOCOL_MINOR
    relay_side: asyncio.Event | None = None
    """Set by :meth:`HostileRelay.sever`: the relay's side stays open until this is set."""

    async def send(self, direction: Direction, message: m.Msg) -> None:
        minor = self.minor if direction is TO_CLIENT else codec.PROTOCOL_MINOR
        target = self.client if direction is TO_CLIENT else self.upstream
        await target.send(codec.encode(message, minor=minor))


@dataclass(eq=False)
class Rule:
    """One interception. ``hits`` counts the frames it took."""

    owner: HostileRelay
    direction: Direction
    kind: type[m.Msg] | None
    predicate: Match | None
    device: str | None
    action: Callable[[Proxied, m.Msg], Any]
    hits: int = 0

    def matches(self, conn: Proxied, direction: Direction, message: m.Msg) -> bool:
        return (
            direction is self.direction
            and (self.kind is None or isinstance(message, self.kind))
            and (self.device is None or conn.device_id == self.device)
            and (self.predicate is None or self.predicate(conn, message))
        )

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            self.owner.rules.remove(self)


@dataclass(eq=False)
class Held:
    """Frames a ``hold`` rule took, waiting to be released (in any order) or dropped."""

    rule: Rule
    frames: list[tuple[Proxied, m.Msg]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, count: int = 1, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while len(self.frames) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def release(self, order: Sequence[int] | None = None) -> None:
        """Send the held frames on (in ``order``, indexes into :attr:`frames`) and stop holding."""
        self.rule.remove()
        frames, self.frames = self.frames, []
        for index in order if order is not None else range(len(frames)):
            conn, message = frames[index]
            await conn.send(self.rule.direction, message)


class HostileRelay:
    """The real relay behind a proxy that a test controls (see the module docstring)."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.rules: list[Rule] = []
        self.connections: list[Proxied] = []
        self._seen: dict[Direction, list[tuple[Proxied, m.Msg]]] = {TO_CLIENT: [], TO_RELAY: []}
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self._severed: list[asyncio.Event] = []

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await serve(self._serve, "127.0.0.1", 0, max_size=None, compression=None)

    async def close(self) -> None:
        for release in self._severed:
            release.set()  # severed connections end with the proxy
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    # -- rules -------------------------------------------------------------------------------

    def _add(
        self,
        direction: Direction,
        kind: type[m.Msg] | None,
        predicate: Match | None,
        device: str | None,
        action: Callable[[Proxied, m.Msg], Any],
    ) -> Rule:
        rule = Rule(self, direction, kind, predicate, device, action)
        self.rules.append(rule)
        return rule

    def drop(
        self,
        direction: Direction,
        kind: type[m.Msg] | None = None,
        predicate: Match | None = None,
        *,
        device: str | None = None,
    ) -> Rule:
        """Swallow matching frames."""
        return self._add(direction, kind, predicate, device, lambda _c, _m: ())

    def replace(
        self,
        direction: Direction,
        kind: type[M],
        change: Callable[[M], Replacement],
        predicate: Match | None = None,
        *,
        device: str | None = None,
    ) -> Rule:
        """Send ``change(message)`` instead of each matching frame (see the module docstring)."""

        def act(_conn: Proxied, message: m.Msg) -> Replacement:
            assert isinstance(message, kind)  # the rule matched on ``kind``
            return change(message)

        return self._add(direction, kind, predicate, device, act)

    def hold(
        self,
        direction: Direction,
        kind: type[m.Msg] | None = None,
        predicate: Match | None = None,
        *,
        device: str | None = None,
    ) -> Held:
        """Keep matching frames back until :meth:`Held.release` (reorder, delay, withhold)."""
        held = Held(self._add(direction, kind, predicate, device, lambda _c, _m: ()))

        def take(conn: Proxied, message: m.Msg) -> tuple[()]:
            held.frames.append((conn, message))
            held.arrived.set()
            return ()

        held.rule.action = take
        return held

    # -- acting on connections ---------------------------------------------------------------

    def of(self, device_id: str) -> list[Proxied]:
        """The open, authenticated proxied connections of a device."""
        return [c for c in self.connections if c.device_id == device_id]

    async def inject(self, direction: Direction, device_id: str, message: m.Msg) -> None:
        """Send a frame the other side never sent, on every connection of ``device_id``."""
        targets = self.of(device_id)
        assert targets, f"device {device_id} has no connection through the proxy"
        for conn in targets:
            await conn.send(direction, message)

    async def sever(self, device_id: str) -> asyncio.Event:
        """Cut a device's connections on the engine's side only: the engine sees them end at
        once and reconnects, while the relay still holds them open — a half-open connection,
        as when a tablet changes networks — until the returned event is set."""
        release = asyncio.Event()
        self._severed.append(release)
        targets = self.of(device_id)
        assert targets, f"device {device_id} has no connection through the proxy"
        for conn in targets:
            conn.relay_side = release
            await conn.client.close()
        return release

    async def replay(self, direction: Direction, device_id: str, message: m.Msg) -> None:
        """Send an earlier frame (from :meth:`seen`) again: the same as :meth:`inject`."""
        await self.inject(direction, device_id, message)

    def seen(self, direction: Direction, kind: type[M], device_id: str | None = None) -> list[M]:
        """Every frame of ``kind`` that went ``direction`` so far (before any rule touched it)."""
        return [
            msg
            for conn, msg in self._seen[direction]
            if isinstance(msg, kind) and (device_id is None or conn.device_id == device_id)
        ]

    async def wait_seen(
        self,
        direction: Direction,
        kind: type[M],
        predicate: Callable[[M], bool] = lambda _: True,
        timeout: float = 20,
    ) -> M:
        """The first frame of ``kind`` (already seen ones count) matching ``predicate``."""
        async with asyncio.timeout(timeout):
            while True:
                for msg in self.seen(direction, kind):
                    if predicate(msg):
                        return msg
                await asyncio.sleep(0.01)

    # -- acting on the relay's store ---------------------------------------------------------

    async def rows(self, change: Callable[[Any], Any]) -> Any:
        """Run ``change(sqlite connection)`` on the relay's store thread (plant, alter, delete)."""
        store = self.relay.store
        return await store.run(lambda: change(store.db))

    # -- the pump ----------------------------------------------------------------------------

    async def _serve(self, client: ServerConnection) -> None:
        async with connect(self.relay.url, max_size=None, compression=None) as upstream:
            conn = Proxied(next(self._ids), client, upstream)
            self.connections.append(conn)
            pumps = [
                asyncio.create_task(self._pump(conn, client, upstream, TO_RELAY)),
                asyncio.create_task(self._pump(conn, upstream, client, TO_CLIENT)),
            ]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self.connections.remove(conn)
                for task in pumps:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                await client.close()
                if conn.relay_side is not None:
                    await conn.relay_side.wait()  # severed: the relay's side lingers

    async def _pump(
        self,
        conn: Proxied,
        source: ServerConnection | ClientConnection,
        target: ServerConnection | ClientConnection,
        direction: Direction,
    ) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in source:
                if isinstance(data, bytes):
                    await target.send(data)
                    continue
                message = codec.decode(data, max_size=None)
                self._observe(conn, direction, message)
                for out in self._apply(conn, direction, message):
                    await target.send(data if out is message else self._encode(conn, out))

    def _observe(self, conn: Proxied, direction: Direction, message: m.Msg) -> None:
        self._seen[direction].append((conn, message))
        if isinstance(message, m.Hello):
            conn.minor = min(message.minor, codec.PROTOCOL_MINOR)
        if isinstance(message, (m.Authenticated, m.Enrolled)):
            conn.device_id = message.device_id

    def _apply(self, conn: Proxied, direction: Direction, message: m.Msg) -> Sequence[m.Msg]:
        for rule in list(self.rules):
            if rule.matches(conn, direction, message):
                rule.hits += 1
                result = rule.action(conn, message)
                if result is None:
                    return (message,)
                return (result,) if isinstance(result, m.Msg) else tuple(result)
        return (message,)

    def _encode(self, conn: Proxied, message: m.Msg) -> str:
        minor = conn.minor if message.SENDER == "relay" else codec.PROTOCOL_MINOR
        return codec.encode(message, minor=minor)
