"""Document versions and their ciphertext blobs: announce, download, complete, withdraw.

Theory of operation
-------------------
A document version is announced (:func:`upsert_document`) and starts as ``downloading``; its
ciphertext then arrives either piece by piece (:func:`append_partial`, resumable from
:func:`resume_offset` after a crash) and is checked by :func:`complete`, or whole
(:func:`store_blob`). Either way the blob file is verified against its SHA-256 before the row
says ``complete``. A withdrawn version loses its content key, search index and file.

Operations that touch both the database and the blob folder hold the database lock for their
whole duration. The database is updated last when adding (a blob is verified and in place before
its document is marked complete) and first when removing (a document row disappears before its
file), so a crash leaves at worst an orphan file that :func:`sweep_orphan_blobs` removes - never a
row pointing at nothing that claims to be complete. For the same reason operations that delete
files refuse to run inside a caller's transaction (:func:`outside_transaction`).
"""

from __future__ import annotations

from collections.abc import Callable

from .blobs import BlobFiles
from .database import Database, Row
from .errors import BlobHashMismatch, DocumentNotDownloading, StoreBug, UnknownDocument
from .meetings import require_meeting
from .records import Document, DocumentInfo, DocumentState

__all__ = [
    "append_partial",
    "complete",
    "document",
    "documents",
    "outside_transaction",
    "read_blob",
    "require_document",
    "restart_download",
    "resume_offset",
    "store_blob",
    "sweep_orphan_blobs",
    "upsert_document",
    "withdraw_document",
]

_DOCUMENT_COLUMNS = (
    "meeting_id, doc_id, version, title, manifest, agenda_item, page_count, ciphertext_sha256, "
    "content_key, state, received_bytes, agenda_position"
)


def upsert_document(db: Database, info: DocumentInfo) -> None:
    """Announce a document version, or update its metadata (title, manifest, page count...).

    A new version starts as ``downloading``; the download state of a known one is unchanged.
    ``content_key`` and ``ciphertext_sha256`` are only replaced by non-``None`` values.
    """
    if info.ciphertext_sha256 is not None and len(info.ciphertext_sha256) != 32:
        raise ValueError("ciphertext_sha256 must be 32 bytes")
    with db.atomic():
        require_meeting(db, info.meeting_id)
        db.execute(
            "INSERT INTO documents (doc_id, version, meeting_id, title, agenda_item, "
            "page_count, manifest, content_key, ciphertext_sha256, agenda_position) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (doc_id, version) DO UPDATE SET title = excluded.title, "
            "agenda_item = excluded.agenda_item, page_count = excluded.page_count, "
            "agenda_position = excluded.agenda_position, "
            "manifest = excluded.manifest, "
            "content_key = coalesce(excluded.content_key, content_key), "
            "ciphertext_sha256 = coalesce(excluded.ciphertext_sha256, ciphertext_sha256)",
            (
                info.doc_id,
                info.version,
                info.meeting_id,
                info.title,
                info.agenda_item,
                info.page_count,
                info.manifest,
                info.content_key,
                info.ciphertext_sha256,
                info.agenda_position,
            ),
        )


def document(db: Database, doc_id: str, version: int) -> Document | None:
    row = db.query_one(
        f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id = ? AND version = ?",
        (doc_id, version),
    )
    return None if row is None else _document(row)


def documents(db: Database, meeting_id: str) -> list[Document]:
    """A meeting's document versions in agenda order: by the clerk's signed position, then
    (positionless, e.g. published before positions existed) by agenda item and title."""
    rows = db.query(
        f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE meeting_id = ? "
        "ORDER BY agenda_position IS NULL, agenda_position, agenda_item, title, doc_id, version",
        (meeting_id,),
    )
    return [_document(row) for row in rows]


def resume_offset(db: Database, blobs: BlobFiles, doc_id: str, version: int) -> int:
    """Where to resume the download: the bytes actually on disk (the truth after a crash)."""
    with db.lock:
        require_document(db, doc_id, version)
        return blobs.received(doc_id, version)


def append_partial(
    db: Database,
    blobs: BlobFiles,
    doc_id: str,
    version: int,
    offset: int,
    data: bytes | bytearray,
    *,
    alongside: Callable[[], None] | None = None,
) -> int:
    """Append downloaded ciphertext at ``offset``; return the bytes received so far.

    ``offset`` must equal :func:`resume_offset` (else :class:`ResumeOffsetMismatch`, nothing
    written). The data is fsynced before this returns. ``alongside`` runs in the helper
    thread that hashes the data while it is written (see :meth:`BlobFiles.write`); if it
    raises, the piece is cut off again and its exception propagates.
    """
    with db.lock:
        doc = require_document(db, doc_id, version)
        if doc.state is not DocumentState.DOWNLOADING:
            raise DocumentNotDownloading(doc_id, version, doc.state.value, "downloading")
        received = blobs.append(doc_id, version, offset, data, alongside=alongside)
        db.execute(
            "UPDATE documents SET received_bytes = ? WHERE doc_id = ? AND version = ?",
            (received, doc_id, version),
        )
        return received


