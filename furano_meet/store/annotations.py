"""Annotations: this device's copy of every note, highlight and ink stroke, with tombstones.

The payload is the encrypted annotation exactly as it syncs; the store never looks inside it.
Deleting keeps a tombstone (payload dropped, ``deleted`` set) so the deletion itself can sync,
and the relay's sequence number decides between a local edit and a late echo of an older one.
"""

# No ``from __future__ import annotations`` here: it would bind the name ``annotations`` that
# the function below owns, and nothing in this module needs postponed evaluation.
from datetime import datetime

from .database import Database, Row
from .meetings import require_meeting
from .records import Annotation, Visibility, from_ms, to_ms

__all__ = [
    "annotation",
    "annotations",
    "delete_annotation",
    "put_annotation",
    "set_annotation_seq",
]

_ANNOTATION_COLUMNS = (
    "annotation_id, meeting_id, doc_id, version, page_no, visibility, author, payload, "
    "created_at, updated_at, deleted, server_seq"
)


def put_annotation(db: Database, annotation: Annotation) -> bool:
    """Insert or update an annotation; return ``False`` if it was ignored as stale.

    An update whose ``server_seq`` is older than the stored one is stale (a late echo). The
    meeting, document, author and creation time of an existing annotation never change.
    """
    with db.atomic():
        require_meeting(db, annotation.meeting_id)
        return bool(
            db.execute(
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


def delete_annotation(db: Database, annotation_id: str, deleted_at: datetime) -> bool:
    """Turn an annotation into a tombstone (payload dropped) so its deletion can sync."""
    return bool(
        db.execute(
            "UPDATE annotations SET deleted = 1, payload = x'', updated_at = ? "
            "WHERE annotation_id = ? AND deleted = 0",
            (to_ms(deleted_at), annotation_id),
        )
    )


def set_annotation_seq(db: Database, annotation_id: str, server_seq: int) -> bool:
    """Record the sequence number the relay gave an annotation."""
    return bool(
        db.execute(
            "UPDATE annotations SET server_seq = ? WHERE annotation_id = ?",
            (server_seq, annotation_id),
        )
    )


def annotation(db: Database, annotation_id: str) -> Annotation | None:
    row = db.query_one(
        f"SELECT {_ANNOTATION_COLUMNS} FROM annotations WHERE annotation_id = ?",
        (annotation_id,),
    )
    return None if row is None else _annotation(row)


def annotations(
    db: Database,
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
    rows = db.query(sql + " ORDER BY created_at, annotation_id", params)
    return [_annotation(row) for row in rows]


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
