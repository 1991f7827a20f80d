"""The cache schema as an ordered list of migration steps, and the rules for applying them.

Theory of operation
-------------------
The schema version is ``major.minor`` and lives in the one-row table ``schema_version``.

* A **minor** step only adds (tables, columns with defaults, indexes). A build that knows 1.2 opens a
  1.0 cache by applying 1.1 and 1.2; a build that knows only 1.0 still opens a 1.2 cache as it is,
  because everything it reads and writes is still there. The version is never lowered.
* A **major** step changes meaning. A build refuses a cache whose major is newer than the newest
  major it knows (:class:`~furano_meet.store.errors.SchemaTooNew`) and leaves the file untouched:
  the user updates the app, nothing is lost. (An older major is migrated forward like a minor; for
  a cache that may simply mean dropping and re-downloading.)
* Each step runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a
  failure (a bug in the step, a full disk) leaves the cache at the previous version with its data
  intact.

Steps are plain SQL so that a reviewer can read the whole schema here. Statements are split with
SQLite's own ``complete_statement`` (so trigger bodies stay whole) and run one by one inside our
transaction; ``executescript`` would commit behind our back.

Schema 1.0 in brief (all tables STRICT; times are integer milliseconds since the epoch, UTC)::

    store_meta(name, value)                      internal values, e.g. the blob-name key
    profile(profile_id, created_at)              one row: whose cache this is
    settings(key, value)                         app settings, text values
    device(device_id, relay_url, device_token, private_keys)   one row; token + keys are secrets
    meetings(meeting_id, title, starts_at, expires_at, meeting_key, key_epoch, shredded_at)
    documents(doc_id, version, meeting_id, title, agenda_item, page_count, manifest, content_key,
              state, ciphertext_sha256, received_bytes)
    annotations(annotation_id, meeting_id, doc_id, version, page_no, visibility, author, payload,
                deleted, server_seq, created_at, updated_at)
    outbox(seq AUTOINCREMENT, op_id UNIQUE, kind, meeting_id, payload, created_at)
    sync_cursors(meeting_id, stream, last_seq)
    page_text_rows(row_id, doc_id, version, page_no, body)     content table of the FTS index
    page_text  FTS5 trigram index over page_text_rows.body     (>= 3 character queries)
    page_grams FTS5 contentless index of 1- and 2-grams        (1-2 character queries)

Schema 1.1 adds ``meeting_keys(meeting_id, epoch, key)``: every epoch's key, for key rotation.
Schema 1.2 (signed ops) adds ``own_op_streams``, ``outbox_signed``, ``op_heads`` and
``note_owners``: this device's op counters and signed outbox, and the op ledger's state.
Schema 1.3 (the agenda pack) adds ``documents.agenda_position`` (the clerk-signed place of the
item in the agenda; NULL for documents published without one) and
``seen_marks(meeting_id, doc_id, version, mark, seen_at)``: the "updated" mark and the notes a
replacement left for review that this reader has looked at (:mod:`.seen_marks`).
Schema 1.4 (issue #9) adds ``review_notes(meeting_id, doc_id, from_version, to_version,
annotation_id)``: the notes a replacement left for review, so the list survives a restart
(looking at one is still its ``seen_marks`` row).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from .database import Database
from .errors import SchemaTooNew, StoreBug

__all__ = [
    "CURRENT_VERSION",
    "MIGRATIONS",
    "Migration",
    "SchemaVersion",
    "check_supported",
    "migrate",
    "read_version",
    "split_statements",
]


@dataclass(frozen=True, order=True)
class SchemaVersion:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True)
class Migration:
    """One step: the SQL that takes the schema from the previous step's version to ``version``."""

    version: SchemaVersion
    sql: str


