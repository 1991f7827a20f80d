"""The page's stored ink, drawn once into a layer and blitted on every paint.

Why: every paint of the page canvas — a stroke arriving from another device, the follower's
store read after it, the pointer moving, each pen sample's repaint — drew every stroke on the
page again, segment by segment (a pen stroke is many round-capped, pressure-wide segments,
:func:`~.mark_painter.paint_ink`). That is linear in the ink on the page: ~0.2 ms a 12-point
stroke on this machine, so a page holding 100 strokes took ~20 ms a paint, several paints a
received stroke, and the issue's "shared stroke painted on another device" grew from ~40 ms on
a fresh page to 130–200 ms (bench/app_follow.py measures strokes 51–100 on one page).

Here the committed ink is drawn into a transparent image the size of the canvas, and a paint is
one ``drawImage``. Ink that only *grows* (a stroke received or stored: the new tuple starts
with the one drawn) is added by drawing the new strokes alone; anything else (an erase, an
undo, another page, a zoom, a resize, a new pixel ratio) redraws the layer once. Drawing onto
a transparent layer and then over the page gives the same pixels as drawing over the page
(source-over is associative), so the ink looks as before.

The layer covers the whole canvas, so it is kept only while the canvas is at most
:data:`MAX_LAYER_PIXELS` device pixels (the page fitted, or a moderate zoom): a page zoomed
far in is a canvas of tens of millions of pixels, and there the strokes are drawn directly as
before (the painter clips them to what is exposed).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QImage, QPainter

from furano_meet.annotations import Ink
from furano_meet.render import MAX_PIXELS
from furano_meet.sync.queries import AnnotationView

from .mark_painter import ToView, paint_ink

MAX_LAYER_PIXELS = MAX_PIXELS // 2
"""The largest layer kept, in device pixels (32 MiB): a fitted page on a 4K screen at 2×."""


class InkLayer:
    """The committed ink of one canvas as an image; see the module docstring."""

    def __init__(self) -> None:
        self._image: QImage | None = None
        self._drawn: tuple[Ink, ...] = ()
        self._geometry: object = None
        self.redraws = 0
        """How many times the whole layer was drawn (for tests: a received stroke adds
        itself, it does not redraw the page's ink)."""
        self.strokes_drawn = 0
        """Strokes drawn into the layer or directly, in all (for tests)."""

    def paint(
        self,
        painter: QPainter,
        ink: tuple[Ink, ...],
        *,
        to_view: ToView,
        scale: float,
        page: object,
        size: QSize,
        ratio: float,
    ) -> None:
        """Draw ``ink`` with ``painter`` on a widget of ``size`` at pixel ratio ``ratio``.
        ``page`` is what ``to_view`` and ``scale`` map through (the canvas's transform): when
        it, the size or the ratio changes, the layer is drawn again."""
        if not ink:
            self.release()
            return
        pixels = size.width() * size.height() * ratio * ratio
        if pixels > MAX_LAYER_PIXELS or size.isEmpty():
            self.release()
            for stroke in ink:
                self._stroke(painter, stroke, to_view, scale)
            return
        geometry = (page, QSize(size), ratio)
        image = self._image
        if image is None or geometry != self._geometry or not _grows(self._drawn, ink):
            image = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            self._image, self._geometry, self._drawn = image, geometry, ()
            self.redraws += 1
        if len(ink) > len(self._drawn):
            layer = QPainter(image)
            layer.setRenderHint(QPainter.RenderHint.Antialiasing)
            for stroke in ink[len(self._drawn) :]:
                self._stroke(layer, stroke, to_view, scale)
            layer.end()
            self._drawn = ink
        painter.drawImage(QPointF(0, 0), image)

    def release(self) -> None:
        """Forget the layer (no ink shown): its memory goes back at once."""
        self._image, self._drawn, self._geometry = None, (), None

    def _stroke(self, painter: QPainter, stroke: Ink, to_view: ToView, scale: float) -> None:
        paint_ink(painter, to_view, stroke.points, stroke.colour, stroke.width, scale)
        self.strokes_drawn += 1


def _grows(drawn: tuple[Ink, ...], ink: tuple[Ink, ...]) -> bool:
    """Whether ``ink`` is ``drawn`` with strokes added after it (what is drawn stays right)."""
    return len(ink) >= len(drawn) and all(
        a is b or a == b for a, b in zip(drawn, ink, strict=False)
    )


def in_shown_order(
    shown: tuple[AnnotationView, ...], read: tuple[AnnotationView, ...]
) -> tuple[AnnotationView, ...]:
    """The notes of a store read (the truth: which notes, and what they hold), in the order
    they are shown already, the newly read ones after them.

    Why: the store orders notes by the relay's clock, which counts whole seconds, and then by
    note id, so strokes written within one second come back in an order of their ids, not of
    their arrival. Shown as read, every read after a received stroke reordered the page's
    ink, so the layer had to draw every stroke again; kept in the order shown, the read only
    adds what was missing, and the ink stacks in the order it arrived."""
    position = {note.annotation_id: i for i, note in enumerate(shown)}
    return tuple(sorted(read, key=lambda note: position.get(note.annotation_id, len(shown))))
