"""``LocalStore``: the repository the sync engine and the GUI use for everything kept on this device.

Theory of operation
-------------------
:meth:`LocalStore.open` turns (data folder, profile id, optional passphrase) into an open store:

1. Read ``keysource.json``. No file and no database means a new store: take a random key from a
   secure keychain, or - if there is none, or the caller passed a passphrase - derive one with
   scrypt; with neither, raise :class:`PassphraseRequired` *before creating anything*.
2. Make sure the folder exists and is writable (:class:`ReadOnlyLocation` otherwise).
3. Obtain the key (keychain, or passphrase + scrypt) and compare it with the stored key check, so a
   wrong passphrase is reported without touching the database.
4. Open SQLCipher with the raw key, read the schema version, refuse a newer major, then set the
   pragmas and run pending migrations. Up to the version check nothing is written.

Every public method is synchronous and thread-safe: the connection is guarded by one re-entrant
lock, and :meth:`atomic` lets a caller group several calls into one transaction (e.g. save an
annotation and enqueue its outbox operation, so either both happen or neither).

Operations that touch both the database and the blob folder take the same lock for their whole
duration. The database is updated last when adding (a blob is verified and in place before its
document is marked complete) and first when removing (a document row disappears before its file),
so a crash leaves at worst an orphan file that :meth:`sweep_orphan_blobs` removes - never a row
pointing at nothing that claims to be complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from . import migrations, rekey, search
from .blobs import BlobFiles
from .database import Database, Row
from .errors import (
    BlobHashMismatch,
    DatabaseCorrupt,
    DocumentNotDownloading,
    KeySourceMissing,
    OutboxConflict,
    PassphraseRequired,
    ProfileMismatch,
    ReadOnlyLocation,
    StoreBug,
    UnknownDocument,
    UnknownMeeting,
    from_os_error,
)
from .keysource import (
    Keychain,
    KeySource,
    key_from_keychain,
    new_keychain_record,
    new_passphrase_record,
    read_record,
    write_record,
)
from .layout import ProfilePaths, remove_profile_files
from .records import (
    Annotation,
    DeviceIdentity,
    Document,
    DocumentInfo,
    DocumentState,
    Meeting,
    OutboxEntry,
    Visibility,
    from_ms,
    now_ms,
    to_ms,
)
from .search import SearchHit

__all__ = ["LocalStore", "wipe_profile"]

_MEETING_COLUMNS = "meeting_id, title, starts_at, expires_at, meeting_key, key_epoch, shredded_at"
_DOCUMENT_COLUMNS = (
    "meeting_id, doc_id, version, title, manifest, agenda_item, page_count, ciphertext_sha256, "
    "content_key, state, received_bytes"
)
_ANNOTATION_COLUMNS = (
    "annotation_id, meeting_id, doc_id, version, page_no, visibility, author, payload, "
    "created_at, updated_at, deleted, server_seq"
)
_OUTBOX_COLUMNS = "seq, op_id, kind, payload, meeting_id, created_at"
_ACK_BATCH = 500


class LocalStore:
    """The encrypted local cache of one profile. Create it with :meth:`open`."""

    def __init__(
        self, paths: ProfilePaths, db: Database, blobs: BlobFiles, key_source: KeySource
    ) -> None:
        self._paths = paths
        self._db = db
        self._blobs = blobs
        self.key_source = key_source

    # == lifetime ==================================================================================

    @classmethod
    def open(
        cls,
        directory: Path | str | None,
        profile_id: str,
        passphrase: str | None = None,
    ) -> LocalStore:
        """Open (creating if needed) the cache of ``profile_id`` under ``directory``.

        ``directory`` is the app's data folder (``None``: the platform default, see
        :func:`~furano_meet.store.layout.default_data_dir`); the profile lives in
        ``<directory>/profiles/<profile_id>/``.

        ``passphrase`` is only needed where no secure keychain exists: opening without one then
        raises :class:`PassphraseRequired` whose ``reason`` the GUI shows before asking. A
        passphrase passed when *creating* a store selects passphrase protection even if a keychain
        exists (for deployments that require it). For an existing store the recorded key source
        decides, and a passphrase is ignored if that source is the keychain.

        Raises the typed errors of :mod:`furano_meet.store.errors`; none of them is raised after
        changing anything that was already on disk.
        """
        paths = ProfilePaths.for_profile(directory, profile_id)
        record = read_record(paths.keysource)
        database_exists = _non_empty(paths.database)
        keychain = Keychain.detect()
        if record is None and database_exists:
            raise KeySourceMissing(str(paths.keysource))
        if record is None and passphrase is None and not keychain.available:
            raise PassphraseRequired(keychain.reason, new_store=True)
        _prepare_folder(paths, database_exists)
        if record is None:
            if passphrase is not None:
                key, record = new_passphrase_record(passphrase)
            else:
                key, record = new_keychain_record(keychain, profile_id)
            try:
                write_record(paths.keysource, record)
            except OSError as exc:
                if record.source is KeySource.KEYCHAIN:
                    keychain.delete_key(profile_id)
                raise from_os_error(exc, paths.keysource) from exc
        elif record.source is KeySource.KEYCHAIN:
            key = key_from_keychain(keychain, profile_id, record)
        else:  # also finishes an interrupted key change and upgrades old scrypt parameters
            key = rekey.unlock(paths, record, passphrase)
        if not database_exists:
            _create_private_file(paths.database)

        db = Database.open(paths.database, key)
        try:
            migrations.check_supported(migrations.read_version(db))
            db.configure()
            migrations.migrate(db)
            _claim_profile(db, profile_id)
            name_key = db.query_value("SELECT value FROM store_meta WHERE name = 'blob_name_key'")
            if not isinstance(name_key, bytes):
                raise StoreBug("the blob name key is missing from store_meta")
        except BaseException:
            db.close()
            raise
        return cls(paths, db, BlobFiles(paths.blobs, name_key), record.source)

    @property
    def profile_id(self) -> str:
        return self._paths.profile_id

    @property
    def directory(self) -> Path:
        """This profile's folder (database, key description, blobs)."""
        return self._paths.root

    @property
    def closed(self) -> bool:
        return self._db.closed

    def close(self) -> None:
        """Close the database. Idempotent; any later call raises :class:`StoreClosed`."""
        self._db.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group store calls into one transaction (re-entrant; holds the store lock)."""
        with self._db.atomic():
            yield

    def change_passphrase(self, old: str, new: str) -> None:
        """Protect this cache with ``new`` from now on (crash-safe; see :mod:`.rekey`)."""
        rekey.change_passphrase(self._paths, self._db, self.key_source, old, new)

    def wipe(self) -> list[Path]:
        """Wipe this device: close and delete everything this profile stored.

        The keychain entry goes first (without it the rest is unreadable even if a later step
        fails), then the key description file, the database with its WAL and shared-memory files,
        every blob file, and the profile folder if it is then empty. Returns files that could not
        be removed (e.g. files someone else put in the folder), normally an empty list.
        """
        self.close()
        return wipe_profile(self._paths.root.parent.parent, self.profile_id)

    def check_integrity(self) -> None:
        """Read every page and check its HMAC and the b-tree structure (slow: seconds for a large
        cache). Raises :class:`DatabaseCorrupt` describing the first problems found."""
        with self._db.lock:
            problems = [str(r[0]) for r in self._db.query("PRAGMA cipher_integrity_check")]
            if not problems:
                problems = [str(r[0]) for r in self._db.query("PRAGMA quick_check") if r[0] != "ok"]
        if problems:
            raise DatabaseCorrupt("; ".join(problems[:3]))

    # == profile and settings ======================================================================

    def get_setting(self, key: str) -> str | None:
        value = self._db.query_value("SELECT value FROM settings WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_setting(self, key: str, value: str | None) -> None:
        """Store a text setting (callers encode structure as JSON); ``None`` deletes it."""
        if value is None:
            self._db.execute("DELETE FROM settings WHERE key = ?", (key,))
        else:
            self._db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def settings(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._db.query("SELECT key, value FROM settings")}

    # == this device ===============================================================================

    def save_device(self, device: DeviceIdentity) -> None:
        """Store this device's identity, keys and relay token (replacing any previous one)."""
        self._db.execute(
            "INSERT INTO device (id, device_id, relay_url, device_token, private_keys, "
            "updated_at) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "device_id = excluded.device_id, relay_url = excluded.relay_url, "
            "device_token = excluded.device_token, private_keys = excluded.private_keys, "
            "updated_at = excluded.updated_at",
            (
                device.device_id,
                device.relay_url,
                device.device_token,
                device.private_keys,
                now_ms(),
            ),
        )

    def device(self) -> DeviceIdentity | None:
        row = self._db.query_one(
            "SELECT device_id, relay_url, private_keys, device_token FROM device WHERE id = 1"
        )
        if row is None:
            return None
        return DeviceIdentity(
            device_id=row[0], relay_url=row[1], private_keys=row[2], device_token=row[3]
        )

    def set_device_token(self, token: str | None) -> None:
        """Replace the relay token (rotation, or ``None`` after the relay revoked it)."""
        with self._db.atomic():
            if not self._db.execute(
                "UPDATE device SET device_token = ?, updated_at = ? WHERE id = 1",
                (token, now_ms()),
            ):
                raise StoreBug("set_device_token() before save_device()")

    # == meetings ==================================================================================

    def upsert_meeting(
        self,
        meeting_id: str,
        *,
        title: str,
        starts_at: datetime,
        expires_at: datetime | None = None,
    ) -> None:
        """Add a meeting or update its title and times. Its key is set with :meth:`set_meeting_key`."""
        self._db.execute(
            "INSERT INTO meetings (meeting_id, title, starts_at, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (meeting_id) DO UPDATE SET title = excluded.title, "
            "starts_at = excluded.starts_at, expires_at = excluded.expires_at",
            (
                meeting_id,
                title,
                to_ms(starts_at),
                None if expires_at is None else to_ms(expires_at),
            ),
        )

    def set_meeting_key(self, meeting_id: str, key: bytes, epoch: int) -> bool:
        """Install a meeting key; return ``False`` if it was ignored.

        A key is taken if its epoch is newer than the stored one, or equal while no key is stored
        (the first key). Older epochs (a delayed message) and shredded meetings are ignored.
        """
        if not key:
            raise ValueError("a meeting key cannot be empty")
        if epoch < 0:
            raise ValueError("key epochs are not negative")
        with self._db.atomic():
            self._require_meeting(meeting_id)
            newest = bool(
                self._db.execute(
                    "UPDATE meetings SET meeting_key = ?, key_epoch = ? WHERE meeting_id = ? "
                    "AND shredded_at IS NULL AND (key_epoch < ? "
                    "OR (key_epoch = ? AND meeting_key IS NULL))",
                    (key, epoch, meeting_id, epoch, epoch),
                )
            )
            # Every epoch is kept (older documents and notes need their own epoch's key).
            kept = bool(
                self._db.execute(
                    "INSERT OR IGNORE INTO meeting_keys (meeting_id, epoch, key) "
                    "SELECT meeting_id, ?, ? FROM meetings "
                    "WHERE meeting_id = ? AND shredded_at IS NULL",
                    (epoch, key, meeting_id),
                )
            )
            return newest or kept

    def meeting_key_at(self, meeting_id: str, epoch: int) -> bytes | None:
        """The meeting's key of one epoch (``None`` if this device never received it)."""
        value = self._db.query_value(
            "SELECT key FROM meeting_keys WHERE meeting_id = ? AND epoch = ?", (meeting_id, epoch)
        )
        return value if isinstance(value, bytes) else None

    def meeting_key_epochs(self, meeting_id: str) -> list[tuple[int, bytes]]:
        """Every (epoch, key) this device holds for a meeting, oldest first."""
        rows = self._db.query(
            "SELECT epoch, key FROM meeting_keys WHERE meeting_id = ? ORDER BY epoch",
            (meeting_id,),
        )
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def meeting(self, meeting_id: str) -> Meeting | None:
        row = self._db.query_one(
            f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE meeting_id = ?", (meeting_id,)
        )
        return None if row is None else _meeting(row)

    def meetings(self) -> list[Meeting]:
        """Every meeting, soonest first (shredded ones included, marked by ``shredded_at``)."""
        rows = self._db.query(
            f"SELECT {_MEETING_COLUMNS} FROM meetings ORDER BY starts_at, meeting_id"
        )
        return [_meeting(row) for row in rows]

    def expired_meetings(self, now: datetime) -> list[str]:
        """Ids of meetings whose viewing deadline has passed and that are not shredded yet."""
        rows = self._db.query(
            "SELECT meeting_id FROM meetings WHERE expires_at IS NOT NULL AND expires_at <= ? "
            "AND shredded_at IS NULL ORDER BY expires_at",
            (to_ms(now),),
        )
        return [str(row[0]) for row in rows]

    def shred_meeting(self, meeting_id: str) -> None:
        """Destroy what this device holds of an expired meeting (閲覧期限).

        Removes the meeting key, its documents (manifests, content keys, search index rows), their
        blob files, its annotations and its unsent outbox operations; keeps the meeting's row
        (title, dates, ``shredded_at``) so the app can say "expired" and the sync engine does not
        fetch it again, and keeps its sync cursors for the same reason.

        Blob files are unlinked without being overwritten first: they are ciphertext whose keys
        lived only in the database rows just deleted, and overwriting would not reach old blocks on
        SSDs or copy-on-write file systems anyway. Inside the database, ``PRAGMA secure_delete``
        (set at open) zeroes the freed content, FTS5 ``secure-delete`` drops the index entries at
        once, and a ``wal_checkpoint(TRUNCATE)`` afterwards writes the zeroed pages into the main
        file and discards the WAL frames that still held the old page images.
        """
        with self._db.lock:
            self._outside_transaction("shred_meeting")
            with self._db.atomic():
                self._require_meeting(meeting_id)
                docs = self._db.query(
                    "SELECT doc_id, version FROM documents WHERE meeting_id = ?", (meeting_id,)
                )
                self._db.execute(
                    "UPDATE meetings SET meeting_key = NULL, shredded_at = ? WHERE meeting_id = ?",
                    (now_ms(), meeting_id),
                )
                self._db.execute("DELETE FROM meeting_keys WHERE meeting_id = ?", (meeting_id,))
                self._db.execute("DELETE FROM annotations WHERE meeting_id = ?", (meeting_id,))
                self._db.execute("DELETE FROM outbox WHERE meeting_id = ?", (meeting_id,))
                self._db.execute("DELETE FROM documents WHERE meeting_id = ?", (meeting_id,))
            for doc_id, version in docs:
                self._blobs.discard(doc_id, version)
            self._db.checkpoint_truncate()

    # == documents and their blobs =================================================================

    def upsert_document(self, info: DocumentInfo) -> None:
        """Announce a document version, or update its metadata (title, manifest, page count...).

        A new version starts as ``downloading``; the download state of a known one is unchanged.
        ``content_key`` and ``ciphertext_sha256`` are only replaced by non-``None`` values.
        """
        if info.ciphertext_sha256 is not None and len(info.ciphertext_sha256) != 32:
            raise ValueError("ciphertext_sha256 must be 32 bytes")
        with self._db.atomic():
            self._require_meeting(info.meeting_id)
            self._db.execute(
                "INSERT INTO documents (doc_id, version, meeting_id, title, agenda_item, "
                "page_count, manifest, content_key, ciphertext_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (doc_id, version) DO UPDATE SET title = excluded.title, "
                "agenda_item = excluded.agenda_item, page_count = excluded.page_count, "
                "manifest = excluded.manifest, "
                "content_key = coalesce(excluded.content_key, content_key), "
                "ciphertext_sha256 = coalesce(excluded.ciphertext_sha256, ciphertext_sha256)",
                (
                    info.doc_id,
                    info.version,
                    info.meeting_id,
                    info.title,
                    info.agenda_item,
                    info.page_count,
                    info.manifest,
                    info.content_key,
                    info.ciphertext_sha256,
                ),
            )

    def document(self, doc_id: str, version: int) -> Document | None:
        row = self._db.query_one(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id = ? AND version = ?",
            (doc_id, version),
        )
        return None if row is None else _document(row)

    def documents(self, meeting_id: str) -> list[Document]:
        rows = self._db.query(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE meeting_id = ? "
            "ORDER BY agenda_item, title, doc_id, version",
            (meeting_id,),
        )
        return [_document(row) for row in rows]

    def resume_offset(self, doc_id: str, version: int) -> int:
        """Where to resume the download: the bytes actually on disk (the truth after a crash)."""
        with self._db.lock:
            self._require_document(doc_id, version)
            return self._blobs.received(doc_id, version)

    def append_partial(
        self,
        doc_id: str,
        version: int,
        offset: int,
        data: bytes | bytearray,
        *,
        alongside: Callable[[], None] | None = None,
    ) -> int:
        """Append downloaded ciphertext at ``offset``; return the bytes received so far.

        ``offset`` must equal :meth:`resume_offset` (else :class:`ResumeOffsetMismatch`, nothing
        written). The data is fsynced before this returns. ``alongside`` runs in the helper
        thread that hashes the data while it is written (see :meth:`BlobFiles.write`); if it
        raises, the piece is cut off again and its exception propagates.
        """
        with self._db.lock:
            doc = self._require_document(doc_id, version)
            if doc.state is not DocumentState.DOWNLOADING:
                raise DocumentNotDownloading(doc_id, version, doc.state.value, "downloading")
            received = self._blobs.append(doc_id, version, offset, data, alongside=alongside)
            self._db.execute(
                "UPDATE documents SET received_bytes = ? WHERE doc_id = ? AND version = ?",
                (received, doc_id, version),
            )
            return received

    def complete(self, doc_id: str, version: int, sha256: bytes) -> None:
        """Verify the downloaded file against ``sha256`` and mark the document complete.

        On a mismatch raises :class:`BlobHashMismatch` and keeps the partial file; call
        :meth:`restart_download` to fetch it again. Calling it again after success is a no-op.
        """
        if len(sha256) != 32:
            raise ValueError("sha256 must be 32 bytes")
        with self._db.lock:
            doc = self._require_document(doc_id, version)
            if doc.state is DocumentState.WITHDRAWN:
                raise DocumentNotDownloading(doc_id, version, doc.state.value, "downloading")
            if doc.ciphertext_sha256 is not None and doc.ciphertext_sha256 != sha256:
                raise BlobHashMismatch(
                    doc_id, version, doc.ciphertext_sha256.hex(), f"{sha256.hex()} (announced)"
                )
            size = self._blobs.finish(doc_id, version, sha256)
            self._mark_complete(doc_id, version, sha256, size)

    def store_blob(
        self,
        doc_id: str,
        version: int,
        data: bytes | bytearray,
        sha256: bytes | Callable[[], bytes],
        *,
        alongside: Callable[[], None] | None = None,
    ) -> None:
        """Store a whole blob at once (write to a temp file, fsync, verify, rename), then mark
        the document complete.

        ``sha256`` may be a callable that is asked for the expected digest only once the bytes
        are durable (see :meth:`BlobFiles.write`): the receiver's signature check runs beside
        the write, and whatever it raises stops the store with nothing kept. ``alongside``
        runs in the helper thread that hashes the blob while it is written (see
        :meth:`BlobFiles.write`); if it raises, nothing is kept either.
        """
        with self._db.lock:
            doc = self._require_document(doc_id, version)
            if doc.state is DocumentState.WITHDRAWN:
                raise DocumentNotDownloading(doc_id, version, doc.state.value, "downloading")
            digest = self._blobs.write(doc_id, version, data, sha256, alongside=alongside)
            self._mark_complete(doc_id, version, digest, len(data))

    def read_blob(self, doc_id: str, version: int) -> bytes:
        """The complete ciphertext of a document version (decrypt it with its content key)."""
        with self._db.lock:
            doc = self._require_document(doc_id, version)
            if doc.state is not DocumentState.COMPLETE:
                raise DocumentNotDownloading(doc_id, version, doc.state.value, "complete")
            return self._blobs.read(doc_id, version)

    def blob_path(self, doc_id: str, version: int) -> Path:
        """Where the complete ciphertext file lives (for streaming it without a copy)."""
        return self._blobs.path(doc_id, version)

    def restart_download(self, doc_id: str, version: int) -> None:
        """Throw away what was received (e.g. after a checksum mismatch) and start from zero."""
        with self._db.lock:
            self._outside_transaction("restart_download")
            doc = self._require_document(doc_id, version)
            if doc.state is DocumentState.WITHDRAWN:
                raise DocumentNotDownloading(doc_id, version, doc.state.value, "downloading")
            self._db.execute(
                "UPDATE documents SET state = 'downloading', received_bytes = 0 "
                "WHERE doc_id = ? AND version = ?",
                (doc_id, version),
            )
            self._blobs.discard(doc_id, version)

    def withdraw_document(self, doc_id: str, version: int) -> None:
        """The organiser withdrew this version: drop its content, key, index and file."""
        with self._db.lock:
            self._outside_transaction("withdraw_document")
            with self._db.atomic():
                self._require_document(doc_id, version)
                self._db.execute(
                    "UPDATE documents SET state = 'withdrawn', content_key = NULL, "
                    "received_bytes = 0 WHERE doc_id = ? AND version = ?",
                    (doc_id, version),
                )
                self._db.execute(
                    "DELETE FROM page_text_rows WHERE doc_id = ? AND version = ?",
                    (doc_id, version),
                )
            self._blobs.discard(doc_id, version)

    def sweep_orphan_blobs(self) -> int:
        """Delete blob files no document row refers to (left by a crash); return how many."""
        with self._db.lock:
            rows = self._db.query(
                "SELECT doc_id, version FROM documents WHERE state != 'withdrawn'"
            )
            keep = {self._blobs.name_for(doc_id, version) for doc_id, version in rows}
            return self._blobs.sweep(keep)

    def _mark_complete(self, doc_id: str, version: int, sha256: bytes, size: int) -> None:
        self._db.execute(
            "UPDATE documents SET state = 'complete', ciphertext_sha256 = ?, received_bytes = ? "
            "WHERE doc_id = ? AND version = ?",
            (sha256, size, doc_id, version),
        )

    # == search ====================================================================================

    def index_pages(self, doc_id: str, version: int, pages: Iterable[tuple[int, str]]) -> int:
        """Index the text of pages (0-based page numbers) for :meth:`search`; replaces old text."""
        return search.index_pages(self._db, doc_id, version, pages)

    def page_texts(self, doc_id: str, version: int) -> dict[int, str]:
        """The indexed text of each page (normalised as for search), by 0-based page number."""
        return search.page_texts(self._db, doc_id, version)

    def search(self, query: str, limit: int = 50, meeting_id: str | None = None) -> list[SearchHit]:
        """Pages of every cached document containing ``query`` (see :mod:`.search`)."""
        return search.search(self._db, query, limit, meeting_id)

    # == annotations ===============================================================================

    def put_annotation(self, annotation: Annotation) -> bool:
        """Insert or update an annotation; return ``False`` if it was ignored as stale.

        An update whose ``server_seq`` is older than the stored one is stale (a late echo). The
        meeting, document, author and creation time of an existing annotation never change.
        """
        with self._db.atomic():
            self._require_meeting(annotation.meeting_id)
            return bool(
                self._db.execute(
                    f"INSERT INTO annotations ({_ANNOTATION_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (annotation_id) DO UPDATE SET page_no = excluded.page_no, "
                    "visibility = excluded.visibility, payload = excluded.payload, "
                    "deleted = excluded.deleted, updated_at = excluded.updated_at, "
                    "server_seq = coalesce(excluded.server_seq, server_seq) "
                    "WHERE excluded.server_seq IS NULL OR server_seq IS NULL "
                    "OR excluded.server_seq >= server_seq",
                    (
                        annotation.annotation_id,
                        annotation.meeting_id,
                        annotation.doc_id,
                        annotation.version,
                        annotation.page_no,
                        annotation.visibility.value,
                        annotation.author,
                        annotation.payload,
                        to_ms(annotation.created_at),
                        to_ms(annotation.updated_at),
                        int(annotation.deleted),
                        annotation.server_seq,
                    ),
                )
            )

    def delete_annotation(self, annotation_id: str, deleted_at: datetime) -> bool:
        """Turn an annotation into a tombstone (payload dropped) so its deletion can sync."""
        return bool(
            self._db.execute(
                "UPDATE annotations SET deleted = 1, payload = x'', updated_at = ? "
                "WHERE annotation_id = ? AND deleted = 0",
                (to_ms(deleted_at), annotation_id),
            )
        )

    def set_annotation_seq(self, annotation_id: str, server_seq: int) -> bool:
        """Record the sequence number the relay gave an annotation."""
        return bool(
            self._db.execute(
                "UPDATE annotations SET server_seq = ? WHERE annotation_id = ?",
                (server_seq, annotation_id),
            )
        )

    def annotation(self, annotation_id: str) -> Annotation | None:
        row = self._db.query_one(
            f"SELECT {_ANNOTATION_COLUMNS} FROM annotations WHERE annotation_id = ?",
            (annotation_id,),
        )
        return None if row is None else _annotation(row)

    def annotations(
        self,
        doc_id: str,
        version: int,
        *,
        page_no: int | None = None,
        include_deleted: bool = False,
    ) -> list[Annotation]:
        """Annotations on a document version (optionally one page), oldest first."""
        sql = f"SELECT {_ANNOTATION_COLUMNS} FROM annotations WHERE doc_id = ? AND version = ?"
        params: list[str | int] = [doc_id, version]
        if page_no is not None:
            sql += " AND page_no = ?"
            params.append(page_no)
        if not include_deleted:
            sql += " AND deleted = 0"
        rows = self._db.query(sql + " ORDER BY created_at, annotation_id", params)
        return [_annotation(row) for row in rows]

    # == outbox ====================================================================================

    def enqueue(
        self, op_id: str, kind: str, payload: bytes, *, meeting_id: str | None = None
    ) -> OutboxEntry:
        """Add an unsent change. Enqueuing the same ``op_id`` again with the same contents returns
        the existing entry; with different contents it raises :class:`OutboxConflict`."""
        with self._db.atomic():
            row = self._db.query_one(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE op_id = ?", (op_id,)
            )
            if row is not None:
                entry = _outbox(row)
                if (entry.kind, entry.payload, entry.meeting_id) != (kind, payload, meeting_id):
                    raise OutboxConflict(op_id)
                return entry
            created = now_ms()
            seq = self._db.insert(
                "INSERT INTO outbox (op_id, kind, meeting_id, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (op_id, kind, meeting_id, payload, created),
            )
            return OutboxEntry(
                seq=seq,
                op_id=op_id,
                kind=kind,
                payload=payload,
                meeting_id=meeting_id,
                created_at=from_ms(created),
            )

    def peek(self, limit: int = 100) -> list[OutboxEntry]:
        """The oldest ``limit`` unsent changes, in order; they stay until :meth:`ack`."""
        rows = self._db.query(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox ORDER BY seq LIMIT ?", (max(0, limit),)
        )
        return [_outbox(row) for row in rows]

    def ack(self, op_ids: Iterable[str]) -> int:
        """Remove sent changes; unknown or already-acknowledged ids are ignored. Returns how many
        were removed."""
        ids = list(dict.fromkeys(op_ids))
        removed = 0
        with self._db.atomic():
            for start in range(0, len(ids), _ACK_BATCH):
                batch = ids[start : start + _ACK_BATCH]
                marks = ", ".join("?" * len(batch))
                removed += self._db.execute(f"DELETE FROM outbox WHERE op_id IN ({marks})", batch)
        return removed

    def outbox_size(self) -> int:
        return int(self._db.query_value("SELECT count(*) FROM outbox"))

    # == sync cursors ==============================================================================

    def sync_cursor(self, meeting_id: str, stream: str) -> int | None:
        """The last server sequence number applied for (meeting, stream); ``None`` if never."""
        value = self._db.query_value(
            "SELECT last_seq FROM sync_cursors WHERE meeting_id = ? AND stream = ?",
            (meeting_id, stream),
        )
        return None if value is None else int(value)

    def advance_cursor(self, meeting_id: str, stream: str, last_seq: int) -> int:
        """Move a cursor forward (never back); return its value afterwards.

        Use ``meeting_id=""`` for profile-wide streams.
        """
        if last_seq < 0:
            raise ValueError("sequence numbers are not negative")
        value = self._db.query_value(
            "INSERT INTO sync_cursors (meeting_id, stream, last_seq) VALUES (?, ?, ?) "
            "ON CONFLICT (meeting_id, stream) DO UPDATE SET "
            "last_seq = max(last_seq, excluded.last_seq) RETURNING last_seq",
            (meeting_id, stream, last_seq),
        )
        return int(value)

    # == helpers ===================================================================================

    def _outside_transaction(self, operation: str) -> None:
        """Operations that delete files must commit before deleting them, so they cannot run
        inside a caller's :meth:`atomic` block (a rollback could not bring the files back)."""
        if self._db.in_transaction:
            raise StoreBug(f"{operation}() deletes files and cannot run inside atomic()")

    def _require_meeting(self, meeting_id: str) -> None:
        if self._db.query_one("SELECT 1 FROM meetings WHERE meeting_id = ?", (meeting_id,)) is None:
            raise UnknownMeeting(meeting_id)

    def _require_document(self, doc_id: str, version: int) -> Document:
        doc = self.document(doc_id, version)
        if doc is None:
            raise UnknownDocument(doc_id, version)
        return doc


