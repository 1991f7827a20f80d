"""With large text at 1280×800, a 付箋 being written stands beside the page, not under it.

Under the page it took ~250 px of the height: the page strip was ~190 px, half of it under a
notice (sixth session). Real relay, real engines, offscreen; the 付箋 is opened as a reader
opens it (the write bar's 付箋 tool, a tap on the page); the checks are :mod:`tools.screen_check`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import Appearance
from furano_meet.app.ink_tools import Tool
from furano_meet.app.language import set_language
from furano_meet.app.session import Session
from furano_meet.app.tour import expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.preferences import Preferences
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_annotating import choose
from tests.app.test_first_run import shot
from tests.app.test_note_placement import fitted
from tests.app.test_viewer import chair_and_follower
from tools.screen_check import clipped

WAIT = 20
TABLET = QSize(1280, 800)
UPRIGHT = QSize(800, 1200)
PAGE_AT_LEAST = 380
"""The page's height, fitted whole, with the 付箋 panel open (it was ~190 px under it)."""
IN_VIEW_AT_LEAST = 300
"""How much of that a notice floating over the page's top leaves in view (it was ~95 px)."""


def laid_out() -> None:
    for _ in range(4):  # what was just shown is laid out (cascading layout requests)
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)


def on(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


async def test_with_large_text_the_note_panel_stands_beside_the_page(
    tmp_path: Path, qtbot: QtBot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        async with app_council(tmp_path, qtbot) as windows:
            chair, member = await chair_and_follower(windows)  # the chair presents page 2
            session = member.session
            chair.close()
            member.close()
            Appearance.of(app).apply(Preferences(large_text=True))
            problems: list[str] = []
            for language in ("ja", "en"):
                set_language(app, language)
                problems += await writing_beside(qtbot, session, f"note-beside-{language}")
            assert problems == [], "\n".join(problems)
    finally:
        set_language(app, "ja")
        Appearance.of(app).apply(Preferences())


async def writing_beside(qtbot: QtBot, session: Session, name: str) -> list[str]:
    """A 付箋 tapped onto the chair's page with a notice shown: the panel beside the page, the
    page tall, nothing cut; closed, the side column comes back; upright, the panel is under."""
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(TABLET)
    window.show()
    painted = expect_paint(window.viewer, 1)  # the chair's page, followed
    window.choose_meeting(MEETING_ID)
    await asyncio.wait_for(painted, WAIT)
    viewer, panel = window.viewer, window.viewer.note_panel
    laid_out()
    side_open = window.side.shown_open
    choose(window, Tool.NOTE)
    spot = viewer.canvas.page_rect().center().toPoint()
    QTest.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton, pos=spot)
    session.errors.present_code("document_withdrawn")
    laid_out()
    await until(lambda: fitted(viewer), WAIT)  # the page fitted again to its new room
    laid_out()
    shot(window, name)
    page, note = on(window, viewer.page_area), on(window, panel)
    notice = on(window, window.notice)
    problems = [f"{name}: {p}" for p in clipped(window)]
    if window.size() != TABLET:
        problems.append(f"{name}: grew to {window.width()}×{window.height()}")
    if not panel.isVisible() or not window.notice.isVisible():
        problems.append(f"{name}: the 付箋 panel or the notice is not shown")
    if not (note.left() >= page.right() and note.top() < page.bottom()):
        problems.append(f"{name}: the 付箋 panel {note} is not beside the page {page}")
    if (height := round(viewer.canvas.page_rect().height())) < PAGE_AT_LEAST:
        problems.append(f"{name}: the page is {height} px tall")
    if (in_view := page.bottom() - max(page.top(), notice.bottom())) < IN_VIEW_AT_LEAST:
        problems.append(f"{name}: {in_view} px of the page are in view under the notice")
    if notice.intersects(note):
        problems.append(f"{name}: the notice {notice} covers the 付箋 panel {note}")
    QTest.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)  # 閉じる
    laid_out()
    if panel.isVisible() or window.side.shown_open != side_open:
        problems.append(f"{name}: closed, the panel stays or the side column did not return")
    window.notice.hide()
    window.resize(UPRIGHT)  # held upright: no width to spare beside the page
    spot = viewer.canvas.page_rect().center().toPoint()  # on the page, fitted again or not
    QTest.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton, pos=spot)
    laid_out()
    page, note = on(window, viewer.page_area), on(window, panel)
    if note.top() < page.bottom():
        problems.append(f"{name}, upright: the 付箋 panel {note} is not under the page {page}")
    QTest.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    window.close()
    await session.ops.settle()
    return problems
