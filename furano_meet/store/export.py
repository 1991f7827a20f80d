"""Unsent changes that could not be put into a recovered cache, kept in a file to replay later.

Why a file: :mod:`.recovery` carries the outbox into the new cache row by row; a row the new cache
refuses (a value its schema no longer accepts) must still not be lost, because it is the one
thing nobody else has - a change the relay never received. It is written to
``unsent-changes-<UTC time>.export`` in the profile folder and put back into the outbox by the
next ``furano-meet recover`` that finds the cache healthy (enqueuing is idempotent per op id, so a
replay twice sends once).

The file holds note text, so it is encrypted like everything else in the folder: AES-256-GCM
under a key derived (HKDF-SHA256) from the cache key, which never leaves the keychain or the
passphrase. A replayed file is renamed ``*.replayed``, never deleted.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import outbox
from .database import Database
from .errors import OutboxConflict, StoreIOError
from .layout import EXPORT_PREFIX, fsync_directory

__all__ = ["pending", "replay", "write"]

_MAGIC = b"furano-meet unsent changes v1\n"
_INFO = b"furano-meet/store/outbox-export/v1"
_SUFFIX = ".export"


def write(folder: Path, key: bytes, rows: Sequence[Mapping[str, object]]) -> Path:
    """Write salvaged outbox rows (column name to value) to a new encrypted file."""
    entries = [
        {
            "op_id": row.get("op_id"),
            "kind": row.get("kind"),
            "meeting_id": row.get("meeting_id"),
            "payload": _payload(row.get("payload")),
        }
        for row in rows
    ]
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_file_key(key)).encrypt(nonce, json.dumps(entries).encode(), _MAGIC)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{EXPORT_PREFIX}{stamp}{_SUFFIX}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(_MAGIC + nonce + sealed)
        handle.flush()
        os.fsync(handle.fileno())
    fsync_directory(folder)
    return path


def pending(folder: Path) -> list[Path]:
    """Export files not replayed yet, oldest first."""
    return sorted(folder.glob(f"{EXPORT_PREFIX}*{_SUFFIX}"))


def replay(db: Database, path: Path, key: bytes) -> int:
    """Put the changes of one export file back into the outbox; return how many were added."""
    raw = path.read_bytes()
    body = raw[len(_MAGIC) :]
    try:
        if not raw.startswith(_MAGIC):
            raise InvalidTag
        entries = json.loads(AESGCM(_file_key(key)).decrypt(body[:12], body[12:], _MAGIC))
    except InvalidTag:
        raise StoreIOError(f"{path} is not an export of this cache") from None
    added = 0
    with db.atomic():
        for entry in entries:
            if not isinstance(entry.get("payload"), str):
                continue  # the row had no readable payload: nothing to send
            before = outbox.outbox_size(db)
            try:
                outbox.enqueue(
                    db,
                    entry["op_id"],
                    entry["kind"],
                    base64.b64decode(entry["payload"]),
                    meeting_id=entry["meeting_id"],
                )
            except OutboxConflict:
                continue  # the outbox already holds a newer version of this change
            added += outbox.outbox_size(db) - before
    os.replace(path, path.with_name(path.name + ".replayed"))
    fsync_directory(path.parent)
    return added


def _payload(value: object) -> str | None:
    """The payload as base64 (text from an older cache as its UTF-8 bytes); ``None``: none."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else None


def _file_key(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key)
