"""``LocalStore``: the repository the sync engine and the GUI use for everything kept on this device.

Theory of operation
-------------------
``LocalStore`` is a thin facade: it holds the open :class:`Database`, the profile's
:class:`BlobFiles` and its paths, and passes each call to the module that owns that kind of
record - module-level functions over the ``Database``, as :mod:`.search` was first:

* :mod:`.profile` - opening (key source, folder, schema, claim) and wiping;
* :mod:`.integrity` - noticing damage at start; :mod:`.recovery` - salvaging a damaged cache;
* :mod:`.settings` - the profile's text settings;
* :mod:`.seen_marks` - the notes left for review, and the marks this reader has looked at;
* :mod:`.identity` - this device's identity, private keys and relay token;
* :mod:`.meetings` - meetings and every epoch of their keys;
* :mod:`.documents` - document versions and their ciphertext blobs (download, complete, withdraw);
* :mod:`.search` - the full-text index of every cached page;
* :mod:`.annotations` - annotations and their tombstones;
* :mod:`.outbox` - changes the relay has not acknowledged yet;
* :mod:`.cursors` - how far each of the relay's streams has been applied;
* :mod:`.shredding` - destroying an expired meeting across all of the above.

Every public method is synchronous and thread-safe: the connection is guarded by one re-entrant
lock, and :meth:`atomic` lets a caller group several calls into one transaction (e.g. save an
annotation and enqueue its outbox operation, so either both happen or neither). Operations that
touch both the database and the blob folder hold that lock throughout and order their steps so
that a crash leaves at worst an orphan file (see :mod:`.documents`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from . import annotations as annotation_rows  # the bare name is taken by the __future__ import
from . import (
    cursors,
    documents,
    identity,
    integrity,
    ledger,
    meetings,
    outbox,
    profile,
    rekey,
    search,
    seen_marks,
    settings,
    shredding,
    trust,
)
from .blobs import BlobFiles
from .database import Database
from .keysource import KeySource
from .layout import ProfilePaths
from .ledger import LedgerState
from .profile import wipe_profile
from .records import Annotation, DeviceIdentity, Document, DocumentInfo, Meeting, OutboxEntry
from .search import SearchHit
from .seen_marks import ReviewNote

__all__ = ["LocalStore", "wipe_profile"]


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
        changing anything that was already on disk (the steps: :mod:`.profile`).
        """
        return cls(*profile.open_profile(directory, profile_id, passphrase))

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
        """Check every page's HMAC and the b-tree (slow: what opening does once a day or after
        a crash); see :func:`.integrity.check_everything`."""
        integrity.check_everything(self._db)

    # == profile and settings (:mod:`.settings`) ===================================================

    def get_setting(self, key: str) -> str | None:
        return settings.get_setting(self._db, key)

    def set_setting(self, key: str, value: str | None) -> None:
        """Store a text setting (callers encode structure as JSON); ``None`` deletes it."""
        settings.set_setting(self._db, key, value)

    def settings(self) -> dict[str, str]:
        return settings.settings(self._db)

    # == what the reader has looked at (:mod:`.seen_marks`) =========================================

    def mark_seen(self, meeting_id: str, doc_id: str, version: int, mark: str) -> None:
        """Remember that the reader looked at ``mark`` (``seen_marks.UPDATED`` or a note's)."""
        seen_marks.mark_seen(self._db, meeting_id, doc_id, version, mark)

    def seen_marks(self, meeting_id: str) -> frozenset[tuple[str, int, str]]:
        """Every (doc id, version, mark) the reader has looked at in a meeting."""
        return seen_marks.seen_marks(self._db, meeting_id)

    def keep_for_review(
        self,
        meeting_id: str,
        doc_id: str,
        from_version: int,
        to_version: int,
        annotation_ids: Iterable[str],
    ) -> None:
        """Remember notes a replacement left for review (until their mark is seen)."""
        seen_marks.keep_for_review(
            self._db, meeting_id, doc_id, from_version, to_version, annotation_ids
        )

    def needs_review(self, meeting_id: str) -> tuple[ReviewNote, ...]:
        """The notes of a meeting left for review that the reader has not looked at yet."""
        return seen_marks.needs_review(self._db, meeting_id)

    # == this device (:mod:`.identity`) ============================================================

    def save_device(self, device: DeviceIdentity) -> None:
        """Store this device's identity, keys and relay token (replacing any previous one)."""
        identity.save_device(self._db, device)

    def device(self) -> DeviceIdentity | None:
        return identity.device(self._db)

    def set_device_token(self, token: str | None) -> None:
        """Replace the relay token (rotation, or ``None`` after the relay revoked it)."""
        identity.set_device_token(self._db, token)

    # == meetings (:mod:`.meetings`, :mod:`.shredding`) ============================================

    def upsert_meeting(
        self,
        meeting_id: str,
        *,
        title: str,
        starts_at: datetime,
        expires_at: datetime | None = None,
    ) -> None:
        """Add a meeting or update its title and times. Its key is set with :meth:`set_meeting_key`."""
        meetings.upsert_meeting(
            self._db, meeting_id, title=title, starts_at=starts_at, expires_at=expires_at
        )

    def set_meeting_key(self, meeting_id: str, key: bytes, epoch: int) -> bool:
        """Install a meeting key; return ``False`` if it was ignored (an older epoch, a
        shredded meeting)."""
        return meetings.set_meeting_key(self._db, meeting_id, key, epoch)

    def accept_meeting_key(
        self, meeting_id: str, key: bytes, epoch: int, record: bytes, signer: bytes
    ) -> bool:
        """Store a verified meeting key with its epoch record (one transaction); ``True`` if
        it became the current key."""
        return trust.accept_meeting_key(self._db, meeting_id, key, epoch, record, signer)

    def epoch_records(self, meeting_id: str) -> list[tuple[int, bytes, bytes]]:
        """Every accepted (epoch, record, signer certificate) of a meeting, oldest first."""
        return trust.epoch_records(self._db, meeting_id)

    def set_roster(self, meeting_id: str, version: int, roster: bytes, signer: bytes) -> None:
        """Keep a verified, newer roster as the meeting's newest."""
        trust.set_roster(self._db, meeting_id, version, roster, signer)

    def roster(self, meeting_id: str) -> tuple[bytes, bytes] | None:
        """(roster, signer certificate) of the newest accepted roster, if any."""
        return trust.roster(self._db, meeting_id)

    def meeting_key_at(self, meeting_id: str, epoch: int) -> bytes | None:
        """The meeting's key of one epoch (``None`` if this device never received it)."""
        return meetings.meeting_key_at(self._db, meeting_id, epoch)

    def meeting_key_epochs(self, meeting_id: str) -> list[tuple[int, bytes]]:
        """Every (epoch, key) this device holds for a meeting, oldest first."""
        return meetings.meeting_key_epochs(self._db, meeting_id)

    def meeting(self, meeting_id: str) -> Meeting | None:
        return meetings.meeting(self._db, meeting_id)

    def meetings(self) -> list[Meeting]:
        """Every meeting, soonest first (shredded ones included, marked by ``shredded_at``)."""
        return meetings.meetings(self._db)

    def expired_meetings(self, now: datetime) -> list[str]:
        """Ids of meetings whose viewing deadline has passed and that are not shredded yet."""
        return meetings.expired_meetings(self._db, now)

    def shred_meeting(self, meeting_id: str) -> None:
        """Destroy what this device holds of an expired meeting (閲覧期限); keeps its row and
        cursors. See :func:`.shredding.shred_meeting`."""
        shredding.shred_meeting(self._db, self._blobs, meeting_id)

    # == documents and their blobs (:mod:`.documents`) =============================================

    def upsert_document(self, info: DocumentInfo) -> None:
        """Announce a document version, or update its metadata (title, manifest, page count...)."""
        documents.upsert_document(self._db, info)

    def document(self, doc_id: str, version: int) -> Document | None:
        return documents.document(self._db, doc_id, version)

    def documents(self, meeting_id: str) -> list[Document]:
        return documents.documents(self._db, meeting_id)

    def resume_offset(self, doc_id: str, version: int) -> int:
        """Where to resume the download: the bytes actually on disk (the truth after a crash)."""
        return documents.resume_offset(self._db, self._blobs, doc_id, version)

    def append_partial(
        self,
        doc_id: str,
        version: int,
        offset: int,
        data: bytes | bytearray,
        *,
        alongside: Callable[[], None] | None = None,
    ) -> int:
        """Append downloaded ciphertext at ``offset``; return the bytes received so far."""
        return documents.append_partial(
            self._db, self._blobs, doc_id, version, offset, data, alongside=alongside
        )

    def complete(self, doc_id: str, version: int, sha256: bytes) -> None:
        """Verify the downloaded file against ``sha256`` and mark the document complete."""
        documents.complete(self._db, self._blobs, doc_id, version, sha256)

    def store_blob(
        self,
        doc_id: str,
        version: int,
        data: bytes | bytearray,
        sha256: bytes | Callable[[], bytes],
        *,
        alongside: Callable[[], None] | None = None,
    ) -> None:
        """Store a whole blob at once, verified, then mark the document complete."""
        documents.store_blob(
            self._db, self._blobs, doc_id, version, data, sha256, alongside=alongside
        )

    def read_blob(self, doc_id: str, version: int) -> bytes:
        """The complete ciphertext of a document version (decrypt it with its content key)."""
        return documents.read_blob(self._db, self._blobs, doc_id, version)

    def blob_path(self, doc_id: str, version: int) -> Path:
        """Where the complete ciphertext file lives (for streaming it without a copy)."""
        return self._blobs.path(doc_id, version)

    def restart_download(self, doc_id: str, version: int) -> None:
        """Throw away what was received (e.g. after a checksum mismatch) and start from zero."""
        documents.restart_download(self._db, self._blobs, doc_id, version)

    def withdraw_document(self, doc_id: str, version: int) -> None:
        """The organiser withdrew this version: drop its content, key, index and file."""
        documents.withdraw_document(self._db, self._blobs, doc_id, version)

    def sweep_orphan_blobs(self) -> int:
        """Delete blob files no document row refers to (left by a crash); return how many."""
        return documents.sweep_orphan_blobs(self._db, self._blobs)

    # == search (:mod:`.search`) ===================================================================

    def index_pages(self, doc_id: str, version: int, pages: Iterable[tuple[int, str]]) -> int:
        """Index the text of pages (0-based page numbers) for :meth:`search`; replaces old text."""
        return search.index_pages(self._db, doc_id, version, pages)

    def page_texts(self, doc_id: str, version: int) -> dict[int, str]:
        """The indexed text of each page (normalised as for search), by 0-based page number."""
        return search.page_texts(self._db, doc_id, version)

    def search(self, query: str, limit: int = 50, meeting_id: str | None = None) -> list[SearchHit]:
        """Pages of every cached document containing ``query`` (see :mod:`.search`)."""
        return search.search(self._db, query, limit, meeting_id)

    # == annotations (:mod:`.annotations`) =========================================================

    def put_annotation(self, annotation: Annotation) -> bool:
        """Insert or update an annotation; return ``False`` if it was ignored as stale."""
        return annotation_rows.put_annotation(self._db, annotation)

    def delete_annotation(self, annotation_id: str, deleted_at: datetime) -> bool:
        """Turn an annotation into a tombstone (payload dropped) so its deletion can sync."""
        return annotation_rows.delete_annotation(self._db, annotation_id, deleted_at)

    def set_annotation_seq(self, annotation_id: str, server_seq: int) -> bool:
        """Record the sequence number the relay gave an annotation."""
        return annotation_rows.set_annotation_seq(self._db, annotation_id, server_seq)

    def annotation(self, annotation_id: str) -> Annotation | None:
        return annotation_rows.annotation(self._db, annotation_id)

    def annotations(
        self,
        doc_id: str,
        version: int,
        *,
        page_no: int | None = None,
        include_deleted: bool = False,
    ) -> list[Annotation]:
        """Annotations on a document version (optionally one page), oldest first."""
        return annotation_rows.annotations(
            self._db, doc_id, version, page_no=page_no, include_deleted=include_deleted
        )

    # == outbox (:mod:`.outbox`) ===================================================================

    def enqueue(
        self, op_id: str, kind: str, payload: bytes, *, meeting_id: str | None = None
    ) -> OutboxEntry:
        """Add an unsent change (idempotent per ``op_id``; see :func:`.outbox.enqueue`)."""
        return outbox.enqueue(self._db, op_id, kind, payload, meeting_id=meeting_id)

    def peek(self, limit: int = 100) -> list[OutboxEntry]:
        """The oldest ``limit`` unsent changes, in order; they stay until :meth:`ack`."""
        return outbox.peek(self._db, limit)

    def ack(self, op_ids: Iterable[str]) -> int:
        """Remove sent changes (unknown ids are ignored); return how many were removed."""
        return outbox.ack(self._db, op_ids)

    def outbox_size(self) -> int:
        return outbox.outbox_size(self._db)

    # == signed ops (:mod:`.ledger`) ==============================================================

    def own_stream_head(self, meeting_id: str, visibility: str) -> tuple[int, str]:
        """(counter, op hash) this device last signed in a stream; (0, "") before its first."""
        return ledger.own_stream_head(self._db, meeting_id, visibility)

    def keep_signed(
        self,
        op_id: str,
        meeting_id: str,
        visibility: str,
        *,
        signed: bytes,
        payload: bytes,
        counter: int,
        op_sha256: str,
    ) -> None:
        """Spend a counter on a signed outbox op (see :func:`.ledger.keep_signed`)."""
        ledger.keep_signed(
            self._db,
            op_id,
            meeting_id,
            visibility,
            signed=signed,
            payload=payload,
            counter=counter,
            op_sha256=op_sha256,
        )

    def signed_op(self, op_id: str) -> tuple[bytes, bytes] | None:
        """(signed op, encrypted payload) of an outbox op signed before, else ``None``."""
        return ledger.signed_op(self._db, op_id)

    def load_ledger(
        self, meeting_id: str, *, notes: Collection[str], devices: Collection[str]
    ) -> LedgerState:
        """The ledger rows a batch of ops can touch (see :func:`.ledger.load_ledger`)."""
        return ledger.load_ledger(self._db, meeting_id, notes=notes, devices=devices)

    def save_ledger(self, meeting_id: str, state: LedgerState) -> None:
        ledger.save_ledger(self._db, meeting_id, state)

    # == sync cursors (:mod:`.cursors`) ============================================================

    def sync_cursor(self, meeting_id: str, stream: str) -> int | None:
        """The last server sequence number applied for (meeting, stream); ``None`` if never."""
        return cursors.sync_cursor(self._db, meeting_id, stream)

    def advance_cursor(self, meeting_id: str, stream: str, last_seq: int) -> int:
        """Move a cursor forward (never back); return its value afterwards.

        Use ``meeting_id=""`` for profile-wide streams.
        """
        return cursors.advance_cursor(self._db, meeting_id, stream, last_seq)
