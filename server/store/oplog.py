"""The annotation log: append-only, idempotent by ``op_id``, filtered by visibility.

Serves the op-log handlers and the join snapshot (``last_op_seq``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from furano_meet.protocol import messages as m

from .accounts import DeviceIdentity
from .database import Database, utc_now


class OpLog(Database):
    """Ops each member may see: shared ones and their own private ones."""

    def append_ops(
        self, meeting_id: str, author: DeviceIdentity, ops: Sequence[m.NewOp]
    ) -> tuple[list[m.OpResult], list[m.LoggedOp]]:
        """Append in one transaction; a replayed ``op_id`` is acknowledged with its first seq."""
        results: list[m.OpResult] = []
        logged: list[m.LoggedOp] = []
        now = utc_now()
        with self._tx() as db:
            for op in ops:
                existing = db.execute(
                    "SELECT seq FROM ops WHERE meeting_id = ? AND op_id = ?", (meeting_id, op.op_id)
                ).fetchone()
                if existing is not None:
                    results.append(m.OpResult(op_id=op.op_id, seq=existing[0], duplicate=True))
                    continue
                seq = db.execute(
                    "INSERT INTO ops (meeting_id, op_id, author_user_id, author_device_id,"
                    " document_id, version, page, visibility, kind, payload, logged_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
                    ),
                ).lastrowid
                assert seq is not None
                results.append(m.OpResult(op_id=op.op_id, seq=seq, duplicate=False))
                logged.append(
                    m.LoggedOp(
                        seq=seq,
                        op_id=op.op_id,
                        author_user_id=author.user_id,
                        author_device_id=author.device_id,
                        document_id=op.document_id,
                        version=op.version,
                        page=op.page,
                        visibility=op.visibility,
                        kind=op.kind,
                        payload=op.payload,
                        logged_at=now,
                    )
                )
        return results, logged

    def fetch_ops(
        self, meeting_id: str, user_id: str, since: int, limit: int
    ) -> tuple[list[m.LoggedOp], bool]:
        """Ops after ``since`` that ``user_id`` may see: shared ones and their own private ones."""
        rows = self.db.execute(
            "SELECT seq, op_id, author_user_id, author_device_id, document_id, version, page,"
            " visibility, kind, payload, logged_at FROM ops"
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
    )