_V1_0 = """
CREATE TABLE store_meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;
-- The key that turns (doc id, version) into an opaque blob file name. Kept here, inside the
-- encrypted database, so the names in blobs/ reveal nothing about which documents are cached.
INSERT INTO store_meta (name, value) VALUES ('blob_name_key', randomblob(32));

CREATE TABLE profile (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    profile_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- This device's own identity. device_token is a bearer secret for the relay and private_keys
-- is the caller's serialised private key material: both are stored nowhere else.
CREATE TABLE device (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    device_id    TEXT NOT NULL,
    relay_url    TEXT NOT NULL,
    device_token TEXT,
    private_keys BLOB NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE meetings (
    meeting_id  TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    expires_at  INTEGER,                 -- viewing deadline; NULL = none
    meeting_key BLOB,                    -- NULL while waiting for the key, and after shredding
    key_epoch   INTEGER NOT NULL DEFAULT 0 CHECK (key_epoch >= 0),
    shredded_at INTEGER                  -- set once the meeting expired and was shredded
) STRICT;
CREATE INDEX meetings_by_expiry ON meetings (expires_at)
    WHERE expires_at IS NOT NULL AND shredded_at IS NULL;

CREATE TABLE documents (
    doc_id            TEXT NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 0),
    meeting_id        TEXT NOT NULL REFERENCES meetings (meeting_id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    agenda_item       TEXT,
    page_count        INTEGER NOT NULL DEFAULT 0 CHECK (page_count >= 0),
    manifest          BLOB NOT NULL,
    content_key       BLOB,              -- the key of the blob file; never stored beside it
    state             TEXT NOT NULL DEFAULT 'downloading'
                      CHECK (state IN ('downloading', 'complete', 'withdrawn')),
    ciphertext_sha256 BLOB CHECK (ciphertext_sha256 IS NULL OR length(ciphertext_sha256) = 32),
    received_bytes    INTEGER NOT NULL DEFAULT 0 CHECK (received_bytes >= 0),
    PRIMARY KEY (doc_id, version)
) STRICT;
CREATE INDEX documents_by_meeting ON documents (meeting_id);

CREATE TABLE annotations (
    annotation_id TEXT PRIMARY KEY,      -- client-generated UUID
    meeting_id    TEXT NOT NULL REFERENCES meetings (meeting_id) ON DELETE CASCADE,
    doc_id        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    page_no       INTEGER NOT NULL CHECK (page_no >= 0),
    visibility    TEXT NOT NULL CHECK (visibility IN ('shared', 'private')),
    author        TEXT NOT NULL,
    payload       BLOB NOT NULL,         -- opaque to the store
    deleted       INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    server_seq    INTEGER CHECK (server_seq IS NULL OR server_seq >= 0),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX annotations_by_page ON annotations (doc_id, version, page_no);
CREATE INDEX annotations_by_meeting ON annotations (meeting_id);

-- AUTOINCREMENT: sequence numbers are never reused after an ack, so order is total for ever.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id      TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    meeting_id TEXT,
    payload    BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_by_meeting ON outbox (meeting_id) WHERE meeting_id IS NOT NULL;

CREATE TABLE sync_cursors (
    meeting_id TEXT NOT NULL,            -- '' for profile-wide streams
    stream     TEXT NOT NULL,
    last_seq   INTEGER NOT NULL CHECK (last_seq >= 0),
    PRIMARY KEY (meeting_id, stream)
) STRICT, WITHOUT ROWID;

CREATE TABLE page_text_rows (
    row_id  INTEGER PRIMARY KEY,
    doc_id  TEXT NOT NULL,
    version INTEGER NOT NULL,
    page_no INTEGER NOT NULL CHECK (page_no >= 0),
    body    TEXT NOT NULL,
    UNIQUE (doc_id, version, page_no),
    FOREIGN KEY (doc_id, version) REFERENCES documents (doc_id, version) ON DELETE CASCADE
) STRICT;

CREATE VIRTUAL TABLE page_text USING fts5 (
    doc_id UNINDEXED, version UNINDEXED, page_no UNINDEXED, body,
    content = 'page_text_rows', content_rowid = 'row_id', tokenize = 'trigram'
);
-- Remove a deleted row's tokens from the index at once instead of at the next merge.
INSERT INTO page_text (page_text, rank) VALUES ('secure-delete', 1);

CREATE VIRTUAL TABLE page_grams USING fts5 (
    grams, content = '', contentless_delete = 1, detail = 'none', tokenize = 'ascii'
);
INSERT INTO page_grams (page_grams, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER page_text_rows_ai AFTER INSERT ON page_text_rows BEGIN
    INSERT INTO page_text (rowid, doc_id, version, page_no, body)
        VALUES (new.row_id, new.doc_id, new.version, new.page_no, new.body);
END;
CREATE TRIGGER page_text_rows_ad AFTER DELETE ON page_text_rows BEGIN
    INSERT INTO page_text (page_text, rowid, doc_id, version, page_no, body)
        VALUES ('delete', old.row_id, old.doc_id, old.version, old.page_no, old.body);
    DELETE FROM page_grams WHERE rowid = old.row_id;
END;
CREATE TRIGGER page_text_rows_bu BEFORE UPDATE ON page_text_rows BEGIN
    SELECT RAISE(ABORT, 'page_text_rows are replaced, never updated');
END;
"""

