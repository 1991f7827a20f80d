"""Receiving one published document version: the blob streams into the store, and each piece
is checked and decrypted while the store waits on the disk.

Theory of operation
-------------------
:func:`receive` is the whole pipeline, one call per announced version (:func:`announce` made
its row); the engine and ``bench/crypto_transfer.py`` both call it. It has two paths: the
blob is *streamed* (a download from the start, decrypted as it arrives), or it is verified
and decrypted *from the stored blob* (a resumed download once it is complete, or one an
earlier run completed but never accepted).

1. **Before the download** :func:`look_up` :func:`look_up` reads the document row and its meeting key and
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
4. **From the stored blob** (:func:`verify_stored`): a resumed download (bytes from an earlier
   session already on disk) cannot feed a fresh decryptor from the middle, so once it is
   complete — against the signed digest, after the signature check — it is verified and
   decrypted from the file, as is a download an earlier run completed but never accepted (or
   one a version of this code completed before verifying): signature, every chunk and the
   hash again. Resuming is rare, so one path serves both at the cost of a second hash.

The decrypted PDF exists only in memory, in the returned buffer. Anything wrong with the
document — a bad signature, a chunk that does not authenticate, a cut-short or substituted blob
— raises :class:`DocumentRefusal` after the partial download has been discarded; network
trouble (:class:`~furano_meet.net.RelayError`) and store trouble (a full disk:
:class:`~furano_meet.store.StoreError`) propagate unchanged, and the download resumes later.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from furano_meet.crypto import (
    CryptoError,
    DeviceCertificate,
    DocumentDecryptor,
    DocumentManifest,
    MeetingKey,
    TamperedData,
)
from furano_meet.crypto.manifest import read_sealed_manifest_header
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.store.errors import BlobHashMismatch
from furano_meet.store.records import Document, DocumentInfo, DocumentState

from . import documents as docs


def _crypto_subclasses() -> list[type[CryptoError]]:
    """Every crypto error class: a refusal carries the code of the check that failed."""
    found: list[type[CryptoError]] = [CryptoError]
    pending = list(CryptoError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


class DocumentRefusal(FuranoError):
    """The document is not the one its publisher signed; it was discarded and is never shown.

    ``code`` is the stable reason (``tampered``, ``truncated``, ``bad_signature``,
    ``unauthorised_signer``, ``publisher_unverified`` …) and ``message`` says it in words.
    Whose fault: the peer's — the relay or the publishing device sent something that does not
    check out.
    """

    fault = Fault.THEIRS
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            *(c.code for c in _crypto_subclasses()),
            "publisher_unverified",
        }
    )

    def __init__(self, code: str, message: str, *, stored_copy: bool = False) -> None:
        super().__init__(message, "The document is fetched again at the next connection.")
        self.code = code
        self.stored_copy = stored_copy
        """The refused bytes were this device's stored copy (completed by an earlier run), not
        necessarily the relay's: fetching it afresh may succeed."""


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
    doc: Document
    """The store row it was received into (still undescribed: see :func:`describe`)."""
    manifest: DocumentManifest
    """The verified, signed manifest (title, agenda item, page count …)."""
    pdf: bytes | bytearray
    """The plaintext PDF, in memory only (``bytes`` for a document this device published
    itself: the publisher's own copy, see :meth:`.library.Library.publish`)."""


PublisherLookup = Callable[[str], Awaitable[DeviceCertificate | None]]
"""The verified certificate of a device id (fetched if need be), or ``None`` when it has none."""


def announce(store: LocalStore, meeting_id: str, document: m.DocumentInfo) -> None:
    """(Store thread) Step 0: a published version the relay told us about becomes a row in the
    downloading state (once), withdrawn if the relay says it was."""
    existing = store.document(document.document_id, document.version)
    if existing is None:
        store.upsert_document(
            DocumentInfo(
                meeting_id=meeting_id,
                doc_id=document.document_id,
                version=document.version,
                title="",
                manifest=document.manifest,
                ciphertext_sha256=bytes.fromhex(document.sha256),
            )
        )
    if document.withdrawn and (existing is None or existing.state is not DocumentState.WITHDRAWN):
        store.withdraw_document(document.document_id, document.version)


