"""Hands on the page: wheel, pinch, two-finger pan and swipe, turned into the viewer's intents.

Raw touch events rather than Qt's gesture recognisers: they behave the same on every platform
(and offscreen in the tests), and the rules fit on one screen:

* **Wheel** scrolls the page; at the page's top or bottom edge (or on a page that fits) a
  notch turns to the previous or next page. **Ctrl + wheel** zooms around the mouse.
* **Two fingers**: the distance between them zooms (pinch), the point between them pans; the
  page point under the fingers stays under them.
* **One finger** drags a zoomed page; a quick horizontal swipe on a page that is not scrolled
  sideways turns the page (right to left: next, as paper). In pointer or pen mode one finger
  belongs to the canvas (Qt turns it into mouse events), two still pinch and pan.

Only the page area's viewport is watched (an event filter): the canvas keeps its own input.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QTouchEvent, QWheelEvent

from .page_canvas import InputMode

if TYPE_CHECKING:
    from .viewer import Viewer

__all__ = ["SWIPE_PX", "WHEEL_ZOOM_STEP", "Gestures"]

SWIPE_PX = 80.0
"""How far (logical pixels) a one-finger flick must travel sideways to turn the page."""
WHEEL_ZOOM_STEP = 1.25
"""Zoom factor of one wheel notch with Ctrl held (as the 拡大 / 縮小 buttons)."""
_NOTCH = 120
_TOUCH = (
    QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
    QEvent.Type.TouchEnd,
    QEvent.Type.TouchCancel,
)


class Gestures(QObject):
    """Watches ``viewer.page_area``'s viewport (see the module docstring)."""

    def __init__(self, viewer: Viewer) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        viewport = viewer.page_area.viewport()
        viewport.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        # QAbstractScrollArea pans two fingers by itself (a grabbed QPanGesture): one owner of
        # the fingers here, or a pan would move the page twice as far as the fingers.
        viewport.ungrabGesture(Qt.GestureType.PanGesture)
        viewport.installEventFilter(self)
        self._wheel_edge = 0
        self._start: QPointF | None = None
        self._last: QPointF | None = None
        self._pinch: tuple[float, float] | None = None
        """(finger distance, zoom) when the second finger came down."""
        self._pinched = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if isinstance(event, QWheelEvent):
            return self._wheel(event)
        if event.type() in _TOUCH and isinstance(event, QTouchEvent):
            return self._touch(event)
        return super().eventFilter(watched, event)

    # -- wheel ---------------------------------------------------------------------------------

    def _wheel(self, event: QWheelEvent) -> bool:
        notches = event.angleDelta().y() / _NOTCH
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if notches:
                self.viewer.zoom_at(self.viewer.zoom * WHEEL_ZOOM_STEP**notches, event.position())
            return True
        bar = self.viewer.page_area.verticalScrollBar()
        at_edge = (notches < 0 and bar.value() >= bar.maximum()) or (
            notches > 0 and bar.value() <= bar.minimum()
        )
        if not notches or not at_edge:
            self._wheel_edge = 0
            return False  # the scroll area scrolls
        self._wheel_edge += event.angleDelta().y()
        if abs(self._wheel_edge) >= _NOTCH:  # a whole notch against the edge: turn
            step = -1 if self._wheel_edge > 0 else 1
            self._wheel_edge = 0
            self.viewer.turn_page(self.viewer.page + step)
            bar.setValue(bar.minimum() if step > 0 else bar.maximum())
        return True

    # -- touch ---------------------------------------------------------------------------------

    def _touch(self, event: QTouchEvent) -> bool:
        points = [p for p in event.points() if p.state() != p.State.Released]
        kind = event.type()
        if kind == QEvent.Type.TouchBegin:
            self._start = self._last = None
            self._pinch, self._pinched = None, False
        if len(points) >= 2:
            self._two(points[0].position(), points[1].position())
        elif len(points) == 1 and not self._pinched:
            if self.viewer.canvas.mode is not InputMode.READ:
                return False  # one finger draws or points: the canvas's (as a mouse)
            self._one(points[0].position())
        else:
            self._pinch = None  # a finger lifted: a new pinch starts with the next two
        if kind in (QEvent.Type.TouchEnd, QEvent.Type.TouchCancel):
            if kind == QEvent.Type.TouchEnd and not self._pinched:
                self._swipe(event)
            self._start = self._last = None
            self._pinch = None
        event.accept()
        return True

    def _two(self, a: QPointF, b: QPointF) -> None:
        centre = (a + b) / 2
        distance = max(1.0, math.dist((a.x(), a.y()), (b.x(), b.y())))
        if self._pinch is None:
            self._pinch, self._pinched = (distance, self.viewer.zoom), True
            self._last = centre
            return
        start_distance, start_zoom = self._pinch
        if self._last is not None:
            self._pan(centre - self._last)
        self._last = centre
        zoom = start_zoom * distance / start_distance
        if abs(zoom / self.viewer.zoom - 1) > 0.02:  # ignore the tremble of a still hand
            self.viewer.zoom_at(zoom, centre)

    def _one(self, position: QPointF) -> None:
        if self._start is None:
            self._start = self._last = position
            return
        if self._last is not None:
            self._pan(position - self._last)
        self._last = position

    def _pan(self, delta: QPointF) -> None:
        area = self.viewer.page_area
        area.horizontalScrollBar().setValue(area.horizontalScrollBar().value() - round(delta.x()))
        area.verticalScrollBar().setValue(area.verticalScrollBar().value() - round(delta.y()))

    def _swipe(self, event: QTouchEvent) -> None:
        if not event.points() or self.viewer.page_area.horizontalScrollBar().maximum() > 0:
            return  # a page wider than the screen: one finger scrolls it, never turns it
        point = event.points()[0]
        move = point.position() - point.pressPosition()
        if abs(move.x()) >= SWIPE_PX and abs(move.x()) > 2 * abs(move.y()):
            self.viewer.turn_page(self.viewer.page + (1 if move.x() < 0 else -1))
