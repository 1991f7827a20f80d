"""The baselines: bare ``websockets`` servers doing the least work that gives the same result.

Each server takes the relay's own ``serve`` options (:func:`serve_options`: no compression, the
same ``max_size``, ``max_queue`` and keep-alive pings), so the only difference from the relay is
the relay's code: the protocol, the rooms, the outboxes, the store.

* ``bare-broadcast`` — every text frame received is passed, unchanged, to
  ``websockets.asyncio.server.broadcast`` for every open connection (the sender included, as the
  relay includes the presenter in its ``presenter_changed`` fan-out).
* ``bare-blob`` — binary frames are an upload, collected in memory; the text frame ``"uploaded"``
  is answered ``"ok"`` once they are in.  ``"get"`` sends the collected bytes back in
  ``download_chunk``-sized binary frames with ``await ws.send(chunk)``, then ``"end"``.
* ``bare-idle`` — answers each frame with a frame of the same size and otherwise sits there:
  the per-connection memory floor of websockets itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

from furano_meet.protocol import CHUNK_HEADER_SIZE
from server.config import RelayConfig


def serve_options() -> dict[str, Any]:
    """The keyword arguments ``server.relay.Relay.start`` passes to ``serve`` (TLS aside)."""
    config = RelayConfig(data_dir=Path("."))
    return {
        "max_size": max(config.max_text_frame, config.max_chunk + CHUNK_HEADER_SIZE + 32),
        "max_queue": 16,
        "compression": None,
        "ping_interval": config.ping_interval,
        "ping_timeout": config.ping_timeout,
        "close_timeout": config.close_timeout,
    }


@contextlib.asynccontextmanager
async def broadcast_server(options: dict[str, Any]) -> AsyncIterator[int]:
    del options
    connections: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        connections.add(ws)
        try:
            async for message in ws:
                broadcast(connections, message)
        finally:
            connections.discard(ws)

    async with serve(handler, "127.0.0.1", 0, **serve_options()) as server:
        yield int(next(iter(server.sockets)).getsockname()[1])


@contextlib.asynccontextmanager
async def blob_server(options: dict[str, Any]) -> AsyncIterator[int]:
    chunk = int(options.get("chunk", RelayConfig(data_dir=Path(".")).download_chunk))
    uploaded = bytearray()
    blob = b""

    async def handler(ws: ServerConnection) -> None:
        nonlocal blob
        async for message in ws:
            if isinstance(message, bytes):
                uploaded.extend(message)
            elif message == "begin":
                uploaded.clear()
            elif message == "uploaded":
                blob = bytes(uploaded)
                await ws.send("ok")
            elif message == "get":
                view = memoryview(blob)
                for offset in range(0, len(view), chunk):
                    await ws.send(view[offset : offset + chunk])
                await ws.send("end")

    async with serve(handler, "127.0.0.1", 0, **serve_options()) as server:
        yield int(next(iter(server.sockets)).getsockname()[1])


@contextlib.asynccontextmanager
async def idle_server(options: dict[str, Any]) -> AsyncIterator[int]:
    del options

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(handler, "127.0.0.1", 0, **serve_options()) as server:
        yield int(next(iter(server.sockets)).getsockname()[1])
