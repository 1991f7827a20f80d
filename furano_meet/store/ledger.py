"""Signed-op state: this device's own op counters, its signed outbox, and the op ledger.

Two kinds of record, both added by schema 1.2 (:mod:`.migrations`):

* **What this device signs** — per stream (meeting, visibility) the last counter and op hash
  it used (``own_op_streams``), and the signed form of each unsent op (``outbox_signed``).
  :func:`keep_signed` writes both in the caller's transaction, so a counter is spent only
  together with the op that used it: after a crash either both exist or neither does.
* **What this device accepted** — the ledger's heads per stream of every device
  (``op_heads``) and the owner, place and newest op of every note (``note_owners``); the
  rows a batch of received ops names are loaded before it and saved after it
  (:mod:`furano_meet.sync.ledger`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .database import Database

__all__ = [
    "LedgerState",
    "NoteRecord",
    "keep_signed",
    "load_ledger",
    "own_stream_head",
    "save_ledger",
    "signed_op",
]


def own_stream_head(db: Database, meeting_id: str, visibility: str) -> tuple[int, str]:
    """(counter, op hash) of the last op this device signed in a stream; (0, "") if none."""
    row = db.query_one(
        "SELECT counter, op_sha256 FROM own_op_streams WHERE meeting_id = ? AND visibility = ?",
        (meeting_id, visibility),
    )
    return (0, "") if row is None else (int(row[0]), str(row[1]))


def keep_signed(
    db: Database,
    op_id: str,
    meeting_id: str,
    visibility: str,
    *,
    signed: bytes,
    payload: bytes,
    counter: int,
    op_sha256: str,
) -> None:
    """Spend ``counter`` on ``signed`` (the op, with its encrypted ``payload``); call inside
    the transaction that read :func:`own_stream_head`."""
    with db.atomic():
        db.execute(
            "INSERT INTO own_op_streams (meeting_id, visibility, counter, op_sha256)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (meeting_id, visibility) DO UPDATE SET"
            " counter = excluded.counter, op_sha256 = excluded.op_sha256",
            (meeting_id, visibility, counter, op_sha256),
        )
        db.execute(
            "INSERT INTO outbox_signed (op_id, signed, payload) VALUES (?, ?, ?)",
            (op_id, signed, payload),
        )


def signed_op(db: Database, op_id: str) -> tuple[bytes, bytes] | None:
    """(signed op, encrypted payload) of an unsent op signed before, or ``None``."""
    row = db.query_one("SELECT signed, payload FROM outbox_signed WHERE op_id = ?", (op_id,))
    return None if row is None else (bytes(row[0]), bytes(row[1]))


@dataclass(frozen=True, slots=True)
class NoteRecord:
    """A note as the ledger knows it (``note_owners``)."""

    author_user_id: str
    meeting_id: str
    doc_id: str
    version: int
    visibility: str
    deleted: bool
    last_op_id: str
    last_op_sha256: str


@dataclass(slots=True)
class LedgerState:
    """One meeting's ledger state: heads by (device, visibility), notes by annotation id."""

    heads: dict[tuple[str, str], tuple[int, str]]
    notes: dict[str, NoteRecord]


def load_ledger(
    db: Database, meeting_id: str, *, notes: Collection[str], devices: Collection[str]
) -> LedgerState:
    """The part of a meeting's ledger a batch of ops can touch: the heads of the ``devices``
    that signed them and the records of the ``notes`` they name.

    Why not the whole ledger: a received op reads and changes only its own note and its own
    stream, and the whole ledger grows with every note of the meeting — loading it made each
    arriving op cost more the longer the meeting ran (issue #9, fifth session). Both lookups
    are by primary key (``op_heads``: meeting, device; ``note_owners``: annotation id)."""
    heads: dict[tuple[str, str], tuple[int, str]] = {}
    for chunk in _chunks(sorted(devices)):
        heads.update(
            ((str(r[0]), str(r[1])), (int(r[2]), str(r[3])))
            for r in db.query(
                "SELECT device_id, visibility, counter, op_sha256 FROM op_heads"
                f" WHERE meeting_id = ? AND device_id IN ({_marks(chunk)})",
                (meeting_id, *chunk),
            )
        )
    records: dict[str, NoteRecord] = {}
    for chunk in _chunks(sorted(notes)):
        records.update(
            (
                str(r[0]),
                NoteRecord(
                    str(r[1]),
                    str(r[2]),
                    str(r[3]),
                    int(r[4]),
                    str(r[5]),
                    bool(r[6]),
                    str(r[7]),
                    str(r[8]),
                ),
            )  # fmt: skip
            for r in db.query(
                "SELECT annotation_id, author_user_id, meeting_id, doc_id, version, visibility,"
                " deleted, last_op_id, last_op_sha256 FROM note_owners"
                f" WHERE meeting_id = ? AND annotation_id IN ({_marks(chunk)})",
                (meeting_id, *chunk),
            )
        )
    return LedgerState(heads, records)


_CHUNK = 400
"""Keys per ``IN (...)`` lookup: well under SQLite's bound-parameter limit."""


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


def _marks(keys: list[str]) -> str:
    return ", ".join("?" * len(keys))


def save_ledger(db: Database, meeting_id: str, state: LedgerState) -> None:
    """Write a meeting's ledger state back (rows only ever change or grow)."""
    with db.atomic():
        db.executemany(
            "INSERT INTO op_heads (device_id, meeting_id, visibility, counter, op_sha256)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (meeting_id, device_id, visibility) DO UPDATE"
            " SET counter = excluded.counter, op_sha256 = excluded.op_sha256",
            [(d, meeting_id, v, c, h) for (d, v), (c, h) in state.heads.items()],
        )
        db.executemany(
            "INSERT OR REPLACE INTO note_owners (annotation_id, author_user_id, meeting_id,"
            " doc_id, version, visibility, deleted, last_op_id, last_op_sha256)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    annotation_id,
                    n.author_user_id,
                    n.meeting_id,
                    n.doc_id,
                    n.version,
                    n.visibility,
                    int(n.deleted),
                    n.last_op_id,
                    n.last_op_sha256,
                )
                for annotation_id, n in state.notes.items()
            ],
        )
