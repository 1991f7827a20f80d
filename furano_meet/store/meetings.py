"""Meetings and their keys: what this device knows of each meeting it belongs to.

A meeting row holds its title, times, the newest meeting key and that key's epoch;
``meeting_keys`` keeps every epoch's key, because documents and notes made under an older epoch
still need their own epoch's key after a rotation. A key is only ever replaced by a newer epoch
(or installed as the first one), so a delayed message cannot roll a meeting back to an old key,
and a shredded meeting (``shredded_at`` set, see :mod:`.shredding`) takes no key at all.

Documents and annotations belong to a meeting; :func:`require_meeting` is the check their
modules make before adding one, so a row never points at a meeting this device does not know.
"""

from __future__ import annotations

from datetime import datetime

from .database import Database, Row
from .errors import UnknownMeeting
from .records import Meeting, from_ms, to_ms

__all__ = [
    "expired_meetings",
    "meeting",
    "meeting_key_at",
    "meeting_key_epochs",
    "meetings",
    "require_meeting",
    "set_meeting_key",
    "upsert_meeting",
]

_MEETING_COLUMNS = "meeting_id, title, starts_at, expires_at, meeting_key, key_epoch, shredded_at"


def upsert_meeting(
    db: Database,
    meeting_id: str,
    *,
    title: str,
    starts_at: datetime,
    expires_at: datetime | None = None,
) -> None:
    """Add a meeting or update its title and times. Its key is set with :func:`set_meeting_key`."""
    db.execute(
        "INSERT INTO meetings (meeting_id, title, starts_at, expires_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (meeting_id) DO UPDATE SET title = excluded.title, "
        "starts_at = excluded.starts_at, expires_at = excluded.expires_at",
        (
            meeting_id,
            title,
            to_ms(starts_at),
            None if expires_at is None else to_ms(expires_at),
        ),
    )


def set_meeting_key(db: Database, meeting_id: str, key: bytes, epoch: int) -> bool:
    """Install a meeting key; return ``False`` if it was ignored.

    A key is taken if its epoch is newer than the stored one, or equal while no key is stored
    (the first key). Older epochs (a delayed message) and shredded meetings are ignored.
    """
    if not key:
        raise ValueError("a meeting key cannot be empty")
    if epoch < 0:
        raise ValueError("key epochs are not negative")
    with db.atomic():
        require_meeting(db, meeting_id)
        newest = bool(
            db.execute(
                "UPDATE meetings SET meeting_key = ?, key_epoch = ? WHERE meeting_id = ? "
                "AND shredded_at IS NULL AND (key_epoch < ? "
                "OR (key_epoch = ? AND meeting_key IS NULL))",
                (key, epoch, meeting_id, epoch, epoch),
            )
        )
        # Every epoch is kept (older documents and notes need their own epoch's key).
        kept = bool(
            db.execute(
                "INSERT OR IGNORE INTO meeting_keys (meeting_id, epoch, key) "
                "SELECT meeting_id, ?, ? FROM meetings "
                "WHERE meeting_id = ? AND shredded_at IS NULL",
                (epoch, key, meeting_id),
            )
        )
        return newest or kept


def meeting_key_at(db: Database, meeting_id: str, epoch: int) -> bytes | None:
    """The meeting's key of one epoch (``None`` if this device never received it)."""
    value = db.query_value(
        "SELECT key FROM meeting_keys WHERE meeting_id = ? AND epoch = ?", (meeting_id, epoch)
    )
    return value if isinstance(value, bytes) else None


def meeting_key_epochs(db: Database, meeting_id: str) -> list[tuple[int, bytes]]:
    """Every (epoch, key) this device holds for a meeting, oldest first."""
    rows = db.query(
        "SELECT epoch, key FROM meeting_keys WHERE meeting_id = ? ORDER BY epoch",
        (meeting_id,),
    )
    return [(int(r[0]), bytes(r[1])) for r in rows]


def meeting(db: Database, meeting_id: str) -> Meeting | None:
    row = db.query_one(
        f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE meeting_id = ?", (meeting_id,)
    )
    return None if row is None else _meeting(row)


def meetings(db: Database) -> list[Meeting]:
    """Every meeting, soonest first (shredded ones included, marked by ``shredded_at``)."""
    rows = db.query(f"SELECT {_MEETING_COLUMNS} FROM meetings ORDER BY starts_at, meeting_id")
    return [_meeting(row) for row in rows]


def expired_meetings(db: Database, now: datetime) -> list[str]:
    """Ids of meetings whose viewing deadline has passed and that are not shredded yet."""
    rows = db.query(
        "SELECT meeting_id FROM meetings WHERE expires_at IS NOT NULL AND expires_at <= ? "
        "AND shredded_at IS NULL ORDER BY expires_at",
        (to_ms(now),),
    )
    return [str(row[0]) for row in rows]


def require_meeting(db: Database, meeting_id: str) -> None:
    """Raise :class:`UnknownMeeting` unless this device knows ``meeting_id``."""
    if db.query_one("SELECT 1 FROM meetings WHERE meeting_id = ?", (meeting_id,)) is None:
        raise UnknownMeeting(meeting_id)


def _meeting(row: Row) -> Meeting:
    return Meeting(
        meeting_id=row[0],
        title=row[1],
        starts_at=from_ms(row[2]),
        expires_at=None if row[3] is None else from_ms(row[3]),
        meeting_key=row[4],
        key_epoch=int(row[5]),
        shredded_at=None if row[6] is None else from_ms(row[6]),
    )