_V1_1 = """
-- Every key epoch of a meeting, so documents and notes sealed under an older epoch stay
-- readable after the meeting key is rotated (meetings.meeting_key keeps the newest one).
CREATE TABLE meeting_keys (
    meeting_id TEXT NOT NULL REFERENCES meetings(meeting_id),
    epoch      INTEGER NOT NULL,
    key        BLOB NOT NULL,
    PRIMARY KEY (meeting_id, epoch)
) STRICT, WITHOUT ROWID;
INSERT INTO meeting_keys (meeting_id, epoch, key)
    SELECT meeting_id, key_epoch, meeting_key FROM meetings WHERE meeting_key IS NOT NULL;
"""

_V1_2_TRUST = """
-- Issue #8 (trustkeys): the signed objects this device accepted. A meeting key is kept only
-- with the clerk-signed epoch record that vouches for it; a roster only if it is newer than
-- the one held. Both are public (signed, not secret).
CREATE TABLE epoch_records (
    meeting_id         TEXT NOT NULL REFERENCES meetings(meeting_id),
    epoch              INTEGER NOT NULL,
    record             BLOB NOT NULL,
    signer_certificate BLOB NOT NULL,
    PRIMARY KEY (meeting_id, epoch)
) STRICT, WITHOUT ROWID;
CREATE TABLE rosters (
    meeting_id         TEXT PRIMARY KEY REFERENCES meetings(meeting_id),
    version            INTEGER NOT NULL,
    roster             BLOB NOT NULL,
    signer_certificate BLOB NOT NULL
) STRICT, WITHOUT ROWID;
-- trustops: signed, chained annotation ops (docs/trust.md). What this device has signed, per
-- stream (meeting, visibility), so a counter is never used twice, even across a crash.
CREATE TABLE own_op_streams (
    meeting_id TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('shared', 'private')),
    counter    INTEGER NOT NULL CHECK (counter > 0),
    op_sha256  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, visibility)
) STRICT, WITHOUT ROWID;
-- The signed form of an outbox entry, written with the counter above in one transaction
-- before the first send; a resend sends exactly these bytes. Removed with its outbox row.
CREATE TABLE outbox_signed (
    op_id   TEXT PRIMARY KEY,
    signed  BLOB NOT NULL,
    payload BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TRIGGER outbox_signed_ad AFTER DELETE ON outbox BEGIN
    DELETE FROM outbox_signed WHERE op_id = old.op_id;
END;
-- The op ledger (crypto.signed_ops.OpLedger): the last op seen per stream of every device ...
CREATE TABLE op_heads (
    device_id  TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    visibility TEXT NOT NULL,
    counter    INTEGER NOT NULL,
    op_sha256  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, device_id, visibility)
) STRICT, WITHOUT ROWID;
-- ... and who owns each note (its signed add), where it lives, and its newest accepted op.
CREATE TABLE note_owners (
    annotation_id  TEXT PRIMARY KEY,
    author_user_id TEXT NOT NULL,
    meeting_id     TEXT NOT NULL,
    doc_id         TEXT NOT NULL,
    version        INTEGER NOT NULL,
    visibility     TEXT NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    last_op_id     TEXT NOT NULL,
    last_op_sha256 TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX note_owners_by_meeting ON note_owners (meeting_id);
"""

