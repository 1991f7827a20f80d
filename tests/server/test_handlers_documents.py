"""Downloads, withdrawal, receipts and the paged document list, without sockets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.crypto import receipts
from furano_meet.protocol import ErrorCode, decode, decode_chunk
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.handlers import documents, meetings
from server.state import Client

from .handler_world import (
    World,
    ask,
    close_world,
    mailbox,
    open_world,
    pages,
    publish,
    refused,
    unverified,
)

DATA = b"%PDF ciphertext " * 200


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path, download_chunk=1000, max_text_frame=1500)
    yield w
    close_world(w)


async def test_a_download_streams_the_stored_bytes_from_the_offset(world: World) -> None:
    await publish(world, world.connect("jimukyoku"), DATA)
    member = world.connect("giin1")
    msg = m.BeginDownload(rid=4, meeting_id=MEETING_ID, document_id="gian-12", version=1, offset=5)
    await ask(world, documents.begin_download, member, msg)
    ready = mailbox(member).only(m.DownloadReady)
    assert (ready.size, ready.offset) == (len(DATA), 5)
    (stream,) = mailbox(member).streams
    received = b""
    while (frame := stream.next_frame()) is not None and not isinstance(frame, str):
        chunk = decode_chunk(bytes(frame), sender="relay")
        assert chunk.offset == 5 + len(received)
        received += bytes(chunk.payload)
    assert received == DATA[5:]
    assert isinstance(frame, str)
    assert decode(frame, sender="relay") == m.DownloadFinished(transfer=ready.transfer)
    assert stream.next_frame() is None
    stream.close()


async def test_a_download_past_the_end_or_of_a_withdrawn_version_is_refused(world: World) -> None:
    clerk = world.connect("jimukyoku")
    await publish(world, clerk, DATA)
    member = world.connect("giin1")
    beyond = m.BeginDownload(
        rid=1, meeting_id=MEETING_ID, document_id="gian-12", version=1, offset=len(DATA) + 1
    )
    assert await refused(world, documents.begin_download, member, beyond) is ErrorCode.INVALID_FIELD
    withdraw = m.WithdrawDocument(rid=2, meeting_id=MEETING_ID, document_id="gian-12")
    assert await refused(world, documents.withdraw, member, withdraw) is ErrorCode.FORBIDDEN
    await ask(world, meetings.join, member, m.JoinMeeting(rid=3, meeting_id=MEETING_ID))
    mailbox(member).take()
    await ask(world, documents.withdraw, clerk, withdraw)
    assert mailbox(clerk).only(m.Done).rid == 2
    assert mailbox(member).only(m.DocumentWithdrawn).document_id == "gian-12"
    start = m.BeginDownload(rid=4, meeting_id=MEETING_ID, document_id="gian-12", version=1)
    assert await refused(world, documents.begin_download, member, start) is ErrorCode.NOT_FOUND


async def test_cancelling_a_download_stops_its_stream(world: World) -> None:
    await publish(world, world.connect("jimukyoku"), DATA)
    member = world.connect("giin1")
    msg = m.BeginDownload(rid=1, meeting_id=MEETING_ID, document_id="gian-12", version=1)
    await ask(world, documents.begin_download, member, msg)
    transfer = mailbox(member).only(m.DownloadReady).transfer
    await ask(world, documents.cancel_transfer, member, m.CancelTransfer(rid=2, transfer=transfer))
    assert mailbox(member).only(m.Done).rid == 2 and mailbox(member).streams == []
    assert (
        await refused(
            world, documents.cancel_transfer, member, m.CancelTransfer(rid=3, transfer=transfer)
        )
        is ErrorCode.UNKNOWN_TRANSFER
    )


async def test_receipts_are_recorded_and_only_moderators_see_them(world: World) -> None:
    await publish(world, world.connect("jimukyoku"), DATA)
    member, chair = world.connect("giin1"), world.connect("iincho")
    confirm = m.ConfirmReceipt(rid=1, meeting_id=MEETING_ID, document_id="gian-12", version=1)
    await ask(world, documents.confirm_receipt, member, confirm)
    assert mailbox(member).only(m.Done).rid == 1
    assert (
        await refused(
            world, documents.list_receipts, member, m.ListReceipts(rid=2, meeting_id=MEETING_ID)
        )
        is ErrorCode.FORBIDDEN
    )
    await ask(world, documents.list_receipts, chair, m.ListReceipts(rid=3, meeting_id=MEETING_ID))
    (receipt,) = mailbox(chair).only(m.ReceiptsListed).receipts
    assert (receipt.user_id, receipt.device_id) == ("giin1", member.who.device_id)


async def test_the_document_list_pages_within_the_frame_limit(world: World) -> None:
    clerk = world.connect("jimukyoku")
    for number in range(12):
        await publish(world, clerk, DATA + bytes([number]), document_id=f"gian-{number}")
    member = world.connect("giin1")
    listed = await pages(
        world,
        member,
        documents.list_documents,
        lambda at: m.ListDocuments(rid=1, meeting_id=MEETING_ID, offset=at),
        m.DocumentsListed,
        lambda reply: (reply.next_offset, reply.more),
    )
    assert len(listed) > 1 and all(reply.documents for reply in listed)  # each page progresses
    seen = [d.document_id for reply in listed for d in reply.documents]
    assert seen == [d.document_id for d in world.store.documents(MEETING_ID)]
    assert sorted(seen) == sorted(f"gian-{n}" for n in range(12))


def receipt_of(member: Client, info: m.DocumentInfo, **changes: object) -> bytes:
    """A (1.5) signed receipt frame as ``member``'s device makes it (signature not checked)."""
    fields: dict[str, object] = {
        "meeting_id": MEETING_ID,
        "document_id": info.document_id,
        "version": info.version,
        "ciphertext_sha256": info.sha256,
    }
    return unverified(receipts.KIND, member.who.device_id, **(fields | changes))


