"""Uploads: a clerk's encrypted document, received in chunks, verified, then published.

Theory of operation
-------------------
``begin_upload`` claims the version's ``.part`` file (:class:`~server.state.UploadClaim`: one
writer relay-wide; a newer ``begin_upload`` takes an upload over from a connection that has not
timed out yet) and answers with the offset to resume from.  Chunks must arrive in order, each
matching its SHA-256; every ``progress_every`` bytes the file is fsynced and acknowledged.
``finish_upload`` checks the whole file against the announced SHA-256, moves it into the blob
directory and records the version in one transaction; the room is told.  Nothing is published
until then, and a file no one touched for ``partial_upload_ttl`` is removed at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from furano_meet.protocol import (
    Chunk,
    ChunkKind,
    ErrorCode,
    ProtocolError,
    RemoteProtocolError,
    encode,
)
from furano_meet.protocol import messages as m

from ..blobs import PartialUpload, transfer_key
from ..errors import Refusal
from ..fanout import fan_out
from ..state import PUBLISHERS, Client, RelayState, UploadClaim
from ..store import PendingUpload, storage_failure
from ..transfers import Upload

log = logging.getLogger("furano.relay")


async def begin_upload(state: RelayState, client: Client, msg: m.BeginUpload) -> None:
    await state.membership(client, msg.meeting_id)
    config, store, blobs = state.config, state.store, state.blobs
    if client.who.role not in PUBLISHERS:
        raise Refusal(ErrorCode.FORBIDDEN, "Only the clerk's office can publish documents.")
    if msg.size > config.max_document:
        raise Refusal(
            ErrorCode.UPLOAD_TOO_LARGE,
            f"The document is {msg.size:,} bytes; this relay accepts up to "
            f"{config.max_document:,}.",
        )
    already = await store.run(
        store.check_publishable, msg.meeting_id, msg.document_id, msg.version, msg.sha256
    )
    if already:
        document = await store.run(store.document, msg.meeting_id, msg.document_id, msg.version)
        client.outbox.send(
            m.DocumentPublished(rid=msg.rid, meeting_id=msg.meeting_id, document=document)
        )
        return
    key = transfer_key(msg.meeting_id, msg.document_id, msg.version, msg.sha256)
    if key not in state.uploading:  # taking over one's own upload is not one more
        state.check_in_flight(
            client,
            _uploading,
            (config.max_uploads_per_connection, config.max_uploads_per_device),
            "uploads",
        )
    claim = _claim_upload(state, client, key)
    try:
        # Up front, before any file is created: the disk must hold this upload's remaining
        # bytes besides what every other upload in flight has announced.
        held = min(blobs.partial_size(key), msg.size)
        blobs.ensure_space(msg.size - held + _announced_elsewhere(state, key))
        partial = await asyncio.to_thread(blobs.open_partial, key)
        try:
            if partial.size > msg.size:
                partial.close()
                blobs.discard(key)
                partial = await asyncio.to_thread(blobs.open_partial, key)
            pending = PendingUpload(
                key,
                msg.meeting_id,
                msg.document_id,
                msg.version,
                msg.size,
                msg.sha256,
                msg.manifest,
                client.who.device_id,
            )
            await store.run(store.save_upload, pending)
        except BaseException:
            partial.close()
            raise
    except BaseException:
        _release_claim(state, key, claim)
        raise
    transfer = client.transfers.new_id()
    upload = Upload(transfer, pending, partial, synced=partial.size)
    client.transfers.uploads[transfer] = upload
    claim.upload = upload
    client.outbox.send(
        m.UploadReady(
            rid=msg.rid, transfer=transfer, offset=partial.size, max_chunk=config.max_chunk
        )
    )


def _uploading(client: Client) -> int:
    return len(client.transfers.uploads)


def _announced_elsewhere(state: RelayState, key: str) -> int:
    """Bytes the other uploads in flight have announced and not sent yet: the disk must hold
    them too, so a thousand uploads that each fit alone are not all accepted."""
    return sum(
        claim.upload.pending.size - claim.upload.partial.size
        for other, claim in state.uploading.items()
        if other != key and claim.upload is not None
    )


def _claim_upload(state: RelayState, client: Client, key: str) -> UploadClaim:
    """Make ``client`` the one writer of ``key``'s ``.part`` file.

    A newer ``begin_upload`` takes the upload over: the usual reason for two is a clerk
    whose old connection has not timed out yet.  The old transfer stops (its owner gets
    ``failed``/``conflict`` with the transfer id) before the new one opens the file, so
    the file and the running hash of its one writer always agree.
    """
    claim = state.uploading.get(key)
    if claim is not None:
        if claim.upload is None or claim.finishing:
            raise Refusal(
                ErrorCode.CONFLICT,
                "This document version is being uploaded or published from another "
                "connection right now; try again in a moment.",
            )
        owner, taken = claim.client, claim.upload
        drop_upload(state, owner, taken)
        if owner is not client:
            log.info("connection %d takes over an upload", client.conn_id)
            _tell_stopped(
                owner,
                taken,
                ErrorCode.CONFLICT,
                "This upload was taken over by another connection.",
            )
    claim = state.uploading[key] = UploadClaim(client)
    return claim


def _release_claim(state: RelayState, key: str, claim: UploadClaim) -> None:
    if state.uploading.get(key) is claim:
        del state.uploading[key]


def drop_upload(state: RelayState, client: Client, upload: Upload) -> None:
    """Stop a transfer: close its file, ignore chunks still in flight, free its key."""
    upload.partial.close()
    client.transfers.uploads.pop(upload.transfer, None)
    client.transfers.dead.add(upload.transfer)
    claim = state.uploading.get(upload.pending.transfer_key)
    if claim is not None and claim.upload is upload:
        del state.uploading[upload.pending.transfer_key]


def stop_transfers(state: RelayState, client: Client) -> None:
    """Stop everything ``client`` has in flight (it closed, or its device was revoked)."""
    for upload in list(client.transfers.uploads.values()):
        drop_upload(state, client, upload)
    client.transfers.close()
    client.outbox.close_streams()


def _tell_stopped(client: Client, upload: Upload, code: ErrorCode, message: str) -> None:
    """``failed`` for a stopped transfer, with the offset to resume from."""
    client.outbox.send(
        m.Failed(
            code=code,
            message=message,
            transfer=upload.transfer,
            resume_offset=upload.partial.size,
            meeting_id=upload.pending.meeting_id,
        )
    )


def _fail_upload(
    state: RelayState, client: Client, upload: Upload, code: ErrorCode, message: str
) -> None:
    """Stop accepting chunks for this transfer; the client resumes with ``begin_upload``."""
    drop_upload(state, client, upload)
    _tell_stopped(client, upload, code, message)


def _chunk_refusal(upload: Upload, chunk: Chunk) -> tuple[ErrorCode, str] | None:
    """Why a chunk cannot be appended to ``upload``, or ``None`` when it can."""
    partial = upload.partial
    if chunk.offset != partial.size:
        return (
            ErrorCode.CHUNK_OUT_OF_ORDER,
            f"expected the chunk at offset {partial.size}, got {chunk.offset}",
        )
    if not chunk.digest_matches():
        return (
            ErrorCode.CHUNK_HASH_MISMATCH,
            f"the chunk at offset {chunk.offset} does not match its SHA-256",
        )
    if partial.size + len(chunk.payload) > upload.pending.size:
        return ErrorCode.UPLOAD_TOO_LARGE, f"more bytes than the announced {upload.pending.size}"
    return None


async def upload_chunk(state: RelayState, client: Client, chunk: Chunk) -> None:
    if chunk.kind is not ChunkKind.UPLOAD:  # pragma: no cover - the session refuses these
        raise RemoteProtocolError(ErrorCode.UNEXPECTED_MESSAGE, "relay-bound chunks are uploads")
    upload = client.transfers.uploads.get(chunk.transfer)
    if upload is None:
        if chunk.transfer not in client.transfers.dead:
            client.outbox.send(
                m.Failed(
                    code=ErrorCode.UNKNOWN_TRANSFER,
                    message=f"no upload {chunk.transfer} in progress",
                    transfer=chunk.transfer,
                )
            )
        return
    refusal = _chunk_refusal(upload, chunk)
    if refusal is not None:
        _fail_upload(state, client, upload, *refusal)
        return
    partial = upload.partial
    try:
        partial.append(chunk.payload)
    except OSError as exc:
        reason = storage_failure(exc) or "The relay could not store the chunk."
        log.error("upload write failed: %s", exc)
        _fail_upload(state, client, upload, ErrorCode.STORAGE_UNAVAILABLE, reason)
        return
    if partial.size - upload.synced >= state.config.progress_every:
        size = partial.size
        await asyncio.to_thread(partial.sync)
        if client.transfers.uploads.get(upload.transfer) is not upload:
            return  # taken over or cancelled while syncing: nothing to acknowledge
        upload.synced = size
        client.outbox.send(m.UploadProgress(transfer=upload.transfer, offset=size))


async def finish_upload(state: RelayState, client: Client, msg: m.FinishUpload) -> None:
    upload = client.transfers.uploads.get(msg.transfer)
    if upload is None:
        raise Refusal(ErrorCode.UNKNOWN_TRANSFER, f"no upload {msg.transfer} in progress")
    pending, partial = upload.pending, upload.partial
    if partial.size != pending.size:
        raise ProtocolError(
            ErrorCode.UPLOAD_INCOMPLETE,
            f"received {partial.size} of {pending.size} bytes; resume from {partial.size}",
        )
    del client.transfers.uploads[msg.transfer]
    claim = state.uploading.get(pending.transfer_key)
    if claim is not None and claim.upload is upload:
        claim.finishing = True  # nobody may open the file while it is renamed
    else:  # pragma: no cover - a live upload always owns its key
        claim = None
    try:
        document = await _publish(state, client, pending, partial)
    finally:
        partial.close()
        if claim is not None:
            _release_claim(state, pending.transfer_key, claim)
    log.info("published %s v%d in %s", document.document_id, document.version, pending.meeting_id)
    client.outbox.send(
        m.DocumentPublished(rid=msg.rid, meeting_id=pending.meeting_id, document=document)
    )
    room = state.rooms.get(pending.meeting_id)
    if room is not None:
        frame = encode(m.DocumentPublished(meeting_id=pending.meeting_id, document=document))
        fan_out(room.outboxes_except(client.conn_id), frame)


async def _publish(
    state: RelayState, client: Client, pending: PendingUpload, partial: PartialUpload
) -> m.DocumentInfo:
    """Verify, move into place and record one finished upload."""
    store, blobs = state.store, state.blobs
    if partial.hexdigest() != pending.sha256:
        partial.close()
        blobs.discard(pending.transfer_key)
        await store.run(store.forget_upload, pending.transfer_key)
        raise Refusal(
            ErrorCode.HASH_MISMATCH,
            "The uploaded bytes do not match the announced SHA-256; nothing was published.",
        )
    # Refuse early what ``publish`` would refuse (another clerk was faster), so no blob is
    # moved into place for nothing; ``publish`` checks again inside its transaction.
    already = await store.run(
        store.check_publishable,
        pending.meeting_id,
        pending.document_id,
        pending.version,
        pending.sha256,
    )
    if already:  # the same bytes were published meanwhile: nothing to move into place
        partial.close()
        blobs.discard(pending.transfer_key)
    else:
        await asyncio.to_thread(blobs.commit, partial, pending.sha256)
    return await store.run(store.publish, pending, client.who.user_id)


async def clean_stale_uploads(state: RelayState) -> None:
    """Remove abandoned uploads: the ``.part`` file and its ``uploads`` row together.

    An upload is stale when neither a chunk (the file's mtime) nor a ``begin_upload`` (the
    row's ``created_at``) touched it for ``partial_upload_ttl``; a row without a file, or a
    file without a row, is left over from a crash and goes as well once it is that old.
    """
    store = state.store
    now = time.time()
    cutoff = now - state.config.partial_upload_ttl
    cutoff_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cutoff))
    rows = await store.run(store.upload_keys)
    files = {p.stem: p for p in state.blobs.uploads.glob("*.part")}
    stale: list[str] = []
    for key in rows.keys() | files.keys():
        touched = rows.get(key, "") >= cutoff_text
        with contextlib.suppress(OSError):
            if key in files and files[key].stat().st_mtime >= cutoff:
                touched = True
        if touched:
            continue
        stale.append(key)
        if key in files:
            with contextlib.suppress(OSError):
                files[key].unlink()
    if stale:
        await store.run(store.forget_uploads, [k for k in stale if k in rows])
        log.info("removed %d abandoned partial upload(s)", len(stale))
