"""The page on screen: a ready pixmap, the presenter's pointer and shared ink, and pen input.

The canvas never renders: it is handed a :class:`QPixmap` made from the render service's pixels
before it is painted (see :mod:`.viewer`), so a paint is a single ``drawPixmap`` — or, for the
page the reader waited for, one ``drawImage`` of the render's own pixels until its pixmap is
made after that paint (:mod:`.page_pixels`). Pointer and
ink arrive in PDF page points and are mapped through the page's
:class:`~furano_meet.pagespace.ViewTransform`, so they mean the same at any zoom.

Input turns into intents only: a tap in pointer mode emits :attr:`pointed`, a drag in pen mode
emits :attr:`stroke_drawn` — both in page points. What they mean is the viewer's business.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from furano_meet.annotations import Ink, InkPoint
from furano_meet.pagespace import Point, Quad, ViewTransform

from .ink_layer import InkLayer
from .mark_painter import paint_ink


class Overlay(Protocol):
    def __call__(self, painter: QPainter, *, under_ink: bool) -> None: ...


POINTER_COLOUR = QColor("#d0021b")
POINTER_RADIUS = 14
HIT_FILL = QColor(255, 200, 0, 110)  # search hits: a marker-pen yellow the text shows through
HIT_EDGE = QColor("#e37400")


class InputMode(Enum):
    READ = "read"
    POINTER = "pointer"
    PEN = "pen"


class PageCanvas(QWidget):
    """Shows one page pixmap centred; see the module docstring."""

    painted = Signal(object, float)
    """(the page key the viewer gave, perf_counter when it was first painted sharp)."""
    previewed = Signal(object, float)
    """(key, perf_counter) when a page was first painted from a low-resolution stand-in."""
    pointed = Signal(object)
    """A :class:`Point` in page points (pointer mode)."""
    stroke_drawn = Signal(object)
    """A tuple of :class:`Point` in page points (pen mode)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName(self.tr("ページ"))
        self.mode = InputMode.READ
        self._pixmap: QPixmap | QImage | None = None
        self._key: object = None
        self._reported: object = None
        self._sharp = True
        self._previewed: object = None
        self._transform: ViewTransform | None = None
        self._pointer: Point | None = None
        self._ink: tuple[Ink, ...] = ()
        self._ink_key: object = None
        self._stroke: list[Point] = []
        self.placeholder = ""
        self._hits: tuple[Quad, ...] = ()
        self._hits_key: object = None
        self.overlay: Overlay | None = None
        """Paints the annotator's marks (highlights under the ink, notes and the stroke under
        the pen above it); set by :class:`~.annotator.Annotator`."""
        self._tiles: tuple[tuple[QRectF, QPixmap], ...] = ()
        self.ink_layer = InkLayer()
        """The stored ink drawn once and blitted (ink_layer.py): a paint does not redraw
        every stroke on the page."""
        # -- annotating (issue #9, fifth session): the live stroke is drawn where a paint is --
        self.exposed = QRectF()
        """What the paint under way redraws (widget pixels): the annotator draws only the
        part of the stroke under the pen that lies there."""
        # --

    # -- what to show --------------------------------------------------------------------------

    def show_page(
        self,
        key: object,
        pixmap: QPixmap | QImage | None,
        transform: ViewTransform,
        *,
        sharp: bool = True,
    ) -> None:
        """Show the page named ``key`` at ``transform.view_size``: ``pixmap`` scaled to it (a
        low-resolution one is blurred up until the sharp one comes), white while ``None``.
        A ``QImage`` is the page the reader waited for, painted straight from the render
        service's pixels (page_pixels.py); :meth:`replace_pixels` swaps its pixmap in.
        ``sharp`` says whether these are the page's final pixels (:attr:`painted`) or a
        stand-in (:attr:`previewed`)."""
        if key != self._key:
            self._tiles = ()
        self._key, self._pixmap, self._transform = key, pixmap, transform
        self._sharp = sharp
        width, height = transform.view_size
        self.setMinimumSize(QSize(int(width), int(height)))
        self.update()

    def replace_pixels(self, shown: QPixmap | QImage, pixmap: QPixmap) -> None:
        """The same pixels as ``shown`` as a pixmap: held from now on if ``shown`` is still
        what this canvas draws (no repaint: nothing on screen changes)."""
        if self._pixmap is shown:
            self._pixmap = pixmap

    @property
    def pixels(self) -> QPixmap | QImage | None:
        """What the page is drawn from now (for tests)."""
        return self._pixmap

    # -- tiles (page_pixels.py) --
    def set_tiles(self, tiles: tuple[tuple[QRectF, QPixmap], ...], *, sharp: bool) -> None:
        """Sharp pieces drawn over the page: (rectangle in logical pixels from the page's
        top-left corner, pixmap) — a zoomed page's tiles as they arrive; ``sharp`` once every
        visible one is there."""
        self._tiles, self._sharp = tiles, sharp
        self.update()

    @property
    def tiles(self) -> tuple[tuple[QRectF, QPixmap], ...]:
        return self._tiles

    # -- end tiles --

    def clear(self, placeholder: str) -> None:
        self._key = self._pixmap = self._transform = None
        self._tiles = ()
        self.placeholder = placeholder
        self.setMinimumSize(QSize(0, 0))
        self.update()

    @property
    def key(self) -> object:
        return self._key

    @property
    def pointer(self) -> Point | None:
        return self._pointer

    @property
    def ink(self) -> tuple[Ink, ...]:
        """The ink drawn on the page shown now (ink of another page waits for its page)."""
        return self._ink if self._ink_key == self._key else ()

    def set_pointer(self, pointer: Point | None) -> None:
        if pointer != self._pointer:
            self._pointer = pointer
            self.update()

    def set_ink(self, key: object, ink: tuple[Ink, ...]) -> None:
        """Ink for the page named ``key`` (it may arrive before or after that page's pixels)."""
        # perf (issue #9): ink that changes nothing on screen — the same again, or a page's
        # read during a turn, before its pixels — repaints nothing (the page being left)
        before = self.ink
        self._ink_key, self._ink = key, ink
        if self.ink != before:
            self.update()

    # -- search hits (search_panel.py) -------------------------------------------------------

    @property
    def highlights(self) -> tuple[Quad, ...]:
        """The search hits marked on the page shown now."""
        return self._hits if self._hits_key == self._key else ()

    def set_highlights(self, key: object, quads: tuple[Quad, ...]) -> None:
        """Search hits (page points) for the page named ``key``."""
        # perf (issue #9): as set_ink — set again after every page shown, mostly unchanged
        before = self.highlights
        self._hits_key, self._hits = key, quads
        if self.highlights != before:
            self.update()

    def highlight_polygons(self) -> list[QPolygonF]:
        """Where the hits are drawn, in widget pixels (for the painter and the tests)."""
        return [
            QPolygonF([self._to_view(c) for c in (q.ul, q.ur, q.lr, q.ll)]) for q in self.highlights
        ]

    # -- geometry ------------------------------------------------------------------------------

    def _origin(self) -> QPointF:
        if self._transform is None:
            return QPointF(0, 0)
        width, height = self._transform.view_size
        return QPointF(max(0.0, (self.width() - width) / 2), max(0.0, (self.height() - height) / 2))

    def _to_view(self, point: Point) -> QPointF:
        assert self._transform is not None
        view = self._transform.to_view(point)
        return self._origin() + QPointF(view.x, view.y)

    def _to_page(self, pos: QPointF) -> Point | None:
        if self._transform is None:
            return None
        local = pos - self._origin()
        width, height = self._transform.view_size
        if not (0 <= local.x() <= width and 0 <= local.y() <= height):
            return None
        return self._transform.to_page(Point(local.x(), local.y()))

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        self.exposed = QRectF(event.rect())  # annotating (issue #9, fifth session)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#5f6368"))
        if self._transform is None:
            painter.setPen(QColor("#ffffff"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            painter.end()
            return
        self._draw_pixels(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(HIT_EDGE, 1.5))
        painter.setBrush(HIT_FILL)
        for polygon in self.highlight_polygons():
            painter.drawPolygon(polygon)
        if self.overlay is not None:
            self.overlay(painter, under_ink=True)
        self.ink_layer.paint(
            painter,
            self.ink,
            to_view=self._to_view,
            scale=self._transform.scale,
            page=self._transform,
            size=self.size(),
            ratio=self.devicePixelRatioF(),
        )
        if self.overlay is not None:
            self.overlay(painter, under_ink=False)
        if self._stroke:
            self._draw_stroke(painter, self._stroke, "#1a56db", 2.0)
        if self._pointer is not None:
            centre = self._to_view(self._pointer)
            painter.setPen(QPen(QColor("#ffffff"), 3))
            painter.setBrush(POINTER_COLOUR)
            painter.drawEllipse(centre, POINTER_RADIUS, POINTER_RADIUS)
        painter.end()
        if self._sharp and self._key != self._reported:
            self._reported = self._key
            self.painted.emit(self._key, time.perf_counter())
        elif not self._sharp and self._key != self._previewed:
            self._previewed = self._key
            self.previewed.emit(self._key, time.perf_counter())

    def _draw_pixels(self, painter: QPainter) -> None:
        """The page (scaled if it is a low-resolution stand-in) and the tiles over it."""
        page = self.page_rect()
        pixmap = self._pixmap
        if pixmap is None:
            painter.fillRect(page, QColor("#ffffff"))
        elif abs(pixmap.width() - page.width() * pixmap.devicePixelRatio()) < 2:
            if isinstance(pixmap, QImage):  # the page just arrived: its pixels, not a copy
                painter.drawImage(page.topLeft(), pixmap)
            else:
                painter.drawPixmap(page.topLeft(), pixmap)  # the sharp page: one plain copy
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            if isinstance(pixmap, QImage):
                painter.drawImage(page, pixmap, QRectF(pixmap.rect()))
            else:
                painter.drawPixmap(page, pixmap, QRectF(pixmap.rect()))
        origin = page.topLeft()
        for rect, tile in self._tiles:
            painter.drawPixmap(rect.translated(origin), tile, QRectF(tile.rect()))

    def _draw_stroke(
        self, painter: QPainter, points: list[Point], colour: str, width: float
    ) -> None:
        if self._transform is not None:
            ink = [InkPoint(p.x, p.y) for p in points]
            paint_ink(painter, self._to_view, ink, colour, width, self._transform.scale)

    # -- annotating (issue #9 "Annotations"): the annotator paints and reads input here -------

    def to_view(self, point: Point) -> QPointF:
        """``point`` (page points) in widget pixels; a page must be shown."""
        return self._to_view(point)

    def to_page(self, pos: QPointF) -> Point | None:
        """The page point under widget pixel ``pos``, or ``None`` off the page."""
        return self._to_page(pos)

    @property
    def transform(self) -> ViewTransform | None:
        return self._transform

    # -- input ---------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        point = self._to_page(event.position())
        if point is None or event.button() is not Qt.MouseButton.LeftButton:
            return
        if self.mode is InputMode.POINTER:
            self.pointed.emit(point)
        elif self.mode is InputMode.PEN:
            self._stroke = [point]
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self.mode is InputMode.PEN and self._stroke:
            point = self._to_page(event.position())
            if point is not None:
                self._stroke.append(point)
                self.update()

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self.mode is InputMode.PEN and self._stroke:
            stroke, self._stroke = tuple(self._stroke), []
            if len(stroke) > 1:
                self.stroke_drawn.emit(stroke)
            self.update()

    def page_point(self, pos: QPointF) -> Point | None:
        """The page point (PDF points) under ``pos`` in widget pixels; ``None`` off the page
        (links.py)."""
        return self._to_page(pos)

    def page_rect(self) -> QRectF:
        """Where the page is drawn, in widget pixels (for tests and the tour)."""
        if self._transform is None:
            return QRectF()
        width, height = self._transform.view_size
        return QRectF(self._origin(), QSize(int(width), int(height)).toSizeF())
