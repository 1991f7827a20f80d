"""The annotation log: append-only, idempotent by ``op_id``, filtered by visibility.

Serves the op-log handlers and the join snapshot (``last_op_seq``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from .accounts import DeviceIdentity
from .database import Database, utc_now

if TYPE_CHECKING:
    from ..signed_ops import SignedRow

_COLUMNS = (
    "seq, op_id, author_user_id, author_device_id, document_id, version, page,"
    " visibility, kind, payload, logged_at, header, signature"
)


class OpLog(Database):
    """Ops each member may see: shared ones and their own private ones."""

    def append_ops(
        self,
        meeting_id: str,
        author: DeviceIdentity,
        ops: Sequence[m.NewOp],
        signed: Sequence[SignedRow | None] = (),
    ) -> tuple[list[m.OpResult], list[m.LoggedOp]]:
        """Append in one transaction; a replayed ``op_id`` is acknowledged with its first seq.

        ``signed`` (one entry per op, from :func:`server.signed_ops.check_signed`) must continue
        its stream's chain — counter above and ``prev_sha256`` equal to the stream's last op —
        or the whole batch is refused as ``stale`` (a replay, a reorder, a forked device).
        """
        results: list[m.OpResult] = []
        logged: list[m.LoggedOp] = []
        now = utc_now()
        rows = list(signed) or [None] * len(ops)
        with self._tx() as db:
            for op, row in zip(ops, rows, strict=True):
                existing = db.execute(
                    "SELECT seq FROM ops WHERE meeting_id = ? AND op_id = ?", (meeting_id, op.op_id)
                ).fetchone()
                if existing is not None:
                    results.append(m.OpResult(op_id=op.op_id, seq=existing[0], duplicate=True))
                    continue
                if row is not None:
                    _require_chain(db, meeting_id, author.device_id, op, row)
                seq = db.execute(
                    "INSERT INTO ops (meeting_id, op_id, author_user_id, author_device_id,"
                    " document_id, version, page, visibility, kind, payload, logged_at,"
                    " header, signature, counter, op_sha256)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        meeting_id,
                        op.op_id,
                        author.user_id,
                        author.device_id,
                        op.document_id,
                        op.version,
                        op.page,
                        op.visibility,
                        op.kind,
                        op.payload,
                        now,
                        b"" if row is None else row.header,
                        b"" if row is None else row.signature,
                        None if row is None else row.counter,
                        "" if row is None else row.op_sha256,
                    ),
                ).lastrowid
                assert seq is not None
                results.append(m.OpResult(op_id=op.op_id, seq=seq, duplicate=False))
                logged.append(
                    m.LoggedOp.of(
                        op,
                        seq=seq,
                        author_user_id=author.user_id,
                        author_device_id=author.device_id,
                        logged_at=now,
                        header=b"" if row is None else row.header,
                        signature=b"" if row is None else row.signature,
                    )
                )
        return results, logged

    def fetch_ops(
        self, meeting_id: str, user_id: str, since: int, limit: int
    ) -> tuple[list[m.LoggedOp], bool]:
        """Ops after ``since`` that ``user_id`` may see: shared ones and their own private ones."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM ops"
            " WHERE meeting_id = ? AND seq > ? AND (visibility = 'shared' OR author_user_id = ?)"
            " ORDER BY seq LIMIT ?",
            (meeting_id, since, user_id, limit + 1),
        ).fetchall()
        ops = [_logged_op(r) for r in rows[:limit]]
        return ops, len(rows) > limit

    def last_op_seq(self, meeting_id: str, user_id: str) -> int:
        """The highest seq ``user_id`` can fetch (others' private ops are not counted)."""
        row = self.db.execute(
            "SELECT max(seq) FROM ops WHERE meeting_id = ?"
            " AND (visibility = 'shared' OR author_user_id = ?)",
            (meeting_id, user_id),
        )
        return int(row.fetchone()[0] or 0)


def _logged_op(row: Any) -> m.LoggedOp:
    return m.LoggedOp(
        seq=row[0],
        op_id=row[1],
        author_user_id=row[2],
        author_device_id=row[3],
        document_id=row[4],
        version=row[5],
        page=row[6],
        visibility=row[7],
        kind=row[8],
        payload=row[9],
        logged_at=row[10],
        header=row[11],
        signature=row[12],
    )


def _require_chain(db: Any, meeting_id: str, device_id: str, op: m.NewOp, row: SignedRow) -> None:
    last = db.execute(
        "SELECT counter, op_sha256 FROM ops WHERE meeting_id = ? AND author_device_id = ?"
        " AND visibility = ? AND counter IS NOT NULL ORDER BY counter DESC LIMIT 1",
        (meeting_id, device_id, op.visibility),
    ).fetchone()
    last_counter, last_hash = (0, "") if last is None else (int(last[0]), str(last[1]))
    if row.counter <= last_counter or row.prev_sha256 != last_hash:
        raise Refusal(
            ErrorCode.STALE,
            f"op {op.op_id!r} has counter {row.counter} after {last_counter} and does not"
            " continue this device's chain: a replay, a reorder or a forked device",
        )
