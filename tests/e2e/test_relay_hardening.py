"""Relay hardening found in review: races, revocation, frame sizes, rate limits — real sockets."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import PROTOCOL_MINOR, Chunk, ChunkKind, encode, encode_chunk
from furano_meet.protocol import messages as m
from server import demo
from server.demo import MEETING_ID, ORG_ID
from server.relay import Relay
from server.store import PendingUpload
from tests.conftest import Connect, StalledWriter, relay_config
from tests.e2e.council import publish_fake_versions, wait_until
from tests.server.handler_world import record_for


async def enrolled(relay: Relay, user: str, *, join: bool = False) -> RelayConnection:
    code = await relay.store.run(relay.store.issue_enrolment_code, user)
    conn = await RelayConnection.connect(relay.url)
    await conn.enrol(code, f"{user}'s device", f"keys of {user}".encode())
    if join:
        await conn.request(m.JoinMeeting(meeting_id=MEETING_ID))
    return conn


def unread_pushes(conn: RelayConnection) -> list[m.Msg | None]:
    """The pushes ``conn`` has received that nobody has read, left in place (``asyncio.Queue``
    has no public peek, so they are taken off and put back in the same order)."""
    unread = [conn.pushes.get_nowait() for _ in range(conn.pushes.qsize())]
    for push in unread:
        conn.pushes.put_nowait(push)
    return unread


@pytest.fixture
async def small_frames(tmp_path: Path) -> AsyncIterator[Relay]:
    """A relay whose frame limit is 64 KiB, so large replies are cheap to provoke."""
    config = relay_config(tmp_path, max_text_frame=64 * 1024, presenter_save_interval=1000.0)
    async with Relay(config) as running:
        await running.store.run(demo.seed, running.store)
        yield running


def count_store_calls(relay: Relay, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Count the calls the relay hands to its store thread from now on.

    A positive marker for "the relay has got as far as queuing its database work": the real
    store still runs every call, in the same order.
    """
    calls = 0
    real = relay.store.run

    def counted(fn: Callable[..., object], *args: object, **kwargs: object) -> Awaitable[object]:
        nonlocal calls
        calls += 1
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(relay.store, "run", counted)
    return lambda: calls


def begin(data: bytes, version: int = 1, document_id: str = "pack") -> m.BeginUpload:
    return m.BeginUpload(
        meeting_id=MEETING_ID,
        document_id=document_id,
        version=version,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        manifest=b"manifest",
    )


def chunk(transfer: int, offset: int, payload: bytes) -> bytes:
    digest = hashlib.sha256(payload).digest()
    return encode_chunk(Chunk(ChunkKind.UPLOAD, transfer, offset, payload, digest))


# -- frames the relay sends stay within welcome.max_frame ----------------------------------------


async def test_fetched_ops_stop_before_the_frame_limit(small_frames: Relay) -> None:
    member = await enrolled(small_frames, "giin1")
    assert member.welcome is not None and member.welcome.max_frame == 64 * 1024
    for i in range(8):
        op = m.NewOp(
            op_id=f"big-{i}",
            document_id="d",
            version=1,
            page=0,
            visibility="shared",
            kind="add",
            payload=os.urandom(20_000),
        )
        await member.request(m.AppendOps(meeting_id=MEETING_ID, ops=(op,)))
    since, seen = 0, []
    while True:
        page = await member.request(m.FetchOps(meeting_id=MEETING_ID, since=since, limit=100))
        assert isinstance(page, m.OpsFetched)
        assert len(encode(page).encode()) <= member.welcome.max_frame
        seen += [op.op_id for op in page.ops]
        since = page.last_seq
        if not page.more:
            break
    assert seen == [f"big-{i}" for i in range(8)]  # all of them, in pages, none twice
    await member.close()


async def test_meeting_joined_leaves_out_old_documents_rather_than_exceed_the_limit(
    small_frames: Relay,
) -> None:
    store = small_frames.store
    await publish_fake_versions(store, MEETING_ID, 20)
    member = await enrolled(small_frames, "giin1")
    joined = await member.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(joined, m.MeetingJoined) and joined.truncated
    assert len(encode(joined).encode()) <= 64 * 1024
    versions = [d.version for d in joined.documents]
    assert versions and versions == list(range(21 - len(versions), 21))  # the newest are kept
    await member.close()


