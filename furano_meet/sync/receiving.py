"""Receiving one published document version: the signed manifest first, then the blob,
decrypted while it streams in.

Theory of operation
-------------------
1. **As the download starts** the sealed manifest (which came with the ``document_published``
   push) is opened with the meeting key and its signature checked against the publisher's
   certificate, which the caller has already verified up to the organisation root — in a worker
   thread, overlapping the relay's first round trip; the first piece waits for the check, and a
   failed check stops the download there. The *signed* manifest says what the blob must be:
   its size, its SHA-256, its content key.
2. **The blob streams into the store** as ciphertext (fsynced in ~4 MiB pieces, so an
   interrupted download resumes where it stopped) and, in the same worker-thread call, into a
   :class:`~furano_meet.crypto.DocumentDecryptor` in ``collect`` mode, which writes each piece's
   plaintext into one preallocated buffer while the piece is still in the CPU cache (the write
   and the decryption run in two worker threads at once: one waits on the disk, the other
   computes). Decrypting
   the finished file afterwards would cost a read-back, a second full-size buffer and a pass
   over memory that is no longer cached — on a 50 MB pack that was more than the cipher itself.
   A chunk that does not authenticate stops the download at once: a tampered blob is refused
   before the rest of it is fetched.
3. **Completion is checked against the signed digest**, not against the relay's announcement:
   the store hashes every byte as it arrives and :meth:`LocalStore.complete` compares that
   running digest with ``manifest.ciphertext_sha256``. So a document the store calls complete
   has always passed the signature check, and re-opening it later
   (:func:`~furano_meet.sync.documents.decrypt_cached`) need not verify it again.
4. **A resumed download** (bytes from an earlier session already on disk) cannot feed a fresh
   decryptor from the middle, so it is decrypted from the completed file instead — the same
   checks, one read-back more.
5. **A download completed by an earlier run that stopped before accepting it** (or by a version
   of this code that completed before verifying) is verified again from the stored blob, hash
   included: :func:`verify_stored`.

The decrypted PDF exists only in memory, in the returned buffer. Anything wrong with the
document — a bad signature, a chunk that does not authenticate, a cut-short or substituted blob
— raises :class:`DocumentRefusal` after the partial download has been discarded; network
trouble (:class:`~furano_meet.net.RelayError`) and store trouble (a full disk:
:class:`~furano_meet.store.StoreError`) propagate unchanged, and the download resumes later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from furano_meet.crypto import (
    CryptoError,
    DeviceCertificate,
    DocumentDecryptor,
    DocumentManifest,
    MeetingKey,
    TamperedData,
)
from furano_meet.crypto.documents import read_sealed_manifest_header
from furano_meet.net import RelayConnection
from furano_meet.store import LocalStore
from furano_meet.store.errors import BlobHashMismatch
from furano_meet.store.records import Document

from . import documents as docs


class DocumentRefusal(Exception):
    """The document is not the one its publisher signed; it was discarded and is never shown.

    ``code`` is the stable reason (``tampered``, ``truncated``, ``bad-signature``,
    ``unauthorised-signer`` …) and ``message`` says it in words.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a download needs from the store, read in one worker-thread call (:func:`look_up`)."""

    doc: Document
    meeting_key: MeetingKey | None
    """The key of the epoch the document was published under; ``None`` until it arrives."""
    publisher_id: str | None
    """The device that signed the manifest (its certificate is needed next), or ``None``
    when the manifest does not open: then ``unreadable`` says why."""
    unreadable: CryptoError | None = None


def stored_meeting_key(
    store: LocalStore, meeting_id: str, epoch: int | None = None
) -> MeetingKey | None:
    """(Store thread) The newest key of a meeting, or the key of one ``epoch``."""
    if epoch is not None:
        raw = store.meeting_key_at(meeting_id, epoch)
        return None if raw is None else MeetingKey(raw, meeting_id=meeting_id, epoch=epoch)
    meeting = store.meeting(meeting_id)
    if meeting is None or meeting.meeting_key is None:
        return None
    return MeetingKey(meeting.meeting_key, meeting_id=meeting_id, epoch=meeting.key_epoch)


def document_key(store: LocalStore, meeting_id: str, sealed_manifest: bytes) -> MeetingKey | None:
    """(Store thread) The meeting key of the epoch a sealed manifest names; the newest key when
    the header is garbage (verification refuses such a manifest anyway)."""
    try:
        _, epoch, _, _ = read_sealed_manifest_header(sealed_manifest)
    except CryptoError:
        return stored_meeting_key(store, meeting_id)
    return stored_meeting_key(store, meeting_id, epoch)


def look_up(store: LocalStore, doc_id: str, version: int) -> Incoming | None:
    """(Store thread) The document row, its meeting key and its publisher, in one call: one
    thread hop per download instead of three, and the manifest is opened off the event loop."""
    doc = store.document(doc_id, version)
    if doc is None:
        return None
    key = document_key(store, doc.meeting_id, doc.manifest)
    if key is None:
        return Incoming(doc, None, None)
    try:
        return Incoming(doc, key, docs.publisher_of(doc.manifest, key, doc_id, version))
    except CryptoError as exc:
        return Incoming(doc, key, None, exc)


@dataclass(frozen=True, slots=True)
class ReceivedDocument:
    manifest: DocumentManifest
    """The verified, signed manifest (title, agenda item, page count …)."""
    pdf: bytearray
    """The plaintext PDF, in memory only."""


async def receive_document(
    store: LocalStore,
    conn: RelayConnection,
    doc: Document,
    *,
    meeting_key: MeetingKey,
    publisher: DeviceCertificate,
    on_progress: Callable[[int], None] | None = None,
) -> ReceivedDocument:
    """Verify, download, decrypt and complete ``doc`` (a store row in the downloading state).

    ``publisher`` is the certificate of the device that signed the manifest (see
    :func:`~furano_meet.sync.documents.publisher_of`); ``on_progress(received_bytes)`` runs on
    the event loop after each stored piece. Raises :class:`DocumentRefusal` (the partial
    download is discarded) when the document is not what the publisher signed.
    """
    doc_id, version = doc.doc_id, doc.version
    try:
        offset = await asyncio.to_thread(store.resume_offset, doc_id, version)
        # The signature check (~0.5 ms of post-quantum verification) and the decryptor's
        # output buffer run in a worker thread while the relay answers and sends the first
        # bytes; the first piece waits for them, so nothing is decrypted before the check.
        preparing = asyncio.ensure_future(
            asyncio.to_thread(_prepare, doc, meeting_key, publisher, stream=offset == 0)
        )
        # Its error is raised below when it matters; after a network error nobody awaits it.
        preparing.add_done_callback(_retrieve)

        stored_whole = False

        async def stream(at: int, data: bytearray) -> None:
            nonlocal stored_whole
            manifest, decryptor = await preparing  # a forged manifest stops the download here
            if stored_whole:
                raise TamperedData(f"document {doc_id!r} v{version}: more bytes than it has")
            # A document that arrives in one piece (most agenda papers are under 4 MiB) is
            # stored complete in one go: one file fsync and one commit instead of two each.
            whole = decryptor is not None and at == 0 and len(data) == manifest.ciphertext_size
            received = await _store_and_decrypt(
                store,
                doc,
                decryptor,
                at,
                data,
                whole_sha256=bytes.fromhex(manifest.ciphertext_sha256) if whole else None,
            )
            stored_whole = whole
            if on_progress is not None:
                on_progress(received)

        await conn.download_to(
            meeting_id=doc.meeting_id,
            document_id=doc_id,
            version=version,
            offset=offset,
            sink=stream,
        )
        manifest, decryptor = await preparing
        signed_sha256 = bytes.fromhex(manifest.ciphertext_sha256)
        if decryptor is not None:
            if not stored_whole:
                await asyncio.to_thread(_finish, store, doc, decryptor, signed_sha256)
            return ReceivedDocument(manifest, decryptor.plaintext)
        await asyncio.to_thread(store.complete, doc_id, version, signed_sha256)
        blob = await asyncio.to_thread(store.read_blob, doc_id, version)
        pdf = await asyncio.to_thread(
            DocumentDecryptor.for_manifest(
                manifest, meeting_key, check_blob_hash=False
            ).decrypt_whole,
            blob,
        )
        return ReceivedDocument(manifest, pdf)
    except (CryptoError, BlobHashMismatch) as exc:
        raise await _refuse(store, doc, exc) from exc


def _finish(
    store: LocalStore, doc: Document, decryptor: DocumentDecryptor, signed_sha256: bytes
) -> None:
    """(Worker thread) The last chunk, then completion against the signed digest — in this
    order, so a blob cut short says "truncated", not just "wrong checksum"."""
    decryptor.finish()
    store.complete(doc.doc_id, doc.version, signed_sha256)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _prepare(
    doc: Document, meeting_key: MeetingKey, publisher: DeviceCertificate, *, stream: bool
) -> tuple[DocumentManifest, DocumentDecryptor | None]:
    """(Worker thread) Check the signed manifest; make the streaming decryptor from it."""
    manifest = docs.verify_published(
        doc.manifest,
        meeting_key=meeting_key,
        publisher=publisher,
        meeting_id=doc.meeting_id,
        doc_id=doc.doc_id,
        version=doc.version,
    )
    if not stream:
        return manifest, None
    decryptor = DocumentDecryptor.for_manifest(
        manifest, meeting_key, check_blob_hash=False, collect=True
    )
    return manifest, decryptor


async def _store_and_decrypt(
    store: LocalStore,
    doc: Document,
    decryptor: DocumentDecryptor | None,
    at: int,
    data: bytearray,
    *,
    whole_sha256: bytes | None = None,
) -> int:
    """Write one piece durably and decrypt it, in two worker threads at once.

    The write waits on the disk (``fsync``) with the GIL released, so the cipher, which holds
    the GIL, runs meanwhile on the other core instead of after it. Both finish before this
    returns (the decryptor is never used by two threads at once), and the decryptor's error
    wins (it is the more telling one). With ``whole_sha256`` the piece is the whole blob: it is
    stored complete against that (signed) digest, and decryption is finished too.
    """
    writing = asyncio.to_thread(_write_piece, store, doc, at, data, whole_sha256)
    if decryptor is None:
        return await writing
    received, decrypted = await asyncio.gather(
        writing,
        asyncio.to_thread(_decrypt_piece, decryptor, data, last=whole_sha256 is not None),
        return_exceptions=True,
    )
    for outcome in (decrypted, received):
        if isinstance(outcome, BaseException):
            raise outcome
    assert isinstance(received, int)
    return received


def _write_piece(
    store: LocalStore, doc: Document, at: int, data: bytearray, whole_sha256: bytes | None
) -> int:
    if whole_sha256 is not None:
        store.store_blob(doc.doc_id, doc.version, data, whole_sha256)
        return len(data)
    return store.append_partial(doc.doc_id, doc.version, at, data)


def _decrypt_piece(decryptor: DocumentDecryptor, data: bytearray, *, last: bool) -> None:
    decryptor.feed(data)
    if last:
        decryptor.finish()


async def verify_stored(
    store: LocalStore, doc: Document, *, meeting_key: MeetingKey, publisher: DeviceCertificate
) -> ReceivedDocument:
    """Fully verify (signature, every chunk, the blob's hash) a blob already in the store.

    For a download that an earlier run completed but never accepted; raises
    :class:`DocumentRefusal` (and discards the blob, so it is fetched again) when it fails.
    """
    blob = await asyncio.to_thread(store.read_blob, doc.doc_id, doc.version)
    try:
        manifest, pdf = await asyncio.to_thread(
            docs.open_received,
            blob,
            doc.manifest,
            meeting_key=meeting_key,
            publisher=publisher,
            meeting_id=doc.meeting_id,
            doc_id=doc.doc_id,
            version=doc.version,
        )
    except CryptoError as exc:
        raise await _refuse(store, doc, exc) from exc
    return ReceivedDocument(manifest, pdf)


async def _refuse(
    store: LocalStore, doc: Document, exc: CryptoError | BlobHashMismatch
) -> DocumentRefusal:
    """Discard what was received and say why, in the refusal's terms."""
    await asyncio.to_thread(store.restart_download, doc.doc_id, doc.version)
    if isinstance(exc, BlobHashMismatch):  # every chunk authenticated, yet not the signed file
        return DocumentRefusal(
            "tampered",
            f"Document {doc.doc_id!r} version {doc.version} is not the file its publisher"
            f" signed ({exc.message})",
        )
    return DocumentRefusal(exc.code, str(exc))
