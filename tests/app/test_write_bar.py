"""The annotation bar folds to one 「✎ 書き込む」 button while reading (issue #9: the page must
be big for older readers): the page is wider folded than open, the toggle opens and folds it
(folding puts the tool down), a 付箋 being written keeps it open, and the reader's choice is
remembered for the profile — real relay and store, offscreen, in the chair's 1280×860 window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from furano_meet.app.annotator import Annotator
from furano_meet.app.ink_tools import Tool
from furano_meet.app.tool_bar import AnnotationBar
from furano_meet.app.tour import until
from furano_meet.app.window import MainWindow
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_annotating import open_first_page
from tests.app.test_first_run import WAIT, shot


def is_open(bar: AnnotationBar) -> bool:
    return bar.is_open  # a call: mypy would keep an attribute narrowed across the taps


def in_hand(annotator: Annotator) -> Tool | None:
    return annotator.state.tool  # the same for the tool in hand


ROOM = 150
"""Pixels the page gains at least when the bar folds (it is ~300 px wide open)."""


async def test_the_bar_folds_for_reading_opens_to_write_and_is_remembered(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("iincho")
        viewer = window.viewer
        bar, canvas, annotator = viewer.annotation_bar, viewer.canvas, viewer.annotator
        await open_first_page(window)
        await until(lambda: viewer.write_setting.restored, WAIT)

        # reading: only the toggle, and the page has the width
        assert not is_open(bar) and bar.toggle.isVisible() and not bar.tools[Tool.PEN].isVisible()
        assert bar.toggle.accessibleName().startswith("書き込む")
        assert bar.width() < 100
        folded = canvas.width()
        shot(window, "writebar-after-folded")

        # 「✎ 書き込む」 opens the whole bar: the page narrows by the bar's width
        QTest.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)
        await until(lambda: canvas.width() < folded - ROOM, WAIT)
        await until(lambda: bar.toggle.width() > bar.width() - 20, WAIT)  # across the bar
        assert is_open(bar) and bar.tools[Tool.PEN].isVisible() and bar.share.isVisible()
        assert bar.toggle.text() == "✎ 書き込みを終える"
        opened = canvas.width()
        QTest.mouseClick(bar.tools[Tool.PEN], Qt.MouseButton.LeftButton)
        assert in_hand(annotator) is Tool.PEN
        shot(window, "writebar-after-open")

        # 「✎ 書き込みを終える」 folds it and returns to reading, no tool in hand
        QTest.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)
        await until(lambda: canvas.width() > opened + ROOM, WAIT)
        assert not is_open(bar) and in_hand(annotator) is None

        # a tool chosen in code opens it; a 付箋 being written keeps it open
        annotator.choose_tool(Tool.NOTE)
        assert is_open(bar) and bar.tools[Tool.NOTE].isChecked()
        QTest.mouseClick(
            canvas, Qt.MouseButton.LeftButton, pos=canvas.page_rect().center().toPoint()
        )
        assert viewer.note_panel.isVisible() and not bar.toggle.isEnabled()
        bar.set_open(False)
        assert is_open(bar) and in_hand(annotator) is Tool.NOTE
        annotator.close_note()
        assert bar.toggle.isEnabled()
        QTest.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)  # the reader folds it…
        assert not is_open(bar)
        QTest.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)  # …and keeps it open
        assert is_open(bar)

        # a new window on the same profile opens with the bar as the reader left it
        await window.session.ops.settle()
        again = MainWindow(window.session)
        qtbot.addWidget(again)
        again.resize(1280, 860)
        again.show()
        again.choose_meeting(MEETING_ID)
        await until(lambda: again.viewer.write_setting.restored, WAIT)
        assert is_open(again.viewer.annotation_bar)
        assert in_hand(again.viewer.annotator) is None  # open, but still reading
        QTest.mouseClick(again.viewer.annotation_bar.toggle, Qt.MouseButton.LeftButton)
        await again.session.ops.settle()
        assert await window.session.engine.app_setting("app:write_bar") == '{"open": false}'
        again.close()
        await again.session.ops.settle()
