"""Uploads driven without sockets: claim, chunks, verification, publishing, clean-up."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import ErrorCode, ProtocolError
from furano_meet.protocol import messages as m
from server.blobs import transfer_key
from server.demo import MEETING_ID
from server.handlers import meetings, uploads

from .handler_world import (
    World,
    ask,
    close_world,
    mailbox,
    open_world,
    publish,
    refused,
    send_chunk,
)

DATA = bytes(range(256)) * 40


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path, progress_every=4096)
    yield w
    close_world(w)


def begin(data: bytes = DATA, *, rid: int = 1, version: int = 1) -> m.BeginUpload:
    return m.BeginUpload(
        rid=rid,
        meeting_id=MEETING_ID,
        document_id="gian-12",
        version=version,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        manifest=b"signed manifest",
    )


async def test_a_clerk_publishes_and_the_room_is_told(world: World) -> None:
    member = world.connect("giin1")
    await ask(world, meetings.join, member, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
    mailbox(member).take()
    clerk = world.connect("jimukyoku")
    document = await publish(world, clerk, DATA)
    assert (document.document_id, document.size) == ("gian-12", len(DATA))
    assert world.state.blobs.path(document.sha256).read_bytes() == DATA
    pushed = mailbox(member).only(m.DocumentPublished)
    assert pushed.document == document and pushed.rid == 0
    assert world.state.uploading == {} and world.store.upload_keys() == {}


async def test_progress_is_acknowledged_every_so_many_bytes(world: World) -> None:
    clerk = world.connect("jimukyoku")
    await ask(world, uploads.begin_upload, clerk, begin())
    transfer = mailbox(clerk).only(m.UploadReady).transfer
    await send_chunk(world, clerk, transfer, 0, DATA[:5000])
    assert mailbox(clerk).only(m.UploadProgress).offset == 5000
    await send_chunk(world, clerk, transfer, 5000, DATA[5000:6000])
    assert mailbox(clerk).take() == []  # 1,000 bytes since the last fsync: not yet


async def test_only_the_clerks_office_publishes(world: World) -> None:
    member = world.connect("giin1")
    assert await refused(world, uploads.begin_upload, member, begin()) is ErrorCode.FORBIDDEN


async def test_an_out_of_order_chunk_stops_the_upload_which_resumes_where_it_was(
    world: World,
) -> None:
    clerk = world.connect("jimukyoku")
    await ask(world, uploads.begin_upload, clerk, begin())
    transfer = mailbox(clerk).only(m.UploadReady).transfer
    await send_chunk(world, clerk, transfer, 0, DATA[:1000])
    await send_chunk(world, clerk, transfer, 2000, DATA[2000:3000])
    stopped = mailbox(clerk).only(m.Failed)
    assert stopped.code == ErrorCode.CHUNK_OUT_OF_ORDER
    assert (stopped.transfer, stopped.resume_offset) == (transfer, 1000)
    await send_chunk(world, clerk, transfer, 1000, DATA[1000:2000])
    assert mailbox(clerk).take() == []  # chunks still in flight for a dead transfer: ignored
    await ask(world, uploads.begin_upload, clerk, begin(rid=2))
    assert mailbox(clerk).only(m.UploadReady).offset == 1000


async def test_a_newer_begin_takes_the_upload_over_from_another_connection(
    world: World,
) -> None:
    old, new = world.connect("jimukyoku"), world.connect("jimukyoku")
    await ask(world, uploads.begin_upload, old, begin())
    transfer = mailbox(old).only(m.UploadReady).transfer
    await send_chunk(world, old, transfer, 0, DATA[:100])
    await ask(world, uploads.begin_upload, new, begin(rid=7))
    told = mailbox(old).only(m.Failed)
    assert told.code == ErrorCode.CONFLICT and told.resume_offset == 100
    assert mailbox(new).only(m.UploadReady).offset == 100
    key = transfer_key(MEETING_ID, "gian-12", 1, hashlib.sha256(DATA).hexdigest())
    assert world.state.uploading[key].client is new


async def test_bytes_that_do_not_match_the_announced_hash_are_not_published(
    world: World,
) -> None:
    clerk = world.connect("jimukyoku")
    announced = begin(DATA)
    await ask(world, uploads.begin_upload, clerk, announced)
    transfer = mailbox(clerk).only(m.UploadReady).transfer
    other = bytes(reversed(DATA))
    await send_chunk(world, clerk, transfer, 0, other)
    mailbox(clerk).take()
    assert (
        await refused(world, uploads.finish_upload, clerk, m.FinishUpload(rid=3, transfer=transfer))
        is ErrorCode.HASH_MISMATCH
    )
    assert world.store.documents(MEETING_ID) == [] and world.store.upload_keys() == {}
    assert world.state.uploading == {}


async def test_finishing_early_says_where_to_resume(world: World) -> None:
    clerk = world.connect("jimukyoku")
    await ask(world, uploads.begin_upload, clerk, begin())
    transfer = mailbox(clerk).only(m.UploadReady).transfer
    await send_chunk(world, clerk, transfer, 0, DATA[:10])
    with pytest.raises(ProtocolError) as info:
        await ask(world, uploads.finish_upload, clerk, m.FinishUpload(rid=3, transfer=transfer))
    assert info.value.code is ErrorCode.UPLOAD_INCOMPLETE and "resume from 10" in str(info.value)


async def test_the_same_bytes_again_are_answered_as_already_published(world: World) -> None:
    clerk = world.connect("jimukyoku")
    document = await publish(world, clerk, DATA)
    await ask(world, uploads.begin_upload, clerk, begin(rid=5))
    assert mailbox(clerk).only(m.DocumentPublished).document == document
    other_bytes = begin(b"other bytes", rid=6)  # for a version already published
    assert await refused(world, uploads.begin_upload, clerk, other_bytes) is ErrorCode.CONFLICT


async def test_stale_partial_uploads_are_cleaned_and_fresh_ones_kept(world: World) -> None:
    folder = world.state.blobs.uploads
    stale, fresh = folder / "stale.part", folder / "fresh.part"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    long_ago = time.time() - world.state.config.partial_upload_ttl - 60
    os.utime(stale, (long_ago, long_ago))
    await uploads.clean_stale_uploads(world.state)
    assert not stale.exists() and fresh.exists()
