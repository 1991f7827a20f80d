"""The client connection: clear errors for an unreachable relay and a dropped connection."""

from __future__ import annotations

import socket

import pytest

from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from server.relay import Relay
from tests.conftest import Connect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_relay_is_reported_not_hung() -> None:
    with pytest.raises(RelayError) as info:
        await RelayConnection.connect(f"ws://127.0.0.1:{free_port()}", open_timeout=2)
    assert info.value.code == "unreachable" and "cannot be reached" in info.value.message
    with pytest.raises(RelayError):
        await RelayConnection.connect("not a url")


async def test_waiters_fail_when_the_relay_goes_away(connect_as: Connect, relay: Relay) -> None:
    conn = await connect_as("giin1")
    for client in list(relay.clients.values()):
        await client.ws.close(code=1001, reason="going away")
    with pytest.raises(RelayError) as info:
        await conn.request(m.ListMeetings(), timeout=5)
    assert info.value.code == "connection_lost" and "1001" in info.value.message


async def test_replies_are_matched_to_their_requests(connect_as: Connect) -> None:
    import asyncio

    conn = await connect_as("giin1")
    replies = await asyncio.gather(
        conn.request(m.ListMeetings()),
        conn.request(m.FetchOps(meeting_id="r8-4-somu", since=0)),
        conn.request(m.GetKeyEnvelopes(meeting_id="r8-4-somu")),
    )
    assert [type(r) for r in replies] == [m.MeetingsListed, m.OpsFetched, m.KeyEnvelopesDelivered]


async def test_streamed_downloads_hand_every_byte_to_a_slow_sink(connect_as: Connect) -> None:
    """Chunks that arrive while the sink is busy must not be lost when the transfer ends."""
    import asyncio
    import os

    clerk = await connect_as("jimukyoku")
    data = os.urandom(6_000_000)
    await clerk.upload(meeting_id="r8-4-somu", document_id="d", version=1, data=data, manifest=b"m")
    got = bytearray()
    lasts: list[bool] = []

    async def slow_sink(offset: int, piece: bytearray, last: bool) -> None:
        assert offset == 1_000_000 + len(got)
        await asyncio.sleep(0.02)
        got.extend(piece)
        lasts.append(last)

    ready = await clerk.download_to(
        meeting_id="r8-4-somu",
        document_id="d",
        version=1,
        offset=1_000_000,
        sink=slow_sink,
        flush_every=500_000,
    )
    assert ready.size == len(data) and bytes(got) == data[1_000_000:]
    # Only the piece that ends the blob says so (a store completes in that write).
    assert len(lasts) > 1 and lasts[-1] and not any(lasts[:-1])


async def test_chunks_that_arrive_with_the_reply_are_not_lost(connect_as: Connect) -> None:
    """The relay streams chunks right behind ``download_ready``; the reader must route them even
    before the downloading coroutine has woken up (here it is kept busy on purpose)."""
    import asyncio
    import os

    clerk = await connect_as("jimukyoku")
    data = os.urandom(200_000)
    await clerk.upload(meeting_id="r8-4-somu", document_id="d", version=1, data=data, manifest=b"m")

    async def busy() -> None:
        for _ in range(2000):
            await asyncio.sleep(0)

    for _ in range(20):
        hog = asyncio.create_task(busy())
        got = await clerk.download(meeting_id="r8-4-somu", document_id="d", version=1, timeout=10)
        await hog
        assert got == data


async def test_upload_with_a_precomputed_sha256_is_checked_by_the_relay(
    connect_as: Connect,
) -> None:
    """The encryptor's digest saves the connection a hashing pass; the relay still verifies it
    (and every chunk's digest, computed ahead in a worker thread)."""
    import hashlib
    import os

    clerk = await connect_as("jimukyoku")
    data = bytearray(os.urandom(2_500_000))
    info = await clerk.upload(
        meeting_id="r8-4-somu",
        document_id="d",
        version=1,
        data=data,
        manifest=b"m",
        chunk_size=300_000,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.size == len(data)
    assert await clerk.download(meeting_id="r8-4-somu", document_id="d", version=1) == data
    with pytest.raises(RelayError):
        await clerk.upload(
            meeting_id="r8-4-somu",
            document_id="e",
            version=1,
            data=data,
            manifest=b"m",
            sha256=hashlib.sha256(b"other").hexdigest(),
        )