async def test_list_documents_pages_through_every_version_within_the_frame_limit(
    small_frames: Relay,
) -> None:
    store = small_frames.store
    await publish_fake_versions(store, MEETING_ID, 20)
    member = await enrolled(small_frames, "giin1")
    assert member.welcome is not None
    offset, versions, pages = 0, [], 0
    while True:
        page = await member.request(m.ListDocuments(meeting_id=MEETING_ID, offset=offset))
        assert isinstance(page, m.DocumentsListed)
        assert len(encode(page).encode()) <= member.welcome.max_frame
        assert page.documents  # always progresses while documents remain
        versions += [d.version for d in page.documents]
        offset, pages = page.next_offset, pages + 1
        if not page.more:
            break
    assert versions == list(range(1, 21)) and pages > 1  # all, oldest first, none twice
    tail = await member.request(m.ListDocuments(meeting_id=MEETING_ID, offset=20))
    assert isinstance(tail, m.DocumentsListed) and tail.documents == () and not tail.more
    outsider = await enrolled(small_frames, "admin")  # not a member of the meeting
    with pytest.raises(RelayError) as refused:
        await outsider.request(m.ListDocuments(meeting_id=MEETING_ID))
    assert refused.value.code in {"forbidden", "not_found"}
    await member.close()
    await outsider.close()


async def test_list_device_keys_pages_within_the_frame_limit_and_not_for_old_peers(
    small_frames: Relay,
) -> None:
    store = small_frames.store
    for index in range(12):  # a big meeting: 12 devices whose keys take ~11 KB each encoded
        code = await store.run(store.issue_enrolment_code, ("giin1", "giin2", "giin3")[index % 3])
        device = await RelayConnection.connect(small_frames.url)
        await device.enrol(code, f"tablet {index}", os.urandom(8000))
        await device.close()
    member = await enrolled(small_frames, "giin1")
    assert member.welcome is not None
    offset, seen, pages = 0, [], 0
    while True:
        page = await member.request(m.ListDeviceKeys(meeting_id=MEETING_ID, offset=offset))
        assert isinstance(page, m.DeviceKeysListed)
        assert len(encode(page).encode()) <= member.welcome.max_frame
        assert page.devices
        seen += [d.device_id for d in page.devices]
        offset, pages = page.next_offset, pages + 1
        if not page.more:
            break
    assert pages > 1 and len(seen) == len(set(seen)) == 13  # 12 tablets + this device
    # A 1.1 peer cannot page, so it gets every device in one reply, as before 1.2.
    code = await store.run(store.issue_enrolment_code, "giin2")
    old = await RelayConnection.connect(small_frames.url, minor=1)
    await old.enrol(code, "old tablet", b"keys")
    listed = await old.request(m.ListDeviceKeys(meeting_id=MEETING_ID))
    assert isinstance(listed, m.DeviceKeysListed) and len(listed.devices) == 14
    await member.close()
    await old.close()


# -- rate limiting -------------------------------------------------------------------------------


# A bucket that refills slowly: however fast or slow the machine, sending burst + 50 requests
# outruns it, so some are refused — and each refusal must still carry its rid.
@pytest.mark.relay_config(rate_per_second=2.0, rate_burst=40.0)
async def test_every_rate_limited_request_is_answered_with_its_rid(
    connect_as: Connect, relay: Relay
) -> None:
    conn = await connect_as("giin1")
    rids = range(1000, 1000 + int(relay.config.rate_burst) + 50)
    for rid in rids:
        await conn.ws.send(encode(m.ListMeetings(rid=rid)))
    answered: dict[int, str] = {}
    async with asyncio.timeout(10):
        while len(answered) < len(rids):
            push = await conn._next_push()  # noqa: SLF001 - raw rids are not tracked requests
            answered[push.rid] = push.code if isinstance(push, m.Failed) else push.TYPE
    assert set(answered) == set(rids)
    assert "rate_limited" in answered.values()
    assert "meetings_listed" in answered.values()
    await conn.close()


# -- revocation ----------------------------------------------------------------------------------


