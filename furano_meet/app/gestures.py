"""Hands on the page: wheel, pinch, two-finger pan and swipe, turned into the viewer's intents.

Raw touch events rather than Qt's gesture recognisers: they behave the same on every platform
(and offscreen in the tests), and the rules fit on one screen:

* **Wheel** scrolls the page; at the page's top or bottom edge (or on a page that fits) a
  notch turns to the previous or next page. **Ctrl + wheel** zooms around the mouse.
* **Two fingers**: the distance between them zooms (pinch), the point between them pans; the
  page point under the fingers stays under them.
* **One finger** drags a zoomed page; a quick horizontal swipe on a page that is not scrolled
  sideways turns the page (right to left: next, as paper) — a turn of the reader's own, so a
  follower starts browsing, as with a key. A tap (a finger that hardly moved) is never a swipe:
  on an internal link it follows it (:mod:`.links`; touches taken here make no mouse click). In
  pointer or pen mode one finger belongs to the canvas (Qt turns it into mouse events), two
  still pinch and pan.
* **Palm rejection**: while a stylus is down or near (the annotator's
  :class:`~.ink_tools.PenGate`, fed by every tablet event on the canvas) touches are the hand
  resting on the glass: taken and ignored, so a palm never zooms, pans or turns the page.
* **A touch pad's pinch** arrives as a native zoom gesture and zooms around the pointer.

Positions are read from each point's global position, so it does not matter which widget Qt
handed the event to (a ``TouchBegin`` the canvas ignores reaches the viewport with its points
moved; the updates then come to the viewport directly).

Only the page area's viewport is watched (an event filter): the canvas keeps its own input.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QNativeGestureEvent, QTouchEvent, QWheelEvent

from .page_canvas import InputMode

if TYPE_CHECKING:
    from .viewer import Viewer

__all__ = ["SWIPE_PX", "TAP_PX", "WHEEL_ZOOM_STEP", "Gestures"]

SWIPE_PX = 80.0
"""How far (logical pixels) a one-finger flick must travel sideways to turn the page."""
TAP_PX = 12.0
"""A finger that moved less than this (logical pixels) between down and up tapped."""
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
        self._rest = QPointF()
        """What the last pans left of a pixel (:meth:`_pan`)."""
        self._pinch: tuple[float, float] | None = None
        """(finger distance, zoom) when the second finger came down."""
        self._pinched = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if isinstance(event, QWheelEvent):
            return self._wheel(event)
        if event.type() in _TOUCH and isinstance(event, QTouchEvent):
            return self._touch(event)
        if isinstance(event, QNativeGestureEvent):
            return self._native(event)
        return super().eventFilter(watched, event)

    def _at(self, global_position: QPointF) -> QPointF:
        """A finger's place in the viewport's pixels."""
        return self.viewer.page_area.viewport().mapFromGlobal(global_position)

    def _native(self, event: QNativeGestureEvent) -> bool:
        if event.gestureType() != Qt.NativeGestureType.ZoomNativeGesture:
            return False
        at = self._at(event.globalPosition())
        self.viewer.zoom_at(self.viewer.zoom * (1.0 + event.value()), at)
        event.accept()
        return True

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
        kind = event.type()
        if kind == QEvent.Type.TouchBegin:
            self._start = self._last = None
            self._pinch, self._pinched = None, False
        event.accept()
        if self.viewer.annotator.gate.blocks_touch(time.monotonic()):
            self._start = self._last = self._pinch = None
            self._pinched = True  # the palm: this touch never ends as a swipe or a tap
            return True
        points = [
            self._at(p.globalPosition()) for p in event.points() if p.state() != p.State.Released
        ]
        if len(points) >= 2:
            self._two(points[0], points[1])
        elif len(points) == 1 and not self._pinched:
            if self.viewer.canvas.mode is not InputMode.READ:
                event.ignore()
                return False  # one finger draws or points: the canvas's (as a mouse)
            self._one(points[0])
        else:
            self._pinch = None  # a finger lifted: a new pinch starts with the next two
        if kind in (QEvent.Type.TouchEnd, QEvent.Type.TouchCancel):
            if kind == QEvent.Type.TouchEnd and not self._pinched and event.points():
                self._lifted(self._at(event.points()[0].globalPosition()))
            self._start = self._last = None
            self._pinch = None
        return True

    def _two(self, a: QPointF, b: QPointF) -> None:
        centre = (a + b) / 2
        distance = max(1.0, math.dist((a.x(), a.y()), (b.x(), b.y())))
        if self._pinch is None:
            self._pinch, self._pinched = (distance, self.viewer.zoom), True
            self._last, self._rest = centre, QPointF()
            return
        start_distance, start_zoom = self._pinch
        previous = centre if self._last is None else self._last
        zoom = start_zoom * distance / start_distance
        # Zoom about where the fingers were, then follow them: the page point under them stays
        # under them. (Panning first lost the move on a page that fitted: no room to scroll
        # before the zoom made some.)
        if abs(zoom / self.viewer.zoom - 1) > 0.02:  # ignore the tremble of a still hand
            self.viewer.zoom_at(zoom, previous)
        self._pan(centre - previous)
        self._last = centre

    def _one(self, position: QPointF) -> None:
        if self._start is None:
            self._start = self._last = position
            self._rest = QPointF()
            return
        if self._last is not None:
            self._pan(position - self._last)
        self._last = position

    def _pan(self, delta: QPointF) -> None:
        """Scroll by ``delta`` viewport pixels; the part of a pixel a move leaves is kept for the
        next, so a slow finger's many small moves add up to where the finger went (rounding each
        one drifted: six moves of 16.7 px scrolled 102 px for a 100 px drag)."""
        whole = delta + self._rest
        dx, dy = round(whole.x()), round(whole.y())
        self._rest = whole - QPointF(dx, dy)
        area = self.viewer.page_area
        area.horizontalScrollBar().setValue(area.horizontalScrollBar().value() - dx)
        area.verticalScrollBar().setValue(area.verticalScrollBar().value() - dy)

    def _lifted(self, end: QPointF) -> None:
        """One finger came up at ``end`` (viewport pixels): a tap, a swipe, or the end of a
        drag. Measured from where it came down here (a hand-built or propagated event's
        ``pressPosition`` is not to be trusted)."""
        if self._start is None:
            return
        move = end - self._start
        if abs(move.x()) + abs(move.y()) < TAP_PX:
            canvas = self.viewer.canvas
            self.viewer.links.tap(canvas.mapFrom(self.viewer.page_area.viewport(), end))
        elif self.viewer.page_area.horizontalScrollBar().maximum() > 0:
            return  # a page wider than the screen: one finger scrolls it, never turns it
        elif abs(move.x()) >= SWIPE_PX and abs(move.x()) > 2 * abs(move.y()):
            self.viewer.turn_page(self.viewer.page + (1 if move.x() < 0 else -1))
