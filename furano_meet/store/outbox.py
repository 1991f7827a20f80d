"""The outbox: changes made on this device that the relay has not acknowledged yet.

"Accepted means kept": an entry is committed (and fsynced, see :mod:`.database`) before
:func:`enqueue` returns, and it stays until :func:`ack` removes it, so a change survives a crash
or a week offline. The ``op_id`` makes sending idempotent: enqueuing the same change twice keeps
one entry, and the relay's acknowledgement names the entries it took.
"""

from __future__ import annotations

from collections.abc import Iterable

from .database import Database, Row
from .errors import OutboxConflict
from .records import OutboxEntry, from_ms, now_ms

__all__ = ["ack", "enqueue", "outbox_size", "peek"]

_OUTBOX_COLUMNS = "seq, op_id, kind, payload, meeting_id, created_at"
_ACK_BATCH = 500  # ids per DELETE, well under SQLite's limit on bound parameters


def enqueue(
    db: Database, op_id: str, kind: str, payload: bytes, *, meeting_id: str | None = None
) -> OutboxEntry:
    """Add an unsent change. Enqueuing the same ``op_id`` again with the same contents returns
    the existing entry; with different contents it raises :class:`OutboxConflict`."""
    with db.atomic():
        row = db.query_one(f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE op_id = ?", (op_id,))
        if row is not None:
            entry = _outbox(row)
            if (entry.kind, entry.payload, entry.meeting_id) != (kind, payload, meeting_id):
                raise OutboxConflict(op_id)
            return entry
        created = now_ms()
        seq = db.insert(
            "INSERT INTO outbox (op_id, kind, meeting_id, payload, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (op_id, kind, meeting_id, payload, created),
        )
        return OutboxEntry(
            seq=seq,
            op_id=op_id,
            kind=kind,
            payload=payload,
            meeting_id=meeting_id,
            created_at=from_ms(created),
        )


def peek(db: Database, limit: int = 100) -> list[OutboxEntry]:
    """The oldest ``limit`` unsent changes, in order; they stay until :func:`ack`."""
    rows = db.query(f"SELECT {_OUTBOX_COLUMNS} FROM outbox ORDER BY seq LIMIT ?", (max(0, limit),))
    return [_outbox(row) for row in rows]


def ack(db: Database, op_ids: Iterable[str]) -> int:
    """Remove sent changes; unknown or already-acknowledged ids are ignored. Returns how many
    were removed."""
    ids = list(dict.fromkeys(op_ids))
    removed = 0
    with db.atomic():
        for start in range(0, len(ids), _ACK_BATCH):
            batch = ids[start : start + _ACK_BATCH]
            marks = ", ".join("?" * len(batch))
            removed += db.execute(f"DELETE FROM outbox WHERE op_id IN ({marks})", batch)
    return removed


def outbox_size(db: Database) -> int:
    return int(db.query_value("SELECT count(*) FROM outbox"))


def _outbox(row: Row) -> OutboxEntry:
    return OutboxEntry(
        seq=int(row[0]),
        op_id=row[1],
        kind=row[2],
        payload=row[3],
        meeting_id=row[4],
        created_at=from_ms(row[5]),
    )
