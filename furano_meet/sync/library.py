"""The document library: announced versions, their downloads, acceptance, opening, publishing.

A version the relay announces becomes a row in the downloading state
(:func:`~.receiving.announce`) and is queued; one download worker per session runs
:func:`~.receiving.receive` for each in turn. A verified document is *accepted*: described in
the store, its receipt signed (protocol 1.5) and confirmed to the relay, announced ready, then its text indexed; a newer
version of a document carries this user's notes over (:meth:`.notes.Notes.carry_over`).
A refused document is reported (:class:`~.events.DocumentRefused`) and never shown.

The relay sends a new document to every device but its publisher's, so publishing keeps the
version on this device as if it had been received (:meth:`Library.publish`): the ciphertext just
uploaded is stored against the digest this device signed — no download, no second encryption —
and accepted like any received document, so the clerk's own publications are listed, open
offline, are searchable, carry the clerk's notes over and are confirmed like everyone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from furano_meet.crypto import CryptoError, DeviceCertificate
from furano_meet.crypto.manifest import DocumentManifest
from furano_meet.crypto.receipts import sign_receipt
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore, StoreError
from furano_meet.store.errors import UnknownDocument
from furano_meet.store.records import Document, DocumentState

from . import documents as docs
from .context import SyncContext
from .events import (
    DocumentIndexed,
    DocumentPublished,
    DocumentReady,
    DocumentRefused,
    DocumentWithdrawn,
    DownloadProgress,
    UploadProgress,
)
from .keys import Keys
from .notes import Notes
from .receiving import (
    DocumentRefusal,
    ReceivedDocument,
    announce,
    describe,
    needs_receiving,
    receive,
)

log = logging.getLogger("furano.sync")


async def published_documents(
    conn: RelayConnection, meeting_id: str
) -> AsyncIterator[m.DocumentInfo]:
    """Every published version of a meeting (withdrawn ones included), paged (protocol 1.2)."""
    offset = 0
    while True:
        page = await conn.request(m.ListDocuments(meeting_id=meeting_id, offset=offset))
        assert isinstance(page, m.DocumentsListed)
        for document in page.documents:
            yield document
        if not page.more or page.next_offset <= offset:
            return
        offset = page.next_offset


class Library:
    def __init__(self, ctx: SyncContext, keys: Keys, notes: Notes) -> None:
        self._ctx = ctx
        self._keys = keys
        self._notes = notes
        self._queue: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()
        self._sizes: dict[tuple[str, int], int] = {}
        self._keeping: set[tuple[str, int]] = set()
        """(document id, version) this device published and is keeping (:meth:`_keep`): a
        catch-up that queues it meanwhile must not download it beside the keeping."""

    # -- what the relay announces ------------------------------------------------------------

    async def announce(self, meeting_id: str, document: m.DocumentInfo) -> None:
        """Record a published version (from a join snapshot, a listing or a push)."""
        self._sizes[(document.document_id, document.version)] = document.size
        await self._ctx.db(announce, self._ctx.store, meeting_id, document)

    async def published(self, meeting_id: str, document: m.DocumentInfo) -> None:
        """A ``document_published`` push: record it and fetch it."""
        await self.announce(meeting_id, document)
        self._queue.put_nowait((meeting_id, document.document_id, document.version))

    async def announce_all(self, conn: RelayConnection, meeting_id: str) -> None:
        """Page through every document of a meeting whose snapshot had to leave some out (it
        keeps the newest); a relay older than protocol 1.2 cannot list them, and only the
        documents in the snapshot are known then."""
        async for document in published_documents(conn, meeting_id):
            await self.announce(meeting_id, document)

    async def withdrawn(self, meeting_id: str, document_id: str) -> None:
        """The clerk's office withdrew every version of a document."""
        store = self._ctx.store
        for doc in await self._ctx.db(store.documents, meeting_id):
            if doc.doc_id == document_id and doc.state is not DocumentState.WITHDRAWN:
                await self._ctx.db(store.withdraw_document, doc.doc_id, doc.version)
        self._ctx.emit(DocumentWithdrawn(meeting_id, document_id))

    async def queue_unfinished(self, meeting_id: str) -> None:
        """Queue every version of a meeting not yet received (after a join, or once its key
        arrives); the worker skips what turns out to need nothing."""
        for doc in await self._ctx.db(self._ctx.store.documents, meeting_id):
            if needs_receiving(doc):
                self._queue.put_nowait((meeting_id, doc.doc_id, doc.version))

    # -- receiving ---------------------------------------------------------------------------

    async def download_worker(self, conn: RelayConnection) -> None:
        """(Live task) Receive queued versions one at a time until the session ends."""
        while True:
            meeting_id, doc_id, version = await self._queue.get()
            try:
                await self._receive(conn, meeting_id, doc_id, version)
            except RelayError as exc:
                if exc.code in ("connection_lost", "device_revoked"):
                    raise
                log.warning("download of %s v%d failed: %s", doc_id, version, exc.code)
            except Exception:  # noqa: BLE001 - keep downloading the others
                log.exception("download of %s v%d failed", doc_id, version)

    async def _receive(
        self, conn: RelayConnection, meeting_id: str, doc_id: str, version: int
    ) -> None:
        if (doc_id, version) in self._keeping:
            return  # this device's own publication, being stored from its upload
        total = self._sizes.get((doc_id, version), 0)

        def progress(received: int) -> None:
            self._ctx.emit(DownloadProgress(meeting_id, doc_id, version, received, total))

        async def publisher(device_id: str) -> DeviceCertificate | None:
            return await self._keys.publisher(conn, meeting_id, device_id)

        try:
            received = await receive(
                self._ctx.store, conn, doc_id, version, publisher=publisher, on_progress=progress
            )
        except DocumentRefusal as exc:
            self._ctx.emit(DocumentRefused(meeting_id, doc_id, version, exc.code, exc.message))
            log.warning("refused document %s v%d: %s", doc_id, version, exc.code)
            if exc.stored_copy:
                # The local copy was bad (it has been discarded), not necessarily the relay's:
                # fetch it afresh once now; a refused download waits for the next catch-up.
                self._queue.put_nowait((meeting_id, doc_id, version))
            return
        if received is not None:
            await self._accept(meeting_id, doc_id, version, received)

    async def _accept(
        self, meeting_id: str, doc_id: str, version: int, received: ReceivedDocument
    ) -> None:
        """A verified document: describe it, confirm receipt, announce it, then index it."""
        manifest, pdf = received.manifest, received.pdf
        store = self._ctx.store
        await self._ctx.db(describe, store, received)
        conn = self._ctx.conn
        if conn is not None:
            with contextlib.suppress(RelayError):
                signed = await self._signed_receipt(conn, meeting_id, manifest)
                await conn.request(
                    m.ConfirmReceipt(
                        meeting_id=meeting_id, document_id=doc_id, version=version, signed=signed
                    )
                )
        # Ready to open now: text extraction and indexing (~1 ms per page, 0.6 s for a 612-page
        # budget book) come after, still in this download worker, and DocumentIndexed says
        # when search covers the document.
        self._ctx.emit(DocumentReady(meeting_id, doc_id, version, manifest.title))
        texts = await asyncio.to_thread(docs.page_texts, pdf)
        del pdf, received  # plaintext lives only in memory, and only as long as needed
        pages = await self._ctx.db(store.index_pages, doc_id, version, texts)
        self._ctx.emit(DocumentIndexed(meeting_id, doc_id, version, pages))
        if version > 1:
            await self._notes.carry_over(meeting_id, doc_id, version)

    async def _signed_receipt(
        self, conn: RelayConnection, meeting_id: str, manifest: DocumentManifest
    ) -> bytes:
        """(1.5) This device's signature on the receipt (:mod:`furano_meet.crypto.receipts`),
        so the clerk can tell a real delivery from one the relay invents; empty for a relay
        older than 1.5 (it would not keep it) or while this device has no certificate."""
        if conn.session.peer_minor < 5:
            return b""
        own = await self._keys.load_own_certificate(meeting_id)
        if own is None:
            return b""
        try:
            return await asyncio.to_thread(
                sign_receipt,
                meeting_id=meeting_id,
                document_id=manifest.doc_id,
                version=manifest.version,
                ciphertext_sha256=manifest.ciphertext_sha256,
                device_keys=self._ctx.account.keys,
                signer=own,
            )
        except CryptoError as exc:  # our bug: still confirm, unsigned, rather than not at all
            log.error("cannot sign the receipt of %s: %s", manifest.doc_id, exc)
            return b""

    # -- opening and publishing --------------------------------------------------------------

    async def open(self, doc_id: str, version: int) -> bytearray:
        """The plaintext PDF of a complete cached document (decrypted off the event loop)."""
        store = self._ctx.store
        doc = await self._ctx.db(store.document, doc_id, version)
        if doc is None or doc.state is not DocumentState.COMPLETE:
            raise LookupError(f"document {doc_id} v{version} is not available offline")
        key = await self._keys.document_key(doc.meeting_id, doc.manifest)
        if key is None:
            raise LookupError("the meeting key is not available on this device")
        blob = await self._ctx.db(store.read_blob, doc_id, version)
        return await asyncio.to_thread(
            docs.decrypt_cached, blob, doc.manifest, meeting_key=key, doc_id=doc_id, version=version
        )

    async def publish(
        self,
        meeting_id: str,
        pdf: bytes,
        *,
        title: str,
        agenda_item: str = "",
        agenda_position: int | None = None,
        document_id: str | None = None,
        version: int = 1,
        file_name: str | None = None,
        checked: docs.CheckedPdf | None = None,
    ) -> m.DocumentInfo:
        """(Clerk) Encrypt, sign and upload a document or a new version of one (差し替え), then
        keep it on this device (:meth:`_keep`). ``checked``: the PDF check already run on
        ``pdf`` (trusted only for these bytes, else the check runs again)."""
        conn = self._ctx.require_connection()
        key = await self._keys.meeting_key(meeting_id)
        if key is None:
            raise RelayError("no_meeting_key", "Create or receive the meeting key first.")
        account = self._ctx.account
        prepared = await asyncio.to_thread(
            docs.prepare_upload,
            pdf,
            meeting_key=key,
            keys=account.keys,
            device_id=account.device_id,
            document_id=document_id or f"doc-{uuid.uuid4().hex[:16]}",
            version=version,
            title=title,
            agenda_item=agenda_item,
            agenda_position=agenda_position,
            file_name=file_name,
            checked=checked,
        )
        info = await conn.upload(
            meeting_id=meeting_id,
            document_id=prepared.manifest.doc_id,
            version=version,
            data=prepared.blob,
            manifest=prepared.sealed_manifest,
            sha256=prepared.manifest.ciphertext_sha256,  # the encryptor's digest: no second pass
            on_progress=lambda sent, total: self._ctx.emit(
                UploadProgress(meeting_id, prepared.manifest.doc_id, version, sent, total)
            ),
        )
        self._ctx.emit(
            DocumentPublished(
                meeting_id,
                info.document_id,
                version,
                title,
                tuple(str(w) for w in prepared.warnings),
            )
        )
        await self._keep(meeting_id, info, prepared, pdf)
        return info

    async def _keep(
        self, meeting_id: str, info: m.DocumentInfo, prepared: docs.PreparedUpload, pdf: bytes
    ) -> None:
        """Keep a version this device just published as if it had been received: recorded,
        its uploaded ciphertext stored against the signed digest, then accepted (described,
        receipt confirmed, ready, indexed, notes carried over) by :meth:`_accept`.

        The publication has succeeded whatever happens here. If keeping fails (a full disk:
        the store raises), it is logged and nothing says the document is ready; its row stays
        to be received, and the next catch-up downloads it as any member's device would.
        """
        doc_id, version = info.document_id, info.version
        self._keeping.add((doc_id, version))
        try:
            await self.announce(meeting_id, info)
            signed_sha256 = bytes.fromhex(prepared.manifest.ciphertext_sha256)
            doc = await self._ctx.db(
                _store_own, self._ctx.store, doc_id, version, prepared.blob, signed_sha256
            )
            if doc is None:
                return  # kept already (the relay took a repeated upload as the one it has)
            # The plaintext is the caller's, held for the call anyway: no copy is made.
            received = ReceivedDocument(doc, prepared.manifest, pdf)
            await self._accept(meeting_id, doc_id, version, received)
        except StoreError as exc:
            log.warning(
                "published %s v%d, but cannot keep it on this device (%s): it is fetched at"
                " the next catch-up",
                doc_id,
                version,
                exc.code,
            )
        except Exception:  # noqa: BLE001 - published all the same; received at the next catch-up
            log.exception("published %s v%d, but keeping it on this device failed", doc_id, version)
        finally:
            self._keeping.discard((doc_id, version))


def _store_own(
    store: LocalStore, doc_id: str, version: int, blob: bytearray, signed_sha256: bytes
) -> Document | None:
    """(Store thread) Store a published version's ciphertext whole, completed against the
    digest its publisher (this device) signed; the row, still undescribed, for acceptance
    (``None``: this device holds and has accepted it already)."""
    doc = store.document(doc_id, version)
    if doc is None:  # the meeting was shredded meanwhile
        raise UnknownDocument(doc_id, version)
    if not needs_receiving(doc):
        return None
    store.store_blob(doc_id, version, blob, signed_sha256)
    return store.document(doc_id, version)
