"""Hostile or careless clients against the real relay: what they can pin is bounded.

Each case is one finding of a review that attacked the relay on 127.0.0.1.  The figures are
asserted as bounds — memory (RSS), open files, replies processed — and every test checks that
a real second client is still answered; none asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time

import psutil  # type: ignore[import-untyped]  # no stubs in the venv
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from furano_meet.net import RelayConnection
from furano_meet.protocol import Chunk, ChunkKind, decode, encode, encode_chunk
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.relay import Connection, Relay
from tests.conftest import Connect

MiB = 1024 * 1024
PROXY = ("127.0.0.1",)
"""The tests' connections come "through a proxy" on 127.0.0.1 that names their address."""


async def still_serves(conn: RelayConnection) -> None:
    async with asyncio.timeout(10):
        assert isinstance(await conn.request(m.ListMeetings()), m.MeetingsListed)


def raw(relay: Relay, address: str = "", **options: object) -> connect:
    """A hand-driven connection (as a hostile client would open one), from ``address``."""
    headers = {"X-Forwarded-For": address} if address else {}
    return connect(relay.url, ping_interval=None, additional_headers=headers, **options)  # type: ignore[arg-type]


async def said(ws: ClientConnection, message: m.Msg) -> m.Msg:
    await ws.send(encode(message))
    reply = decode(await ws.recv())
    assert reply.rid == message.rid, reply
    return reply


async def enrol_raw(ws: ClientConnection, relay: Relay, user: str) -> None:
    code = await relay.store.run(relay.store.issue_enrolment_code, user)
    await said(ws, m.Hello(rid=1, major=1, minor=2))
    enrolled = await said(ws, m.Enrol(rid=2, code=code, device_name="raw", public_keys=b"k"))
    assert isinstance(enrolled, m.Enrolled)


def relay_side(relay: Relay, user: str) -> Connection:
    return next(c for c in relay.clients.values() if c.identity and c.identity.user_id == user)


async def gone(relay: Relay, user: str) -> None:
    """Wait until the relay has let go of ``user``'s connection (a positive marker)."""
    async with asyncio.timeout(10):
        while any(c.identity and c.identity.user_id == user for c in relay.clients.values()):
            await asyncio.sleep(0.01)


# -- downloads -------------------------------------------------------------------------------


@pytest.mark.relay_config(rate_burst=2000.0, ping_interval=None)
async def test_downloads_requested_and_never_read_pin_neither_memory_nor_files(
    connect_as: Connect, relay: Relay
) -> None:
    clerk = await connect_as("jimukyoku")
    await clerk.upload(
        meeting_id=MEETING_ID,
        document_id="pack",
        version=1,
        data=os.urandom(4 * MiB),
        manifest=b"m",
    )
    me = psutil.Process()
    async with raw(relay, max_size=None, close_timeout=0.2) as deaf:
        await enrol_raw(deaf, relay, "giin1")
        assert deaf.transport is not None
        deaf.transport.pause_reading()
        rss, files = me.memory_info().rss, me.num_fds()
        for rid in range(10, 510):
            download = m.BeginDownload(
                rid=rid, meeting_id=MEETING_ID, document_id="pack", version=1
            )
            await deaf.send(encode(download))
        await deaf.send(encode(m.JoinMeeting(rid=600, meeting_id=MEETING_ID)))
        async with asyncio.timeout(20):  # frames are handled in order: the join comes last
            while MEETING_ID not in relay_side(relay, "giin1").rooms:
                await asyncio.sleep(0.01)
        held = relay_side(relay, "giin1")
        assert held.outbox.streaming <= relay.config.max_downloads_per_connection
        assert me.num_fds() - files <= relay.config.max_downloads_per_connection + 4
        assert me.memory_info().rss - rss < 48 * MiB  # was 500 × 256 KiB buffers = 125 MiB
        await still_serves(await connect_as("giin2"))
    await gone(relay, "giin1")
    assert me.num_fds() <= files  # its files were released with the connection


# -- binary frames ---------------------------------------------------------------------------


