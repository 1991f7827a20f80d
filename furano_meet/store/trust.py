"""What this device accepted of the trust layer: epoch records and the newest roster.

Issue #8: a meeting key is kept only with the clerk-signed epoch record that vouches for it,
and a roster only if it is newer than the one already accepted. Both are stored here *after*
the engine verified them (:mod:`furano_meet.sync.trust`), so later checks — "is this epoch
older than one I accepted?", "is this roster stale?" — survive a restart. They are public
objects (signed, not secret); they sit in the encrypted store because the store is the
device's one record of what it accepted.
"""

from __future__ import annotations

from .database import Database
from .meetings import require_meeting, set_meeting_key

__all__ = ["accept_meeting_key", "epoch_records", "roster", "set_roster"]


def accept_meeting_key(
    db: Database, meeting_id: str, key: bytes, epoch: int, record: bytes, signer: bytes
) -> bool:
    """Store a verified key with its record in one transaction; ``True`` if it became the
    meeting's current key (see :func:`~.meetings.set_meeting_key`)."""
    with db.atomic():
        current = set_meeting_key(db, meeting_id, key, epoch)
        db.execute(
            "INSERT OR IGNORE INTO epoch_records (meeting_id, epoch, record, signer_certificate)"
            " VALUES (?, ?, ?, ?)",
            (meeting_id, epoch, record, signer),
        )
        return current


def epoch_records(db: Database, meeting_id: str) -> list[tuple[int, bytes, bytes]]:
    """Every accepted (epoch, record, signer certificate) of a meeting, oldest first."""
    rows = db.query(
        "SELECT epoch, record, signer_certificate FROM epoch_records WHERE meeting_id = ?"
        " ORDER BY epoch",
        (meeting_id,),
    )
    return [(int(r[0]), bytes(r[1]), bytes(r[2])) for r in rows]


def set_roster(db: Database, meeting_id: str, version: int, roster: bytes, signer: bytes) -> None:
    """Keep a verified roster as the meeting's newest (the caller checked it is newer)."""
    with db.atomic():
        require_meeting(db, meeting_id)
        db.execute(
            "INSERT OR REPLACE INTO rosters (meeting_id, version, roster, signer_certificate)"
            " VALUES (?, ?, ?, ?)",
            (meeting_id, version, roster, signer),
        )


def roster(db: Database, meeting_id: str) -> tuple[bytes, bytes] | None:
    """(roster, signer certificate) of the newest accepted roster, if any."""
    row = db.query_one(
        "SELECT roster, signer_certificate FROM rosters WHERE meeting_id = ?", (meeting_id,)
    )
    return None if row is None else (bytes(row[0]), bytes(row[1]))
