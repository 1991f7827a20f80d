"""The undo stack alone: operations and their inverses, ids that change when a mark returns.

The writer here is a plain dict of live marks with fresh ids (what the engine promises); the
app's tests run the same stack against the real engine and relay.
"""

from __future__ import annotations

import itertools

from furano_meet.annotations import AnnotationBody, StickyNote
from furano_meet.annotations.undo import Place, UndoStack
from furano_meet.pagespace import Point
from furano_meet.store.records import Visibility

HERE = Place("m", "d", 1, 0)


class Marks:
    """Live marks by id; every add gets a new id, as the engine's do."""

    def __init__(self) -> None:
        self.live: dict[str, tuple[AnnotationBody, Visibility]] = {}
        self._ids = itertools.count(1)

    async def add_annotation(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        body: AnnotationBody,
        *,
        visibility: Visibility = Visibility.PRIVATE,
    ) -> str:
        assert (meeting_id, document_id, version, page) == (HERE.meeting_id, "d", 1, 0)
        annotation_id = f"a{next(self._ids)}"
        self.live[annotation_id] = (body, visibility)
        return annotation_id

    async def edit_annotation(self, annotation_id: str, body: AnnotationBody) -> None:
        self.live[annotation_id] = (body, self.live[annotation_id][1])

    async def delete_annotation(self, annotation_id: str) -> None:
        del self.live[annotation_id]

    def bodies(self) -> list[str]:
        return sorted(
            body.mark.text for body, _ in self.live.values() if isinstance(body.mark, StickyNote)
        )


def note(text: str) -> AnnotationBody:
    return AnnotationBody(StickyNote(Point(10, 10), text))


async def test_add_edit_delete_undo_and_redo_follow_the_mark_across_new_ids() -> None:
    marks = Marks()
    stack = UndoStack(marks)
    first = await stack.add(HERE, note("a"), Visibility.SHARED)
    await stack.edit((first, HERE, note("a"), Visibility.SHARED), note("b"))
    second = await stack.add(HERE, note("c"))
    await stack.delete(
        [(first, HERE, note("b"), Visibility.SHARED), (second, HERE, note("c"), Visibility.PRIVATE)]
    )
    assert marks.bodies() == []

    assert await stack.undo()  # the sweep: both back, as one step
    assert marks.bodies() == ["b", "c"]
    assert first not in marks.live  # back under a new id …
    assert await stack.undo()  # … which the next undo still finds
    assert marks.bodies() == ["b"]
    assert await stack.undo()  # the edit, on the re-added mark
    assert marks.bodies() == ["a"]
    assert [v for _, v in marks.live.values()] == [Visibility.SHARED]
    assert await stack.undo()
    assert marks.bodies() == [] and not stack.can_undo
    assert not await stack.undo()

    for expected in (["a"], ["b"], ["b", "c"], []):
        assert await stack.redo()
        assert marks.bodies() == expected
    assert not stack.can_redo


async def test_a_new_step_after_undo_drops_the_undone_branch() -> None:
    marks = Marks()
    stack = UndoStack(marks, limit=2)
    for text in "xyz":
        await stack.add(HERE, note(text))
    assert await stack.undo() and await stack.undo()
    assert not await stack.undo()  # only two steps are kept; "x" stays
    assert marks.bodies() == ["x"]
    await stack.add(HERE, note("w"))
    assert not stack.can_redo
    assert marks.bodies() == ["w", "x"]