@pytest.mark.parametrize("logged_in", [False, True])
@pytest.mark.relay_config(binary_frames_per_second=100.0, login_timeout=60.0)
async def test_a_binary_flood_is_paced_before_and_after_login(
    connect_as: Connect, relay: Relay, logged_in: bool
) -> None:
    rate = relay.config.binary_frames_per_second
    async with raw(relay) as flooder:
        if logged_in:
            await enrol_raw(flooder, relay, "giin1")
        answered = 0

        async def count() -> None:
            nonlocal answered
            async for frame in flooder:
                failed = decode(frame)
                assert isinstance(failed, m.Failed)
                assert failed.code == ("unknown_transfer" if logged_in else "not_authenticated")
                answered += 1

        counting = asyncio.create_task(count())
        start = time.monotonic()
        frame = encode_chunk(Chunk(ChunkKind.UPLOAD, 7, 0, b"x"))
        for _ in range(3000):
            await flooder.send(frame)
        await still_serves(await connect_as("giin2"))  # a real client is served meanwhile
        elapsed = time.monotonic() - start
        assert answered <= rate * (1 + elapsed) + 50  # the burst, the rate, a margin: not 3000
        counting.cancel()
        assert flooder.transport is not None
        flooder.transport.abort()  # its close frame would queue behind the paced flood


# -- connections that never log in, and too many connections ----------------------------------


@pytest.mark.relay_config(login_timeout=0.5)
async def test_a_connection_that_never_logs_in_is_told_and_closed_at_the_deadline(
    connect_as: Connect, relay: Relay
) -> None:
    member = await connect_as("giin2")  # logged in before the idle one connects
    async with raw(relay) as idle:
        await said(idle, m.Hello(rid=1, major=1, minor=2))
        failed = decode(await idle.recv())
        assert isinstance(failed, m.Failed) and failed.code == "not_authenticated"
        assert failed.fatal
        with pytest.raises(ConnectionClosed):
            await idle.recv()
        assert idle.close_code == 1008 and idle.close_reason == "login timeout"
    await still_serves(member)  # its deadline passed too, but it had logged in


async def test_before_login_a_frame_is_small_after_login_the_usual_limit(
    connect_as: Connect, relay: Relay
) -> None:
    big = json.dumps({"v": 1, "type": "list_meetings", "pad": "x" * (100 * 1024)})
    async with raw(relay) as stranger:
        await stranger.send(big)
        with pytest.raises(ConnectionClosed):
            await stranger.recv()
        assert stranger.close_code == 1009  # message too big, before any memory is spent on it
    member = await connect_as("giin1")
    await member.send_raw(big)
    assert (await member.expect(m.Failed)).code == "unknown_field"  # read, then refused
    await still_serves(member)


