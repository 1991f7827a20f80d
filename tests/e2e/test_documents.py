"""Publishing, replacing (差し替え), withdrawing and downloading documents over a real relay."""

from __future__ import annotations

import hashlib
import os

import pytest

from furano_meet.net import RelayError
from furano_meet.protocol import Chunk, ChunkKind, encode_chunk
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.relay import Relay
from tests.conftest import Connect


def begin(data: bytes, document_id: str = "pack", version: int = 1) -> m.BeginUpload:
    return m.BeginUpload(
        meeting_id=MEETING_ID,
        document_id=document_id,
        version=version,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        manifest=b"signed, encrypted manifest",
    )


async def test_publish_notify_download_and_receipts(connect_as: Connect, relay: Relay) -> None:
    clerk = await connect_as("jimukyoku", join=True)
    member = await connect_as("giin1", join=True)
    data = os.urandom(2_500_000)
    info = await clerk.upload(
        meeting_id=MEETING_ID,
        document_id="pack",
        version=1,
        data=data,
        manifest=b"man",
        chunk_size=300_000,
    )
    assert (info.size, info.sha256, info.published_by) == (
        len(data),
        hashlib.sha256(data).hexdigest(),
        "jimukyoku",
    )
    pushed = await member.expect(m.DocumentPublished)
    assert pushed.document == info
    assert await member.download(meeting_id=MEETING_ID, document_id="pack", version=1) == data
    await member.request(m.ConfirmReceipt(meeting_id=MEETING_ID, document_id="pack", version=1))
    receipts = await clerk.request(m.ListReceipts(meeting_id=MEETING_ID))
    assert isinstance(receipts, m.ReceiptsListed)
    assert [(r.user_id, r.version) for r in receipts.receipts] == [("giin1", 1)]
    with pytest.raises(RelayError) as refused:
        await member.request(m.ListReceipts(meeting_id=MEETING_ID))
    assert refused.value.code == "forbidden"
    stored = relay.blobs.path(info.sha256)
    assert stored.read_bytes() == data  # the blob is stored as given (client-side ciphertext)


async def test_a_download_resumes_from_an_offset(connect_as: Connect) -> None:
    clerk = await connect_as("jimukyoku", join=True)
    data = os.urandom(1_000_000)
    await clerk.upload(
        meeting_id=MEETING_ID, document_id="pack", version=1, data=data, manifest=b"m"
    )
    member = await connect_as("giin1")
    rest = await member.download(
        meeting_id=MEETING_ID, document_id="pack", version=1, have=data[:400_000]
    )
    assert rest == data
    with pytest.raises(RelayError) as wrong:
        await member.download(meeting_id=MEETING_ID, document_id="pack", version=1, have=b"x" * 10)
    assert wrong.value.code == "hash_mismatch"


async def test_replacement_needs_a_new_version_and_withdrawal_hides_it(connect_as: Connect) -> None:
    clerk = await connect_as("jimukyoku", join=True)
    member = await connect_as("giin1", join=True)
    v1, v2 = b"version one" * 1000, b"version two" * 1000
    await clerk.upload(meeting_id=MEETING_ID, document_id="pack", version=1, data=v1, manifest=b"m")
    again = await clerk.upload(
        meeting_id=MEETING_ID, document_id="pack", version=1, data=v1, manifest=b"m"
    )
    assert again.version == 1  # re-publishing the same bytes is idempotent
    with pytest.raises(RelayError) as conflict:
        await clerk.upload(
            meeting_id=MEETING_ID, document_id="pack", version=1, data=v2, manifest=b"m"
        )
    assert conflict.value.code == "conflict"
    await clerk.upload(meeting_id=MEETING_ID, document_id="pack", version=2, data=v2, manifest=b"m")
    assert (await member.expect(m.DocumentPublished)).document.version == 1
    assert (await member.expect(m.DocumentPublished)).document.version == 2
    await clerk.request(m.WithdrawDocument(meeting_id=MEETING_ID, document_id="pack"))
    assert (await member.expect(m.DocumentWithdrawn)).document_id == "pack"
    with pytest.raises(RelayError) as gone:
        await member.download(meeting_id=MEETING_ID, document_id="pack", version=2)
    assert gone.value.code == "not_found" and "withdrawn" in gone.value.message
    joined = await member.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(joined, m.MeetingJoined)
    assert [(d.version, d.withdrawn) for d in joined.documents] == [(1, True), (2, True)]


async def test_only_the_clerks_office_publishes(connect_as: Connect) -> None:
    member = await connect_as("giin1")
    with pytest.raises(RelayError) as refused:
        await member.request(begin(b"data"))
    assert refused.value.code == "forbidden"
    with pytest.raises(RelayError):
        await member.request(m.WithdrawDocument(meeting_id=MEETING_ID, document_id="pack"))


