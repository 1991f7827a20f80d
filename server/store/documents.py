"""Published document versions, resumable uploads and receipts.

Serves the upload and document handlers.  A version is published in one transaction once its
blob is verified and in place; the ``uploads`` rows let an interrupted upload resume.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from .accounts import DeviceIdentity
from .database import Database, utc_now


@dataclass(frozen=True, slots=True)
class PendingUpload:
    transfer_key: str
    meeting_id: str
    document_id: str
    version: int
    size: int
    sha256: str
    manifest: bytes
    device_id: str


class DocumentQueries(Database):
    """What a meeting's documents are, and who confirmed receiving them."""

    def documents(self, meeting_id: str) -> list[m.DocumentInfo]:
        rows = self.db.execute(
            "SELECT document_id, version, size, sha256, manifest, published_by, published_at,"
            " withdrawn_at IS NOT NULL FROM documents WHERE meeting_id = ?"
            " ORDER BY published_at, document_id, version",
            (meeting_id,),
        )
        return [_document(r) for r in rows]

    def document(self, meeting_id: str, document_id: str, version: int) -> m.DocumentInfo:
        row = self.db.execute(
            "SELECT document_id, version, size, sha256, manifest, published_by, published_at,"
            " withdrawn_at IS NOT NULL FROM documents"
            " WHERE meeting_id = ? AND document_id = ? AND version = ?",
            (meeting_id, document_id, version),
        ).fetchone()
        if row is None:
            raise Refusal(ErrorCode.NOT_FOUND, f"no document {document_id!r} version {version}")
        return _document(row)

    def check_publishable(
        self, meeting_id: str, document_id: str, version: int, sha256: str
    ) -> bool:
        """May this version be uploaded? True if it is already published with the same bytes."""
        row = self.db.execute(
            "SELECT sha256 FROM documents WHERE meeting_id = ? AND document_id = ? AND version = ?",
            (meeting_id, document_id, version),
        ).fetchone()
        if row is not None:
            if row[0] == sha256:
                return True
            raise Refusal(
                ErrorCode.CONFLICT, f"version {version} of {document_id!r} is already published"
            )
        latest = self.db.execute(
            "SELECT max(version) FROM documents WHERE meeting_id = ? AND document_id = ?",
            (meeting_id, document_id),
        ).fetchone()[0]
        if latest is not None and version <= latest:
            raise Refusal(
                ErrorCode.CONFLICT,
                f"{document_id!r} is at version {latest}; a replacement needs a higher one",
            )
        return False

    def save_upload(self, upload: PendingUpload) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO uploads (transfer_key, meeting_id, document_id, version,"
                " size, sha256, manifest, device_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    upload.transfer_key,
                    upload.meeting_id,
                    upload.document_id,
                    upload.version,
                    upload.size,
                    upload.sha256,
                    upload.manifest,
                    upload.device_id,
                    utc_now(),
                ),
            )

    def publish(self, upload: PendingUpload, published_by: str) -> m.DocumentInfo:
        """Record a fully received, verified blob as a published version (one transaction).

        The version check of ``begin_upload`` is repeated here, inside the transaction: another
        clerk may have published this version (other bytes) or a higher one meanwhile, and the
        check at the start of the upload cannot see that.
        """
        with self._tx() as db:
            if self.check_publishable(
                upload.meeting_id, upload.document_id, upload.version, upload.sha256
            ):
                db.execute("DELETE FROM uploads WHERE transfer_key = ?", (upload.transfer_key,))
                return self.document(upload.meeting_id, upload.document_id, upload.version)
            db.execute(
                "INSERT INTO documents (meeting_id, document_id, version, size, sha256,"
                " manifest, published_by, published_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    upload.meeting_id,
                    upload.document_id,
                    upload.version,
                    upload.size,
                    upload.sha256,
                    upload.manifest,
                    published_by,
                    utc_now(),
                ),
            )
            db.execute("DELETE FROM uploads WHERE transfer_key = ?", (upload.transfer_key,))
        return self.document(upload.meeting_id, upload.document_id, upload.version)

    def forget_upload(self, transfer_key: str) -> None:
        """The partial file is gone (hash mismatch, clean-up): its row goes too."""
        with self._tx() as db:
            db.execute("DELETE FROM uploads WHERE transfer_key = ?", (transfer_key,))

    def upload_keys(self) -> dict[str, str]:
        """Transfer key → ``created_at`` (the last ``begin_upload``) of every unfinished upload."""
        return dict(self.db.execute("SELECT transfer_key, created_at FROM uploads").fetchall())

    def forget_uploads(self, transfer_keys: Iterable[str]) -> None:
        with self._tx() as db:
            db.executemany(
                "DELETE FROM uploads WHERE transfer_key = ?", [(k,) for k in transfer_keys]
            )

    def withdraw(self, meeting_id: str, document_id: str) -> None:
        with self._tx() as db:
            if not db.execute(
                "UPDATE documents SET withdrawn_at = ? WHERE meeting_id = ? AND document_id = ?"
                " AND withdrawn_at IS NULL",
                (utc_now(), meeting_id, document_id),
            ).rowcount:
                raise Refusal(ErrorCode.NOT_FOUND, f"no published document {document_id!r}")

    def record_receipt(
        self,
        identity: DeviceIdentity,
        meeting_id: str,
        doc: str,
        version: int,
        signed: bytes = b"",
    ) -> None:
        """Keep the first receipt per device and version; a signed one (protocol 1.5) fills in
        the signature of an unsigned one kept before (the time stays the first's)."""
        self.document(meeting_id, doc, version)
        with self._tx() as db:
            db.execute(
                "INSERT INTO receipts (meeting_id, document_id, version, device_id, user_id,"
                " received_at, signed) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT (meeting_id, document_id, version, device_id) DO UPDATE"
                " SET signed = excluded.signed WHERE receipts.signed = x'' AND excluded.signed != x''",
                (meeting_id, doc, version, identity.device_id, identity.user_id, utc_now(), signed),
            )

    def receipts(self, meeting_id: str) -> list[m.Receipt]:
        rows = self.db.execute(
            "SELECT user_id, device_id, document_id, version, received_at, signed FROM receipts"
            " WHERE meeting_id = ? ORDER BY received_at, rowid",
            (meeting_id,),
        )
        return [
            m.Receipt(
                user_id=r[0],
                device_id=r[1],
                document_id=r[2],
                version=r[3],
                received_at=r[4],
                signed=bytes(r[5]),
            )
            for r in rows
        ]


def _document(row: Any) -> m.DocumentInfo:
    return m.DocumentInfo(
        document_id=row[0],
        version=row[1],
        size=row[2],
        sha256=row[3],
        manifest=row[4],
        published_by=row[5],
        published_at=row[6],
        withdrawn=bool(row[7]),
    )
