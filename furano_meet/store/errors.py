"""The store's exception tree: one base class, one subclass per thing a caller must react to.

:class:`StoreError` is the store's branch of the one tree under
:class:`furano_meet.errors.FuranoError`. Every error carries a stable ``snake_case`` ``code`` (a row
of :data:`furano_meet.errors.CODES`, for translation catalogues, logs and tests), a readable
English ``message`` saying what happened, a ``next_step`` saying what the user or the program can do
about it, and a ``fault`` saying whose fault it is:

* ``ENVIRONMENT`` - the machine is in the way (disk full, read-only folder, no keychain, damaged
  file). Show a calm message with the next step; nothing is wrong with the program.
* ``USER`` - the person typed something wrong (a wrong passphrase). Ask again.
* ``THEIRS`` - the relay or another member sent something that does not check out (a blob whose
  SHA-256 does not match). Drop it and fetch again; never trust it.
* ``OURS`` - a caller broke the contract of this package (resuming at the wrong offset, writing to a
  document that was never announced). Log it with context and file a crash report.

The GUI maps ``code`` to a translated dialog; the English text is for logs and developers.
None of these errors is raised after deleting or rewriting data that was already on disk: every
error path leaves existing files exactly as they were, so a later fix (free some space, unlock the
keychain, update the app) can still open the cache.
"""

from __future__ import annotations

import errno

from furano_meet import errors as root
from furano_meet.errors import Fault, FuranoError

__all__ = [
    "BlobHashMismatch",
    "BlobMissing",
    "CacheDamaged",
    "DatabaseBusy",
    "DatabaseCorrupt",
    "DocumentNotDownloading",
    "Fault",
    "KeyMismatch",
    "KeySourceDamaged",
    "KeySourceMissing",
    "KeyUnavailable",
    "OutboxConflict",
    "PassphraseRequired",
    "ProfileMismatch",
    "ReadOnlyLocation",
    "ResumeOffsetMismatch",
    "SchemaTooNew",
    "StorageFull",
    "StoreBug",
    "StoreClosed",
    "StoreError",
    "StoreIOError",
    "UnknownDocument",
    "UnknownMeeting",
    "WrongPassphrase",
    "from_os_error",
]


class StoreError(FuranoError):
    """Base of every error raised by :mod:`furano_meet.store`.

    Subclasses fix ``code`` and ``fault``; instances carry the ``message`` and ``next_step`` text.
    ``str(error)`` gives both, so a log line is readable on its own.
    """

    code = "store_error"
    fault = Fault.OURS


# -- keys --------------------------------------------------------------------------------------


class PassphraseRequired(StoreError):
    """No secure keychain can hold the cache key, so the caller must supply a passphrase.

    ``reason`` says in plain words why the app is asking (there is no keychain; the only keychain
    stores passwords in a plain file; this cache was created with a passphrase). ``new_store`` tells
    the GUI whether to ask for a new passphrase twice or for the existing one once.
    """

    code = "passphrase_required"
    fault = Fault.ENVIRONMENT

    def __init__(self, reason: str, *, new_store: bool) -> None:
        step = (
            "Choose a passphrase to protect the meeting documents cached on this device."
            if new_store
            else "Enter the passphrase that protects this device's meeting cache."
        )
        super().__init__(reason, step)
        self.reason = reason
        self.new_store = new_store


class WrongPassphrase(StoreError):
    """The passphrase does not open this cache. Nothing on disk was touched."""

    code = "wrong_passphrase"
    fault = Fault.USER

    def __init__(self) -> None:
        super().__init__(
            "The passphrase does not unlock this device's meeting cache.",
            "Check the keyboard width and input mode and try again. If the passphrase is lost, "
            "wipe this device's cache and download the meetings again.",
        )


class KeyMismatch(StoreError):
    """The key the keychain returned does not open this cache (the entry was replaced)."""

    code = "key_mismatch"
    fault = Fault.ENVIRONMENT

    def __init__(self, profile_id: str) -> None:
        super().__init__(
            f"The key stored in the system keychain for profile {profile_id!r} does not unlock "
            "its meeting cache; the keychain entry was probably replaced.",
            "Restore the keychain entry from a backup, or wipe this device's cache and download "
            "the meetings again.",
        )


