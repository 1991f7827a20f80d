"""Undo and redo of the reader's own marks, as operations rather than snapshots.

Theory of operation
-------------------
Each step on the stack is a tuple of operations done together (one pen stroke, or every mark
one sweep of the eraser touched), and each operation knows its inverse: an *add* is undone by
a delete, a *delete* by adding the same body again, an *edit* by editing back. Snapshots of a
page would fight with other devices' notes arriving meanwhile; operations touch only the marks
this reader made or removed (xournalpp's ``UndoRedoHandler`` works the same way).

Adding a mark again gives it a new id (the engine never reuses one), so every operation holds a
shared :class:`MarkRef` whose ``annotation_id`` is updated when the mark comes back; a later
step that names the same mark (an edit after the add was undone and redone) follows it.

Qt-free: the store is anything with the engine's three annotation methods (:class:`NoteWriter`).
Steps run one at a time (a lock), so two fast taps on 元に戻す never interleave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from furano_meet.store.records import Visibility

from .model import AnnotationBody

__all__ = ["MarkRef", "NoteWriter", "Place", "Existing", "UndoStack"]

MAX_STEPS = 200
"""Steps kept: a long meeting's worth; the oldest are forgotten (the marks stay)."""


class NoteWriter(Protocol):
    """What the stack needs of the sync engine (:class:`~furano_meet.sync.engine.SyncEngine`)."""

    async def add_annotation(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        body: AnnotationBody,
        *,
        visibility: Visibility = ...,
    ) -> str: ...

    async def edit_annotation(self, annotation_id: str, body: AnnotationBody) -> None: ...

    async def delete_annotation(self, annotation_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Place:
    """Where a mark lives: meeting, document version and page (0-based)."""

    meeting_id: str
    document_id: str
    version: int
    page: int


Existing = tuple[str, Place, AnnotationBody, Visibility]
"""A mark as it is now: its id, place, body (to bring it back) and visibility."""


@dataclass(slots=True)
class MarkRef:
    """One mark across undo and redo: its current id, where it lives and who sees it."""

    annotation_id: str
    place: Place
    visibility: Visibility


class _Kind(Enum):
    ADD = "add"
    DELETE = "delete"
    EDIT = "edit"


@dataclass(frozen=True, slots=True)
class _Op:
    kind: _Kind
    ref: MarkRef
    body: AnnotationBody
    """ADD/DELETE: the mark's body; EDIT: the body after the edit."""
    before: AnnotationBody | None = None
    """EDIT: the body before it."""


class UndoStack:
    """The reader's steps, newest last; see the module docstring."""

    def __init__(self, writer: NoteWriter, limit: int = MAX_STEPS) -> None:
        self._writer = writer
        self._limit = limit
        self._done: list[tuple[_Op, ...]] = []
        self._undone: list[tuple[_Op, ...]] = []
        self._refs: dict[str, MarkRef] = {}
        self._lock = asyncio.Lock()

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    # -- doing -----------------------------------------------------------------------------

    async def add(
        self, place: Place, body: AnnotationBody, visibility: Visibility = Visibility.PRIVATE
    ) -> str:
        """Add a mark (one step); returns its id."""
        async with self._lock:
            ref = MarkRef("", place, visibility)
            await self._apply(_Op(_Kind.ADD, ref, body))
            self._push((_Op(_Kind.ADD, ref, body),))
            return ref.annotation_id

    async def edit(self, mark: Existing, after: AnnotationBody) -> None:
        """Change a mark's body (one step); its body now is what undo restores."""
        async with self._lock:
            annotation_id, place, before, visibility = mark
            op = _Op(_Kind.EDIT, self._ref(annotation_id, place, visibility), after, before)
            await self._apply(op)
            self._push((op,))

    async def delete(self, marks: Sequence[Existing]) -> None:
        """Remove marks as one step (everything one sweep of the eraser touched)."""
        async with self._lock:
            ops = []
            for annotation_id, place, body, visibility in marks:
                ref = self._ref(annotation_id, place, visibility)
                ops.append(_Op(_Kind.DELETE, ref, body))
                await self._apply(ops[-1])
            if ops:
                self._push(tuple(ops))

    # -- undoing ---------------------------------------------------------------------------

    async def undo(self) -> bool:
        """Revert the newest step; False when there is none."""
        async with self._lock:
            if not self._done:
                return False
            step = self._done.pop()
            for op in reversed(step):
                await self._apply(_inverse(op))
            self._undone.append(step)
            return True

    async def redo(self) -> bool:
        """Do the newest undone step again; False when there is none."""
        async with self._lock:
            if not self._undone:
                return False
            step = self._undone.pop()
            for op in step:
                await self._apply(op)
            self._done.append(step)
            return True

    # -- inside ----------------------------------------------------------------------------

    def _ref(self, annotation_id: str, place: Place, visibility: Visibility) -> MarkRef:
        """The mark's ref (made now for a mark older than this stack), so later steps that
        name the mark follow it when undo and redo give it a new id."""
        ref = self._refs.get(annotation_id)
        if ref is None:
            ref = self._refs[annotation_id] = MarkRef(annotation_id, place, visibility)
        return ref

    def _push(self, step: tuple[_Op, ...]) -> None:
        self._done.append(step)
        del self._done[: -self._limit]
        self._undone.clear()  # a new step forks history: the undone branch is gone

    async def _apply(self, op: _Op) -> None:
        ref, writer = op.ref, self._writer
        match op.kind:
            case _Kind.ADD:
                p = ref.place
                ref.annotation_id = await writer.add_annotation(
                    p.meeting_id,
                    p.document_id,
                    p.version,
                    p.page,
                    op.body,
                    visibility=ref.visibility,
                )
                self._refs[ref.annotation_id] = ref
            case _Kind.DELETE:
                await writer.delete_annotation(ref.annotation_id)
            case _Kind.EDIT:
                await writer.edit_annotation(ref.annotation_id, op.body)


def _inverse(op: _Op) -> _Op:
    match op.kind:
        case _Kind.ADD:
            return _Op(_Kind.DELETE, op.ref, op.body)
        case _Kind.DELETE:
            return _Op(_Kind.ADD, op.ref, op.body)
        case _Kind.EDIT:
            assert op.before is not None
            return _Op(_Kind.EDIT, op.ref, op.before, op.body)
