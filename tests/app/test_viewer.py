"""Reading and following in the real app: real relay, real engines, real renders, offscreen."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from furano_meet.app.session import Session
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.protocol import messages as m
from furano_meet.sync.follow import Mode
from server.demo import MEETING_ID
from tests.app.conftest import Windows, app_council

WAIT = 20  # seconds: generous on a shared machine; every wait is on a positive marker


def ink_share(window: MainWindow) -> tuple[float, float]:
    """(share of dark pixels, share of white pixels) inside the painted page."""
    canvas = window.viewer.canvas
    image = canvas.grab().toImage()
    rect = canvas.page_rect().toRect()
    dark = white = total = 0
    for y in range(rect.top() + 2, rect.bottom() - 2, 3):
        for x in range(rect.left() + 2, rect.right() - 2, 3):
            lightness = QColor(image.pixel(x, y)).lightness()
            dark += lightness < 128
            white += lightness > 240
            total += 1
    return dark / total, white / total


async def test_opening_a_document_paints_a_real_page(tmp_path: Path, qtbot: QtBot) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        await opening_a_document_paints_a_real_page(await windows.open("giin1"))


async def opening_a_document_paints_a_real_page(window: MainWindow) -> None:
    await until(lambda: len(window.agenda.entries()) == 3)
    item = next(
        row
        for row in window.agenda.entries()
        if row.data(Qt.ItemDataRole.UserRole) == FIRST_DOCUMENT
    )
    painted = expect_paint(window.viewer, 0)
    rect = window.agenda.visualItemRect(item)
    QTest.mouseClick(window.agenda.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    await asyncio.wait_for(painted, WAIT)
    dark, white = ink_share(window)
    assert 0.005 < dark < 0.3  # text, not a blank or a black page
    assert white > 0.6  # and a white sheet of paper
    assert window.viewer.page_label.text() == "1 / 12"
    assert window.viewer.follow_bar.state == "idle"  # nobody presents: reading freely

    turned = expect_paint(window.viewer, 1)
    QTest.keyClick(window.viewer, Qt.Key.Key_Right)
    await asyncio.wait_for(turned, WAIT)
    assert window.viewer.page_label.text() == "2 / 12"


async def chair_presents(chair: Session, page: int) -> None:
    engine = chair.engine
    if not engine.view(MEETING_ID).presenting:
        await engine.take_presenter(MEETING_ID)
    await engine.present_page(MEETING_ID, *FIRST_DOCUMENT, page)


async def chair_and_follower(windows: Windows) -> tuple[MainWindow, MainWindow]:
    """The chair's and giin1's windows, both painting page 2, which the chair presents."""
    chair = await windows.open("iincho")
    member = await windows.open("giin1")
    shown = [expect_paint(window.viewer, 1) for window in (chair, member)]
    await chair_presents(chair.session, 1)
    await asyncio.wait_for(asyncio.gather(*shown), WAIT)
    return chair, member


async def test_the_follower_sees_the_chairs_turns_breaks_away_and_returns(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        chair = (await windows.open("iincho")).session
        await follow_break_away_and_return(chair, await windows.open("giin1"))


async def follow_break_away_and_return(chair: Session, member: MainWindow) -> None:
    viewer = member.viewer
    for page in (3, 6):
        shown = expect_paint(viewer, page)
        await chair_presents(chair, page)
        await asyncio.wait_for(shown, WAIT)
        assert viewer.follow_bar.state == "following"
        assert "委員長に追従中" in viewer.follow_bar.label.text()
        assert not viewer.follow_bar.back.isVisible()
    await chair.engine.set_pointer(MEETING_ID, m.Pointer(x=200, y=300))
    await until(lambda: viewer.canvas.pointer is not None)

    browsed = expect_paint(viewer, 5)
    QTest.keyClick(viewer, Qt.Key.Key_Left)  # a page turn of one's own
    await asyncio.wait_for(browsed, WAIT)
    await until(lambda: viewer.follow_bar.state == "browsing")
    assert viewer.follow_bar.label.text() == "委員長は7ページです"
    assert viewer.follow_bar.back.isVisible()
    assert viewer.canvas.pointer is None  # the pointer belongs to the chair's page
    assert member.session.engine.view(MEETING_ID).view.mode is Mode.BROWSING

    await chair_presents(chair, 8)  # the chair moves on; the browser is not dragged
    await until(lambda: viewer.follow_bar.label.text() == "委員長は9ページです")
    assert viewer.canvas.key == (*FIRST_DOCUMENT, 5)

    back = expect_paint(viewer, 8)
    QTest.mouseClick(viewer.follow_bar.back, Qt.MouseButton.LeftButton)
    await asyncio.wait_for(back, WAIT)
    await until(lambda: viewer.follow_bar.state == "following")
    assert viewer.page_label.text() == "9 / 12"