class KeyUnavailable(StoreError):
    """The cache was locked with a key kept in the keychain, and the keychain cannot give it."""

    code = "key_unavailable"
    fault = Fault.ENVIRONMENT

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The key for this device's meeting cache cannot be read from the system keychain: "
            f"{detail}",
            "Unlock the system keychain (log in to the desktop session) and try again. If the "
            "entry is gone, wipe this device's cache and download the meetings again.",
        )


class KeySourceMissing(StoreError):
    """A database exists but the small file saying how its key is obtained does not."""

    code = "keysource_missing"
    fault = Fault.ENVIRONMENT

    def __init__(self, path: str) -> None:
        super().__init__(
            f"The meeting cache exists but its key description file {path} is missing, so the "
            "cache cannot be unlocked.",
            "Restore the file from a backup, or wipe this device's cache and download the "
            "meetings again.",
        )


class KeySourceDamaged(StoreError):
    """The key description file exists but cannot be understood."""

    code = "keysource_damaged"
    fault = Fault.ENVIRONMENT

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            f"The key description file {path} is damaged ({detail}).",
            "Restore the file from a backup, or wipe this device's cache and download the "
            "meetings again.",
        )


# -- the database and its files -----------------------------------------------------------------


class DatabaseCorrupt(StoreError):
    """The encrypted database fails its integrity checks. The file is left as it is."""

    code = "database_corrupt"
    fault = Fault.ENVIRONMENT

    def __init__(self, detail: str) -> None:
        super().__init__(f"The meeting cache on this device is damaged ({detail}).", RECOVER_STEP)
        self.detail = detail


#: The next step for every kind of damage: recovery keeps what can be read (never wipe first).
RECOVER_STEP = (
    "The file has been left untouched. Run `furano-meet recover` (Recover in the app): it keeps "
    "whatever can still be read, above all unsent changes, moves the damaged files aside and "
    "says exactly what, if anything, to ask the administrator for."
)


class CacheDamaged(DatabaseCorrupt):
    """The cache was found damaged when opening it: missing or empty while its key description
    exists, truncated, or failing the start-up check (:mod:`.integrity`).

    Never "no database yet": a cache whose ``keysource.json`` exists was made before, so an empty
    or missing file means something destroyed it, and creating a new empty cache over it would
    lose this device's enrolment, its notes and its unsent changes without a word.
    """

    code = "cache_damaged"
    fault = Fault.ENVIRONMENT

    def __init__(self, path: str, detail: str) -> None:
        StoreError.__init__(
            self, f"The meeting cache {path} on this device is damaged: {detail}.", RECOVER_STEP
        )
        self.detail = detail


class StorageFull(StoreError):
    """The disk (or a file-size limit) has no room for what was being written."""

    code = "disk_full"
    fault = Fault.ENVIRONMENT

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The disk is full; the meeting cache could not be saved ({detail}). Nothing that "
            "was already saved was lost.",
            "Free some disk space, then try again.",
        )


class ReadOnlyLocation(StoreError):
    """The cache folder cannot be written to."""

    code = "read_only"
    fault = Fault.ENVIRONMENT

    def __init__(self, path: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"The folder {path} is read-only, so the meeting cache cannot be opened{extra}.",
            "Make the folder writable, or choose a different data folder.",
        )


class DatabaseBusy(StoreError):
    """Another process holds the database lock for longer than the busy timeout."""

    code = "database_busy"
    fault = Fault.ENVIRONMENT

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The meeting cache is in use by another program ({detail}).",
            "Close other Furano Meet windows using the same profile and try again.",
        )


class SchemaTooNew(root.SchemaTooNew, StoreError):
    """The cache was written by a newer Furano Meet whose schema major this build predates.

    The root's :class:`~furano_meet.errors.SchemaTooNew` (one class for the cache and the relay's
    database), also a :class:`StoreError` so ``except StoreError`` keeps catching it.
    """

    def __init__(self, found: str, supported: str) -> None:
        super().__init__(found, f"{supported}.x", what="meeting cache")
        self.supported = supported


