"""Noticing a damaged cache at start, cheaply, before anything is written to it.

Theory of operation
-------------------
A cache can be damaged behind the program's back: a crash in the middle of a copy or a sync tool
leaves ``cache.db`` empty or cut short, a failing disk flips bytes in a page. Every SQLCipher page
carries an HMAC, so a damaged page is never *misread* - but it is only noticed when something
reads it, which may be minutes later and in the middle of a meeting. This module moves that
moment to the start, in three tiers (figures measured on a cache with 50 documents of 20
indexed pages each, 500 annotations and 50 unsent changes: 14.7 MiB, 3,770 pages, 2 shared
cores; opening itself costs about 1 ms):

1. **The file's shape** (:func:`check_file`, no reading at all): with ``keysource.json``
   present, a missing or 0-byte ``cache.db``, or one whose size is not a whole number of pages,
   is damage - never "no database yet".
2. **Every start** (:func:`check_at_start`): ``PRAGMA quick_check(<table>)`` on each table
   holding what the relay cannot give back or what the app reads first - identity, settings
   (private-note keys), meetings and their keys, documents, annotations, the outbox, cursors:
   about **1 ms**. Each page of those b-trees is read, so its HMAC is verified, and their
   structure is checked. (Opening already refuses a file shorter than its header says.)
3. **The full check** (:func:`check_everything`): ``PRAGMA cipher_integrity_check`` (every page's
   HMAC, free pages included: ~30-60 ms here, about 4 ms per MiB) followed by a full
   ``PRAGMA quick_check`` (the b-tree structure of everything, the search index included:
   ~160-260 ms here, dominated by the FTS index). Too slow for every start, so it runs when
   the previous session did not close cleanly (SQLite removes ``cache.db-wal`` when the last
   connection closes; one left at open means a crash, a kill or a second program using the
   profile) and otherwise once a day (the time of the last full check is kept in
   ``store_meta``). A damaged page of the search index is therefore noticed at the latest a day
   later, or at the first read of it; everything else at the next start.

All three run before the schema version is accepted and before any pragma or migration writes to
the file, so a damaged cache is left byte-for-byte as it was for :mod:`.recovery`. Failures are
:class:`~furano_meet.store.errors.CacheDamaged` with a plain message and the next step.
"""

from __future__ import annotations

from pathlib import Path

from .database import Database
from .errors import CacheDamaged, DatabaseCorrupt
from .layout import ProfilePaths
from .records import now_ms

__all__ = [
    "FULL_CHECK_INTERVAL_MS",
    "PAGE_SIZE",
    "check_at_start",
    "check_everything",
    "check_file",
    "damaged",
    "full_check_due",
    "problems_found",
    "record_full_check",
    "unclean_shutdown",
]

PAGE_SIZE = 4096  # SQLCipher 4's default; the cache never changes it
FULL_CHECK_INTERVAL_MS = 24 * 3600 * 1000

#: Tables checked at every start: what the relay cannot give back, and what the app reads first.
_ESSENTIAL = (
    "schema_version",
    "store_meta",
    "profile",
    "settings",
    "device",
    "meetings",
    "meeting_keys",
    "documents",
    "annotations",
    "outbox",
    "sync_cursors",
)
_LAST_FULL_CHECK = "last_full_check"


def check_file(paths: ProfilePaths) -> None:
    """Tier 1: refuse a missing, empty or cut-short database of a cache that was made before.

    Called only when ``keysource.json`` exists (the cache was created), before anything else.
    """
    try:
        size = paths.database.stat().st_size
    except FileNotFoundError:
        raise CacheDamaged(str(paths.database), "the file is missing") from None
    except OSError as exc:
        raise CacheDamaged(str(paths.database), f"the file cannot be read ({exc})") from None
    if size == 0:
        raise CacheDamaged(str(paths.database), "the file is empty (0 bytes)")
    if size % PAGE_SIZE:
        raise CacheDamaged(
            str(paths.database),
            f"the file is cut short ({size} bytes is not a whole number of {PAGE_SIZE}-byte pages)",
        )


def check_at_start(db: Database, *, unclean: bool) -> bool:
    """Tiers 2 and 3 on a just-opened database (nothing written yet); return whether the full
    check ran (and passed), so the caller records it once the schema is in place.

    ``unclean``: a WAL was left by the previous session. Raises :class:`CacheDamaged`.
    """
    try:
        tables = {
            str(row[0]) for row in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        problems: list[str] = []
        for table in _ESSENTIAL:
            if table in tables:
                problems += problems_found(db.query(f"PRAGMA quick_check({table})"))
        full = not problems and (unclean or full_check_due(db, tables))
        if full:
            problems = _everything(db)
    except DatabaseCorrupt as exc:
        raise damaged(db.path, exc) from exc
    if problems:
        raise CacheDamaged(
            str(db.path), "it fails its integrity check (" + _summary(problems) + ")"
        )
    return full


def damaged(path: Path, exc: DatabaseCorrupt) -> CacheDamaged:
    """A corruption error met while opening or checking an existing cache, as found at start."""
    if isinstance(exc, CacheDamaged):
        return exc
    return CacheDamaged(str(path), f"a part of it cannot be read ({exc.detail})")


def check_everything(db: Database) -> None:
    """Tier 3 on demand: every page's HMAC and the whole b-tree structure. Raises
    :class:`~furano_meet.store.errors.DatabaseCorrupt` describing the first problems found."""
    with db.lock:
        problems = _everything(db)
    if problems:
        raise DatabaseCorrupt(_summary(problems))


def full_check_due(db: Database, tables: set[str] | None = None) -> bool:
    """Whether a day has passed since the last full check (never checked: due)."""
    if tables is not None and "store_meta" not in tables:
        return True
    value = db.query_value("SELECT value FROM store_meta WHERE name = ?", (_LAST_FULL_CHECK,))
    try:
        last = int(bytes(value).decode("ascii")) if isinstance(value, bytes) else None
    except ValueError:
        last = None
    return last is None or not 0 <= now_ms() - last < FULL_CHECK_INTERVAL_MS


def record_full_check(db: Database) -> None:
    """Remember that the full check passed now (after the schema is in place)."""
    db.execute(
        "INSERT INTO store_meta (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (_LAST_FULL_CHECK, str(now_ms()).encode("ascii")),
    )


def problems_found(rows: list[tuple[object, ...]]) -> list[str]:
    """The lines of a check pragma's answer that report a problem (``ok`` means none)."""
    return [str(row[0]) for row in rows if str(row[0]) != "ok"]


def _everything(db: Database) -> list[str]:
    problems = problems_found(db.query("PRAGMA cipher_integrity_check"))
    return problems or problems_found(db.query("PRAGMA quick_check"))


def _summary(problems: list[str]) -> str:
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    return "; ".join(problems[:3]) + more


def unclean_shutdown(database: Path) -> bool:
    """A WAL beside the database before we open it: the last session did not close cleanly."""
    try:
        return Path(f"{database}-wal").stat().st_size > 0
    except FileNotFoundError:
        return False
    except OSError:  # cannot tell: check everything, which costs time but never data
        return True
