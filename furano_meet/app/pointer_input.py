"""Which of Qt's pen, touch and mouse events write on the page, as one stream.

Why a module of its own: a tablet sends the same gesture three ways — the stylus's
:class:`QTabletEvent` (with pressure), the mouse events Qt makes from it, and, for the hand
resting on the glass, touches and the mouse events Qt makes from *those*. Deciding which one
is the writer's intent is palm rejection (:class:`~.ink_tools.PenGate`), and it is apart from
what the chosen tool then does with a point. :class:`PointerInput` watches the canvas (an
event filter) and hands the :class:`~.annotator.Annotator` one stream of press / move /
release with a position in canvas pixels and a pressure (1.0 for a finger or the mouse):

* the stylus writes with its pressure; its hover moves are dropped unless something is being
  drawn or dragged;
* while the stylus is down or near, a touch (and the mouse events Qt makes from it) is the
  palm and writes nothing; with no pen near, one finger writes like the pen;
* the mouse writes at full pressure; mouse events Qt made from a tablet event already taken
  are dropped.

The gate is fed with no tool chosen too: the gestures (:mod:`.gestures`) ask the same gate,
so a hand resting beside the chair's pen or a reading stylus never pinches or turns.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF
from PySide6.QtGui import QInputDevice, QMouseEvent, QTabletEvent, QTouchEvent
from PySide6.QtWidgets import QWidget

from .ink_tools import PenGate

__all__ = ["Feed", "PointerInput"]

Feed = Callable[[QEvent.Type, QPointF, float], None]
"""Receives (``MouseButtonPress`` / ``MouseMove`` / ``MouseButtonRelease``, canvas position,
pressure 0..1)."""

TABLET = {QEvent.Type.TabletPress, QEvent.Type.TabletMove, QEvent.Type.TabletRelease}
MOUSE = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease}
TOUCH = {
    QEvent.Type.TouchBegin: QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchUpdate: QEvent.Type.MouseMove,
    QEvent.Type.TouchEnd: QEvent.Type.MouseButtonRelease,
    QEvent.Type.TouchCancel: QEvent.Type.MouseButtonRelease,
}
_FROM_TABLET = {
    QEvent.Type.TabletPress: QEvent.Type.MouseButtonPress,
    QEvent.Type.TabletMove: QEvent.Type.MouseMove,
    QEvent.Type.TabletRelease: QEvent.Type.MouseButtonRelease,
}


class PointerInput(QObject):
    """Filters ``canvas``'s events into ``feed`` while ``active()`` (a tool is chosen);
    ``busy()``: a stroke or drag is under way (else a hovering stylus's moves are dropped)."""

    def __init__(
        self,
        canvas: QWidget,
        gate: PenGate,
        *,
        active: Callable[[], bool],
        busy: Callable[[], bool],
        feed: Feed,
    ) -> None:
        super().__init__(canvas)
        self.canvas, self.gate = canvas, gate
        self._active, self._busy, self._feed = active, busy, feed
        canvas.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is not self.canvas:
            return False
        kind = event.type()
        if kind == QEvent.Type.TabletLeaveProximity:
            self.gate.pen_left()
        elif kind in TABLET and isinstance(event, QTabletEvent):
            down = kind != QEvent.Type.TabletRelease and bool(event.buttons())
            self.gate.saw_pen(time.monotonic(), down=down)
        if not self._active():
            return False
        if kind in TABLET and isinstance(event, QTabletEvent):
            self._tablet(event)
            return True
        elif kind in TOUCH and isinstance(event, QTouchEvent):
            self._touch(event)
            return True
        elif kind in MOUSE and isinstance(event, QMouseEvent):
            if event.device().type() == QInputDevice.DeviceType.TouchScreen:
                if self.gate.blocks_touch(time.monotonic()):
                    return True  # the palm while the pen writes
            elif event.device().type() == QInputDevice.DeviceType.Stylus:
                return True  # made by Qt from a tablet event we already took
            self._feed(kind, event.position(), 1.0)
            return True
        return False

    def _tablet(self, event: QTabletEvent) -> None:
        kind = event.type()
        event.accept()
        if kind == QEvent.Type.TabletMove and not self._busy():
            return  # the pen hovering
        self._feed(_FROM_TABLET[kind], event.position(), event.pressure())

    def _touch(self, event: QTouchEvent) -> None:
        """One finger writes like the pen; any touch while the pen is near is the palm."""
        event.accept()  # taken either way: Qt makes no mouse events from it
        if self.gate.blocks_touch(time.monotonic()) or not event.points():
            return
        point = event.points()[0]
        pos = self.canvas.mapFromGlobal(point.globalPosition())
        self._feed(TOUCH[event.type()], pos, 1.0)
