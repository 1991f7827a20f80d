"""The relay's admin commands: check what the administrator typed before it reaches SQLite.

Why a layer between the command line and :class:`server.store.Store`: the store trusts its
caller (a constraint failure there is a bug in the relay), while an administrator mistypes
organisation ids, user ids, dates and data directories. Each mistake becomes a
:class:`~furano_meet.errors.FuranoError` that names the missing organisation or user, the
duplicate, or the directory — never a traceback or a raw ``UNIQUE constraint failed``. A
mistyped ``--data`` must not silently create a second, empty relay, so only ``create-org`` may
create the database.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from furano_meet.crypto import normalise_fingerprint
from furano_meet.crypto.errors import CryptoError
from furano_meet.errors import Fault, FuranoError
from furano_meet.protocol import ErrorCode

from .errors import Refusal
from .store import Store, storage_failure

DATABASE = "relay.sqlite3"


class RelayDataMissing(FuranoError):
    """The data directory holds no relay database: most likely a mistyped ``--data``."""

    code = "relay_data_missing"
    fault = Fault.USER


class AlreadyExists(FuranoError):
    """An organisation, user or meeting with that id exists already."""

    code = "already_exists"
    fault = Fault.USER


class UnknownName(FuranoError):
    """The organisation, user, meeting or device named does not exist on this relay."""

    code = "not_found"
    fault = Fault.USER


class InvalidValue(FuranoError):
    """An option's value is malformed: not an ISO 8601 date, not a key fingerprint."""

    code = "invalid_value"
    fault = Fault.USER


class RelayStorageError(FuranoError):
    """The data directory cannot be created, opened or written (permissions, a full disk)."""

    fault = Fault.ENVIRONMENT
    codes: ClassVar[frozenset[str]] = frozenset({"read_only", "disk_full", "io_error"})

    def __init__(self, code: str, message: str, next_step: str = "") -> None:
        super().__init__(message, next_step)
        self.code = code


def storage_error(exc: OSError | sqlite3.Error, where: Path) -> RelayStorageError:
    """Classify a failure to open or write the relay's data directory."""
    reason = storage_failure(exc)
    if reason is not None and "full" in reason:
        return RelayStorageError("disk_full", reason, "Free some space and try again.")
    # SQLite says only "unable to open database file" when it cannot create its WAL files.
    if reason is not None or (where.is_dir() and not os.access(where, os.W_OK)):
        return RelayStorageError(
            "read_only",
            f"The relay's data directory {where} is read-only or not writable by this user; "
            "nothing was stored.",
            "Run the command as the user that owns it (the relay's service user), or give "
            "--data a directory that user may write to.",
        )
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return RelayStorageError(
        "io_error",
        f"Cannot open the relay's database in {where}: {detail}.",
        "Check that the directory exists and that this user may read and write it.",
    )


@contextmanager
def open_store(data_dir: Path, *, create: bool = False) -> Iterator[Store]:
    """The relay's store in ``data_dir``; refuses a missing database unless ``create``."""
    path = data_dir / DATABASE
    if not create and not path.exists():
        raise RelayDataMissing(
            f"There is no relay database in {data_dir.resolve()}.",
            "Check --data (it names the relay's data directory, e.g. /var/lib/furano-relay); "
            "a new relay starts with `create-org`.",
        )
    store = Store(path)
    try:
        store.open()
    except (OSError, sqlite3.Error) as exc:
        store.close()
        raise storage_error(exc, data_dir) from exc
    try:
        yield store
    except (OSError, sqlite3.Error) as exc:  # constraint failures are named by run()
        raise storage_error(exc, data_dir) from exc
    finally:
        store.close()


def iso_time(text: str, option: str) -> str:
    """``text`` if it is an ISO 8601 date or date-time (what clients parse), else a clear error."""
    if not text:
        return text
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            f"{option} {text!r} is not a date.",
            f"Give an ISO date such as 2027-03-31 or a date and time such as "
            f"2027-03-31T17:00:00+09:00 for {option}.",
        ) from None
    return text


