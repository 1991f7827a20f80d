"""Published documents: downloads, withdrawal, receipts and the paged document list.

A download is a pull-based stream on the client's mailbox (it never delays a page turn on the
same connection); the relay only ever serves ciphertext it stored after verifying its SHA-256.
"""

from __future__ import annotations

from furano_meet.crypto import CryptoError
from furano_meet.crypto.receipts import KIND as RECEIPT
from furano_meet.protocol import ErrorCode, encode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from ..fanout import fan_out
from ..rooms import MODERATORS
from ..state import PUBLISHERS, Client, RelayState
from ..transfers import DownloadStream
from .paging import trim
from .uploads import drop_upload


async def begin_download(state: RelayState, client: Client, msg: m.BeginDownload) -> None:
    await state.membership(client, msg.meeting_id)
    document = await state.store.run(
        state.store.document, msg.meeting_id, msg.document_id, msg.version
    )
    if document.withdrawn:
        raise Refusal(ErrorCode.NOT_FOUND, "This document was withdrawn by the clerk's office.")
    if msg.offset > document.size:
        raise Refusal(ErrorCode.INVALID_FIELD, "offset is beyond the end of the document")
    config = state.config
    state.check_in_flight(
        client,
        _streaming,
        (config.max_downloads_per_connection, config.max_downloads_per_device),
        "downloads",
    )
    transfer = client.transfers.new_id()
    stream = DownloadStream(
        transfer,
        state.blobs.path(document.sha256),
        msg.offset,
        document.size,
        client.transfers.download_buffer(config.download_chunk),
    )
    client.outbox.send(
        m.DownloadReady(
            rid=msg.rid,
            transfer=transfer,
            size=document.size,
            sha256=document.sha256,
            offset=msg.offset,
        )
    )
    client.outbox.add_stream(stream)


def _streaming(client: Client) -> int:
    return client.outbox.streaming


async def cancel_transfer(state: RelayState, client: Client, msg: m.CancelTransfer) -> None:
    upload = client.transfers.uploads.get(msg.transfer)
    if upload is not None:
        drop_upload(state, client, upload)  # the partial file stays: the upload can resume
    elif not client.outbox.cancel_stream(msg.transfer):
        raise Refusal(ErrorCode.UNKNOWN_TRANSFER, f"no transfer {msg.transfer}")
    client.outbox.send(m.Done(rid=msg.rid))


async def withdraw(state: RelayState, client: Client, msg: m.WithdrawDocument) -> None:
    await state.membership(client, msg.meeting_id)
    if client.who.role not in PUBLISHERS:
        raise Refusal(ErrorCode.FORBIDDEN, "Only the clerk's office can withdraw documents.")
    await state.store.run(state.store.withdraw, msg.meeting_id, msg.document_id)
    client.outbox.send(m.Done(rid=msg.rid))
    room = state.rooms.get(msg.meeting_id)
    if room is not None:
        frame = encode(m.DocumentWithdrawn(meeting_id=msg.meeting_id, document_id=msg.document_id))
        fan_out(room.outboxes_except(client.conn_id), frame)


async def confirm_receipt(state: RelayState, client: Client, msg: m.ConfirmReceipt) -> None:
    await state.membership(client, msg.meeting_id)
    if msg.signed:
        document = await state.store.run(
            state.store.document, msg.meeting_id, msg.document_id, msg.version
        )
        check_receipt(msg, client.who.device_id, document.sha256)
    await state.store.run(
        state.store.record_receipt,
        client.who,
        msg.meeting_id,
        msg.document_id,
        msg.version,
        msg.signed,
    )
    client.outbox.send(m.Done(rid=msg.rid))


def check_receipt(msg: m.ConfirmReceipt, device_id: str, sha256: str) -> None:
    """(1.5) The relay's service check of a signed receipt: it must be this device's, for this
    meeting, document and version, naming the blob stored. The signature itself is the
    clerk's device's to check (it proves nothing to the relay a client does not re-check),
    but a receipt every clerk would drop is refused here. Raises :class:`Refusal`."""
    try:
        fields = RECEIPT.peek(msg.signed)
    except CryptoError as exc:
        raise Refusal(ErrorCode.INVALID_FIELD, f"receipt: {exc.message}") from exc
    if fields["signer_device_id"] != device_id:
        raise Refusal(ErrorCode.FORBIDDEN, "the receipt is signed by another device")
    named = tuple(fields.get(k) for k in ("meeting_id", "document_id", "version"))
    if (
        named != (msg.meeting_id, msg.document_id, msg.version)
        or fields.get("ciphertext_sha256") != sha256
    ):
        raise Refusal(ErrorCode.INVALID_FIELD, "the signed receipt does not match the request")


async def list_receipts(state: RelayState, client: Client, msg: m.ListReceipts) -> None:
    """Who confirmed which version; (1.5) a page from ``offset`` within the frame limit (signed
    receipts are ~4.5 KB each), everything in one reply to an older peer."""
    await state.membership(client, msg.meeting_id)
    if client.who.role not in MODERATORS:
        raise Refusal(ErrorCode.FORBIDDEN, "Only the chair and the clerk's office see receipts.")
    receipts = await state.store.run(state.store.receipts, msg.meeting_id)
    minor = client.outbox.minor
    if minor < 5:
        client.outbox.send(
            m.ReceiptsListed(rid=msg.rid, meeting_id=msg.meeting_id, receipts=tuple(receipts))
        )
        return
    page = receipts[msg.offset :]
    empty = m.ReceiptsListed(
        rid=msg.rid, meeting_id=msg.meeting_id, receipts=(), next_offset=2**53 - 1, more=True
    )
    more = trim(page, empty, state.max_out, minor)
    client.outbox.send(
        m.ReceiptsListed(
            rid=msg.rid,
            meeting_id=msg.meeting_id,
            receipts=tuple(page),
            next_offset=msg.offset + len(page),
            more=more,
        )
    )


async def list_documents(state: RelayState, client: Client, msg: m.ListDocuments) -> None:
    """A page of the meeting's documents, oldest first, within the frame limit.

    For members whose ``meeting_joined`` had to leave documents out; at least one document
    is sent while any remain, so paging with ``next_offset`` always progresses.
    """
    await state.membership(client, msg.meeting_id)
    documents = await state.store.run(state.store.documents, msg.meeting_id)
    page = documents[msg.offset : msg.offset + msg.limit]
    more = msg.offset + len(page) < len(documents)
    empty = m.DocumentsListed(
        rid=msg.rid, meeting_id=msg.meeting_id, documents=(), next_offset=2**53 - 1, more=True
    )
    more = trim(page, empty, state.max_out, client.outbox.minor) or more
    client.outbox.send(
        m.DocumentsListed(
            rid=msg.rid,
            meeting_id=msg.meeting_id,
            documents=tuple(page),
            next_offset=msg.offset + len(page),
            more=more,
        )
    )
