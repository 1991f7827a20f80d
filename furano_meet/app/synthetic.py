"""Synthetic pen and touch input, as a tablet's driver would deliver it (the tests and the
benchmarks; the tour's mouse drags are :func:`.tour.drag`).

Every event goes through ``QApplication.sendEvent``, delivered before the call returns, and
never through ``QTest.touchEvent``: its ``commit()`` (and its destructor) run
``QCoreApplication.processEvents()`` inside the caller, and qasync loses timer callbacks under
nested event processing (a timer id freed by the nested pass is handed out again and then
killed by the outer one), so asyncio tasks stop waking up and the loop hangs.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import (
    QEventPoint,
    QInputDevice,
    QNativeGestureEvent,
    QPointingDevice,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QApplication, QWidget

TOUCH_STATES = {
    QEvent.Type.TouchBegin: QEventPoint.State.Pressed,
    QEvent.Type.TouchUpdate: QEventPoint.State.Updated,
    QEvent.Type.TouchEnd: QEventPoint.State.Released,
}


def stylus() -> QPointingDevice:
    """A pen that reports pressure (a Wacom-style stylus or a tablet's pen)."""
    caps = QInputDevice.Capability.Position | QInputDevice.Capability.Pressure
    return QPointingDevice(
        "stylus", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen, caps, 1, 3
    )


def touch_screen() -> QPointingDevice:
    return QPointingDevice(
        "touch screen",
        2,
        QInputDevice.DeviceType.TouchScreen,
        QPointingDevice.PointerType.Finger,
        QInputDevice.Capability.Position,
        10,
        0,
    )


def tablet(
    widget: QWidget, device: QPointingDevice, kind: QEvent.Type, pos: QPointF, pressure: float
) -> None:
    """One ``TabletPress`` / ``TabletMove`` / ``TabletRelease`` at ``pos`` (widget pixels)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    button = none if kind == QEvent.Type.TabletMove else left
    buttons = none if kind == QEvent.Type.TabletRelease else left
    event = QTabletEvent(
        kind,
        device,
        pos,
        widget.mapToGlobal(pos),
        pressure,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        Qt.KeyboardModifier.NoModifier,
        button,
        buttons,
    )
    QApplication.sendEvent(widget, event)


def finger(widget: QWidget, device: QPointingDevice, path: list[QPointF]) -> None:
    """One finger down at ``path[0]``, along it, up at the end (a ``QTouchEvent`` each)."""
    kinds = [QEvent.Type.TouchBegin] + [QEvent.Type.TouchUpdate] * (len(path) - 2)
    for kind, pos in zip([*kinds, QEvent.Type.TouchEnd], path, strict=True):
        point = QEventPoint(0, TOUCH_STATES[kind], pos, widget.mapToGlobal(pos))
        event = QTouchEvent(kind, device, Qt.KeyboardModifier.NoModifier, [point])
        QApplication.sendEvent(widget, event)


Finger = tuple[int, QEventPoint.State, QPointF]
"""One finger in a touch event: its id, its state, where it is (widget pixels)."""


def touch(
    widget: QWidget, device: QPointingDevice, kind: QEvent.Type, fingers: list[Finger]
) -> bool:
    """One ``QTouchEvent`` of several fingers to ``widget``, as a touch screen's driver sends
    it (a second finger comes down as a ``Pressed`` point of a ``TouchUpdate``); returns
    whether a widget accepted it. Qt hands a ``TouchBegin`` nobody takes on to the parents."""
    points = [
        QEventPoint(finger_id, state, pos, widget.mapToGlobal(pos))
        for finger_id, state, pos in fingers
    ]
    event = QTouchEvent(kind, device, Qt.KeyboardModifier.NoModifier, points)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def touch_pad() -> QPointingDevice:
    """A laptop's touch pad: its pinch arrives as a native zoom gesture, not as touches."""
    return QPointingDevice(
        "touch pad",
        3,
        QInputDevice.DeviceType.TouchPad,
        QPointingDevice.PointerType.Finger,
        QInputDevice.Capability.Position,
        5,
        0,
    )


def native_zoom(widget: QWidget, device: QPointingDevice, pos: QPointF, value: float) -> None:
    """A touch pad's pinch step at ``pos``: the zoom grows by ``value`` (0.1 = 10 % larger)."""
    event = QNativeGestureEvent(
        Qt.NativeGestureType.ZoomNativeGesture,
        device,
        2,
        pos,
        pos,
        widget.mapToGlobal(pos),
        value,
        QPointF(0, 0),
    )
    QApplication.sendEvent(widget, event)