def describe(store: LocalStore, received: ReceivedDocument) -> None:
    """(Store thread) The last step: the row takes the verified manifest's title, agenda item,
    agenda position and page count, which also marks it accepted (see :func:`needs_receiving`)."""
    doc, manifest = received.doc, received.manifest
    store.upsert_document(
        DocumentInfo(
            meeting_id=doc.meeting_id,
            doc_id=doc.doc_id,
            version=doc.version,
            title=manifest.title,
            manifest=doc.manifest,
            agenda_item=manifest.agenda_item or None,
            agenda_position=manifest.agenda_position,
            page_count=manifest.page_count,
        )
    )


def needs_receiving(doc: Document) -> bool:
    """Still downloading; or downloaded, but the app stopped before the document was verified,
    described and indexed (only a verified manifest gives the page count, and a published PDF
    has at least one page): finished from the stored blob."""
    return doc.state is DocumentState.DOWNLOADING or (
        doc.state is DocumentState.COMPLETE and doc.page_count == 0
    )


async def receive(
    store: LocalStore,
    conn: RelayConnection,
    doc_id: str,
    version: int,
    *,
    publisher: PublisherLookup,
    on_progress: Callable[[int], None] | None = None,
) -> ReceivedDocument | None:
    """The whole receiving pipeline of one announced document version, as the engine runs it.

    Returns ``None`` when there is nothing to do yet (unknown, already accepted, or its meeting
    key has not arrived: it is received once the key is there). Otherwise the document is
    verified, downloaded (resuming where an earlier session stopped), decrypted and completed;
    ``on_progress(received_bytes)`` runs on the event loop after each stored piece. Raises
    :class:`DocumentRefusal` when it is not what its publisher signed (the partial or stored
    blob is discarded, so it is fetched afresh later).
    """
    incoming = await asyncio.to_thread(look_up, store, doc_id, version)
    if incoming is None or incoming.meeting_key is None or not needs_receiving(incoming.doc):
        return None
    if incoming.publisher_id is None:
        assert incoming.unreadable is not None
        raise DocumentRefusal(incoming.unreadable.code, str(incoming.unreadable))
    certificate = await publisher(incoming.publisher_id)
    if certificate is None:
        raise DocumentRefusal(
            "publisher_unverified",
            "The publishing device has no valid certificate from the organisation.",
        )
    doc, key = incoming.doc, incoming.meeting_key
    if doc.state is DocumentState.COMPLETE:
        try:
            return await verify_stored(store, doc, meeting_key=key, publisher=certificate)
        except DocumentRefusal as refusal:
            refusal.stored_copy = True
            raise
    return await _download(store, conn, doc, key, certificate, incoming.opened, on_progress)


async def _download(
    store: LocalStore,
    conn: RelayConnection,
    doc: Document,
    meeting_key: MeetingKey,
    publisher: DeviceCertificate,
    opened: bytes | None,
    on_progress: Callable[[int], None] | None,
) -> ReceivedDocument:
    """Download ``doc`` (a row in the downloading state) into the store. From the start, each
    piece is decrypted as it is stored; a resumed download is completed against the signed
    digest and then verified and decrypted from the stored blob, as :func:`verify_stored` does
    for a download an earlier run completed."""
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
            return ReceivedDocument(doc, manifest, decryptor.plaintext)
        await asyncio.to_thread(store.complete, doc_id, version, signed_sha256)
    except (CryptoError, BlobHashMismatch) as exc:
        raise await _refuse(store, doc, exc) from exc
    return await verify_stored(store, doc, meeting_key=meeting_key, publisher=publisher)


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
    return ReceivedDocument(doc, manifest, pdf)


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
