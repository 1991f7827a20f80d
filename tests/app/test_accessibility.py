"""Every control of every screen can be reached with the keyboard and has a name a screen
reader can say: the main window, the first-run window (all its steps), 設定 and the lock screen
— real relay, offscreen. The administrator's window and screen (with a device's card) are
walked by ``test_first_run``, where a real administrator exists; the clerk's desk (its form and
the withdrawal's confirmation) by ``test_clerk_desk``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPushButton,
    QScrollBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from furano_meet.app.error_presenter import ErrorPresenter
from furano_meet.app.first_run import FirstRunWindow
from tests.app.conftest import app_council

INTERACTIVE = (QAbstractButton, QLineEdit, QAbstractSlider, QComboBox, QAbstractItemView,
               QAbstractSpinBox)  # fmt: skip
COMPOSITE = (QLineEdit, QAbstractSpinBox, QComboBox)
"""Controls whose inner parts (a line edit's clear button) are theirs, not separate stops."""


def controls(root: QWidget) -> list[QWidget]:
    """The interactive widgets under ``root`` a person (or a screen reader) meets."""
    found: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or isinstance(widget, QScrollBar):
            continue
        if widget.objectName().startswith("qt_") or isinstance(widget.parentWidget(), COMPOSITE):
            continue
        found.append(widget)
    return found


def name_of(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    return (widget.accessibleName() or text).strip()


def problems(root: QWidget) -> list[str]:
    """Controls without a name, or that Tab never reaches."""
    found: list[str] = []
    for widget in controls(root):
        where = f"{type(widget).__name__} {widget.objectName()!r} in {type(root).__name__}"
        if not name_of(widget):
            found.append(f"{where}: no accessible name or text")
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            found.append(f"{where}: not reachable with Tab ({widget.focusPolicy()})")
    return found


def test_the_walk_finds_an_unnamed_control_tab_cannot_reach(qtbot: QtBot) -> None:
    root = QWidget()
    qtbot.addWidget(root)
    icon_only = QPushButton(root)
    icon_only.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    assert len(problems(root)) == 2
    icon_only.setAccessibleName("ページを回転")
    icon_only.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    assert problems(root) == []


async def test_every_control_is_named_and_reachable_by_keyboard(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        member = await windows.open("giin1")
        settings = member.open_settings()
        qtbot.addWidget(settings)
        first_run = FirstRunWindow(tmp_path / "new", "new-tablet", ErrorPresenter())
        qtbot.addWidget(first_run)
        screens: list[QWidget] = [member, settings, first_run]
        assert len(controls(member)) > 10 and len(controls(first_run)) > 6
        assert member.lock.screen in member.findChildren(QWidget)  # the lock screen is walked
        found = [problem for screen in screens for problem in problems(screen)]
        assert found == []
        for screen in (settings, first_run):
            screen.close()
        await member.session.ops.settle()
