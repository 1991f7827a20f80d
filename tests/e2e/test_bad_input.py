"""Bad input gets a clear, typed error; the relay keeps serving everyone else."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import (
    Chunk,
    ChunkKind,
    LocalProtocolError,
    decode,
    encode,
    encode_chunk,
)
from furano_meet.protocol import messages as m
from server import demo
from server.demo import MEETING_ID
from server.relay import Relay
from tests.conftest import Connect, relay_config


async def failed_reply(conn: RelayConnection, frame: str | bytes) -> m.Failed:
    await conn.send_raw(frame)
    return await conn.expect(m.Failed)


async def still_serves(conn: RelayConnection) -> None:
    listed = await conn.request(m.ListMeetings())
    assert isinstance(listed, m.MeetingsListed)


async def test_malformed_frames_get_typed_errors_and_the_connection_survives(
    connect_as: Connect,
) -> None:
    conn = await connect_as("giin1")
    cases = {
        "{this is not json": "malformed_frame",
        "[]": "malformed_frame",
        json.dumps({"v": 1, "type": "teleport", "rid": 5}): "unknown_type",
        json.dumps({"v": 1, "type": "join_meeting", "rid": 6, "meeting_id": 42}): "invalid_field",
        json.dumps(
            {"v": 1, "type": "join_meeting", "rid": 7, "meeting_id": "m", "x": 1}
        ): "unknown_field",
        json.dumps({"v": 1, "type": "fetch_ops", "meeting_id": "m", "since": -5}): "invalid_field",
        json.dumps({"v": 1, "type": "welcome", "major": 1}): "unexpected_message",
        json.dumps({"v": 9, "type": "list_meetings"}): "version_unsupported",
    }
    for frame, code in cases.items():
        failed = await failed_reply(conn, frame)
        assert failed.code == code, frame
        assert failed.message  # readable, not empty
        if code != "version_unsupported":
            await still_serves(conn)


async def test_frames_over_the_limit(connect_as: Connect, relay: Relay) -> None:
    conn = await connect_as("giin1")
    big_text = json.dumps(
        {"v": 1, "type": "list_meetings", "pad": "x" * relay.config.max_text_frame}
    )
    failed = await failed_reply(conn, big_text[: relay.config.max_text_frame + 10])
    assert failed.code == "frame_too_large"
    await still_serves(conn)
    await conn.send_raw(b"\x01" * (relay.config.max_chunk + 1000))  # beyond the socket's max_size
    with pytest.raises(RelayError) as closed:
        await conn.request(m.ListMeetings())
    assert "1009" in closed.value.message  # "message too big"
    other = await connect_as("giin2")
    await still_serves(other)


async def test_binary_frames_before_authentication_and_for_unknown_transfers(relay: Relay) -> None:
    conn = await RelayConnection.connect(relay.url)
    failed = await failed_reply(conn, encode_chunk(Chunk(ChunkKind.UPLOAD, 1, 0, b"data")))
    assert failed.code == "not_authenticated"
    with pytest.raises(LocalProtocolError):  # our own client refuses to send it …
        await conn.request(m.ListMeetings())
    refused = await failed_reply(conn, encode(m.ListMeetings(rid=5)))  # … a hostile one may
    assert (refused.code, refused.rid) == ("not_authenticated", 5)
    await conn.close()


async def test_wrong_and_revoked_credentials(relay: Relay) -> None:
    code = await relay.store.run(relay.store.issue_enrolment_code, "giin1")
    conn = await RelayConnection.connect(relay.url)
    enrolled = await conn.enrol(code, "tablet", b"pk")
    await conn.close()
    for device_id, token, expected in (
        (
            enrolled.device_id,
            enrolled.token[:-1] + ("B" if enrolled.token[-1] == "A" else "A"),
            "bad_credentials",
        ),
        ("dev-0000000000000000", enrolled.token, "bad_credentials"),
    ):
        probe = await RelayConnection.connect(relay.url)
        with pytest.raises(RelayError) as refused:
            await probe.authenticate(device_id, token)
        assert refused.value.code == expected
        await probe.close()
    await relay.store.run(relay.store.revoke_device, enrolled.device_id)
    probe = await RelayConnection.connect(relay.url)
    with pytest.raises(RelayError) as revoked:
        await probe.authenticate(enrolled.device_id, enrolled.token)
    assert revoked.value.code == "device_revoked"
    await probe.close()


async def test_a_replayed_enrolment_code_is_refused(relay: Relay) -> None:
    code = await relay.store.run(relay.store.issue_enrolment_code, "giin1")
    first = await RelayConnection.connect(relay.url)
    await first.enrol(code, "tablet", b"pk")
    second = await RelayConnection.connect(relay.url)
    with pytest.raises(RelayError) as refused:
        await second.enrol(code, "attacker", b"pk")
    assert refused.value.code == "enrolment_code_invalid"
    assert "clerk" in refused.value.message
    await first.close()
    await second.close()


async def test_an_incompatible_client_gets_a_clear_refusal_not_a_hang(relay: Relay) -> None:
    with pytest.raises(RelayError) as refused:
        await RelayConnection.connect(relay.url, major=2)
    assert refused.value.code == "version_unsupported"
    assert "Update the relay" in refused.value.message


async def test_too_many_connections_per_device(connect_as: Connect, relay: Relay) -> None:
    first = await connect_as("giin1")
    assert first.identity is not None and isinstance(first.identity, m.Enrolled)
    extra = []
    for _ in range(relay.config.max_connections_per_device - 1):
        conn = await RelayConnection.connect(relay.url)
        await conn.authenticate(first.identity.device_id, first.identity.token)
        extra.append(conn)
    over = await RelayConnection.connect(relay.url)
    with pytest.raises(RelayError) as refused:
        await over.authenticate(first.identity.device_id, first.identity.token)
    assert refused.value.code == "too_many_connections"
    for conn in [*extra, over]:
        await conn.close()


# Slow refill and a low cut-off so the flood outruns the bucket on any machine.
@pytest.mark.relay_config(rate_per_second=5.0, rate_burst=50.0, flood_close_after=300)
async def test_a_flood_is_refused_then_cut_off_while_others_are_served(
    connect_as: Connect, relay: Relay
) -> None:
    chair = await connect_as("iincho", join=True)
    member = await connect_as("giin2", join=True)
    flooder = await connect_as("giin1")
    frame = encode(m.ListMeetings(rid=999))
    for _ in range(relay.config.flood_close_after + int(relay.config.rate_burst) + 500):
        await flooder.ws.send(frame)
    await chair.send(m.PresentPage(meeting_id=MEETING_ID, document_id="p", version=1, page=1))
    async with asyncio.timeout(5):
        assert (await member.expect(m.PresenterChanged)).state.page == 1
    limited = await flooder.expect(m.Failed)
    assert limited.code == "rate_limited" and limited.retry_after > 0
    async with asyncio.timeout(5):
        await flooder.ws.wait_closed()
    assert flooder.ws.close_code == 1008
    await still_serves(member)


async def test_a_client_that_never_reads_is_dropped_without_hurting_others(tmp_path: Path) -> None:
    config = relay_config(tmp_path, ping_interval=0.2, ping_timeout=0.3, close_timeout=0.3)
    async with Relay(config) as relay:
        await relay.store.run(demo.seed, relay.store)
        codes = {u: c for u, _, c in await relay.store.run(demo.codes, relay.store)}
        chair = await RelayConnection.connect(relay.url)
        await chair.enrol(codes["iincho"], "pc", b"pk")
        await chair.request(m.JoinMeeting(meeting_id=MEETING_ID))
        good = await RelayConnection.connect(relay.url)
        await good.enrol(codes["giin2"], "t", b"pk")
        await good.request(m.JoinMeeting(meeting_id=MEETING_ID))
        # A raw client that enrols, joins, then stops reading its socket entirely.
        async with connect(relay.url, ping_interval=None, close_timeout=0.2) as deaf:
            for message in (
                m.Hello(rid=1, major=1, minor=0),
                m.Enrol(rid=2, code=codes["giin1"], device_name="deaf", public_keys=b"k"),
                m.JoinMeeting(rid=3, meeting_id=MEETING_ID),
            ):
                await deaf.send(encode(message))
                reply = decode(await deaf.recv())
                assert reply.rid == message.rid
            assert deaf.transport is not None
            deaf.transport.pause_reading()
            for page in range(200):
                await chair.send(
                    m.PresentPage(meeting_id=MEETING_ID, document_id="p", version=1, page=page)
                )
                assert (await good.expect(m.PresenterChanged, timeout=2)).state.page == page
            async with asyncio.timeout(5):
                while any(
                    c.identity and c.identity.user_id == "giin1" for c in relay.clients.values()
                ):
                    await asyncio.sleep(0.05)
        await chair.close()
        await good.close()


async def test_binary_garbage_after_authentication(connect_as: Connect) -> None:
    conn = await connect_as("jimukyoku")
    for frame, code in (
        (b"\x07" + b"\0" * 30, "malformed_frame"),
        (b"\x01", "malformed_frame"),
        (encode_chunk(Chunk(ChunkKind.UPLOAD, 77, 0, b"x")), "unknown_transfer"),
    ):
        failed = await failed_reply(conn, frame)
        assert failed.code == code
        if code == "unknown_transfer":
            assert failed.transfer == 77  # so the client knows which transfer is meant
    await still_serves(conn)


async def test_closing_mid_request_does_not_disturb_the_relay(
    connect_as: Connect, relay: Relay
) -> None:
    conn = await connect_as("giin1")
    await conn.ws.send(encode(m.JoinMeeting(rid=50, meeting_id=MEETING_ID)))
    await conn.ws.close()
    with pytest.raises(ConnectionClosed):
        await conn.ws.send("x")
    other = await connect_as("giin2", join=True)
    await still_serves(other)
    assert all(c.identity is None or c.identity.user_id != "giin1" for c in relay.clients.values())
