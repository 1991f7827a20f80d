"""Shredding: destroying what this device holds of one expired meeting (閲覧期限).

It cuts across every kind of record a meeting owns - its keys, documents with their blobs and
search rows, annotations and unsent outbox operations - so it lives above the modules that own
them, and the order of its steps is the point: rows first in one transaction, then the files,
then the WAL checkpoint that pushes the zeroed pages into the main file.
"""

from __future__ import annotations

from .blobs import BlobFiles
from .database import Database
from .documents import outside_transaction
from .meetings import require_meeting
from .records import now_ms

__all__ = ["shred_meeting"]


def shred_meeting(db: Database, blobs: BlobFiles, meeting_id: str) -> None:
    """Destroy what this device holds of an expired meeting (閲覧期限).

    Removes the meeting key, its documents (manifests, content keys, search index rows), their
    blob files, its annotations and its unsent outbox operations; keeps the meeting's row
    (title, dates, ``shredded_at``) so the app can say "expired" and the sync engine does not
    fetch it again, and keeps its sync cursors for the same reason.

    Blob files are unlinked without being overwritten first: they are ciphertext whose keys
    lived only in the database rows just deleted, and overwriting would not reach old blocks on
    SSDs or copy-on-write file systems anyway. Inside the database, ``PRAGMA secure_delete``
    (set at open) zeroes the freed content, FTS5 ``secure-delete`` drops the index entries at
    once, and a ``wal_checkpoint(TRUNCATE)`` afterwards writes the zeroed pages into the main
    file and discards the WAL frames that still held the old page images.
    """
    with db.lock:
        outside_transaction(db, "shred_meeting")
        with db.atomic():
            require_meeting(db, meeting_id)
            docs = db.query(
                "SELECT doc_id, version FROM documents WHERE meeting_id = ?", (meeting_id,)
            )
            db.execute(
                "UPDATE meetings SET meeting_key = NULL, shredded_at = ? WHERE meeting_id = ?",
                (now_ms(), meeting_id),
            )
            db.execute("DELETE FROM meeting_keys WHERE meeting_id = ?", (meeting_id,))
            db.execute("DELETE FROM annotations WHERE meeting_id = ?", (meeting_id,))
            db.execute("DELETE FROM seen_marks WHERE meeting_id = ?", (meeting_id,))
            db.execute("DELETE FROM review_notes WHERE meeting_id = ?", (meeting_id,))
            db.execute("DELETE FROM outbox WHERE meeting_id = ?", (meeting_id,))
            db.execute("DELETE FROM documents WHERE meeting_id = ?", (meeting_id,))
        for doc_id, version in docs:
            blobs.discard(doc_id, version)
        db.checkpoint_truncate()
