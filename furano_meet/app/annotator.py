"""Writing on the page: pen, highlighter, 付箋 and eraser input, committed through undo.

Theory of operation
-------------------
The annotator watches the :class:`~.page_canvas.PageCanvas`'s input (an event filter) only
while a tool is chosen; otherwise the canvas's own modes (the chair's pointer and shared pen)
apply. Everything is turned into unrotated page points at once, so a mark means the same at
any zoom.

Which events write is :mod:`.pointer_input`'s to say (the stylus with its pressure, one finger
or the mouse at full pressure; *palm rejection*: while the stylus is down or near, touches
write nothing): it hands the annotator one stream of press, move and release.

*Pen* (xournalpp's ``StrokeHandler``): the samples are smoothed as they come
(:mod:`.ink_smoothing`, page points); each move repaints only the rectangle around the new
segment and the stroke's recomputed tail, and the stroke is stored once, on release, as one
:class:`~furano_meet.annotations.Ink` — exactly the smoothed stroke shown under the pen. It
stays painted as *pending* until the page's notes come back with it, so it never blinks.

*Live ink*: every paint that draws the stroke still under the pen emits :attr:`live_painted`
with how many samples it held and when (``perf_counter``): the benchmark "pen input → ink
painted" and the tests wait on it.

*Highlighter*: the drag is a band; on release the words it crossed (the render service's word
boxes, page points; single characters of Japanese) become a :class:`Highlight` with their
quads and text. *付箋*: a tap opens the non-modal note panel, for a new note there or the
reader's own note under the finger; while it is open a marker shows where the note goes (a
tap elsewhere moves the marker, the text kept). A drag of one of the reader's own notes moves
it (:mod:`.note_moves`: an edit, undoable and synced).
*Eraser*: marks of the reader's own that it passes (:func:`~.note_icon.touches`: a 付箋 on
its icon as drawn) vanish at once and are
deleted together on release, as one undo step.

Every change goes through the :class:`~furano_meet.annotations.undo.UndoStack` as an op
(``session.ops.run``), so nothing here touches the store or blocks the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QShortcut

from furano_meet.annotations import (
    MAX_INK_POINTS,
    AnnotationBody,
    Ink,
    InkPoint,
    StickyNote,
)
from furano_meet.annotations.undo import Place, UndoStack
from furano_meet.pagespace import Point, Rect, ViewTransform
from furano_meet.render.types import Word
from furano_meet.sync.queries import AnnotationView

from .ink_smoothing import MAX_PIECES, LiveStroke
from .ink_tools import (
    ERASER_REACH_PX,
    HIGHLIGHT_BAND,
    PenGate,
    Tool,
    ToolState,
    crossed_words,
    highlight_of,
    visible_notes,
)
from .mark_painter import (
    paint_highlight,
    paint_ink,
    paint_ink_near,
    paint_note,
    paint_note_marker,
    pressure_width,
)
from .note_icon import keep_on_page, touches
from .note_moves import NoteMoves
from .page_canvas import PageCanvas
from .pointer_input import PointerInput
from .session import Session
from .tool_bar import AnnotationBar, NotePanel

PageKey = tuple[str, int, int]
MIN_STEP_PX = 0.5
"""Pen samples closer than this on screen add nothing but points."""


class Annotator(QObject):
    """See the module docstring. ``where()`` names the meeting and page shown (or ``None``)."""

    changed = Signal()
    """A mark was stored, undone or redone (the bar's undo/redo buttons follow)."""
    live_painted = Signal(int, float)
    """A paint drew the stroke under the pen: its sample count, ``time.perf_counter()``."""

    def __init__(
        self,
        session: Session,
        canvas: PageCanvas,
        bar: AnnotationBar,
        panel: NotePanel,
        where: Callable[[], Place | None],
    ) -> None:
        super().__init__(canvas)
        self.session, self.canvas, self.bar, self.panel = session, canvas, bar, panel
        self._where = where
        self.state = ToolState()
        self.gate = PenGate()
        self.undo = UndoStack(session.engine)
        self.notes: tuple[AnnotationView, ...] = ()
        self._notes_key: PageKey | None = None
        self._live: LiveStroke | None = None
        self._drag: list[Point] = []
        self._words: object = None
        self._pending: list[Ink] = []
        self._erased: dict[str, AnnotationView] = {}
        self._draft: tuple[Place, Point, AnnotationView | None] | None = None
        self.moves = NoteMoves(keep=self._keep_on_page)
        canvas.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.input = PointerInput(
            canvas,
            self.gate,
            active=lambda: self.state.tool is not None,
            busy=lambda: self._live is not None or bool(self._drag),
            feed=self._input,
        )
        canvas.overlay = self._paint
        self._connect()

    def _connect(self) -> None:
        bar, panel = self.bar, self.panel
        bar.tool_chosen.connect(self.choose_tool)
        bar.colour_chosen.connect(self._colour)
        bar.width_chosen.connect(self._width)
        bar.shared_toggled.connect(self._shared)
        bar.undo_clicked.connect(self.undo_step)
        bar.redo_clicked.connect(self.redo_step)
        panel.saved.connect(self.save_note)
        panel.closed.connect(self.close_note)
        self.changed.connect(self._show_state)
        QShortcut(QKeySequence.StandardKey.Undo, bar).activated.connect(self.undo_step)
        QShortcut(QKeySequence("Ctrl+Shift+Z"), bar).activated.connect(self.redo_step)
        self._show_state()

    # -- intents from the bar ------------------------------------------------------------------

    def choose_tool(self, tool: Tool | None) -> None:
        self.state.tool = tool
        self._live, self._drag = None, []
        self._show_state()

    def _colour(self, colour: str) -> None:
        if self.state.tool is not None:
            self.state.colours[self.state.tool] = colour
        self._show_state()

    def _width(self, width: float) -> None:
        self.state.width = width
        self._show_state()

    def _shared(self, on: bool) -> None:
        self.state.shared = on
        self._show_state()

    def _show_state(self) -> None:
        self.bar.show_state(self.state, can_undo=self.undo.can_undo, can_redo=self.undo.can_redo)

    def undo_step(self) -> None:
        self.moves.placed.clear()  # a move undone must not stay painted where it was let go
        self.session.ops.run(self.undo.undo(), on_done=lambda _: self.changed.emit())

    def redo_step(self) -> None:
        self.moves.placed.clear()
        self.session.ops.run(self.undo.redo(), on_done=lambda _: self.changed.emit())

    # -- the page's marks ----------------------------------------------------------------------

    def show_notes(self, key: PageKey, notes: tuple[AnnotationView, ...]) -> None:
        """The viewer read the notes of page ``key`` (after a turn or ``AnnotationsChanged``)."""
        self._notes_key, self.notes = key, visible_notes(notes, self.session.user_id)
        if self._pending:  # hashing every mark of the page costs; only strokes in flight need it
            marks = {n.body.mark for n in self.notes}
            self._pending = [ink for ink in self._pending if ink not in marks]
        ids = {n.annotation_id for n in self.notes}
        self._erased = {i: n for i, n in self._erased.items() if i in ids}
        self.moves.shown(self.notes)
        self._show_ink()

    def _here_notes(self) -> tuple[AnnotationView, ...]:
        return self.notes if self._notes_key == self.canvas.key else ()

    def _show_ink(self) -> None:
        if self._notes_key is not None:
            inks = tuple(
                n.body.mark
                for n in self.notes
                if isinstance(n.body.mark, Ink) and n.annotation_id not in self._erased
            )
            self.canvas.set_ink(self._notes_key, inks)

    # -- input (pointer_input.py: which events write, palm rejection) -------------------------

    def _input(self, kind: QEvent.Type, pos: QPointF, pressure: float) -> None:
        transform, where = self.canvas.transform, self._where()
        point = self.canvas.to_page(pos)
        if transform is None or where is None:
            return
        tool = self.state.tool
        if point is None and tool is Tool.NOTE and self.moves.drag is not None:
            local = pos - self.canvas.page_rect().topLeft()  # a 付箋 follows past the edge
            point = transform.to_page(Point(local.x(), local.y()))
        if kind == QEvent.Type.MouseButtonPress and point is not None:
            self._press(tool, where, point, min(1.0, max(0.0, pressure)))
        elif kind == QEvent.Type.MouseMove and point is not None:
            self._move(tool, point, min(1.0, max(0.0, pressure)), transform.scale)
        elif kind == QEvent.Type.MouseButtonRelease:
            self._release(tool, where)

    def _press(self, tool: Tool | None, where: Place, point: Point, pressure: float) -> None:
        if tool is Tool.PEN:
            self._live = LiveStroke(InkPoint(point.x, point.y, pressure))
            self._repaint_around([point])
        elif tool in (Tool.HIGHLIGHTER, Tool.ERASER):
            self._drag = [point]
            if tool is Tool.HIGHLIGHTER:
                self._words = self.session.render.words(
                    where.document_id, where.version, where.page
                )
            else:
                self._erase_at(point)
        elif tool is Tool.NOTE:
            self._drag = [point]
            self.moves.press(self._own_note_at(point), point)

    def _move(self, tool: Tool | None, point: Point, pressure: float, scale: float) -> None:
        if tool is Tool.PEN and self._live is not None:
            last = self._live.samples[-1]
            if abs(point.x - last.x) + abs(point.y - last.y) < MIN_STEP_PX / scale:
                return
            moved = self._live.add(InkPoint(point.x, point.y, pressure))  # smoothed (#9)
            self._repaint_around([last, *moved])
            if len(self._live.points) > MAX_INK_POINTS - 8 * MAX_PIECES:  # store it, go on
                self._commit_stroke()
                self._live = LiveStroke(InkPoint(point.x, point.y, pressure))
        elif tool is Tool.HIGHLIGHTER and self._drag:
            self._drag.append(point)
            self.canvas.update()
        elif tool is Tool.ERASER and self._drag:
            self._drag.append(point)
            self._erase_at(point)
        elif tool is Tool.NOTE and self.moves.to(point):
            self.canvas.update()

    def _release(self, tool: Tool | None, where: Place) -> None:
        if tool is Tool.PEN and self._live is not None:
            self._commit_stroke()
            self._live = None
        elif tool is Tool.HIGHLIGHTER and self._drag:
            path, words, self._drag = tuple(self._drag), self._words, []
            self.session.ops.run(self._highlight(where, path, words), on_done=self._stored)
            self.canvas.update()
        elif tool is Tool.ERASER and self._drag:
            self._drag = []
            self._delete_erased()
        elif tool is Tool.NOTE and self._drag:
            transform = self.canvas.transform
            moved = self.moves.release(transform.scale if transform is not None else 1.0)
            if moved is None:
                self.open_note(where, self._drag[0])
            else:
                self._move_note(*moved)
            self._drag = []

    def _repaint_around(self, points: Sequence[Point | InkPoint]) -> None:
        """Repaint only the new segment's neighbourhood (and the smoothed tail it moved): the
        page pixmap under it is redrawn from memory, nothing is rendered (xournalpp's
        incremental stroke). The box is found in page points and mapped once."""
        transform = self.canvas.transform
        assert transform is not None
        reach = pressure_width(self.state.width, 1.0) * transform.scale + 4
        box = transform.rect_to_view(Rect.around([Point(p[0], p[1]) for p in points]))
        corner = self.canvas.page_rect().topLeft()
        self.canvas.update(
            QRectF(
                corner.x() + box.x0 - reach,
                corner.y() + box.y0 - reach,
                box.width + 2 * reach,
                box.height + 2 * reach,
            ).toAlignedRect()
        )

    # -- storing -------------------------------------------------------------------------------

    def _stored(self, _result: object) -> None:
        self.changed.emit()

    def _commit_stroke(self) -> None:
        where = self._where()
        if where is None or self._live is None:
            return
        # the stroke as shown under the pen: smoothed (ink_smoothing.py), so nothing jumps
        ink = Ink(tuple(self._live.points), self.state.colour, self.state.width)
        self._pending.append(ink)
        body, visibility = AnnotationBody(ink), self.state.visibility
        self.session.ops.run(self.undo.add(where, body, visibility), on_done=self._stored)

    async def _highlight(self, where: Place, path: tuple[Point, ...], words: object) -> str | None:
        found: tuple[Word, ...] = await words  # type: ignore[misc]  # a RenderFuture
        mark = highlight_of(crossed_words(found, path), self.state.colour)
        if mark is None:
            return None
        return await self.undo.add(where, AnnotationBody(mark), self.state.visibility)

    def _erase_at(self, point: Point) -> None:
        transform = self.canvas.transform
        if transform is None:
            return
        reach = ERASER_REACH_PX / transform.scale
        mine = self.session.user_id
        for note in self._here_notes():
            if (
                note.author == mine
                and note.annotation_id not in self._erased
                and touches(note.body.mark, point, transform, reach)
            ):
                self._erased[note.annotation_id] = note
                self._show_ink()

    def _delete_erased(self) -> None:
        marks = [(n.annotation_id, _place(n), n.body, n.visibility) for n in self._erased.values()]
        if marks:
            self.session.ops.run(self.undo.delete(marks), on_done=self._stored)

    # -- 付箋 ------------------------------------------------------------------------------------

    def _own_note_at(self, point: Point) -> AnnotationView | None:
        """The reader's own 付箋 under ``point`` (the topmost), as painted now: its icon as
        drawn on screen, on a rotated page too (:func:`~.note_icon.touches`)."""
        transform = self.canvas.transform
        if transform is None:
            return None
        reach = ERASER_REACH_PX / transform.scale
        mine = self.session.user_id
        for note in reversed(self._here_notes()):
            mark = self.moves.where(note)
            if mark is not None and note.author == mine and touches(mark, point, transform, reach):
                return note
        return None

    def open_note(self, where: Place, point: Point) -> None:
        """A tap with the 付箋 tool: the reader's own note under it, else a new one here —
        or, while a new note is being written, its marker moves here (the text is kept)."""
        existing = self._own_note_at(point)
        mark = None if existing is None else self.moves.where(existing)
        if existing is not None and mark is not None:
            self._draft = (where, mark.at, existing)
            self.panel.open_note(mark.text, new=False)
        else:  # a new note here, or the one being written moves here
            writing = self._draft is not None and self._draft[2] is None and self.panel.isVisible()
            self._draft = (where, self._keep_on_page(point), None)
            if not writing:
                self.panel.open_note("", new=True)
        self.canvas.update()

    def _keep_on_page(self, at: Point) -> Point:
        """A 付箋's anchor, moved so its whole icon is on the page shown (note_moves.py)."""
        transform = self.canvas.transform
        return at if transform is None else keep_on_page(at, transform)

    @property
    def note_marker(self) -> Point | None:
        """Where the 付箋 being written goes (page points), while its panel is open on the
        page shown; ``None`` otherwise."""
        if self._draft is None or not self.panel.isVisible():
            return None
        place, at, _ = self._draft
        return at if (place.document_id, place.version, place.page) == self.canvas.key else None

    def _move_note(self, note: AnnotationView, moved: StickyNote) -> None:
        mark = (note.annotation_id, _place(note), note.body, note.visibility)
        self.session.ops.run(self.undo.edit(mark, AnnotationBody(moved)), on_done=self._stored)
        self.canvas.update()

    def save_note(self, text: str) -> None:
        if self._draft is None:
            return
        where, at, existing = self._draft
        self.close_note()
        if existing is None:
            if text.strip():
                body = AnnotationBody(StickyNote(at, text))
                self.session.ops.run(
                    self.undo.add(where, body, self.state.visibility), on_done=self._stored
                )
        elif isinstance(existing.body.mark, StickyNote):
            after = AnnotationBody(StickyNote(at, text, existing.body.mark.colour))
            mark = (existing.annotation_id, _place(existing), existing.body, existing.visibility)
            self.session.ops.run(self.undo.edit(mark, after), on_done=self._stored)

    def close_note(self) -> None:
        self._draft = None
        self.panel.hide()
        self.canvas.update()  # the marker goes

    # -- painting ------------------------------------------------------------------------------

    def _paint(self, painter: QPainter, *, under_ink: bool) -> None:
        transform = self.canvas.transform
        if transform is None:
            return
        to_view, scale = self.canvas.to_view, transform.scale
        notes = [n for n in self._here_notes() if n.annotation_id not in self._erased]
        if under_ink:
            for note in notes:
                if not isinstance(note.body.mark, Ink | StickyNote):
                    paint_highlight(painter, to_view, note.body.mark)
            if self._drag and self.state.tool is Tool.HIGHLIGHTER:
                band = QColor(self.state.colour)
                band.setAlpha(90)
                pen = QPen(band, HIGHLIGHT_BAND * scale)
                painter.setPen(pen)
                painter.drawPolyline([to_view(p) for p in self._drag])
            return
        for note in notes:
            sticky = self.moves.where(note)
            if sticky is not None:
                paint_note(painter, to_view, sticky, scale)
        marker = self.note_marker
        if marker is not None:
            paint_note_marker(painter, to_view, marker, scale)
        for ink in self._pending:
            paint_ink(painter, to_view, ink.points, ink.colour, ink.width, scale)
        if self._live is not None:
            live, state = self._live.points, self.state
            paint_ink_near(
                painter, to_view, live, self._exposed(transform), state.colour, state.width, scale
            )
            self.live_painted.emit(len(self._live.samples), time.perf_counter())

    def _exposed(self, transform: ViewTransform) -> Rect:
        """What the paint under way redraws, in page points."""
        area = self.canvas.exposed.translated(-self.canvas.page_rect().topLeft())
        return transform.rect_to_page(Rect(area.left(), area.top(), area.right(), area.bottom()))


def _place(note: AnnotationView) -> Place:
    return Place(note.meeting_id, note.document_id, note.version, note.page)
