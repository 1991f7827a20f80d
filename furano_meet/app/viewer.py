"""The viewer: one document page at a time, following the chair or browsing on one's own.

Theory of operation
-------------------
*What* page to show is the engine's answer, not the viewer's: every
:class:`~furano_meet.sync.events.PresenterMoved` brings a new
:class:`~furano_meet.sync.presenting.MeetingView`, and the viewer shows its ``view.page``.
A page turn of the reader's own is an intent — ``present_page`` while presenting, else
``browse`` (which switches a follower to browsing) — and is shown at once, before the engine
answers, so a turn never waits for the network.

*How* it is shown is :mod:`.page_pixels`: the page at the scale the fit mode and the zoom ask
for, at the screen's pixel ratio — whole with its neighbours prefetched, or as tiles when
zoomed in; low resolution first; pixmaps within a byte budget. Gestures (wheel, pinch, pan,
swipe) are :mod:`.gestures`, internal links :mod:`.links`.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from furano_meet.annotations import AnnotationBody, Ink, InkPoint
from furano_meet.annotations.undo import Place
from furano_meet.pagespace import Point
from furano_meet.protocol import messages as m
from furano_meet.render import DocumentInfo, RenderRequest
from furano_meet.store.records import Visibility
from furano_meet.sync.events import AnnotationsChanged, PresenterMoved, SyncEvent
from furano_meet.sync.follow import PageRef
from furano_meet.sync.presenting import MeetingView
from furano_meet.sync.queries import AnnotationView

from .after_paint import AfterPaint
from .annotator import Annotator
from .bars import FollowBar, PresenterBar
from .error_presenter import DocumentUnavailable
from .gestures import Gestures
from .ink_layer import in_shown_order
from .links import PageLinks
from .page_canvas import InputMode, PageCanvas
from .page_labels import indicator_suffix
from .page_pixels import PagePixels
from .session import Session
from .tool_bar import BESIDE_WIDTH, AnnotationBar, NotePanel
from .write_toggle import WriteBarSetting

ZOOM_STEP = 1.25
PORTRAIT = 2**0.5
"""A portrait A4 page's height over its width (council papers are A4)."""
LANDSCAPE = 1.3
"""A window at least this many times as wide as it is tall has width to spare beside the page
(a 1280×800 tablet: 1.6; held upright, 0.625)."""
NOTE_UNDER_AT_MOST = 1 / 3
"""The share of the page column's height the 付箋 panel may take under the page before it
stands beside it instead (with large text at 1280×800 it took over half)."""
SHARED_INK = "#1a56db"
KEYS = {
    Qt.Key.Key_Right: 1,
    Qt.Key.Key_PageDown: 1,
    Qt.Key.Key_Space: 1,
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_PageUp: -1,
    Qt.Key.Key_Home: -100_000,
    Qt.Key.Key_End: 100_000,
}
"""Page-turn keys (presentation clickers send PageUp/PageDown)."""


class Fit(Enum):
    PAGE = "page"
    WIDTH = "width"


def _page_of(note: AnnotationView) -> tuple[str, int, int]:
    return note.document_id, note.version, note.page


class PageArea(QScrollArea):
    """The scrolled page; tells when its size (and so the fitted scale) changes, e.g. when
    the window is resized or the presenter bar appears."""

    resized = Signal()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.resized.emit()


