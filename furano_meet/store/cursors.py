"""Sync cursors: how far this device has applied each of the relay's streams.

A cursor is the last server sequence number applied for one (meeting, stream); profile-wide
streams use ``meeting_id=""``. Cursors only move forward, so a late or repeated reply can never
make the engine fetch (or skip) history it already settled.
"""

from __future__ import annotations

from .database import Database

__all__ = ["advance_cursor", "sync_cursor"]


def sync_cursor(db: Database, meeting_id: str, stream: str) -> int | None:
    """The last server sequence number applied for (meeting, stream); ``None`` if never."""
    value = db.query_value(
        "SELECT last_seq FROM sync_cursors WHERE meeting_id = ? AND stream = ?",
        (meeting_id, stream),
    )
    return None if value is None else int(value)


def advance_cursor(db: Database, meeting_id: str, stream: str, last_seq: int) -> int:
    """Move a cursor forward (never back); return its value afterwards."""
    if last_seq < 0:
        raise ValueError("sequence numbers are not negative")
    value = db.query_value(
        "INSERT INTO sync_cursors (meeting_id, stream, last_seq) VALUES (?, ?, ?) "
        "ON CONFLICT (meeting_id, stream) DO UPDATE SET "
        "last_seq = max(last_seq, excluded.last_seq) RETURNING last_seq",
        (meeting_id, stream, last_seq),
    )
    return int(value)
