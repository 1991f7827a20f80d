"""Lightweight benchmark clients: raw websockets connections that speak just enough protocol.

A page-turn follower or an idle connection only has to authenticate (and join); after that the
benchmark reads its frames straight off :class:`~websockets.asyncio.client.ClientConnection`
without decoding them, so what is timed is the server, not our client's JSON validation.  The
handshake itself goes through the protocol's own :class:`~furano_meet.protocol.Session`, so it is
checked exactly as the app's client checks it.

Every benchmark client, against the relay or a bare baseline, connects with
:data:`CONNECT_OPTIONS` (those of :meth:`RelayConnection.connect
<furano_meet.net.connection.RelayConnection.connect>`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect

from furano_meet.protocol import PROTOCOL_MAJOR, PROTOCOL_MINOR, Session
from furano_meet.protocol import messages as m

from .council import Device

CONNECT_OPTIONS: dict[str, Any] = {
    "compression": None,
    "max_size": 8 * 1024 * 1024,
    "open_timeout": 60.0,
}

T = TypeVar("T")


@dataclass(eq=False)
class Wire:
    """An authenticated raw connection and the session that encodes its requests."""

    ws: ClientConnection
    session: Session

    def encode(self, message: m.Msg) -> str:
        """Encode a request now (outside a timed section) with a fresh request id."""
        return self.session.send(_with_rid(message, self.session.next_rid()))


async def open_raw(url: str) -> ClientConnection:
    return await connect(url, **CONNECT_OPTIONS)


async def open_wire(url: str, device: Device, *, join: str | None = None) -> Wire:
    """Connect, say hello, authenticate and optionally join a meeting (following)."""
    ws = await open_raw(url)
    wire = Wire(ws, Session(role="client"))
    try:
        await ask(wire, m.Hello(major=PROTOCOL_MAJOR, minor=PROTOCOL_MINOR, client="bench"))
        await ask(wire, m.Authenticate(device_id=device.device_id, token=device.token))
        if join is not None:
            await ask(wire, m.JoinMeeting(meeting_id=join, following=True))
    except BaseException:
        await ws.close()
        raise
    return wire


async def ask(wire: Wire, message: m.Msg) -> m.Msg:
    """Send a request and return its reply, skipping pushes (presence of earlier joiners)."""
    rid = wire.session.next_rid()
    await wire.ws.send(wire.session.send(_with_rid(message, rid)))
    while True:
        reply = wire.session.receive(await wire.ws.recv())
        if isinstance(reply, m.Msg) and reply.rid == rid:
            if isinstance(reply, m.Failed):
                raise RuntimeError(f"{message.TYPE} refused: {reply.code}: {reply.message}")
            return reply


async def in_batches(
    make: Callable[[int], Awaitable[T]], count: int, *, batch: int = 50
) -> list[T]:
    """Open ``count`` things ``batch`` at a time (the listen backlog is 100)."""
    made: list[T] = []
    for start in range(0, count, batch):
        made += await asyncio.gather(*(make(i) for i in range(start, min(count, start + batch))))
    return made


async def close_all(connections: Sequence[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


def _with_rid(message: m.Msg, rid: int) -> Any:
    return dataclasses.replace(message, rid=rid)