_V1_3_AGENDA = """
-- Issue #9 (the agenda pack): the order the clerk signed into the manifest, kept beside the
-- title it came with so the list sorts in SQL; NULL sorts after (older manifests lack it).
ALTER TABLE documents ADD COLUMN agenda_position INTEGER
    CHECK (agenda_position IS NULL OR agenda_position >= 0);
-- What this reader has looked at: 'updated' for a new version, 'note:<annotation id>' for a
-- note a replacement left for review. Only marks, never content; shredded with the meeting.
CREATE TABLE seen_marks (
    meeting_id TEXT NOT NULL,
    doc_id     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    mark       TEXT NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (doc_id, version, mark)
) STRICT, WITHOUT ROWID;
CREATE INDEX seen_marks_by_meeting ON seen_marks (meeting_id);
"""

_V1_4_REVIEW = """
-- Issue #9: the notes a replacement (差し替え) could not carry, as the engine reported them
-- once; the list is these rows minus their 'note:<id>' marks in seen_marks. Ids, never
-- content; shredded with the meeting.
CREATE TABLE review_notes (
    meeting_id    TEXT NOT NULL,
    doc_id        TEXT NOT NULL,
    from_version  INTEGER NOT NULL,
    to_version    INTEGER NOT NULL,
    annotation_id TEXT NOT NULL,
    UNIQUE (doc_id, to_version, annotation_id)
) STRICT;
CREATE INDEX review_notes_by_meeting ON review_notes (meeting_id);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(SchemaVersion(1, 0), _V1_0),
    Migration(SchemaVersion(1, 1), _V1_1),
    Migration(SchemaVersion(1, 2), _V1_2_TRUST),
    Migration(SchemaVersion(1, 3), _V1_3_AGENDA),
    Migration(SchemaVersion(1, 4), _V1_4_REVIEW),
)
CURRENT_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    major INTEGER NOT NULL,
    minor INTEGER NOT NULL
) STRICT
"""


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements, keeping ``CREATE TRIGGER ... END;`` whole."""
    statements: list[str] = []
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            text = pending.strip()
            if _has_code(text):
                statements.append(text)
            pending = ""
    if _has_code(pending.rstrip(";")):
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:80]!r}")
    return statements


def _has_code(text: str) -> bool:
    """True if ``text`` holds more than comments, whitespace and semicolons."""
    lines = (line.split("--", 1)[0] for line in text.splitlines())
    return any(line.strip(" \t;") for line in lines)


def read_version(db: Database) -> SchemaVersion | None:
    """The stored version; ``None`` for a database no migration has touched yet."""
    exists = db.query_value(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if not exists:
        return None
    row = db.query_one("SELECT major, minor FROM schema_version WHERE id = 1")
    return None if row is None else SchemaVersion(int(row[0]), int(row[1]))


def check_supported(found: SchemaVersion | None, steps: Sequence[Migration] = MIGRATIONS) -> None:
    """Refuse a database whose major is newer than the newest this build knows."""
    newest = steps[-1].version
    if found is not None and found.major > newest.major:
        raise SchemaTooNew(str(found), str(newest.major))


def migrate(db: Database, steps: Sequence[Migration] = MIGRATIONS) -> SchemaVersion:
    """Apply every step newer than the stored version, each in its own transaction.

    Returns the version the database is at afterwards (which may be a newer minor than ``steps``
    knows: such a database is used as it is).
    """
    _check_order(steps)
    current = read_version(db)
    check_supported(current, steps)
    for step in steps:
        if current is not None and step.version <= current:
            continue
        with db.atomic():
            db.execute(_VERSION_TABLE)
            for statement in split_statements(step.sql):
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_version (id, major, minor) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET major = excluded.major, minor = excluded.minor",
                (step.version.major, step.version.minor),
            )
        current = step.version
    if current is None:
        raise StoreBug("no migration steps to create the schema")
    return current


def _check_order(steps: Sequence[Migration]) -> None:
    if not steps:
        raise StoreBug("the migration list is empty")
    for earlier, later in zip(steps, steps[1:], strict=False):
        if not earlier.version < later.version:
            raise StoreBug(f"migration {later.version} is listed after {earlier.version}")
