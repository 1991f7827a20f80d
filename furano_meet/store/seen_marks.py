"""What this reader has looked at: the "updated" mark of a new version, and each note a
replacement (差し替え) left for review.

The agenda pack shows 「資料が更新されました」 and 「メモの確認が必要です」 until the reader has
looked; once they have, the mark must stay gone across restarts, so it is a record here and
not a flag in memory. A mark is a short text — :data:`UPDATED`, or :func:`note_mark` of an
annotation id — per document version; it says nothing about the content, and is shredded with
its meeting (:mod:`.shredding`).

The notes a replacement left for review are kept here too (``review_notes``, schema 1.4): the
engine reports them once, when it carries the notes over, and a restart before the reader
looked must not lose the list. :func:`needs_review` is that list minus the notes whose mark
was seen — one record of looking, not a second mechanism.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from .database import Database

__all__ = [
    "UPDATED",
    "ReviewNote",
    "keep_for_review",
    "mark_seen",
    "needs_review",
    "note_mark",
    "seen_marks",
]

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


@dataclass(frozen=True, slots=True)
class ReviewNote:
    """A note a replacement could not carry: it stays on ``from_version``'s page; looking at
    it is the mark :func:`note_mark` on ``to_version``."""

    meeting_id: str
    document_id: str
    from_version: int
    to_version: int
    annotation_id: str


def keep_for_review(
    db: Database,
    meeting_id: str,
    doc_id: str,
    from_version: int,
    to_version: int,
    annotation_ids: Iterable[str],
) -> None:
    """Remember notes a replacement left for review (again is harmless)."""
    db.executemany(
        "INSERT INTO review_notes (meeting_id, doc_id, from_version, to_version, annotation_id)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc_id, to_version, annotation_id) DO NOTHING",
        [(meeting_id, doc_id, from_version, to_version, a) for a in annotation_ids],
    )


def needs_review(db: Database, meeting_id: str) -> tuple[ReviewNote, ...]:
    """The notes of a meeting left for review that the reader has not looked at yet."""
    rows = db.query(
        "SELECT r.doc_id, r.from_version, r.to_version, r.annotation_id FROM review_notes r"
        " WHERE r.meeting_id = ? AND NOT EXISTS (SELECT 1 FROM seen_marks s"
        "  WHERE s.doc_id = r.doc_id AND s.version = r.to_version"
        "  AND s.mark = ? || r.annotation_id)"
        " ORDER BY r.rowid",
        (meeting_id, note_mark("")),
    )
    return tuple(ReviewNote(meeting_id, str(d), int(f), int(t), str(a)) for d, f, t, a in rows)