class Viewer(QWidget):
    """See the module docstring. ``set_meeting`` first; then the engine drives it."""

    page_painted = Signal(object, float)
    """((document_id, version, page), perf_counter) the first time a page is painted."""
    page_previewed = Signal(object, float)
    """((document_id, version, page), perf_counter) when a page was first painted from a
    low-resolution stand-in (its sharp pixels follow: ``page_painted``)."""
    document_shown = Signal(str, int)
    """A document (id, version) is open in the viewer now."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.meeting_id = ""
        self.view: MeetingView | None = None
        self.document: DocumentInfo | None = None
        self.page = 0
        self.fit = Fit.PAGE
        self.zoom = 1.0
        self._opening: tuple[str, int] | None = None
        self._wanted: PageRef | None = None
        self._ink: dict[tuple[str, int, int], tuple[AnnotationView, ...]] = {}
        """Notes of the pages seen in this document, so a return shows them at once."""
        self._ink_reads = 0
        self._ink_read: tuple[int, tuple[str, int, int]] | None = None
        """The newest read of a page's notes that came back, and its page: the page shown
        holds the store's notes when it is (``_ink_reads``, the page shown)."""
        self.pixels = PagePixels(self)
        self.after_paint = AfterPaint(self)
        """A turn's intent and ink read, run once the page is painted (after_paint.py)."""
        self._intended: PageRef | None = None
        """The page of a turn whose intent waits for its paint: the engine's view does not
        know it yet, so until it is told the view must not take the reader back."""
        self.page_wish = 0
        """How much wider than its minimum the page would like to be: while a 付箋 is written
        beside it, the width of a portrait page as tall as the page column (the room plans
        with it, folding the side column; ``_place_note_panel``)."""
        self._resize_timer = QTimer(self, singleShot=True, interval=60)
        self._resize_timer.timeout.connect(self._render)
        self._build()
        session.engine_event.connect(self._on_event)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.follow_bar = FollowBar(self)
        self.presenter_bar = PresenterBar(self)
        self.presenter_bar.hide()
        self.canvas = PageCanvas()
        self.canvas.clear(self.tr("左の一覧から資料を選んでください"))
        self.page_area = PageArea(self)
        self.page_area.setWidgetResizable(True)
        self.page_area.setWidget(self.canvas)
        self.page_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.page_area.resized.connect(self._resize_timer.start)  # the fitted scale changed
        # -- tiles: a scroll asks for the tiles now in view (page_pixels.py) --
        self._scroll_timer = QTimer(self, singleShot=True, interval=0)
        self._scroll_timer.timeout.connect(self.pixels.refresh)
        for bar in (self.page_area.horizontalScrollBar(), self.page_area.verticalScrollBar()):
            bar.valueChanged.connect(self._scroll_timer.start)
        # -- end tiles --
        self.prev_button = QPushButton(self.tr("◀ 前へ"), self)
        self.next_button = QPushButton(self.tr("次へ ▶"), self)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setMinimumWidth(72)  # polish: a narrow window must leave it a handle's travel
        self.slider.setAccessibleName(self.tr("ページ"))
        self.page_label = QLabel(self)
        self.page_label.setObjectName("pageLabel")
        self.fit_page = QPushButton(self.tr("全体"), self)
        self.fit_width = QPushButton(self.tr("幅"), self)
        self.zoom_out = QPushButton(self.tr("縮小"), self)
        self.zoom_in = QPushButton(self.tr("拡大"), self)
        nav = QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.slider, 1)
        nav.addWidget(self.page_label)
        nav.addWidget(self.next_button)
        for widget, name in (
            (self.fit_page, self.tr("ページ全体を表示")),
            (self.fit_width, self.tr("幅に合わせる")),
            (self.zoom_out, self.tr("縮小")),
            (self.zoom_in, self.tr("拡大")),
        ):
            widget.setObjectName("compact")
            widget.setAccessibleName(name)
            widget.setToolTip(name)
            nav.addWidget(widget)
        # -- annotating (issue #9 "Annotations"): the toolbar beside the page, the 付箋 panel
        self.annotation_bar = AnnotationBar(self)
        self.note_panel = NotePanel(self)
        self.annotator = Annotator(
            self.session, self.canvas, self.annotation_bar, self.note_panel, self._place
        )
        self.write_setting = WriteBarSetting(self.session, self.annotation_bar, self.note_panel)
        self.page_box = QBoxLayout(QBoxLayout.Direction.TopToBottom)  # the page and its 付箋
        for part, stretch in ((self.page_area, 1), (self.note_panel, 0)):
            self.page_box.addWidget(part, stretch)
        self.page_grid = QGridLayout()
        self.page_grid.addLayout(self.page_box, 2, 0)
        self.page_grid.setRowStretch(2, 1)
        self.page_grid.setColumnStretch(0, 1)
        self._place_write_bar(self.annotation_bar.is_open)
        self.annotation_bar.shown_open.connect(self._place_write_bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(self.page_grid, 1)
        layout.addLayout(nav)

        self._connect()

    def _place_write_bar(self, is_open: bool) -> None:
        """Open, the write bar (≈ 610 px tall with large text) stands beside the bars above the
        page, the page and the 付箋 panel — all the height but the page-turn row: beside the
        page alone it made the window grow past 800 px (polish, sixth session). Folded (a
        narrow toggle), it stands beside the page only, and the bars above keep the width —
        the chair's tools stay on one row."""
        grid = self.page_grid
        for widget in (self.follow_bar, self.presenter_bar, self.annotation_bar):
            grid.removeWidget(widget)
        across = 1 if is_open else 2
        grid.addWidget(self.follow_bar, 0, 0, 1, across)
        grid.addWidget(self.presenter_bar, 1, 0, 1, across)
        if is_open:
            grid.addWidget(self.annotation_bar, 0, 1, 3, 1)
        else:
            grid.addWidget(self.annotation_bar, 2, 1)

    def _place_note_panel(self, _shown: bool = True) -> None:
        """The 付箋 panel under the page, or beside it (right, :data:`~.tool_bar.BESIDE_WIDTH`
        wide) when under it would take more than :data:`NOTE_UNDER_AT_MOST` of the page's
        height in a landscape window (:data:`LANDSCAPE`). Under, with large text at 1280×800,
        it left a page strip of ~190 px, half of it under a notice (sixth session); beside, the
        page keeps its height, and the wider viewer makes the room fold the side column
        (room.py) while the 付箋 is written — back when the panel closes (:attr:`page_wish`).
        A portrait window has no width to spare: the panel stays under. Weighed on what placing
        it does not change (the window's shape, the page column's height), so it never flips
        back and forth."""
        height = self.page_box.geometry().height()
        window = self.window()
        if height <= 0:
            return
        width = self.page_box.geometry().width()
        if self.note_panel.beside and not self.note_panel.isHidden():  # its width under the page
            width += self.page_box.spacing() + BESIDE_WIDTH
        landscape = window.width() >= LANDSCAPE * window.height()
        tall = self.note_panel.height_under(width) > NOTE_UNDER_AT_MOST * height
        side = landscape and tall
        # beside, the page wishes the width a portrait page fitted to its height needs: the
        # room folds the side column for it (room.py) — a wish, not a minimum, which grew the
        # chair's window past 1280 px where even folding everything leaves less
        wish = int(height / PORTRAIT) - self.page_area.minimumSizeHint().width()
        self.page_wish = max(0, wish) if side and not self.note_panel.isHidden() else 0
        if side != self.note_panel.beside:
            self.note_panel.set_beside(side)
            self.page_box.setDirection(
                QBoxLayout.Direction.LeftToRight if side else QBoxLayout.Direction.TopToBottom
            )

    def _connect(self) -> None:
        self.prev_button.clicked.connect(lambda: self.turn_page(self.page - 1))
        self.next_button.clicked.connect(lambda: self.turn_page(self.page + 1))
        self.slider.sliderReleased.connect(lambda: self.turn_page(self.slider.value() - 1))
        self.slider.actionTriggered.connect(self._slider_action)
        self.fit_page.clicked.connect(lambda: self.set_fit(Fit.PAGE))
        self.fit_width.clicked.connect(lambda: self.set_fit(Fit.WIDTH))
        self.zoom_in.clicked.connect(lambda: self.set_zoom(self.zoom * ZOOM_STEP))
        self.zoom_out.clicked.connect(lambda: self.set_zoom(self.zoom / ZOOM_STEP))
        self.follow_bar.return_clicked.connect(self.return_to_presenter)
        self.presenter_bar.present_clicked.connect(self.present_this_page)
        self.presenter_bar.bring_clicked.connect(self.bring_everyone_here)
        self.presenter_bar.pointer_toggled.connect(lambda on: self._input(InputMode.POINTER, on))
        self.presenter_bar.pen_toggled.connect(lambda on: self._input(InputMode.PEN, on))
        self.annotation_bar.tool_chosen.connect(self._annotating)
        self.note_panel.shown.connect(self._place_note_panel)  # under or beside, as it opens
        self.page_area.resized.connect(self._place_note_panel)
        self.canvas.pointed.connect(self.point_at)
        self.canvas.stroke_drawn.connect(self.share_stroke)
        self.canvas.painted.connect(self.page_painted)
        # perf (issue #9, after_paint.py): a queued call, so it runs after the paint, not in it
        self.canvas.painted.connect(self.after_paint.settle, Qt.ConnectionType.QueuedConnection)
        self.canvas.previewed.connect(self.page_previewed)
        self.gestures = Gestures(self)  # wheel, pinch, pan, swipe (gestures.py)
        self.links = PageLinks(self)  # a tap on an internal link (links.py)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.page_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrows turn pages, not scroll
        self._update_nav()

    def _slider_action(self, _action: int) -> None:
        if not self.slider.isSliderDown():  # a tap on the groove or a key, not a drag
            QTimer.singleShot(0, lambda: self.turn_page(self.slider.value() - 1))

    def _input(self, mode: InputMode, on: bool) -> None:
        self.canvas.mode = mode if on else InputMode.READ
        if on:
            self.annotator.choose_tool(None)  # one tool at a time: the chair's or mine

    def _annotating(self, tool: object) -> None:
        if tool is not None:
            self.presenter_bar.pointer.setChecked(False)
            self.presenter_bar.pen.setChecked(False)

    def _place(self) -> Place | None:
        """Where a mark made now belongs (the annotator asks)."""
        here = self._here()
        return None if here is None or not self.meeting_id else Place(self.meeting_id, *here)

    # -- intents -------------------------------------------------------------------------------

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self._apply(self.session.engine.view(meeting_id))

    def open_document(self, document_id: str, version: int, page: int | None = None) -> None:
        """The reader picked a document in the agenda pack (its first page) or a search hit."""
        self.setFocus()  # from now on the arrow keys turn its pages
        # -- 差し替え (app tests): another version of the document open now opens on the page
        # the reader is on, not back at page 1 (clamped to the new version's pages) --
        if page is None:
            doc = self.document
            replaced = doc is not None and doc.doc_id == document_id and doc.version != version
            page = self.page if replaced else 0
        # --
        self._turn(PageRef(document_id, version, max(0, page)))

    def next_page(self) -> None:
        self.turn_page(self.page + 1)

    def previous_page(self) -> None:
        self.turn_page(self.page - 1)

    def turn_page(self, index: int) -> None:
        if self.document is None or not 0 <= index < self.document.page_count:
            self._update_nav()
            return
        if index != self.page:
            self._turn(PageRef(self.document.doc_id, self.document.version, index))

    def _turn(self, ref: PageRef) -> None:
        engine, meeting, ops = self.session.engine, self.meeting_id, self.session.ops
        view = engine.view(meeting)
        presenting = view.presenting and view.following
        self._intended = ref
        self._go(ref)

        def intent() -> None:
            self._intended = None
            if presenting:
                ops.run(engine.present_page(meeting, ref.document_id, ref.version, ref.page))
            else:
                ops.run(engine.browse(meeting, ref))

        # perf (issue #9): told once the page is painted — its echo would hold the GUI thread
        # while the page's pixels are on their way (after_paint.py)
        self.after_paint.later("intent", intent)

    def return_to_presenter(self) -> None:
        self.session.ops.run(self.session.engine.follow_presenter(self.meeting_id))

    def present_this_page(self) -> None:
        if self.document is not None:
            doc = self.document
            self.session.ops.run(self._present_here(doc.doc_id, doc.version, self.page))

    async def _present_here(self, document_id: str, version: int, page: int) -> None:
        """-- presenting: 「このページを表示」 starts presenting: show this page, then follow it,
        so the presenter's next turns are shown too (else they stayed private). --"""
        engine = self.session.engine
        await engine.present_page(self.meeting_id, document_id, version, page)
        await engine.follow_presenter(self.meeting_id)

    def bring_everyone_here(self) -> None:
        """全員をこのページへ: the page on this screen, named in the summons itself — the
        engine may not have heard the echo of a turn made a moment ago (a document still
        opening: the page it opens on)."""
        here = self._here()
        page = self._wanted if self._opening is not None or here is None else PageRef(*here)
        self.session.ops.run(self.session.engine.bring_everyone_here(self.meeting_id, page))

    def point_at(self, point: Point) -> None:
        pointer = m.Pointer(x=round(point.x, 2), y=round(point.y, 2))
        self.session.ops.run(self.session.engine.set_pointer(self.meeting_id, pointer))

    def share_stroke(self, points: tuple[Point, ...]) -> None:
        if self.document is None:
            return
        body = AnnotationBody(Ink(tuple(InkPoint(p.x, p.y) for p in points), SHARED_INK, 2.0))
        doc = self.document
        self.session.ops.run(
            self.session.engine.add_annotation(
                self.meeting_id,
                doc.doc_id,
                doc.version,
                self.page,
                body,
                visibility=Visibility.SHARED,
            ),
            on_done=lambda _id: self._load_ink(),
        )

    def set_fit(self, fit: Fit) -> None:
        self.fit, self.zoom = fit, 1.0
        self._render()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(8.0, max(0.25, zoom))
        self._render()

    def zoom_at(self, zoom: float, anchor: QPointF) -> None:
        """Zoom keeping the page point under ``anchor`` (page-area viewport pixels) in place:
        the wheel under the mouse, a pinch between the fingers."""
        if self.document is None or self.page < 0:
            return
        h, v = self.page_area.horizontalScrollBar(), self.page_area.verticalScrollBar()
        old = self._scale(self.page)
        under = anchor + QPointF(h.value(), v.value()) - self.canvas.page_rect().topLeft()
        self.set_zoom(zoom)
        ratio = self._scale(self.page) / old
        # Size the canvas now (the scroll area sets its bars' ranges on the resize), not at
        # the next layout, so the page point stays under the fingers from this very event.
        self.canvas.resize(self.canvas.minimumSize().expandedTo(self.page_area.viewport().size()))
        target = self.canvas.page_rect().topLeft() + under * ratio - anchor
        h.setValue(round(target.x()))
        v.setValue(round(target.y()))

    # -- the engine's answer -------------------------------------------------------------------

    def _on_event(self, event: SyncEvent) -> None:
        if getattr(event, "meeting_id", None) != self.meeting_id:
            return
        if isinstance(event, PresenterMoved):
            self._apply(self.session.engine.view(self.meeting_id))
        elif isinstance(event, AnnotationsChanged):
            self._show_received_ink(event.notes)
            if not self._told_whole(event):
                self._load_ink()

    def _apply(self, view: MeetingView) -> None:
        self.view = view
        self.follow_bar.show_view(view)
        self.presenter_bar.show_role(view)  # presenting (bars.py): whose tools, 発表をお願いする
        self._update_nav()
        if view.view.page is not None and self._intended is None:  # else: see _intended
            self._go(view.view.page)
        self._show_pointer()

    def _show_pointer(self) -> None:
        view = self.view
        pointer = view.view.pointer if view is not None else None
        shown = view.view.presenter_page if view is not None else None
        here = self._here()
        if (
            pointer is None
            or shown is None
            or here != (shown.document_id, shown.version, shown.page)
        ):
            self.canvas.set_pointer(None)
        else:
            self.canvas.set_pointer(Point(pointer.x, pointer.y))

    def _here(self) -> tuple[str, int, int] | None:
        doc = self.document
        return None if doc is None else (doc.doc_id, doc.version, self.page)

    # -- documents and pages -------------------------------------------------------------------

    def _go(self, ref: PageRef) -> None:
        key = (ref.document_id, ref.version)
        self._wanted = ref
        if self.document is None or (self.document.doc_id, self.document.version) != key:
            if self._opening != key:
                self._opening = key
                self.canvas.clear(self.tr("資料を開いています…"))
                self.session.ops.run(self._open(*key), on_done=self._opened)
            return
        # -- perf (issue #9, page_pixels.py): the engine's echo of this reader's own turn
        # (PresenterMoved) finds the page's pixels on their way: asking again and reading its
        # ink again only kept the GUI thread busy when they arrived --
        echo = ref.page == self.page and self.pixels.coming(self.page)
        # --
        turned = not echo and (ref.page != self.page or self.canvas.key != self._here())
        if turned:
            self.page = min(max(0, ref.page), self.document.page_count - 1)
        # perf (issue #9): the page number and buttons first, the render last: once it is asked
        # for, every further line of Python here keeps the render service's thread from the GIL
        self._update_nav()
        self._show_pointer()
        if turned:
            self._render()
            self._load_ink(after_paint=True)

    async def _open(self, document_id: str, version: int) -> DocumentInfo:
        # -- a failed open (app tests): said by the presenter, never "opening…" forever, and
        # the page shown before comes back; the same document may be asked for again --
        try:
            try:
                pdf = await self.session.engine.open_document(document_id, version)
            except LookupError as gone:  # withdrawn, shredded, not yet received: not a bug
                raise DocumentUnavailable(str(gone)) from gone
            return await self.session.render.open(document_id, version, pdf)
        except Exception:
            if self._opening == (document_id, version):
                self._opening = None
                if self.document is None:
                    self.canvas.clear(self.tr("この資料は開けませんでした"))
                else:
                    self._go(PageRef(self.document.doc_id, self.document.version, self.page))
            raise
        # --

    def _opened(self, info: DocumentInfo) -> None:
        if self._opening != (info.doc_id, info.version):
            return  # another document was asked for meanwhile; it is opening
        old, self._opening = self.document, None
        if old is not None:
            self.session.render.close(old.doc_id, old.version)
            self._ink.clear()
        self.document, self.page = info, -1
        self.pixels.set_document(info)
        self.document_shown.emit(info.doc_id, info.version)
        self.slider.setRange(1, info.page_count)
        if self._wanted is not None:
            self._go(self._wanted)

    # -- pixels (page_pixels.py: whole pages, low resolution first, tiles when zoomed) --------

    def _scale(self, index: int) -> float:
        """Logical pixels per point for page ``index``: the fit mode times the zoom."""
        assert self.document is not None
        width, height = self.document.pages[index].transform(1.0).view_size
        # The area without scroll bars, so a zoomed page's scale does not change (and all its
        # tiles with it) when they appear; fit-width always leaves room for the vertical one.
        viewport = self.page_area.maximumViewportSize()
        if self.fit is Fit.WIDTH:
            viewport.setWidth(
                viewport.width() - self.page_area.verticalScrollBar().sizeHint().width()
            )
        fit_width = max(1, viewport.width() - 8) / width
        fit_page = min(fit_width, max(1, viewport.height() - 8) / height)
        return (fit_page if self.fit is Fit.PAGE else fit_width) * self.zoom

    def _render(self) -> None:
        if self.document is not None and self.page >= 0:
            self.pixels.show(self.page, self._scale(self.page))

    def page_shown(self) -> None:
        """The canvas shows the page in view now (at some sharpness): its pointer and links."""
        self._show_pointer()
        # perf (issue #9): its links are read once it is painted: asked for at once, the read
        # woke the render service's thread to take the GIL during the paint (after_paint.py)
        here = self._here()
        self.after_paint.later("links", lambda: self.links.page_changed(here))

    def _load_ink(self, *, after_paint: bool = False) -> None:
        """Show the page's marks known so far at once, and read them again from the store
        (the annotator shows them: its own rules say whose marks a reader sees) — on a page
        turn once the page is painted (after_paint.py): the read's store hop and its answer
        competed with the page's pixels for the GIL and the GUI thread."""
        here = self._here()
        if here is None:
            return
        if here in self._ink:
            self.annotator.show_notes(here, self._ink[here])
        self._ink_reads += 1  # counted now: until it is back, a read is out (_told_whole)
        read = self._ink_reads

        def loaded(notes: tuple[AnnotationView, ...]) -> None:
            if read == self._ink_reads:  # an older read must not undo notes shown since
                self._ink_read = (read, here)
                # perf (issue #9, ink_layer.py): the order shown kept, new notes after it
                self._set_notes(here, in_shown_order(self._ink.get(here, ()), notes))

        def start() -> None:
            if read == self._ink_reads:  # else a newer read is out: this one would be dropped
                self.session.ops.run(self.session.engine.annotations(*here), on_done=loaded)

        if after_paint:
            self.after_paint.later("ink", start)
        else:
            start()

    def _set_notes(self, here: tuple[str, int, int], notes: tuple[AnnotationView, ...]) -> None:
        self._ink[here] = notes
        self.annotator.show_notes(here, notes)

    # perf (issue #9): received notes are painted from the event; the store's read that
    # follows (_load_ink) stays the truth. Re-reading first cost a third of a shared stroke's
    # latency.
    def _show_received_ink(self, notes: tuple[AnnotationView, ...]) -> None:
        here = self._here()
        if here is None:
            return
        shown = {note.annotation_id: note for note in self._ink.get(here, ())}
        arrived = [note for note in notes if _page_of(note) == here]
        if any(shown.get(note.annotation_id) != note for note in arrived):
            shown.update((note.annotation_id, note) for note in arrived)
            self._set_notes(here, tuple(shown.values()))
            self.canvas.repaint()

    def _told_whole(self, event: AnnotationsChanged) -> bool:
        """Whether the event holds every change as now stored (no deletion, no write of this
        device not yet logged) and the page's notes were read with no read still out: then
        the notes shown are the store's and reading all of them again would only cost — a
        read per received stroke, linear in the page's notes (issue #9)."""
        here = self._here()
        return (
            bool(event.notes)
            and {note.annotation_id for note in event.notes} >= set(event.annotation_ids)
            and here is not None
            and self._ink_read == (self._ink_reads, here)
        )

    def _update_nav(self) -> None:
        count = self.document.page_count if self.document is not None else 0
        view = self.view
        self.presenter_bar.show_state(
            has_page=count > 0, presenting=view is not None and view.presenting
        )
        self.slider.blockSignals(True)
        self.slider.setValue(self.page + 1)
        self.slider.blockSignals(False)
        self.page_label.setText(
            self.tr("{page} / {count}").format(page=self.page + 1, count=count) if count else ""
        )
        # -- printed page label (agenda pack, page_labels.py): 「12 / 40（印刷 10）」 --
        if self.document is not None and 0 <= self.page < count:
            suffix = indicator_suffix(self.document.pages[self.page])
            self.page_label.setText(self.page_label.text() + suffix)
        # --
        self.prev_button.setEnabled(count > 0 and self.page > 0)
        self.next_button.setEnabled(count > 0 and self.page < count - 1)
        for widget in (self.slider, self.fit_page, self.fit_width, self.zoom_in, self.zoom_out):
            widget.setEnabled(count > 0)

    # -- for measurements (bench/app_*.py): read-only ------------------------------------------

    def request_for(self, page: int) -> RenderRequest:
        """The render request that makes ``page`` sharp now (fit, zoom and pixel ratio): the
        whole page, or the most central visible tile of a zoomed page in view."""
        return self.pixels.first(page)

    def holds(self, request: RenderRequest) -> bool:
        """Whether ``request``'s pixmap is ready here, so showing it is one ``drawPixmap``."""
        return self.pixels.holds(request)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        step = KEYS.get(Qt.Key(event.key()))
        if step is None or self.document is None:
            super().keyPressEvent(event)
        else:
            self.turn_page(max(0, min(self.document.page_count - 1, self.page + step)))
