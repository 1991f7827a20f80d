"""Applying a received op reads the same rows early or late in a meeting (issue #9, fifth
session): the ledger's check loads only the signer's heads and the note the op names, not
every note the meeting ever had (that grew each arriving op's cost with the meeting).

Counted, not timed: every row the reader's store returns while it applies the op (the whole
check-and-store step, :func:`furano_meet.sync.ledger.store_received`), with 10 and with 200
notes in the meeting — an add and an edit each time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from furano_meet.store import LocalStore
from furano_meet.store.database import Database
from furano_meet.store.records import Visibility
from furano_meet.sync import ledger
from furano_meet.sync.events import AnnotationsChanged
from server.demo import MEETING_ID
from tests.e2e.council import Council, Device, stroke
from tests.e2e.test_received_notes import author_and_reader


class RowsRead:
    """Rows the reader's store returned during each of its ``store_received`` calls, with the
    annotation ids the call applied."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, reader: LocalStore) -> None:
        self.calls: list[tuple[tuple[str, ...], int]] = []
        self._counting = False
        self._rows = 0
        db: Database = reader._db
        for name in ("query", "query_one"):
            monkeypatch.setattr(db, name, self._counted(getattr(db, name)))
        apply = ledger.store_received

        def counted_apply(store: LocalStore, *args: Any, **kwargs: Any) -> ledger.Stored:
            if store is not reader:
                return apply(store, *args, **kwargs)
            self._counting, self._rows = True, 0
            try:
                stored = apply(store, *args, **kwargs)
            finally:
                self._counting = False
            self.calls.append((stored.changed, self._rows))
            return stored

        monkeypatch.setattr(ledger, "store_received", counted_apply)

    def _counted(self, read: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            found = read(*args, **kwargs)
            if self._counting:
                self._rows += len(found) if isinstance(found, list) else int(found is not None)
            return found

        return counted


async def _notes_until(author: Device, reader: Device, count: int) -> None:
    """The author shares strokes until the meeting has ``count`` notes; the reader has them."""
    have = len(await author.engine.annotations("doc", 1, 0))
    ids = [
        await author.engine.add_annotation(
            MEETING_ID, "doc", 1, 0, stroke((i, 10), (i + 5, 20)), visibility=Visibility.SHARED
        )
        for i in range(have, count)
    ]
    await reader.wait_for(AnnotationsChanged, lambda e: ids[-1] in e.annotation_ids, 60)


async def _rows_to_apply(author: Device, reader: Device, rows: RowsRead) -> tuple[int, int]:
    """Rows read to apply one more shared stroke, then an edit of it."""
    note = await author.engine.add_annotation(
        MEETING_ID, "doc", 1, 0, stroke((1, 1), (2, 2)), visibility=Visibility.SHARED
    )
    await reader.wait_for(AnnotationsChanged, lambda e: note in e.annotation_ids)
    await author.engine.edit_annotation(note, stroke((1, 1), (3, 3)))
    await reader.wait_for(
        AnnotationsChanged,
        lambda e: any(
            n.annotation_id == note and n.body == stroke((1, 1), (3, 3)) for n in e.notes
        ),
    )
    add, edit = [count for changed, count in rows.calls if changed == (note,)]
    return add, edit


async def test_applying_a_received_op_costs_the_same_at_10_and_200_notes(
    council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, reader = await author_and_reader(council)
    rows = RowsRead(monkeypatch, reader.store)

    await _notes_until(author, reader, 10)
    add_10, edit_10 = await _rows_to_apply(author, reader, rows)
    await _notes_until(author, reader, 200)
    assert len(await reader.engine.annotations("doc", 1, 0)) >= 200
    add_200, edit_200 = await _rows_to_apply(author, reader, rows)

    assert (add_200, edit_200) == (add_10, edit_10)
    assert edit_10 > add_10 > 0  # an edit reads its note's record; the count sees reads