async def test_a_signed_receipt_is_kept_and_returned_and_one_that_does_not_match_is_refused(
    world: World,
) -> None:
    info = await publish(world, world.connect("jimukyoku"), DATA)
    member, other, chair = world.connect("giin1"), world.connect("giin2"), world.connect("iincho")

    def confirm(signed: bytes) -> m.ConfirmReceipt:
        return m.ConfirmReceipt(
            rid=1, meeting_id=MEETING_ID, document_id="gian-12", version=1, signed=signed
        )

    for wrong, code in (
        (receipt_of(other, info), ErrorCode.FORBIDDEN),  # another device's
        (receipt_of(member, info, version=2), ErrorCode.INVALID_FIELD),
        (receipt_of(member, info, ciphertext_sha256="0" * 64), ErrorCode.INVALID_FIELD),
        (b"FMRC garbage", ErrorCode.INVALID_FIELD),
    ):
        assert await refused(world, documents.confirm_receipt, member, confirm(wrong)) is code
    # an unsigned receipt first (an older build), then the signed one fills it in
    await ask(world, documents.confirm_receipt, member, confirm(b""))
    signed = receipt_of(member, info)
    await ask(world, documents.confirm_receipt, member, confirm(signed))
    await ask(world, documents.confirm_receipt, member, confirm(b""))  # never unsigns it
    await ask(world, documents.list_receipts, chair, m.ListReceipts(rid=3, meeting_id=MEETING_ID))
    (receipt,) = mailbox(chair).only(m.ReceiptsListed).receipts
    assert (receipt.device_id, receipt.signed) == (member.who.device_id, signed)


async def test_receipts_page_within_the_frame_limit_and_an_older_peer_gets_them_all(
    world: World,
) -> None:
    clerk = world.connect("jimukyoku")
    infos = [
        await publish(world, clerk, DATA + bytes([n]), document_id=f"gian-{n}") for n in range(6)
    ]
    member = world.connect("giin1")
    for info in infos:
        confirm = m.ConfirmReceipt(
            rid=1,
            meeting_id=MEETING_ID,
            document_id=info.document_id,
            version=1,
            signed=receipt_of(member, info),
        )
        await ask(world, documents.confirm_receipt, member, confirm)
    listed = await pages(
        world,
        world.connect("iincho"),
        documents.list_receipts,
        lambda at: m.ListReceipts(rid=1, meeting_id=MEETING_ID, offset=at),
        m.ReceiptsListed,
        lambda reply: (reply.next_offset, reply.more),
    )
    assert len(listed) > 1 and all(reply.receipts for reply in listed)
    seen = [r.document_id for reply in listed for r in reply.receipts]
    assert seen == [info.document_id for info in infos]
    older = world.connect("iincho", minor=4)
    await ask(world, documents.list_receipts, older, m.ListReceipts(rid=2, meeting_id=MEETING_ID))
    assert len(mailbox(older).only(m.ReceiptsListed).receipts) == len(infos)
