"""What this reader has looked at: the "updated" mark of a new version, and each note a
replacement (差し替え) left for review.

The agenda pack shows 「資料が更新されました」 and 「メモの確認が必要です」 until the reader has
looked; once they have, the mark must stay gone across restarts, so it is a record here and
not a flag in memory. A mark is a short text — :data:`UPDATED`, or :func:`note_mark` of an
annotation id — per document version; it says nothing about the content, and is shredded with
its meeting (:mod:`.shredding`).
"""

from __future__ import annotations

import time

from .database import Database

__all__ = ["UPDATED", "mark_seen", "note_mark", "seen_marks"]

UPDATED = "updated"
"""The reader opened this (newer) version."""


def note_mark(annotation_id: str) -> str:
    """The mark of one note a replacement left for review: the reader opened its page."""
    return f"note:{annotation_id}"


def mark_seen(db: Database, meeting_id: str, doc_id: str, version: int, mark: str) -> None:
    """Remember that the reader has looked (again is harmless: the first time is kept)."""
    db.execute(
        "INSERT INTO seen_marks (meeting_id, doc_id, version, mark, seen_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc_id, version, mark) DO NOTHING",
        (meeting_id, doc_id, version, mark, int(time.time() * 1000)),
    )


def seen_marks(db: Database, meeting_id: str) -> frozenset[tuple[str, int, str]]:
    """Every (doc id, version, mark) the reader has looked at in a meeting."""
    rows = db.query(
        "SELECT doc_id, version, mark FROM seen_marks WHERE meeting_id = ?", (meeting_id,)
    )
    return frozenset((str(d), int(v), str(k)) for d, v, k in rows)