async def test_a_revoked_device_is_not_served_any_more_not_even_its_download(
    connect_as: Connect, relay: Relay
) -> None:
    clerk = await connect_as("jimukyoku")
    data = os.urandom(3_000_000)
    await clerk.upload(
        meeting_id=MEETING_ID, document_id="pack", version=1, data=data, manifest=b""
    )
    tablet = await connect_as("giin1", join=True)
    assert tablet.identity is not None
    async with StalledWriter(relay, "giin1") as stalled:
        outbox = stalled.client.outbox
        await tablet.send(m.BeginDownload(meeting_id=MEETING_ID, document_id="pack", version=1))
        await wait_until(lambda: outbox.streaming == 1, timeout=5)  # the download is queued
        await relay.store.run(relay.store.revoke_device, tablet.identity.device_id)
        await relay.apply_admin_changes()
        assert outbox.streaming == 0  # the download stops at once
        assert stalled.client.rooms == set()
        revoked_only = outbox.queued_bytes  # just the device_revoked frame
        late = asyncio.ensure_future(tablet.request(m.ListMeetings()))
        # The refusal of the late request is queued behind device_revoked before the writer
        # runs again, so it is sent before the close.
        await wait_until(lambda: outbox.queued_bytes > revoked_only, timeout=5)
    with pytest.raises(RelayError) as refused:
        await late
    assert refused.value.code == "device_revoked"
    assert (await tablet.expect(m.DeviceRevoked)).device_id == tablet.identity.device_id
    async with asyncio.timeout(5):
        await tablet.ws.wait_closed()
    assert tablet.ws.close_code == 1008
    assert not any(isinstance(p, m.DownloadReady) for p in unread_pushes(tablet))


# -- publishing races ----------------------------------------------------------------------------


async def test_two_clerks_publishing_the_same_version_the_second_gets_a_conflict(
    connect_as: Connect, relay: Relay
) -> None:
    first, second = await connect_as("jimukyoku"), await connect_as("jimukyoku")
    mine, theirs = os.urandom(50_000), os.urandom(60_000)
    ready_a = await first.request(begin(mine))
    ready_b = await second.request(begin(theirs))  # both pass the check at begin_upload
    assert isinstance(ready_a, m.UploadReady) and isinstance(ready_b, m.UploadReady)
    await first.send_raw(chunk(ready_a.transfer, 0, mine))
    await second.send_raw(chunk(ready_b.transfer, 0, theirs))
    published = await first.request(m.FinishUpload(transfer=ready_a.transfer))
    assert isinstance(published, m.DocumentPublished)
    with pytest.raises(RelayError) as refused:
        await second.request(m.FinishUpload(transfer=ready_b.transfer))
    assert refused.value.code == "conflict"
    assert not relay.blobs.exists(hashlib.sha256(theirs).hexdigest())
    joined = await second.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(joined, m.MeetingJoined)
    assert [d.sha256 for d in joined.documents] == [hashlib.sha256(mine).hexdigest()]


async def test_one_writer_per_partial_upload_so_nothing_corrupt_is_published(
    connect_as: Connect, relay: Relay
) -> None:
    first, second = await connect_as("jimukyoku"), await connect_as("jimukyoku")
    data = os.urandom(200_000)
    ready_a = await first.request(begin(data))
    ready_b = await second.request(begin(data))  # e.g. the clerk reconnected: it takes over
    assert isinstance(ready_a, m.UploadReady) and isinstance(ready_b, m.UploadReady)
    taken = await first.expect(m.Failed)
    assert (taken.code, taken.transfer) == ("conflict", ready_a.transfer)
    for offset in range(0, len(data), 50_000):
        await first.send_raw(chunk(ready_a.transfer, offset, data[offset : offset + 50_000]))
    await second.send_raw(chunk(ready_b.transfer, 0, b"garbage!" * 25_000))
    with pytest.raises(RelayError) as stopped:
        await first.request(m.FinishUpload(transfer=ready_a.transfer))
    assert stopped.value.code == "unknown_transfer"  # its transfer ended at the take-over
    with pytest.raises(RelayError) as corrupt:
        await second.request(m.FinishUpload(transfer=ready_b.transfer))
    assert corrupt.value.code == "hash_mismatch"
    for blob in (p for p in relay.blobs.blobs.rglob("*") if p.is_file()):
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    info = await second.upload(
        meeting_id=MEETING_ID, document_id="pack", version=1, data=data, manifest=b""
    )
    assert relay.blobs.path(info.sha256).read_bytes() == data


# -- key holders, removals -----------------------------------------------------------------------