class ProfileMismatch(StoreError):
    """The database in the profile folder belongs to a different profile."""

    code = "profile_mismatch"
    fault = Fault.ENVIRONMENT

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(
            f"The cache folder for profile {expected!r} holds the cache of profile {found!r}.",
            "Move the folder back to where it belongs, or wipe this device's cache.",
        )


class StoreIOError(StoreError):
    """Any other operating-system error while reading or writing the cache."""

    code = "io_error"
    fault = Fault.ENVIRONMENT

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The meeting cache could not be read or written ({detail}).",
            "Check the disk and try again.",
        )


class BlobMissing(StoreError):
    """The database says a document is complete but its ciphertext file is gone."""

    code = "blob_missing"
    fault = Fault.ENVIRONMENT

    def __init__(self, doc_id: str, version: int) -> None:
        super().__init__(
            f"The downloaded file for document {doc_id!r} version {version} is missing.",
            "Download the document again.",
        )


class BlobHashMismatch(StoreError):
    """Downloaded ciphertext does not have the SHA-256 the manifest promised."""

    code = "blob_hash_mismatch"
    fault = Fault.THEIRS

    def __init__(self, doc_id: str, version: int, expected: str, actual: str) -> None:
        super().__init__(
            f"The downloaded file for document {doc_id!r} version {version} does not match its "
            f"checksum (expected SHA-256 {expected}, got {actual}).",
            "Restart the download; if it happens again, report it to the meeting organiser.",
        )


# -- caller contract ----------------------------------------------------------------------------


class StoreBug(StoreError):
    """The database rejected a statement in a way only a programming error explains."""

    code = "internal"
    fault = Fault.OURS


class StoreClosed(StoreBug):
    """The store was used after :meth:`LocalStore.close` or :meth:`LocalStore.wipe`."""

    code = "store_closed"

    def __init__(self) -> None:
        super().__init__("The local store is closed.")


class UnknownMeeting(StoreBug):
    """An operation named a meeting the store has never been told about."""

    code = "unknown_meeting"

    def __init__(self, meeting_id: str) -> None:
        super().__init__(f"Meeting {meeting_id!r} is not in the local store.")


class UnknownDocument(StoreBug):
    """An operation named a document version the store has never been told about."""

    code = "unknown_document"

    def __init__(self, doc_id: str, version: int, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"Document {doc_id!r} version {version} is not in the local store{extra}.")


class ResumeOffsetMismatch(StoreBug):
    """A partial download was appended at an offset other than the bytes already received."""

    code = "resume_offset_mismatch"

    def __init__(self, doc_id: str, version: int, offset: int, expected: int) -> None:
        super().__init__(
            f"Data for document {doc_id!r} version {version} was appended at offset {offset}, "
            f"but {expected} bytes have been received.",
            f"Resume the download from byte {expected}.",
        )
        self.offset = offset
        self.expected = expected


class DocumentNotDownloading(StoreBug):
    """A download operation was used on a document that is complete or withdrawn (or vice versa)."""

    code = "document_state"

    def __init__(self, doc_id: str, version: int, state: str, wanted: str) -> None:
        super().__init__(
            f"Document {doc_id!r} version {version} is {state}; this operation needs it {wanted}."
        )
        self.state = state


class OutboxConflict(StoreBug):
    """An op id was enqueued twice with different contents."""

    code = "outbox_conflict"

    def __init__(self, op_id: str) -> None:
        super().__init__(
            f"Outbox operation {op_id!r} was enqueued again with a different kind or payload."
        )


# errno values that mean "no room": ENOSPC (disk full), EDQUOT (quota), EFBIG (file-size limit).
_NO_ROOM = {errno.ENOSPC, errno.EFBIG} | ({errno.EDQUOT} if hasattr(errno, "EDQUOT") else set())
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def from_os_error(exc: OSError, path: object) -> StoreError:
    """Classify an operating-system error met while touching ``path``."""
    detail = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    if exc.errno in _NO_ROOM:
        return StorageFull(detail)
    if exc.errno in _NOT_WRITABLE:
        return ReadOnlyLocation(str(path), detail)
    return StoreIOError(detail)