def complete(db: Database, blobs: BlobFiles, doc_id: str, version: int, sha256: bytes) -> None:
    """Verify the downloaded file against ``sha256`` and mark the document complete.

    On a mismatch raises :class:`BlobHashMismatch` and keeps the partial file; call
    :func:`restart_download` to fetch it again. Calling it again after success is a no-op.
    """
    if len(sha256) != 32:
        raise ValueError("sha256 must be 32 bytes")
    with db.lock:
        doc = _require_storable(db, doc_id, version)
        if doc.ciphertext_sha256 is not None and doc.ciphertext_sha256 != sha256:
            raise BlobHashMismatch(
                doc_id, version, doc.ciphertext_sha256.hex(), f"{sha256.hex()} (announced)"
            )
        size = blobs.finish(doc_id, version, sha256)
        _mark_complete(db, doc_id, version, sha256, size)


def store_blob(
    db: Database,
    blobs: BlobFiles,
    doc_id: str,
    version: int,
    data: bytes | bytearray,
    sha256: bytes | Callable[[], bytes],
    *,
    alongside: Callable[[], None] | None = None,
) -> None:
    """Store a whole blob at once (write to a temp file, fsync, verify, rename), then mark
    the document complete.

    ``sha256`` may be a callable that is asked for the expected digest only once the bytes
    are durable (see :meth:`BlobFiles.write`): the receiver's signature check runs beside
    the write, and whatever it raises stops the store with nothing kept. ``alongside``
    runs in the helper thread that hashes the blob while it is written (see
    :meth:`BlobFiles.write`); if it raises, nothing is kept either.
    """
    with db.lock:
        _require_storable(db, doc_id, version)
        digest = blobs.write(doc_id, version, data, sha256, alongside=alongside)
        _mark_complete(db, doc_id, version, digest, len(data))


def read_blob(db: Database, blobs: BlobFiles, doc_id: str, version: int) -> bytes:
    """The complete ciphertext of a document version (decrypt it with its content key)."""
    with db.lock:
        doc = require_document(db, doc_id, version)
        if doc.state is not DocumentState.COMPLETE:
            raise DocumentNotDownloading(doc_id, version, doc.state.value, "complete")
        return blobs.read(doc_id, version)


def restart_download(db: Database, blobs: BlobFiles, doc_id: str, version: int) -> None:
    """Throw away what was received (e.g. after a checksum mismatch) and start from zero."""
    with db.lock:
        outside_transaction(db, "restart_download")
        _require_storable(db, doc_id, version)
        db.execute(
            "UPDATE documents SET state = 'downloading', received_bytes = 0 "
            "WHERE doc_id = ? AND version = ?",
            (doc_id, version),
        )
        blobs.discard(doc_id, version)


def withdraw_document(db: Database, blobs: BlobFiles, doc_id: str, version: int) -> None:
    """The organiser withdrew this version: drop its content, key, index and file."""
    with db.lock:
        outside_transaction(db, "withdraw_document")
        with db.atomic():
            require_document(db, doc_id, version)
            db.execute(
                "UPDATE documents SET state = 'withdrawn', content_key = NULL, "
                "received_bytes = 0 WHERE doc_id = ? AND version = ?",
                (doc_id, version),
            )
            db.execute(
                "DELETE FROM page_text_rows WHERE doc_id = ? AND version = ?",
                (doc_id, version),
            )
        blobs.discard(doc_id, version)


def sweep_orphan_blobs(db: Database, blobs: BlobFiles) -> int:
    """Delete blob files no document row refers to (left by a crash); return how many."""
    with db.lock:
        rows = db.query("SELECT doc_id, version FROM documents WHERE state != 'withdrawn'")
        keep = {blobs.name_for(doc_id, version) for doc_id, version in rows}
        return blobs.sweep(keep)


def require_document(db: Database, doc_id: str, version: int) -> Document:
    """The document version, or :class:`UnknownDocument` if this device never heard of it."""
    doc = document(db, doc_id, version)
    if doc is None:
        raise UnknownDocument(doc_id, version)
    return doc


def outside_transaction(db: Database, operation: str) -> None:
    """Operations that delete files must commit before deleting them, so they cannot run
    inside a caller's ``atomic()`` block (a rollback could not bring the files back)."""
    if db.in_transaction:
        raise StoreBug(f"{operation}() deletes files and cannot run inside atomic()")


def _require_storable(db: Database, doc_id: str, version: int) -> Document:
    """The document version, unless it was withdrawn (a withdrawn version takes no bytes)."""
    doc = require_document(db, doc_id, version)
    if doc.state is DocumentState.WITHDRAWN:
        raise DocumentNotDownloading(doc_id, version, doc.state.value, "downloading")
    return doc


def _mark_complete(db: Database, doc_id: str, version: int, sha256: bytes, size: int) -> None:
    db.execute(
        "UPDATE documents SET state = 'complete', ciphertext_sha256 = ?, received_bytes = ? "
        "WHERE doc_id = ? AND version = ?",
        (sha256, size, doc_id, version),
    )


def _document(row: Row) -> Document:
    return Document(
        meeting_id=row[0],
        doc_id=row[1],
        version=int(row[2]),
        title=row[3],
        manifest=row[4],
        agenda_item=row[5],
        page_count=int(row[6]),
        ciphertext_sha256=row[7],
        content_key=row[8],
        state=DocumentState(row[9]),
        received_bytes=int(row[10]),
        agenda_position=None if row[11] is None else int(row[11]),
    )
