"""The outbox against a real websockets connection: the fast-path flag and the too-slow close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

from furano_meet.protocol import decode, encode
from furano_meet.protocol import messages as m
from server.fanout import Outbox


@pytest.fixture
async def pair() -> AsyncIterator[tuple[ServerConnection, ClientConnection]]:
    accepted: asyncio.Future[ServerConnection] = asyncio.get_running_loop().create_future()
    done = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        accepted.set_result(ws)
        await done.wait()

    # No permessage-deflate, as the relay and the client (``compression=None`` both): with it,
    # the stalled-socket test's 256 KiB of zeros shrank to a few hundred bytes a frame, and
    # filling the kernel's buffers took tens of thousands of frames (25-60 s instead of 0.1 s).
    async with (
        serve(handler, "127.0.0.1", 0, compression=None) as server,
        connect(
            f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}", compression=None
        ) as client,
    ):
        yield await accepted, client
        done.set()


async def test_idle_follows_what_is_queued(
    pair: tuple[ServerConnection, ClientConnection],
) -> None:
    server, client = pair
    outbox = Outbox(server, max_bytes=1 << 20, low_water=64 * 1024)
    assert outbox.idle()
    outbox.replace("presenter:m", "queued while the writer is not running")
    assert outbox.idle()  # the fast path wrote it straight away
    outbox._sending = True  # noqa: SLF001 - as if a write were in progress
    outbox.replace("presenter:m", encode(m.Done(rid=1)))
    assert not outbox.idle()
    outbox._sending = False  # noqa: SLF001
    assert not outbox.idle()  # a coalesced frame still waits: a direct write would overtake it
    writer = asyncio.create_task(outbox.run())
    assert await client.recv() == "queued while the writer is not running"
    assert decode(await client.recv()) == m.Done(rid=1)
    await asyncio.sleep(0)
    assert outbox.idle()
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writer


async def test_a_connection_that_cannot_keep_up_is_told_too_slow_before_the_close(
    pair: tuple[ServerConnection, ClientConnection],
) -> None:
    server, client = pair
    outbox = Outbox(server, max_bytes=1000, low_water=-1)  # never idle: everything queues
    for rid in range(1, 40):
        outbox.send(m.Done(rid=rid))  # replies are never shed: the budget overflows
    outbox.send(m.Done(rid=99))  # nothing is queued once the close is decided
    writer = asyncio.create_task(outbox.run())
    failed = decode(await client.recv())
    assert isinstance(failed, m.Failed)
    assert (failed.code, failed.fatal) == ("too_slow", True)
    await client.wait_closed()
    assert client.close_code == 1008
    await writer


async def test_the_too_slow_cut_off_counts_the_bytes_a_stalled_socket_holds(
    pair: tuple[ServerConnection, ClientConnection],
) -> None:
    server, client = pair
    assert client.transport is not None and server.transport is not None
    client.transport.pause_reading()  # the peer reads nothing
    outbox = Outbox(server, max_bytes=1 << 20, low_water=64 * 1024)
    while server.transport.get_write_buffer_size() <= 2 << 20:  # the kernel's buffers are full
        broadcast((server,), b"\0" * (256 * 1024))  # as a download chunk or a broadcast would
    outbox.send(m.Done(rid=1))  # one small reply: a frame count would not notice anything
    assert outbox.closing
    server.transport.abort()
    # the peer reads again and so sees the reset at once (the marker that it is over), instead
    # of the client's closing handshake waiting out its 10 s close timeout in the teardown
    client.transport.resume_reading()
    await client.wait_closed()
