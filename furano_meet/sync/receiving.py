"""Receiving one published document version: the blob streams into the store, and each piece
is checked and decrypted while the store waits on the disk.

Theory of operation
-------------------
1. **Before the download** :func:`look_up` reads the document row and its meeting key and
   opens the sealed manifest (which came with the ``document_published`` push) to learn which
   device signed it; the caller fetches that device's certificate, verified up to the
   organisation root. The opened manifest is handed on, so it is not opened twice.
2. **Each piece** (~4 MiB, or the whole blob when it is smaller) is written to the store as
   ciphertext and fsynced, so an interrupted download resumes where it stopped. The
   cryptography runs in the store's own helper thread, beside that write
   (``alongside=`` of :meth:`LocalStore.append_partial` / :meth:`LocalStore.store_blob`):
   after the helper has hashed the piece, and once the writer has handed the bytes to the OS
   and sleeps in ``fsync`` with the CPU idle. At the first piece the helper checks the
   manifest's signature (:class:`_Check`), then decrypts the piece with a
   :class:`~furano_meet.crypto.DocumentDecryptor` in ``collect`` mode, into one preallocated
   buffer, while the piece is still in the CPU cache. Why there: run as the download started,
   the ~1.4 ms of post-quantum verification competed with the relay and the event loop for
   the two cores of the reference tablet and delayed the transfer by as much; in a thread of
   its own beside the store's hashing thread, two CPU-bound helpers delayed the writer's
   wake-up from ``fsync``; beside the ``write`` call itself (CPU-bound: ~3 ms for 1.8 MB into
   the page cache) it slowed that down. A forged manifest or a chunk that does not
   authenticate stops the store at that piece: the piece is not kept, the partial download
   is discarded, and nothing more is fetched.
3. **Completion is checked against the signed digest**, not against the relay's announcement:
   the store hashes every byte as it arrives and compares that running digest with
   ``manifest.ciphertext_sha256`` — a blob that arrives in one piece is stored complete in one
   go, and the store asks for the signed digest only after its write, once the check in the
   helper has passed. So a document the store calls complete has always passed the signature
   check, and re-opening it later (:func:`~furano_meet.sync.documents.decrypt_cached`) need
   not verify it again.
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
import threading
from collections.abc import Callable
from dataclasses import dataclass

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
    opened: bytes | None = None
    """The signed manifest taken out of the sealed one (not yet verified): handed to
    :func:`receive_document` so it is not opened twice."""


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
        opened, unverified = docs.open_published(doc.manifest, key, doc_id, version)
    except CryptoError as exc:
        return Incoming(doc, key, None, exc)
    return Incoming(doc, key, unverified.publisher_device_id, opened=opened)


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
    opened: bytes | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ReceivedDocument:
    """Verify, download, decrypt and complete ``doc`` (a store row in the downloading state).

    ``publisher`` is the certificate of the device that signed the manifest, whose id
    :func:`look_up` found, and ``opened`` the signed manifest it took out of the sealed one
    (:attr:`Incoming.opened`; opened again when not given); ``on_progress(received_bytes)``
    runs on the event loop after each stored piece. Raises :class:`DocumentRefusal` (the
    partial download is discarded) when the document is not what the publisher signed.
    """
    doc_id, version = doc.doc_id, doc.version
    try:
        offset = await asyncio.to_thread(store.resume_offset, doc_id, version)
        check = _Check(doc, meeting_key, publisher, opened, stream=offset == 0)
        completed = False

        async def stream(at: int, data: bytearray, last: bool) -> None:
            nonlocal completed
            if completed:
                raise TamperedData(f"document {doc_id!r} v{version}: more bytes than it has")
            # A document that arrives in one piece (most agenda papers are under 4 MiB) is
            # stored complete in one go: one file fsync and one commit instead of two each.
            whole = check.streaming and at == 0 and last
            received = await _store_and_decrypt(store, doc, check, at, data, whole=whole)
            completed = whole
            if on_progress is not None:
                on_progress(received)

        await conn.download_to(
            meeting_id=doc.meeting_id,
            document_id=doc_id,
            version=version,
            offset=offset,
            sink=stream,
        )
        # Checked already unless nothing was left to download (no hop when it was).
        manifest, decryptor = (
            check.result() if check.done else await asyncio.to_thread(check.result)
        )
        signed_sha256 = bytes.fromhex(manifest.ciphertext_sha256)
        if decryptor is not None:
            if not completed:
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


class _Check:
    """The signature check of one download: run once, by whichever thread asks first.

    Normally the store's helper thread at the first piece (see the module docstring); the
    one-piece store asks for :meth:`signed_sha256` after its write, and after the download
    the caller asks for the result (computed then if no piece arrived). A forged manifest
    therefore costs at most one piece written to a ``.part`` file, which the refusal
    discards: nothing is *completed* before the check passes.
    """

    def __init__(
        self,
        doc: Document,
        meeting_key: MeetingKey,
        publisher: DeviceCertificate,
        opened: bytes | None,
        *,
        stream: bool,
    ) -> None:
        self._args = (doc, meeting_key, publisher, opened)
        self.streaming = stream
        """Decrypt the pieces as they are stored (a download from the start); a resumed
        download is decrypted from the completed file instead."""
        self._lock = threading.Lock()
        self._outcome: tuple[DocumentManifest, DocumentDecryptor | None] | BaseException | None
        self._outcome = None

    @property
    def done(self) -> bool:
        return self._outcome is not None

    def result(self) -> tuple[DocumentManifest, DocumentDecryptor | None]:
        """(Worker thread, or once :attr:`done`) The verified manifest and the streaming
        decryptor; raises what the check raised, to every caller."""
        with self._lock:
            if self._outcome is None:
                try:
                    self._outcome = _prepare(*self._args, stream=self.streaming)
                except Exception as exc:  # noqa: BLE001 — kept and re-raised to every caller
                    self._outcome = exc
            outcome = self._outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def signed_sha256(self) -> bytes:
        """(Worker thread) The blob digest the publisher signed."""
        return bytes.fromhex(self.result()[0].ciphertext_sha256)


def _finish(
    store: LocalStore, doc: Document, decryptor: DocumentDecryptor, signed_sha256: bytes
) -> None:
    """(Worker thread) The last chunk, then completion against the signed digest — in this
    order, so a blob cut short says "truncated", not just "wrong checksum"."""
    decryptor.finish()
    store.complete(doc.doc_id, doc.version, signed_sha256)


def _prepare(
    doc: Document,
    meeting_key: MeetingKey,
    publisher: DeviceCertificate,
    opened: bytes | None,
    *,
    stream: bool,
) -> tuple[DocumentManifest, DocumentDecryptor | None]:
    """(Worker thread) Check the signed manifest; make the streaming decryptor from it."""
    manifest = docs.verify_published(
        doc.manifest,
        meeting_key=meeting_key,
        publisher=publisher,
        meeting_id=doc.meeting_id,
        doc_id=doc.doc_id,
        version=doc.version,
        opened=opened,
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
    check: _Check,
    at: int,
    data: bytearray,
    *,
    whole: bool,
) -> int:
    """Write one piece durably, and check and decrypt it meanwhile; one worker-thread call.

    The cryptography runs in the store's own helper thread, after it has hashed the piece,
    while the store thread writes and waits on ``fsync`` with the CPU idle: not during the
    transfer (where it competed with the relay and the event loop for the two cores) and not
    in a thread of its own (two CPU-bound helpers beside the writer delayed its wake-up from
    ``fsync`` by a scheduler slice). A cryptographic error stops the store: the piece is not
    kept. With ``whole`` the piece is the whole blob: it is stored complete against the
    signed digest (which the store asks for after its write), and decryption is finished too.
    """
    return await asyncio.to_thread(_write_piece, store, doc, check, at, data, whole)


def _write_piece(
    store: LocalStore, doc: Document, check: _Check, at: int, data: bytearray, whole: bool
) -> int:
    def decrypt() -> None:
        _decrypt_piece(check, data, last=whole)

    if whole:
        store.store_blob(doc.doc_id, doc.version, data, check.signed_sha256, alongside=decrypt)
        return len(data)
    return store.append_partial(doc.doc_id, doc.version, at, data, alongside=decrypt)


def _decrypt_piece(check: _Check, data: bytearray, *, last: bool) -> None:
    _, decryptor = check.result()  # a forged manifest stops the download here
    if decryptor is None:  # a resumed download: decrypted from the completed file
        return
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