async def test_removed_members_are_not_asked_to_seal_keys(
    connect_as: Connect, relay: Relay
) -> None:
    # (1.3) Only clerks' and administrators' devices hand out meeting keys: the leaver is a
    # second clerk, who re-seals the epoch the first one recorded.
    await relay.store.run(relay.store.add_user, "shoki2", ORG_ID, "書記 2", "clerk")
    await relay.store.run(
        relay.store.set_members, MEETING_ID, ["jimukyoku", "iincho", "giin1", "giin2", "shoki2"]
    )
    clerk, leaver = await connect_as("jimukyoku"), await connect_as("shoki2")
    assert clerk.identity is not None
    record = record_for(clerk.identity.device_id, 1)
    for conn in (clerk, leaver):
        assert conn.identity is not None
        own = m.KeyEnvelope(
            device_id=conn.identity.device_id,
            epoch=1,
            envelope=b"k",
            epoch_record=record if conn is clerk else b"",
            record_signer=b"certificate" if conn is clerk else b"",
        )
        await conn.request(m.PutKeyEnvelopes(meeting_id=MEETING_ID, envelopes=(own,)))
    await relay.store.run(
        relay.store.set_members, MEETING_ID, ["jimukyoku", "iincho", "giin1", "giin2"]
    )
    newcomer = await connect_as("giin1", join=True)
    assert newcomer.identity is not None
    asked = await clerk.expect(m.KeyNeeded)
    assert [d.device_id for d in asked.devices] == [newcomer.identity.device_id]
    await leaver.request(m.ListMeetings())  # a round trip: a key_needed would have arrived
    assert not any(isinstance(p, m.KeyNeeded) for p in unread_pushes(leaver))


async def test_failures_about_a_meeting_name_it(connect_as: Connect, relay: Relay) -> None:
    member = await connect_as("giin3", join=True)
    with pytest.raises(RelayError) as refused:
        await member.request(m.FetchOps(meeting_id="someone-elses", since=0))
    assert refused.value.failed is not None
    assert refused.value.failed.meeting_id == "someone-elses"
    await relay.store.run(relay.store.set_members, MEETING_ID, ["jimukyoku", "iincho"])
    await relay.apply_admin_changes()
    removed = await member.expect(m.Failed)
    assert (removed.code, removed.meeting_id) == ("forbidden", MEETING_ID)
    assert member.welcome is not None and member.welcome.minor == PROTOCOL_MINOR


# -- the presenter -------------------------------------------------------------------------------


async def test_a_join_racing_the_last_leave_keeps_the_presenter_state(
    small_frames: Relay, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = small_frames
    chair = await enrolled(relay, "iincho", join=True)
    for page in range(5):
        await chair.send(
            m.PresentPage(meeting_id=MEETING_ID, document_id="d", version=1, page=page)
        )
    await chair.request(m.ListMeetings())  # all five turns processed (seq 5, unsaved)
    member = await enrolled(relay, "giin1")
    gate = threading.Event()
    blocked = asyncio.ensure_future(relay.store.run(gate.wait))  # hold the store thread
    submitted = count_store_calls(relay, monkeypatch)
    try:
        joining = asyncio.ensure_future(member.request(m.JoinMeeting(meeting_id=MEETING_ID)))
        await wait_until(lambda: submitted() >= 1, timeout=5)  # the join's snapshot is queued
        await chair.send(m.LeaveMeeting(meeting_id=MEETING_ID))
        # The room is gone; its save waits behind the join.
        await wait_until(lambda: MEETING_ID not in relay.rooms, timeout=5)
    finally:
        gate.set()
        await blocked
    joined = await joining
    assert isinstance(joined, m.MeetingJoined)
    assert (joined.presenter.seq, joined.presenter.page) == (5, 4)
    await chair.close()
    await member.close()


# -- housekeeping --------------------------------------------------------------------------------


async def test_abandoned_uploads_are_cleaned_up_file_and_row_together(tmp_path: Path) -> None:
    config = relay_config(tmp_path, partial_upload_ttl=3600.0)
    async with Relay(config) as relay:
        await relay.store.run(demo.seed, relay.store)
        for key in ("old", "fresh", "rowonly"):
            upload = PendingUpload(key, MEETING_ID, key, 1, 10, "a" * 64, b"", "dev")
            await relay.store.run(relay.store.save_upload, upload)
    uploads = config.data_dir / "uploads"
    for key in ("old", "fresh", "fileonly"):
        (uploads / f"{key}.part").write_bytes(b"part")
    long_ago = time.time() - 7200
    for key in ("old", "fileonly"):
        os.utime(uploads / f"{key}.part", (long_ago, long_ago))
    db = sqlite3.connect(config.database_path)
    with db:
        db.execute(
            "UPDATE uploads SET created_at = '2000-01-01T00:00:00Z' WHERE transfer_key != 'fresh'"
        )
    db.close()
    async with Relay(config) as relay:
        assert set(await relay.store.run(relay.store.upload_keys)) == {"fresh"}
    assert sorted(p.name for p in uploads.iterdir()) == ["fresh.part"]
