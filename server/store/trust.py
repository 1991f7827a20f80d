"""Signed objects the relay keeps for its clients (protocol 1.3): epoch records and rosters.

The relay cannot make these (only a clerk's or an administrator's device signs them) and its
clients verify every one against their own root fingerprint, so what is kept here serves the
service only: one record per meeting-key epoch (the first one stays, so "first sealer keeps
the slot" rests on the record, not on a number the sender wrote) and the newest roster per
meeting (an older version is refused, so an honest relay never hands out a stale one).
"""

from __future__ import annotations

from furano_meet.protocol import ErrorCode

from ..errors import Refusal
from .database import Database, utc_now


class TrustQueries(Database):
    """Epoch records and rosters, as received from clerk and administrator devices."""

    def keep_epoch_record(
        self, meeting_id: str, epoch: int, record: bytes, signer_certificate: bytes, body: bytes
    ) -> bytes:
        """Keep the first record of an epoch; return the one kept (which may be an earlier,
        identical-bodied copy). ``body`` is the record's canonical body: a second record with
        another body for the same epoch is refused, as two keys for one epoch would be."""
        with self._tx() as db:
            row = db.execute(
                "SELECT record, body FROM epoch_records WHERE meeting_id = ? AND epoch = ?",
                (meeting_id, epoch),
            ).fetchone()
            if row is not None:
                if bytes(row[1]) != body:
                    raise Refusal(
                        ErrorCode.STALE,
                        f"epoch {epoch} of this meeting already has another record;"
                        " make a new epoch instead",
                    )
                return bytes(row[0])
            db.execute(
                "INSERT INTO epoch_records (meeting_id, epoch, record, body, signer_certificate,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (meeting_id, epoch, record, body, signer_certificate, utc_now()),
            )
        return record

    def epoch_record(self, meeting_id: str, epoch: int) -> tuple[bytes, bytes] | None:
        """(record, signer certificate) of one epoch, if any was put."""
        row = self.db.execute(
            "SELECT record, signer_certificate FROM epoch_records"
            " WHERE meeting_id = ? AND epoch = ?",
            (meeting_id, epoch),
        ).fetchone()
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def put_roster(
        self, meeting_id: str, version: int, roster: bytes, signer_certificate: bytes
    ) -> None:
        """Keep ``roster`` if it is newer than the one held; refuse ``stale`` otherwise."""
        with self._tx() as db:
            row = db.execute(
                "SELECT version FROM rosters WHERE meeting_id = ?", (meeting_id,)
            ).fetchone()
            if row is not None and version <= row[0]:
                raise Refusal(
                    ErrorCode.STALE,
                    f"roster version {version} is not newer than version {row[0]} already held",
                )
            db.execute(
                "INSERT OR REPLACE INTO rosters (meeting_id, version, roster, signer_certificate,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (meeting_id, version, roster, signer_certificate, utc_now()),
            )

    def roster(self, meeting_id: str) -> tuple[bytes, bytes]:
        """(roster, signer certificate) of the newest roster, or two empty values."""
        row = self.db.execute(
            "SELECT roster, signer_certificate FROM rosters WHERE meeting_id = ?", (meeting_id,)
        ).fetchone()
        return (b"", b"") if row is None else (bytes(row[0]), bytes(row[1]))
