"""The current search hit, drawn stronger than the others on the page.

All the query's hits on a page are marked by the canvas itself (translucent yellow). When the
reader steps hit by hit (前の一致 / 次の一致), the one they are at gets a thick orange frame and a
deeper fill, so the eye finds it at once among the others. It is a transparent child of the
canvas rather than a change to the canvas: it paints after the canvas, from the canvas's own
:meth:`~.page_canvas.PageCanvas.highlight_polygons` (so it sits exactly on the same words at
any zoom), and lets every mouse, pen and touch event through.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from .page_canvas import PageCanvas

EDGE = QColor("#e8710a")
FILL = QColor(232, 113, 10, 70)


class HitMark(QWidget):
    """Marks hit number :attr:`index` of the canvas's highlights (``None``: none)."""

    def __init__(self, canvas: PageCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.index: int | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)

    def set_index(self, index: int | None) -> None:
        self.index = index
        self.update()

    def rect_on_canvas(self) -> QRectF | None:
        """Where the current hit is, in canvas pixels (to scroll it into view)."""
        polygons = self.canvas.highlight_polygons()
        if self.index is None or not 0 <= self.index < len(polygons):
            return None
        return polygons[self.index].boundingRect()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.canvas and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        polygons = self.canvas.highlight_polygons()
        if self.index is None or not 0 <= self.index < len(polygons):
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(EDGE, 4))
        painter.setBrush(FILL)
        painter.drawPolygon(polygons[self.index])
        painter.end()