def _require_user(store: Store, user_id: str) -> str:
    """The user's organisation, or :class:`UnknownName` naming the user."""
    try:
        return store.org_of_user(user_id)
    except Refusal:
        raise UnknownName(
            f"There is no user {user_id!r} on this relay.",
            "Check the spelling, or add the user first with `add-user ORG USER NAME`.",
        ) from None


def _duplicate_or_missing(
    exc: sqlite3.IntegrityError, duplicate: str, missing_org: str
) -> FuranoError:
    """Name what a constraint failure means for the command that hit it."""
    if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
        return AlreadyExists(duplicate, "Choose another id, or use the existing one.")
    return UnknownName(
        f"There is no organisation {missing_org!r} on this relay.",
        "Check the spelling, or create it first with `create-org ORG NAME`.",
    )


def run(store: Store, args: argparse.Namespace) -> None:
    """Carry out one admin command (``args.command``) on an open store."""
    match args.command:
        case "create-org":
            try:
                store.create_org(args.org_id, args.name)
            except sqlite3.IntegrityError as exc:
                raise _duplicate_or_missing(
                    exc, f"An organisation {args.org_id!r} already exists.", args.org_id
                ) from None
        case "add-user":
            try:
                store.add_user(args.user_id, args.org_id, args.display_name, args.role)
            except sqlite3.IntegrityError as exc:
                raise _duplicate_or_missing(
                    exc, f"A user {args.user_id!r} already exists.", args.org_id
                ) from None
        case "enrolment-code":
            org = _require_user(store, args.user_id)
            code = store.issue_enrolment_code(args.user_id, timedelta(hours=args.ttl_hours))
            fingerprint = store.root_fingerprint(org)
            # The fingerprint travels with the code (on paper), so the app can detect a relay
            # that substitutes keys: see docs/security.md.
            print(f"{code}/{fingerprint}" if fingerprint else code)
        case "set-root-fingerprint":
            try:
                fingerprint = normalise_fingerprint(args.fingerprint)
            except CryptoError as exc:
                raise InvalidValue(
                    f"{args.fingerprint!r} is not a root key fingerprint: {exc.message}.",
                    "Copy the line `furano-meet init-root` printed on the administrator's PC.",
                ) from None
            store.set_root_fingerprint(args.org_id, fingerprint)
            if store.root_fingerprint(args.org_id) != fingerprint:
                raise UnknownName(
                    f"There is no organisation {args.org_id!r} on this relay.",
                    "Check the spelling, or create it first with `create-org ORG NAME`.",
                )
        case "revoke-device":
            try:
                store.revoke_device(args.device_id)
            except Refusal:
                raise UnknownName(
                    f"There is no device {args.device_id!r} on this relay.",
                    "`list-devices` shows every device and its id.",
                ) from None
        case "list-devices":
            if args.user:
                _require_user(store, args.user)
            for row in store.list_devices(args.user):
                print("\t".join(row))
        case "create-meeting":
            try:
                store.create_meeting(
                    args.meeting_id,
                    args.org_id,
                    args.title,
                    iso_time(args.starts_at, "--starts-at"),
                    iso_time(args.expires_at, "--expires-at"),
                )
            except sqlite3.IntegrityError as exc:
                raise _duplicate_or_missing(
                    exc, f"A meeting {args.meeting_id!r} already exists.", args.org_id
                ) from None
        case "set-members":
            for user_id in args.user_ids:
                _require_user(store, user_id)
            try:
                store.set_members(args.meeting_id, args.user_ids)
            except Refusal as exc:
                if exc.code is not ErrorCode.NOT_FOUND:
                    raise
                raise UnknownName(
                    f"There is no meeting {args.meeting_id!r} on this relay.",
                    "Check the spelling, or create it first with `create-meeting`.",
                ) from None
        case _:  # pragma: no cover - argparse restricts the choices
            raise AssertionError(args.command)
