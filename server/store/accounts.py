"""Organisations, users and devices: enrolment, authentication, revocation, certification.

Serves the session handlers (``enrol``, ``authenticate``), certification and the admin-change
watcher, and the admin CLI.  Secrets are stored only as SHA-256 hashes: device tokens and
enrolment codes are 80–256-bit random values, so a fast hash is enough (a slow KDF protects
*low*-entropy passwords, which we do not have).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from .database import Database, utc_now

_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read aloud
_CODE_LENGTH = 16
CODE_REFUSED = (
    "This enrolment code is unknown, expired or already used. Ask the clerk's office for a new one."
)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def normalise_code(code: str) -> str:
    """Enrolment codes are read aloud and typed: ignore case, spaces and hyphens."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def plausible_code(code: str) -> bool:
    """Could ``code`` be one this relay issued?  Checked before any database work, so a guess
    that is not even well formed costs a few string operations (guessers send many)."""
    raw = normalise_code(code)
    return len(raw) == _CODE_LENGTH and all(ch in _CODE_ALPHABET for ch in raw)


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who is on the other end of an authenticated connection."""

    org_id: str
    user_id: str
    device_id: str
    role: m.Role
    display_name: str


class AccountQueries(Database):
    """Who exists and which devices may connect."""

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
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        now = datetime.now(UTC)
        with self._tx() as db:
            db.execute(
                "INSERT INTO enrolment_codes (code_hash, user_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    hash_secret(raw),
                    user_id,
                    now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    (now + ttl).strftime("%Y-%m-%dT%H:%M:%SZ"),
                ),
            )
        return "-".join(raw[i : i + 4] for i in range(0, 16, 4))

    def enrol(self, code: str, device_name: str, public_keys: bytes) -> tuple[DeviceIdentity, str]:
        """Consume ``code`` and create a device; returns its identity and its token (shown once)."""
        code_hash = hash_secret(normalise_code(code))
        now = utc_now()
        with self._tx() as db:
            row = db.execute(
                "SELECT user_id, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?",
                (code_hash,),
            ).fetchone()
            if row is None or row[2] is not None or row[1] < now:
                raise Refusal(ErrorCode.ENROLMENT_CODE_INVALID, CODE_REFUSED)
            device_id, token = self._new_device(db, row[0], device_name, public_keys)
            db.execute(
                "UPDATE enrolment_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
                (now, device_id, code_hash),
            )
        return self.identity(device_id), token

    @staticmethod
    def _new_device(
        db: sqlite3.Connection,
        user_id: str,
        device_name: str,
        public_keys: bytes,
        *,
        claim: bytes = b"",
        invitation_id: str | None = None,
    ) -> tuple[str, str]:
        """Insert a device (inside the caller's transaction); returns its id and its token."""
        device_id = "dev-" + secrets.token_hex(8)
        token = secrets.token_urlsafe(32)
        db.execute(
            "INSERT INTO devices (device_id, user_id, name, token_hash, public_keys, created_at,"
            " claim, invitation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                device_id,
                user_id,
                device_name,
                hash_secret(token),
                public_keys,
                utc_now(),
                claim,
                invitation_id,
            ),
        )
        return device_id, token

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
        if not hmac.compare_digest(hash_secret(token), stored) or row is None:
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
        return set(
            self._first_column_in(
                "SELECT device_id FROM devices WHERE revoked_at IS NOT NULL"
                " AND device_id IN ({marks})",
                list(device_ids),
            )
        )

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