async def test_size_limit_is_announced_and_enforced(connect_as: Connect, relay: Relay) -> None:
    clerk = await connect_as("jimukyoku")
    too_big = m.BeginUpload(
        meeting_id=MEETING_ID,
        document_id="huge",
        version=1,
        size=relay.config.max_document + 1,
        sha256="0" * 64,
        manifest=b"",
    )
    with pytest.raises(RelayError) as refused:
        await clerk.request(too_big)
    assert refused.value.code == "upload_too_large"
    assert f"{relay.config.max_document:,}" in refused.value.message
    assert clerk.welcome is not None and clerk.welcome.max_document == relay.config.max_document


async def test_bad_chunks_are_refused_and_the_upload_resumes(
    connect_as: Connect, relay: Relay
) -> None:
    clerk = await connect_as("jimukyoku")
    data = os.urandom(300_000)
    ready = await clerk.request(begin(data))
    assert isinstance(ready, m.UploadReady) and ready.offset == 0

    def chunk(offset: int, payload: bytes, digest: bytes | None = None) -> bytes:
        assert isinstance(ready, m.UploadReady)  # the latest reply; replaced on resume below
        return encode_chunk(
            Chunk(
                ChunkKind.UPLOAD,
                ready.transfer,
                offset,
                payload,
                digest or hashlib.sha256(payload).digest(),
            )
        )

    await clerk.send_raw(chunk(0, data[:100_000]))
    await clerk.send_raw(chunk(200_000, data[200_000:]))  # skips a chunk
    failed = await clerk.expect(m.Failed)
    assert (failed.code, failed.transfer, failed.resume_offset) == (
        "chunk_out_of_order",
        ready.transfer,
        100_000,
    )
    resumed = await clerk.request(begin(data))
    assert isinstance(resumed, m.UploadReady) and resumed.offset == 100_000
    ready = resumed
    await clerk.send_raw(chunk(100_000, data[100_000:200_000], digest=b"\0" * 32))
    failed = await clerk.expect(m.Failed)
    assert (failed.code, failed.resume_offset) == ("chunk_hash_mismatch", 100_000)
    # The client library resumes on its own and publishes exactly the announced bytes.
    info = await clerk.upload(
        meeting_id=MEETING_ID, document_id="pack", version=1, data=data, manifest=b"m"
    )
    assert relay.blobs.path(info.sha256).read_bytes() == data


async def test_an_abandoned_or_corrupt_upload_is_never_published(
    connect_as: Connect, relay: Relay
) -> None:
    clerk = await connect_as("jimukyoku", join=True)
    member = await connect_as("giin1", join=True)
    data = os.urandom(200_000)
    ready = await clerk.request(begin(data))
    assert isinstance(ready, m.UploadReady)
    payload = data[:50_000]
    await clerk.send_raw(
        encode_chunk(
            Chunk(ChunkKind.UPLOAD, ready.transfer, 0, payload, hashlib.sha256(payload).digest())
        )
    )
    with pytest.raises(RelayError) as early:
        await clerk.request(m.FinishUpload(transfer=ready.transfer))
    assert early.value.code == "upload_incomplete" and "50000" in early.value.message
    await clerk.close()  # abandoned halfway
    joined = await member.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(joined, m.MeetingJoined) and joined.documents == ()
    with pytest.raises(RelayError):
        await member.download(meeting_id=MEETING_ID, document_id="pack", version=1)
    # Announced hash does not match the bytes sent: refused, nothing published.
    clerk2 = await connect_as("jimukyoku")
    lie = m.BeginUpload(
        meeting_id=MEETING_ID,
        document_id="lie",
        version=1,
        size=len(data),
        sha256="ab" * 32,
        manifest=b"",
    )
    ready = await clerk2.request(lie)
    assert isinstance(ready, m.UploadReady)
    for offset in range(0, len(data), 100_000):
        part = data[offset : offset + 100_000]
        await clerk2.send_raw(
            encode_chunk(
                Chunk(ChunkKind.UPLOAD, ready.transfer, offset, part, hashlib.sha256(part).digest())
            )
        )
    with pytest.raises(RelayError) as mismatch:
        await clerk2.request(m.FinishUpload(transfer=ready.transfer))
    assert mismatch.value.code == "hash_mismatch"
    assert [p for p in relay.blobs.blobs.rglob("*") if p.is_file()] == []
    joined = await member.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(joined, m.MeetingJoined) and joined.documents == ()
