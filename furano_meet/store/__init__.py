"""The encrypted local cache of a Furano Meet client: Qt-free, synchronous, thread-safe.

Theory of operation
-------------------
Each user profile has one folder (see :mod:`.layout`) holding:

* ``cache.db`` - a SQLCipher database (AES-256, per-page HMAC) with everything the client knows:
  settings, this device's private keys and relay token, meetings and their keys, document
  manifests and content keys, annotations, the outbox of unsent changes, sync cursors, and the
  full-text index of every cached page. It is opened with a raw 32-byte key in about a
  millisecond (:mod:`.database`).
* ``keysource.json`` - how that key is obtained: from the OS keychain (service "FuranoMeet", user
  name = profile id), or, where no secure keychain exists, from a passphrase through scrypt with
  the salt stored here (:mod:`.keysource`). Never the key itself.
* ``blobs/`` - document ciphertext exactly as the relay delivered it (end-to-end encrypted),
  written atomically and resumable, named by an opaque keyed hash (:mod:`.blobs`). The keys that
  decrypt them live only in the database, so the folder alone is useless.

Nothing in the folder is plaintext; a test greps every file for Japanese text that was stored.

The schema is versioned ``major.minor`` with an ordered list of SQL migration steps
(:mod:`.migrations`): a minor migrates forward in a transaction, a newer major is refused with an
explanation and the file is left untouched.

Everything goes through :class:`LocalStore` (:mod:`.cache`), a thin facade over one module per
kind of record (:mod:`.meetings`, :mod:`.documents`, :mod:`.annotations`, :mod:`.outbox`, ...);
its methods are synchronous. The sync engine calls them through ``asyncio.to_thread``; one
re-entrant lock guards the connection, and :meth:`LocalStore.atomic` groups calls into a single
transaction. Failures are typed
(:mod:`.errors`): each has a stable ``code``, a readable message with a next step, and says whose
fault it is. Wrong passphrase, corrupted file, full disk, read-only folder and newer schema all
leave existing data exactly as it was.

Search (:mod:`.search`) is substring search suitable for Japanese: an FTS5 trigram index for
queries of three or more characters and a 1-2 character gram index plus ``LIKE`` for shorter
ones, both NFKC-normalised.

Damage is noticed at start (:mod:`.integrity`): with ``keysource.json`` present a missing, empty
or cut-short ``cache.db`` is :class:`CacheDamaged`, never "a new store", and a cheap per-table
check (about a millisecond) runs at every open, the full check after an unclean shutdown or once
a day. :func:`recover_profile` (:mod:`.recovery`) then keeps whatever can be read - identity,
notes, unsent changes above all - in a new cache, moves the damaged files aside and reports what
was lost and what to ask the administrator for (``docs/recovery.md``).

"Wipe this device" (:meth:`LocalStore.wipe`, or :func:`wipe_profile` without the passphrase)
removes the keychain entry, the key description, the database with its WAL and every blob.
:meth:`LocalStore.shred_meeting` destroys one expired meeting's keys, documents, index rows and
annotations and checkpoints the WAL so the zeroed pages replace the old ones.
"""

from .cache import LocalStore, wipe_profile
from .errors import (
    BlobHashMismatch,
    BlobMissing,
    CacheDamaged,
    DatabaseBusy,
    DatabaseCorrupt,
    DocumentNotDownloading,
    Fault,
    KeyMismatch,
    KeySourceDamaged,
    KeySourceMissing,
    KeyUnavailable,
    OutboxConflict,
    PassphraseRequired,
    ProfileMismatch,
    ReadOnlyLocation,
    ResumeOffsetMismatch,
    SchemaTooNew,
    StorageFull,
    StoreBug,
    StoreClosed,
    StoreError,
    StoreIOError,
    UnknownDocument,
    UnknownMeeting,
    WrongPassphrase,
)
from .keysource import KeySource
from .layout import default_data_dir
from .migrations import CURRENT_VERSION, SchemaVersion
from .records import (
    Annotation,
    DeviceIdentity,
    Document,
    DocumentInfo,
    DocumentState,
    Meeting,
    OutboxEntry,
    Visibility,
)
from .recovery import RecoveryReport, recover_profile
from .search import MARK_CLOSE, MARK_OPEN, SearchHit

__all__ = [
    "CURRENT_VERSION",
    "MARK_CLOSE",
    "MARK_OPEN",
    "Annotation",
    "BlobHashMismatch",
    "BlobMissing",
    "CacheDamaged",
    "DatabaseBusy",
    "DatabaseCorrupt",
    "DeviceIdentity",
    "Document",
    "DocumentInfo",
    "DocumentNotDownloading",
    "DocumentState",
    "Fault",
    "KeyMismatch",
    "KeySource",
    "KeySourceDamaged",
    "KeySourceMissing",
    "KeyUnavailable",
    "LocalStore",
    "Meeting",
    "OutboxConflict",
    "OutboxEntry",
    "PassphraseRequired",
    "ProfileMismatch",
    "ReadOnlyLocation",
    "RecoveryReport",
    "ResumeOffsetMismatch",
    "SchemaTooNew",
    "SchemaVersion",
    "SearchHit",
    "StorageFull",
    "StoreBug",
    "StoreClosed",
    "StoreError",
    "StoreIOError",
    "UnknownDocument",
    "UnknownMeeting",
    "Visibility",
    "WrongPassphrase",
    "default_data_dir",
    "recover_profile",
    "wipe_profile",
]
