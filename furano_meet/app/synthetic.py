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
from PySide6.QtGui import QEventPoint, QInputDevice, QPointingDevice, QTabletEvent, QTouchEvent
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
