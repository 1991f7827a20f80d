"""The agenda pack's store records: the signed order, and what the reader has looked at."""

from __future__ import annotations

from pathlib import Path

from furano_meet.store import LocalStore
from furano_meet.store.records import DocumentInfo
from furano_meet.store.seen_marks import UPDATED, note_mark

from .conftest import PROFILE, T0


def _document(doc_id: str, title: str, position: int | None, version: int = 1) -> DocumentInfo:
    return DocumentInfo(
        meeting_id="m1",
        doc_id=doc_id,
        version=version,
        title=title,
        manifest=b"sealed",
        agenda_item=f"議案第{position}号" if position is not None else None,
        agenda_position=position,
    )


def test_documents_come_in_the_clerks_order_and_positionless_ones_after_by_title(
    store: LocalStore,
) -> None:
    store.upsert_meeting("m1", title="定例会", starts_at=T0)
    for info in (
        _document("a", "あ 参考資料", None),
        _document("z", "ん 予算書", 10),
        _document("y", "い 説明資料", 2),
        _document("x", "ア 古い資料", None),
    ):
        store.upsert_document(info)
    order = [(d.doc_id, d.agenda_position) for d in store.documents("m1")]
    assert order == [("y", 2), ("z", 10), ("a", None), ("x", None)]


def test_seen_marks_survive_a_restart_and_go_with_a_shredded_meeting(data_dir: Path) -> None:
    with LocalStore.open(data_dir, PROFILE) as store:
        store.upsert_meeting("m1", title="定例会", starts_at=T0)
        store.upsert_meeting("m2", title="委員会", starts_at=T0)
        store.upsert_document(_document("d", "議案書", 1, version=2))
        store.mark_seen("m1", "d", 2, UPDATED)
        store.mark_seen("m1", "d", 2, note_mark("n-1"))
        store.mark_seen("m1", "d", 2, UPDATED)  # looking twice is harmless
        store.mark_seen("m2", "e", 1, UPDATED)
    with LocalStore.open(data_dir, PROFILE) as store:
        assert store.seen_marks("m1") == {("d", 2, "updated"), ("d", 2, "note:n-1")}
        store.shred_meeting("m1")
        assert store.seen_marks("m1") == frozenset()
        assert store.seen_marks("m2") == {("e", 1, "updated")}


def test_notes_to_review_survive_a_restart_until_looked_at(data_dir: Path) -> None:
    """Issue #9: the 差し替え review list is a record, cleared by the note's seen mark."""
    with LocalStore.open(data_dir, PROFILE) as store:
        store.upsert_meeting("m1", title="定例会", starts_at=T0)
        store.upsert_meeting("m2", title="委員会", starts_at=T0)
        store.keep_for_review("m1", "d", 1, 2, ["n-2", "n-1"])
        store.keep_for_review("m1", "d", 1, 2, ["n-1"])  # reported again: harmless
        store.keep_for_review("m2", "e", 3, 4, ["n-9"])
    with LocalStore.open(data_dir, PROFILE) as store:
        listed = [
            (r.document_id, r.from_version, r.to_version, r.annotation_id)
            for r in store.needs_review("m1")
        ]
        assert listed == [("d", 1, 2, "n-2"), ("d", 1, 2, "n-1")]
        store.mark_seen("m1", "d", 2, note_mark("n-2"))
        store.mark_seen("m1", "d", 1, note_mark("n-1"))  # another version's mark: not this
    with LocalStore.open(data_dir, PROFILE) as store:
        assert [r.annotation_id for r in store.needs_review("m1")] == ["n-1"]
        store.shred_meeting("m1")
        assert store.needs_review("m1") == ()
        assert [r.annotation_id for r in store.needs_review("m2")] == ["n-9"]
