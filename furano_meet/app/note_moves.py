"""Moving a 付箋: the note under the finger follows a drag and stays where it is let go.

A press on one of the reader's own notes with the 付箋 tool may be a tap (open it, as before)
or the start of a move: it becomes a move once the finger has gone :data:`MOVE_PX` on screen.
The note is painted under the finger while it moves; on release it is stored with its new
anchor as an *edit* (undoable, synced like any edit: the same id, a new body) and painted at
its new place until the page's notes come back holding it, so it never jumps back meanwhile.
No widgets here: the :class:`~.annotator.Annotator` feeds page points and paints
:meth:`NoteMoves.where`.

A note stays whole on the page (:func:`~.note_icon.keep_on_page`, given as :attr:`NoteMoves.keep`):
dragged past an edge it stops with its icon against that edge, at any zoom and on a rotated
page. (It used to stop at the finger's last point on the page, the icon half off it.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from furano_meet.annotations import StickyNote
from furano_meet.pagespace import Point
from furano_meet.sync.queries import AnnotationView

__all__ = ["MOVE_PX", "NoteMoves"]

MOVE_PX = 12.0
"""How far (screen pixels) a press on a 付箋 must travel to move it rather than open it."""


def _stay(at: Point) -> Point:
    return at


@dataclass
class _Drag:
    note: AnnotationView
    mark: StickyNote
    start: Point
    now: Point

    def moved_mark(self, keep: Callable[[Point], Point]) -> StickyNote:
        at = self.mark.at
        shifted = Point(at.x + self.now.x - self.start.x, at.y + self.now.y - self.start.y)
        return StickyNote(keep(shifted), self.mark.text, self.mark.colour)


@dataclass
class NoteMoves:
    """The 付箋 being dragged (one finger, one note) and those moved but not yet read back."""

    drag: _Drag | None = None
    placed: dict[str, StickyNote] = field(default_factory=dict)
    """Moved notes by id, as they were let go, until the store's notes show them so."""
    keep: Callable[[Point], Point] = _stay
    """Where a moved note's anchor may be (the annotator's :func:`~.note_icon.keep_on_page`)."""

    def press(self, note: AnnotationView | None, point: Point) -> None:
        """A press with the 付箋 tool at ``point``, on ``note`` (the reader's own) or not."""
        mark = None if note is None else self.where(note)
        self.drag = None if mark is None or note is None else _Drag(note, mark, point, point)

    def to(self, point: Point) -> bool:
        """The finger is at ``point`` now; whether a note follows it (repaint)."""
        if self.drag is None:
            return False
        self.drag.now = point
        return True

    def moving(self, scale: float) -> bool:
        """Whether the press has become a move (``scale``: screen pixels per point)."""
        drag = self.drag
        if drag is None:
            return False
        distance = abs(drag.now.x - drag.start.x) + abs(drag.now.y - drag.start.y)
        return distance * scale >= MOVE_PX

    def release(self, scale: float) -> tuple[AnnotationView, StickyNote] | None:
        """The finger is up: the note and where it goes when it was moved, else ``None`` (a
        tap: the caller opens the note)."""
        drag, moved = self.drag, self.moving(scale)
        self.drag = None
        if drag is None or not moved:
            return None
        mark = drag.moved_mark(self.keep)
        self.placed[drag.note.annotation_id] = mark
        return drag.note, mark

    def shown(self, notes: tuple[AnnotationView, ...]) -> None:
        """The page's notes as stored now: a move they hold (or a note gone) is forgotten."""
        stored = {n.annotation_id: n.body.mark for n in notes}
        self.placed = {
            i: mark for i, mark in self.placed.items() if i in stored and stored[i] != mark
        }

    def where(self, note: AnnotationView) -> StickyNote | None:
        """The 付箋 ``note`` as it is to be painted now (under the finger, just let go, or as
        stored); ``None`` when the note is no 付箋."""
        drag = self.drag
        if drag is not None and drag.note.annotation_id == note.annotation_id:
            return drag.moved_mark(self.keep)
        placed = self.placed.get(note.annotation_id)
        if placed is not None:
            return placed
        return note.body.mark if isinstance(note.body.mark, StickyNote) else None