@pytest.mark.relay_config(trusted_proxies=PROXY, max_connections_per_address=5, max_connections=12)
async def test_connections_are_capped_per_address_and_overall(
    connect_as: Connect, relay: Relay
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard in (soft, resource.RLIM_INFINITY)  # raised at start where allowed
    me = psutil.Process()
    async with contextlib_stack() as opened:
        for _ in range(5):
            opened.append(await raw(relay, "10.0.0.66").__aenter__())
        files = me.num_fds()
        for _ in range(50):
            with pytest.raises(InvalidStatus) as refused:
                await raw(relay, "10.0.0.66").__aenter__()
            assert refused.value.response.status_code == 503
        assert me.num_fds() <= files + 2  # refused connections hold nothing
        member = await connect_as("giin2")  # another address is still served
        await still_serves(member)
        for n in range(6):
            opened.append(await raw(relay, f"10.0.1.{n}").__aenter__())
        assert relay.admission.open == 12
        with pytest.raises(InvalidStatus):
            await raw(relay, "10.0.2.1").__aenter__()
        await still_serves(member)


class contextlib_stack:  # noqa: N801 - reads like the contextlib helper it stands for
    """Closes every raw connection opened inside it."""

    async def __aenter__(self) -> list[ClientConnection]:
        self.opened: list[ClientConnection] = []
        return self.opened

    async def __aexit__(self, *exc: object) -> None:
        for ws in self.opened:
            await ws.close()


# -- enrolment codes, uploads, invalid text ---------------------------------------------------


@pytest.mark.relay_config(
    trusted_proxies=PROXY, enrol_attempts_per_connection=3, enrol_attempts_per_address=6
)
async def test_guessing_enrolment_codes_is_cut_short_per_connection_and_per_address(
    relay: Relay,
) -> None:
    refusals: list[str] = []
    for _ in range(2):
        async with raw(relay, "10.0.0.66") as guesser:
            await said(guesser, m.Hello(rid=1, major=1, minor=2))
            for rid in range(2, 12):
                try:
                    reply = await said(
                        guesser,
                        m.Enrol(
                            rid=rid, code="ZZZZ-ZZZZ-ZZZZ-ZZZZ", device_name="g", public_keys=b"k"
                        ),
                    )
                except ConnectionClosed:
                    break
                assert isinstance(reply, m.Failed)
                refusals.append(reply.code)
            assert guesser.close_code == 1008  # three wrong on one connection: closed
    assert refusals == ["enrolment_code_invalid"] * 6
    code = await relay.store.run(relay.store.issue_enrolment_code, "giin1")
    async with raw(relay, "10.0.0.66") as guesser:
        await said(guesser, m.Hello(rid=1, major=1, minor=2))
        wait = await said(guesser, m.Enrol(rid=2, code=code, device_name="g", public_keys=b"k"))
        assert isinstance(wait, m.Failed) and wait.code == "rate_limited"
    async with raw(relay, "10.0.0.7") as council_pc:  # the council's own network is not blocked
        await said(council_pc, m.Hello(rid=1, major=1, minor=2))
        enrolled = await said(
            council_pc, m.Enrol(rid=2, code=code, device_name="t", public_keys=b"k")
        )
        assert isinstance(enrolled, m.Enrolled)


@pytest.mark.relay_config(max_document=2**50)
async def test_many_uploads_on_one_connection_and_more_than_the_disk_holds_are_refused(
    connect_as: Connect, relay: Relay
) -> None:
    free = psutil.disk_usage(str(relay.blobs.uploads)).free
    async with raw(relay) as clerk:
        await enrol_raw(clerk, relay, "jimukyoku")
        for n in range(50):
            begin = m.BeginUpload(
                rid=100 + n,
                meeting_id=MEETING_ID,
                document_id=f"doc-{n}",
                version=1,
                size=free // 3,
                sha256=f"{n:064x}",
                manifest=b"m",
            )
            await clerk.send(encode(begin))
        replies = [decode(await clerk.recv()) for _ in range(50)]
    ready = [r for r in replies if isinstance(r, m.UploadReady)]
    assert 1 <= len(ready) <= relay.config.max_uploads_per_connection
    assert len(ready) * (free // 3) <= free  # never more announced than the disk holds
    codes = {r.code for r in replies if isinstance(r, m.Failed)}
    assert codes and codes <= {"rate_limited", "storage_unavailable"}
    assert len(list(relay.blobs.uploads.glob("*.part"))) == len(ready)
    await still_serves(await connect_as("giin2"))


async def test_invalid_text_is_refused_as_bad_input_and_the_connection_survives(
    connect_as: Connect, relay: Relay
) -> None:
    member = await connect_as("giin1")
    lone = '{"v":1,"type":"join_meeting","rid":5,"meeting_id":"\\ud800"}'
    failed = await _failed(member, lone)
    assert (failed.code, failed.rid) == ("invalid_field", 5)
    await still_serves(member)
    async with raw(relay) as stranger:
        await said(stranger, m.Hello(rid=1, major=1, minor=2))
        frame = '{"v":1,"type":"authenticate","rid":2,"device_id":"d","token":"\\ud800"}'
        await stranger.send(frame)
        refused = decode(await stranger.recv())
        assert isinstance(refused, m.Failed) and refused.code == "invalid_field"


async def _failed(conn: RelayConnection, frame: str) -> m.Failed:
    await conn.send_raw(frame)
    return await conn.expect(m.Failed)
