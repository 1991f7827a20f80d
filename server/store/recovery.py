"""Recovery boxes: one opaque, client-sealed box per user, newest version only.

Serves :mod:`server.handlers.recovery`. The box is sealed under a code only the user knows
(``furano_meet.crypto.recovery``); the relay stores bytes and a version number. It keeps the
newest version and refuses an older or equal one, so neither a confused device nor a replayed
request can roll a user's box back.
"""

from __future__ import annotations

from furano_meet.protocol import ErrorCode

from ..errors import Refusal
from .database import Database, utc_now


class RecoveryQueries(Database):
    def recovery_box(self, user_id: str) -> tuple[int, bytes]:
        """(version, box) of ``user_id``, or (0, b"") when there is none."""
        row = self.db.execute(
            "SELECT version, box FROM recovery_boxes WHERE user_id = ?", (user_id,)
        ).fetchone()
        return (0, b"") if row is None else (int(row[0]), bytes(row[1]))

    def put_recovery_box(self, user_id: str, version: int, box: bytes, put_by: str) -> None:
        """Keep ``box`` as ``user_id``'s if ``version`` is newer than the one held (one
        transaction, so two devices racing cannot both win); ``conflict`` otherwise."""
        with self._tx() as db:
            row = db.execute(
                "SELECT version FROM recovery_boxes WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is not None and int(row[0]) >= version:
                raise Refusal(
                    ErrorCode.CONFLICT,
                    f"The relay already keeps recovery box version {row[0]}; version {version}"
                    " is not newer.",
                )
            db.execute(
                "INSERT OR REPLACE INTO recovery_boxes (user_id, version, box, put_by,"
                " updated_at) VALUES (?,?,?,?,?)",
                (user_id, version, box, put_by, utc_now()),
            )

    def device_certified(self, device_id: str) -> bool:
        row = self.db.execute(
            "SELECT length(certificate) FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        return row is not None and int(row[0]) > 0