def wipe_profile(directory: Path | str | None, profile_id: str) -> list[Path]:
    """Delete a profile's cache without opening it (e.g. the passphrase is forgotten).

    Same effect as :meth:`LocalStore.wipe`; the store must not be open. Returns files that could
    not be removed.
    """
    paths = ProfilePaths.for_profile(directory, profile_id)
    Keychain.detect().delete_key(profile_id)
    try:
        return remove_profile_files(paths)
    except OSError as exc:
        raise from_os_error(exc, paths.root) from exc


# -- module helpers --------------------------------------------------------------------------------


def _non_empty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _prepare_folder(paths: ProfilePaths, database_exists: bool) -> None:
    """Create the profile folder and make sure we can write there before touching anything."""
    try:
        paths.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os_error(exc, paths.root) from exc
    if not os.access(paths.root, os.W_OK):
        raise ReadOnlyLocation(str(paths.root))
    if database_exists and not os.access(paths.database, os.W_OK):
        raise ReadOnlyLocation(str(paths.root), f"{paths.database.name} is read-only")


def _create_private_file(path: Path) -> None:
    """Create the database file ourselves so that it - and the WAL and -shm files SQLite gives
    the same permissions - is private to this user whatever the umask says."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as exc:
        raise from_os_error(exc, path) from exc


def _claim_profile(db: Database, profile_id: str) -> None:
    """Record whose cache this is on first open; afterwards only read it (opening writes nothing)."""
    found = db.query_value("SELECT profile_id FROM profile WHERE id = 1")
    if found is None:
        db.execute(
            "INSERT INTO profile (id, profile_id, created_at) VALUES (1, ?, ?)",
            (profile_id, now_ms()),
        )
        found = profile_id
    if found != profile_id:
        raise ProfileMismatch(profile_id, str(found))


def _meeting(row: Row) -> Meeting:
    return Meeting(
        meeting_id=row[0],
        title=row[1],
        starts_at=from_ms(row[2]),
        expires_at=None if row[3] is None else from_ms(row[3]),
        meeting_key=row[4],
        key_epoch=int(row[5]),
        shredded_at=None if row[6] is None else from_ms(row[6]),
    )


def _document(row: Row) -> Document:
    return Document(
        meeting_id=row[0],
        doc_id=row[1],
        version=int(row[2]),
        title=row[3],
        manifest=row[4],
        agenda_item=row[5],
        page_count=int(row[6]),
        ciphertext_sha256=row[7],
        content_key=row[8],
        state=DocumentState(row[9]),
        received_bytes=int(row[10]),
    )


def _annotation(row: Row) -> Annotation:
    return Annotation(
        annotation_id=row[0],
        meeting_id=row[1],
        doc_id=row[2],
        version=int(row[3]),
        page_no=int(row[4]),
        visibility=Visibility(row[5]),
        author=row[6],
        payload=row[7],
        created_at=from_ms(row[8]),
        updated_at=from_ms(row[9]),
        deleted=bool(row[10]),
        server_seq=None if row[11] is None else int(row[11]),
    )


def _outbox(row: Row) -> OutboxEntry:
    return OutboxEntry(
        seq=int(row[0]),
        op_id=row[1],
        kind=row[2],
        payload=row[3],
        meeting_id=row[4],
        created_at=from_ms(row[5]),
    )
