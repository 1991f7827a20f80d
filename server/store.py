"""The relay's durable state: one SQLite database in WAL mode, behind one thread.

Theory of operation
-------------------
Everything users rely on — accounts, devices, memberships, published document versions, key
envelopes, the annotation log — lives in ``relay.sqlite3`` next to the blob directory.  The
database runs in WAL mode with ``synchronous=FULL``: a transaction that has committed is on disk,
so every write the relay *acknowledges* (an upload, an op, a membership change) survives
``kill -9`` and power loss.  The presenter's page is deliberately *not* written per turn (only the
newest page matters and turns are frequent); :class:`server.rooms.Room` saves it lazily.

The :class:`Store` methods are synchronous and must all run on one thread: the relay calls them
through :meth:`Store.run`, which serialises them on a dedicated worker so the event loop never
blocks on ``fsync`` and SQLite never sees two threads.  Secrets are stored only as SHA-256 hashes:
device tokens and enrolment codes are 80–256-bit random values, so a fast hash is enough (a slow
KDF protects *low*-entropy passwords, which we do not have).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from .errors import Refusal
from .migrations import CURRENT, SCHEMA

P = ParamSpec("P")
T = TypeVar("T")

PRESENTER_SEQ_MARGIN = 1_000_000
"""More presenter changes than one meeting can make between two lazy saves (a rate-limited
presenter makes at most ``rate_per_second`` a second; saves run every second)."""

_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read aloud


def utc_now() -> str:
    """The relay's one clock format: ISO 8601, UTC, seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def normalise_code(code: str) -> str:
    """Enrolment codes are read aloud and typed: ignore case, spaces and hyphens."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


class SchemaTooNew(Exception):
    """The database was written by a newer relay (a newer schema major)."""


def storage_failure(exc: BaseException) -> str | None:
    """A user-facing sentence when ``exc`` is the disk's fault (full, read-only), else ``None``."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "The relay's disk is full; nothing was stored. Try again later."
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "The relay's data directory is read-only; nothing was stored."
    if isinstance(exc, sqlite3.Error):
        if "full" in text:
            return "The relay's disk is full; nothing was stored. Try again later."
        if "readonly" in text or "read-only" in text or "disk i/o" in text:
            return "The relay's data directory is not writable; nothing was stored."
    return None


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who is on the other end of an authenticated connection."""

    org_id: str
    user_id: str
    device_id: str
    role: m.Role
    display_name: str


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


class Store:
    """Synchronous repository over the relay database. Call it through :meth:`run`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-db")
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None
        self._members: dict[str, list[m.MemberInfo]] = {}
        """Member lists per meeting, read once per join burst instead of once per join."""
        self._members_version = -1
        """``data_version`` the cache was filled at: another process's commit empties it."""

    # -- lifecycle --------------------------------------------------------------------------

    def open(self) -> None:
        """Open (creating and migrating as needed). Call on the store thread or before serving."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 5000")
        self._db = db
        self._migrate()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._executor.shutdown(wait=True)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the store thread (one at a time, in submission order)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    def _migrate(self) -> None:
        db = self.db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (major INTEGER, minor INTEGER)")
        row = db.execute("SELECT major, minor FROM schema_version").fetchone()
        current = (row[0], row[1]) if row else (0, 0)
        if current[0] > CURRENT[0]:
            db.close()
            self._db = None
            raise SchemaTooNew(
                f"The relay database {self.path} has schema {current[0]}.{current[1]}, written by "
                f"a newer relay; this relay understands {CURRENT[0]}.x. Upgrade the relay."
            )
        for version, script in SCHEMA:
            if version <= current:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("DELETE FROM schema_version")
                db.execute("INSERT INTO schema_version VALUES (?, ?)", version)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    def data_version(self) -> int:
        """Changes when *another* connection (the admin CLI) commits; polled to apply revocations."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    # -- organisation, users, devices ---------------------------------------------------------

    def create_org(self, org_id: str, name: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO orgs (org_id, name, created_at) VALUES (?, ?, ?)",
                (org_id, name, utc_now()),
            )

    def set_root_fingerprint(self, org_id: str, fingerprint: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE orgs SET root_fingerprint = ? WHERE org_id = ?", (fingerprint, org_id)
            )

    def add_user(self, user_id: str, org_id: str, display_name: str, role: m.Role) -> None:
        self._members.clear()
        with self._tx() as db:
            db.execute(
                "INSERT INTO users (user_id, org_id, display_name, role, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (user_id, org_id, display_name, role, utc_now()),
            )

    def issue_enrolment_code(self, user_id: str, ttl: timedelta = timedelta(days=3)) -> str:
        """A one-time code for a user's next device. Only its hash is kept."""
        if not self.db.execute("SELECT 1 FROM users WHERE user_id = ?", (user_id,)).fetchone():
            raise Refusal(ErrorCode.NOT_FOUND, f"no user {user_id!r}")
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
        now = datetime.now(UTC)
        with self._tx() as db:
            db.execute(
                "INSERT INTO enrolment_codes (code_hash, user_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    _hash_secret(raw),
                    user_id,
                    now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    (now + ttl).strftime("%Y-%m-%dT%H:%M:%SZ"),
                ),
            )
        return "-".join(raw[i : i + 4] for i in range(0, 16, 4))

    def enrol(self, code: str, device_name: str, public_keys: bytes) -> tuple[DeviceIdentity, str]:
        """Consume ``code`` and create a device; returns its identity and its token (shown once)."""
        code_hash = _hash_secret(normalise_code(code))
        device_id = "dev-" + secrets.token_hex(8)
        token = secrets.token_urlsafe(32)
        now = utc_now()
        with self._tx() as db:
            row = db.execute(
                "SELECT user_id, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?",
                (code_hash,),
            ).fetchone()
            if row is None or row[2] is not None or row[1] < now:
                raise Refusal(
                    ErrorCode.ENROLMENT_CODE_INVALID,
                    "This enrolment code is unknown, expired or already used. "
                    "Ask the clerk's office for a new one.",
                )
            db.execute(
                "UPDATE enrolment_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
                (now, device_id, code_hash),
            )
            db.execute(
                "INSERT INTO devices (device_id, user_id, name, token_hash, public_keys, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (device_id, row[0], device_name, _hash_secret(token), public_keys, now),
            )
        return self.identity(device_id), token

    def identity(self, device_id: str) -> DeviceIdentity:
        row = self.db.execute(
            "SELECT u.org_id, u.user_id, d.device_id, u.role, u.display_name"
            " FROM devices d JOIN users u USING (user_id) WHERE d.device_id = ?",
            (device_id,),
        ).fetchone()
        if row is None:
            raise Refusal(ErrorCode.NOT_FOUND, f"no device {device_id!r}")
        return DeviceIdentity(*row)

    def authenticate(self, device_id: str, token: str) -> DeviceIdentity:
        row = self.db.execute(
            "SELECT token_hash, revoked_at FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        # Compare against a dummy hash for unknown devices so timing does not reveal which exist.
        stored = row[0] if row else b"\0" * 32
        if not hmac.compare_digest(_hash_secret(token), stored) or row is None:
            raise Refusal(ErrorCode.BAD_CREDENTIALS, "The device id or token is not valid.")
        if row[1] is not None:
            raise Refusal(ErrorCode.DEVICE_REVOKED, "This device was revoked by an administrator.")
        return self.identity(device_id)

    def revoke_device(self, device_id: str) -> None:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
                (utc_now(), device_id),
            )
            if (
                cursor.rowcount == 0
                and not db.execute(
                    "SELECT 1 FROM devices WHERE device_id = ?", (device_id,)
                ).fetchone()
            ):
                raise Refusal(ErrorCode.NOT_FOUND, f"no device {device_id!r}")

    def revoked_among(self, device_ids: Iterable[str]) -> set[str]:
        ids = list(device_ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT device_id FROM devices WHERE revoked_at IS NOT NULL"
                    f" AND device_id IN ({marks})",
                    part,
                )
            )
        return found

    def certify_device(self, device_id: str, certificate: bytes) -> None:
        with self._tx() as db:
            if not db.execute(
                "UPDATE devices SET certificate = ? WHERE device_id = ?", (certificate, device_id)
            ).rowcount:
                raise Refusal(ErrorCode.NOT_FOUND, f"no device {device_id!r}")

    def list_devices(self, user_id: str | None = None) -> list[tuple[str, str, str, str, str]]:
        """(device_id, user_id, name, created_at, revoked_at or '') for the admin CLI."""
        query = "SELECT device_id, user_id, name, created_at, coalesce(revoked_at, '') FROM devices"
        if user_id is None:
            return list(self.db.execute(query + " ORDER BY created_at"))
        return list(self.db.execute(query + " WHERE user_id = ? ORDER BY created_at", (user_id,)))

    # -- meetings ----------------------------------------------------------------------------

    def create_meeting(
        self, meeting_id: str, org_id: str, title: str, starts_at: str = "", expires_at: str = ""
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO meetings (meeting_id, org_id, title, starts_at, expires_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (meeting_id, org_id, title, starts_at, expires_at, utc_now()),
            )

    def set_members(self, meeting_id: str, user_ids: Sequence[str]) -> None:
        """Replace the member list (one transaction: nobody is briefly a non-member)."""
        self._members.clear()
        with self._tx() as db:
            if not db.execute(
                "SELECT 1 FROM meetings WHERE meeting_id = ?", (meeting_id,)
            ).fetchone():
                raise Refusal(ErrorCode.NOT_FOUND, f"no meeting {meeting_id!r}")
            db.execute("DELETE FROM meeting_members WHERE meeting_id = ?", (meeting_id,))
            db.executemany(
                "INSERT INTO meeting_members (meeting_id, user_id) VALUES (?, ?)",
                [(meeting_id, u) for u in dict.fromkeys(user_ids)],
            )

    def meetings_for(self, user_id: str) -> list[m.MeetingInfo]:
        rows = self.db.execute(
            "SELECT mt.meeting_id, mt.title, mt.starts_at, mt.expires_at, u.role"
            " FROM meeting_members mm JOIN meetings mt USING (meeting_id)"
            " JOIN users u ON u.user_id = mm.user_id"
            " WHERE mm.user_id = ? ORDER BY mt.starts_at, mt.meeting_id",
            (user_id,),
        )
        return [
            m.MeetingInfo(
                meeting_id=r[0], title=r[1], starts_at=r[2], expires_at=r[3], my_role=r[4]
            )
            for r in rows
        ]

    def meeting_for_member(self, meeting_id: str, user_id: str) -> m.MeetingInfo:
        """The meeting if ``user_id`` is a member; otherwise the same refusal as a missing one."""
        for info in self.meetings_for(user_id):
            if info.meeting_id == meeting_id:
                return info
        # One message for "no such meeting" and "not yours": do not reveal which meetings exist.
        raise Refusal(ErrorCode.FORBIDDEN, "You are not a member of this meeting.")

    def members(self, meeting_id: str) -> list[m.MemberInfo]:
        """The member list, cached until this store or another process (the CLI) changes it."""
        version = self.data_version()
        if version != self._members_version:
            self._members.clear()
            self._members_version = version
        cached = self._members.get(meeting_id)
        if cached is None:
            rows = self.db.execute(
                "SELECT u.user_id, u.display_name, u.role FROM meeting_members mm"
                " JOIN users u USING (user_id) WHERE mm.meeting_id = ? ORDER BY u.user_id",
                (meeting_id,),
            )
            cached = [m.MemberInfo(user_id=r[0], display_name=r[1], role=r[2]) for r in rows]
            self._members[meeting_id] = cached
        return list(cached)

    def member_ids(self, meeting_id: str) -> set[str]:
        return {
            r[0]
            for r in self.db.execute(
                "SELECT user_id FROM meeting_members WHERE meeting_id = ?", (meeting_id,)
            )
        }

    # -- documents ---------------------------------------------------------------------------

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
        self, identity: DeviceIdentity, meeting_id: str, doc: str, version: int
    ) -> None:
        self.document(meeting_id, doc, version)
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO receipts VALUES (?,?,?,?,?,?)",
                (meeting_id, doc, version, identity.device_id, identity.user_id, utc_now()),
            )

    def receipts(self, meeting_id: str) -> list[m.Receipt]:
        rows = self.db.execute(
            "SELECT user_id, device_id, document_id, version, received_at FROM receipts"
            " WHERE meeting_id = ? ORDER BY received_at",
            (meeting_id,),
        )
        return [
            m.Receipt(
                user_id=r[0], device_id=r[1], document_id=r[2], version=r[3], received_at=r[4]
            )
            for r in rows
        ]

    # -- key envelopes -----------------------------------------------------------------------

    def put_envelopes(
        self, meeting_id: str, envelopes: Sequence[m.KeyEnvelope], sealed_by: str
    ) -> list[m.KeyEnvelope]:
        """Store envelopes sealed by device ``sealed_by``; returns those stored, as stored.

        An envelope replaces one for the same (device, purpose, epoch) only when the same device
        sealed it.  Another device's envelope for that slot is kept and the new one is skipped:
        the recipient already has that key epoch, and a member must not be able to swap the key
        another device handed out.
        """
        members = self.member_ids(meeting_id)
        stored: list[m.KeyEnvelope] = []
        sealer_user = self.identity(sealed_by).user_id
        with self._tx() as db:
            for env in envelopes:
                row = db.execute(
                    "SELECT user_id, revoked_at FROM devices WHERE device_id = ?", (env.device_id,)
                ).fetchone()
                if row is None or row[0] not in members or row[1] is not None:
                    raise Refusal(
                        ErrorCode.FORBIDDEN,
                        f"device {env.device_id!r} is not an active member device",
                    )
                if env.purpose == "private" and row[0] != sealer_user:
                    raise Refusal(
                        ErrorCode.FORBIDDEN,
                        "A private-annotation key can only be sealed to the same member's devices.",
                    )
                holder = db.execute(
                    "SELECT sealed_by FROM key_envelopes WHERE meeting_id = ? AND device_id = ?"
                    " AND purpose = ? AND epoch = ?",
                    (meeting_id, env.device_id, env.purpose, env.epoch),
                ).fetchone()
                if holder is not None and holder[0] != sealed_by:
                    continue
                stored.append(replace(env, sealed_by=sealed_by))
                db.execute(
                    "INSERT OR REPLACE INTO key_envelopes (meeting_id, device_id, purpose, epoch,"
                    " envelope, sealed_by, created_at) VALUES (?,?,?,?,?,?,?)",
                    (
                        meeting_id,
                        env.device_id,
                        env.purpose,
                        env.epoch,
                        env.envelope,
                        sealed_by,
                        utc_now(),
                    ),
                )
        return stored

    def envelopes_for(self, meeting_id: str, device_id: str) -> list[m.KeyEnvelope]:
        rows = self.db.execute(
            "SELECT device_id, epoch, envelope, sealed_by, purpose FROM key_envelopes"
            " WHERE meeting_id = ? AND device_id = ? ORDER BY purpose, epoch",
            (meeting_id, device_id),
        )
        return [
            m.KeyEnvelope(device_id=r[0], epoch=r[1], envelope=r[2], sealed_by=r[3], purpose=r[4])
            for r in rows
        ]

    def devices_awaiting_key(self, meeting_id: str) -> list[m.DeviceKeyInfo]:
        """Active member devices that have no envelope for the meeting's newest key epoch."""
        rows = self.db.execute(
            f"SELECT {_DEVICE_KEY_COLUMNS}"
            " FROM meeting_members mm JOIN devices d USING (user_id) JOIN users u USING (user_id)"
            " WHERE mm.meeting_id = ?1 AND d.revoked_at IS NULL AND NOT EXISTS ("
            "   SELECT 1 FROM key_envelopes k WHERE k.meeting_id = ?1 AND k.device_id = d.device_id"
            "   AND k.purpose = 'meeting' AND k.epoch = (SELECT coalesce(max(epoch), 0)"
            "   FROM key_envelopes WHERE meeting_id = ?1 AND purpose = 'meeting'))"
            " ORDER BY d.created_at",
            (meeting_id,),
        )
        return [_device_key_info(r) for r in rows]

    def key_holders_among(self, meeting_id: str, device_ids: Sequence[str]) -> list[str]:
        """Of ``device_ids``, the active devices of current members holding the newest key.

        "Newest": a device still waiting for the newest epoch is not asked to seal it.  Devices
        of users removed from the meeting, and revoked devices, are never asked.
        """
        waiting = {d.device_id for d in self.devices_awaiting_key(meeting_id)}
        found: list[str] = []
        ids = [d for d in device_ids if d not in waiting]
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            found.extend(
                r[0]
                for r in self.db.execute(
                    "SELECT d.device_id FROM devices d"
                    " JOIN meeting_members mm ON mm.user_id = d.user_id AND mm.meeting_id = ?"
                    " WHERE d.revoked_at IS NULL AND d.device_id IN (" + marks + ") AND EXISTS ("
                    "   SELECT 1 FROM key_envelopes k WHERE k.meeting_id = mm.meeting_id"
                    "   AND k.device_id = d.device_id AND k.purpose = 'meeting')",
                    (meeting_id, *part),
                )
            )
        return found

    def member_device_keys(self, meeting_id: str) -> list[m.DeviceKeyInfo]:
        rows = self.db.execute(
            f"SELECT {_DEVICE_KEY_COLUMNS}"
            " FROM meeting_members mm JOIN devices d USING (user_id) JOIN users u USING (user_id)"
            " WHERE mm.meeting_id = ? AND d.revoked_at IS NULL ORDER BY d.created_at, d.device_id",
            (meeting_id,),
        )
        return [_device_key_info(r) for r in rows]

    def uncertified_devices(self, org_id: str) -> list[m.DeviceKeyInfo]:
        rows = self.db.execute(
            f"SELECT {_DEVICE_KEY_COLUMNS} FROM devices d"
            " JOIN users u USING (user_id) WHERE u.org_id = ? AND d.revoked_at IS NULL"
            " AND length(d.certificate) = 0 ORDER BY d.created_at",
            (org_id,),
        )
        return [_device_key_info(r) for r in rows]

    def admin_devices(self, org_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT d.device_id FROM devices d JOIN users u USING (user_id)"
            " WHERE u.org_id = ? AND u.role = 'admin' AND d.revoked_at IS NULL",
            (org_id,),
        )
        return [r[0] for r in rows]

    def org_of_user(self, user_id: str) -> str:
        """The organisation of a user."""
        row = self.db.execute("SELECT org_id FROM users WHERE user_id = ?", (user_id,)).fetchone()
        if row is None:
            raise Refusal(ErrorCode.NOT_FOUND, f"no user {user_id!r}")
        return str(row[0])

    def root_fingerprint(self, org_id: str) -> str:
        row = self.db.execute("SELECT root_fingerprint FROM orgs WHERE org_id = ?", (org_id,))
        found = row.fetchone()
        return str(found[0]) if found else ""

    # -- annotation log ----------------------------------------------------------------------

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

    # -- presenter (saved lazily) -------------------------------------------------------------

    def save_presenter(self, meeting_id: str, state: m.PresenterState) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO presenter VALUES (?,?,?,?,?,?)",
                (
                    meeting_id,
                    state.seq,
                    state.presenter_user_id,
                    state.document_id,
                    state.version,
                    state.page,
                ),
            )

    def load_presenter(self, meeting_id: str) -> m.PresenterState | None:
        """The saved presenter state, its ``seq`` lifted by :data:`PRESENTER_SEQ_MARGIN`.

        The state is saved lazily, so after a crash the saved ``seq`` can be lower than what
        followers already saw; they would then drop every new page turn as stale.  Starting well
        above anything the crashed relay can have sent keeps ``seq`` growing.
        """
        row = self.db.execute(
            "SELECT seq, presenter_user_id, document_id, version, page FROM presenter"
            " WHERE meeting_id = ?",
            (meeting_id,),
        ).fetchone()
        if row is None:
            return None
        return m.PresenterState(
            seq=row[0] + PRESENTER_SEQ_MARGIN,
            presenter_user_id=row[1],
            document_id=row[2],
            version=row[3],
            page=row[4],
        )


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: writers queue instead of failing half-way."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        elif self.db.in_transaction:
            self.db.execute("ROLLBACK")


_DEVICE_KEY_COLUMNS = "d.user_id, d.device_id, d.public_keys, d.certificate, u.role"
"""What :func:`_device_key_info` reads (``d`` = devices, ``u`` = users)."""


def _device_key_info(row: Any) -> m.DeviceKeyInfo:
    return m.DeviceKeyInfo(
        user_id=row[0], device_id=row[1], public_keys=row[2], certificate=row[3], role=row[4]
    )


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
