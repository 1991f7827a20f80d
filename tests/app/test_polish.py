"""The polish of issue #9: the side column, search hit by hit and in my notes, and the small
fixes (a resize after the session closed, the recovery code's words, the slider in high
contrast) — real relay, real engines, offscreen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSlider, QWidget
from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, StickyNote
from furano_meet.app.appearance import GREY, restyle
from furano_meet.app.error_presenter import ErrorPresenter
from furano_meet.app.side_column import SETTING
from furano_meet.app.tour import expect_paint, until
from furano_meet.app.window import STYLE, MainWindow
from furano_meet.crypto.recovery import RecoveryCodeWrong
from furano_meet.pagespace import Point
from furano_meet.store.records import Visibility
from furano_meet.sync.events import Connectivity
from furano_meet.sync.recovery import RecoveryBoxMissing
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_first_run import WAIT, shot
from tests.app.test_search import every_document_indexed, type_in
from tools.screen_check import clipped

FIRST = ("demo-1", 1)


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def is_open(window: MainWindow) -> bool:
    """(A function, so the type checker does not take the folding for a constant.)"""
    return window.side.is_open


def tap_tab(window: MainWindow, key: str) -> None:
    """A reader's tap on one of the side column's tabs."""
    tabs = window.side.tabs
    index = next(i for i, p in enumerate(window.side.panels) if p.key == key)
    QTest.mouseClick(tabs.buttons[index], Qt.MouseButton.LeftButton)  # a tab is a button


async def test_one_panel_at_a_time_folded_behind_the_button_and_remembered(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        side, viewer = window.side, window.viewer
        # a chosen meeting turns the column to its agenda, which has the whole height
        assert side.current == "agenda" and window.agenda.isVisible()
        assert not window.meetings.isVisible() and not window.search.isVisible()
        await until(lambda: len(window.agenda.entries()) == 3, WAIT)
        painted = expect_paint(viewer, 0)
        viewer.open_document(*FIRST)
        await asyncio.wait_for(painted, WAIT)
        assert window.agenda.height() > 500  # not two rows any more (≈150 px before)
        shot(window, "polish-after-agenda")

        for key, shown in (("meetings", window.meetings), ("document", window.contents)):
            tap_tab(window, key)
            assert side.current == key and shown.isVisible()
        tap_tab(window, "search")
        assert window.search.field.isVisible()

        # ≡ folds the column: the page gets the room; the button is still there to open it
        page_width = viewer.width()
        click(side.toggle)
        await until(lambda: viewer.width() > page_width + 250, WAIT)
        assert side.toggle.isVisible() and not side.stack.isVisible()
        assert side.toggle.accessibleName().startswith("一覧")
        shot(window, "polish-after-folded")

        # a new window on the same profile: starts on 会議, then the reader's layout
        await window.session.ops.settle()
        again = MainWindow(window.session)
        qtbot.addWidget(again)
        again.resize(1280, 860)
        again.show()
        await until(lambda: again.side.restored, WAIT)
        assert again.side.current == "meetings" and is_open(again)
        again.choose_meeting(MEETING_ID)
        assert again.side.current == "search" and not is_open(again)
        click(again.side.toggle)
        assert is_open(again) and again.search.isVisible()

        # Ctrl+F: the search panel with the field ready
        tap_tab(again, "agenda")
        QTest.keyClick(again, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert again.side.current == "search" and again.search.field.hasFocus()
        again.close()
        await again.session.ops.settle()  # its lists' reloads end inside the test

        # saved while この資料 was called 目次: the key is the panel's, so the choice holds
        await window.session.engine.set_app_setting(SETTING, '{"open": true, "tab": "document"}')
        third = MainWindow(window.session)
        qtbot.addWidget(third)
        third.resize(1280, 860)
        third.show()
        await until(lambda: third.side.restored, WAIT)
        third.choose_meeting(MEETING_ID)
        tabs = third.side.tabs
        assert third.side.current == "document" and third.contents.isVisible()
        assert tabs.tabText(tabs.currentIndex()) == "この資料"
        assert "目次" not in [tabs.tabText(i) for i in range(tabs.count())]  # only inside it
        third.close()
        await third.session.ops.settle()


async def test_next_hit_steps_within_the_page_first_and_my_notes_are_found(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        await every_document_indexed(window)  # ready comes before indexed
        panel, viewer, canvas = window.search, window.viewer, window.viewer.canvas
        engine = window.session.engine
        query = "予算"
        hits = await engine.search(query, meeting_id=MEETING_ID)
        painted = expect_paint(viewer, 0)
        viewer.open_document(*FIRST)  # open in the render service, to count each page's hits
        await asyncio.wait_for(painted, WAIT)
        counts = {
            (*FIRST, h.page_no): len(await window.session.render.search(*FIRST, h.page_no, query))
            for h in hits
            if (h.doc_id, h.version) == FIRST
        }
        key = next(k for k, n in counts.items() if n >= 2)  # a page with several hits

        # my own 付箋 and a shared one with the words; a note without them
        note_page = 3
        await engine.add_annotation(
            MEETING_ID, *FIRST, note_page, AnnotationBody(StickyNote(Point(80, 90), "予算の内訳"))
        )
        await engine.add_annotation(
            MEETING_ID,
            *FIRST,
            1,
            AnnotationBody(StickyNote(Point(60, 60), "補正予算を質問する")),
            visibility=Visibility.SHARED,
        )
        await engine.add_annotation(
            MEETING_ID, *FIRST, 2, AnnotationBody(StickyNote(Point(60, 60), "関係ないメモ"))
        )

        tap_tab(window, "search")
        type_in(panel.field, query)
        await until(lambda: panel.query == query and panel.results.count() > 0, WAIT)
        assert [n.text for n in panel.notes] == ["補正予算を質問する", "予算の内訳"]
        texts = [panel.results.item(i).text() for i in range(panel.results.count())]
        assert texts[len(panel.hits)] == "メモ（2件）"  # the heading, after the pages
        assert "【予算】の内訳" in texts[-1] and "4ページ" in texts[-1]
        assert "メモ2件" in panel.summary.text()

        # a page with several hits: the first is current, 次の一致 moves on the same page
        row = next(i for i, h in enumerate(panel.hits) if (h.doc_id, h.version, h.page_no) == key)
        painted = expect_paint(viewer, key[2], key[:2])
        item = panel.results.item(row)
        panel.results.scrollToItem(item)
        QTest.mouseClick(
            panel.results.viewport(),
            Qt.MouseButton.LeftButton,
            pos=panel.results.visualItemRect(item).center(),
        )
        await asyncio.wait_for(painted, WAIT)
        await until(lambda: panel.current == (key, 0), WAIT)
        assert panel.mark.index == 0 and len(canvas.highlights) == counts[key]
        click(panel.next_hit)
        assert panel.current == (key, 1) and canvas.key == key  # same page, next hit
        assert panel.position.text() == f"このページの2件目／{counts[key]}件"
        await until(lambda: orange_pixels(window) > 20, WAIT)  # drawn stronger
        shot(window, "polish-after-hit-by-hit")
        click(panel.previous_hit)
        assert panel.current == (key, 0) and canvas.key == key

        # zoomed in: stepping brings the current hit into view
        viewer.set_zoom(4.0)
        area = viewer.page_area
        await until(lambda: canvas.height() > area.viewport().height() * 2, WAIT)
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())  # the page's foot
        assert not hit_in_view(window)
        click(panel.next_hit)
        await until(lambda: hit_in_view(window), WAIT)
        viewer.set_zoom(1.0)

        # a tap on my note opens its page
        painted = expect_paint(viewer, note_page)
        last = panel.results.item(panel.results.count() - 1)
        panel.results.scrollToItem(last)
        QTest.mouseClick(
            panel.results.viewport(),
            Qt.MouseButton.LeftButton,
            pos=panel.results.visualItemRect(last).center(),
        )
        await asyncio.wait_for(painted, WAIT)

        # the note's words are nowhere on disk in plaintext (only the encrypted store)
        await window.session.ops.settle()
        for path in engine.profile_directory.rglob("*"):
            if path.is_file():
                assert "予算の内訳".encode() not in path.read_bytes(), path


def orange_pixels(window: MainWindow) -> int:
    """Pixels of the current hit's orange frame inside its polygon's box."""
    rect = window.search.mark.rect_on_canvas()
    assert rect is not None
    image = window.viewer.canvas.grab().toImage()
    box = rect.toRect().adjusted(-3, -3, 3, 3)
    return sum(
        QColor(image.pixel(x, y)).red() > 200 and 60 < QColor(image.pixel(x, y)).green() < 160
        for y in range(max(0, box.top()), min(image.height(), box.bottom()))
        for x in range(max(0, box.left()), min(image.width(), box.right()))
    )


def hit_in_view(window: MainWindow) -> bool:
    rect = window.search.mark.rect_on_canvas()
    area = window.viewer.page_area
    if rect is None:
        return False
    shown = (
        area.viewport()
        .rect()
        .translated(area.horizontalScrollBar().value(), area.verticalScrollBar().value())
    )
    return shown.contains(rect.center().toPoint())


async def test_small_fixes_resize_after_close_and_the_recovery_words(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        viewer = window.viewer
        painted = expect_paint(viewer, 0)
        viewer.open_document(*FIRST)
        await asyncio.wait_for(painted, WAIT)

        # 回復コードを作る twice: the second says it exists and offers 作り直す, which asks first
        screen = window.open_settings()
        qtbot.addWidget(screen)
        recovery = screen.recovery
        await until(lambda: window.status.connectivity is Connectivity.ONLINE, WAIT)
        click(screen.make_code)
        await until(lambda: bool(screen.code.text()) and screen.make_code.isEnabled(), WAIT)
        old_code = screen.code.text().replace("\n", "")
        click(screen.make_code)
        await until(recovery.remake.isVisible, WAIT)
        assert "すでに作ってあります" in recovery.exists.text() and not screen.code.isVisible()
        assert not window.notice.isVisible()  # said in 設定, where the reader looks
        click(recovery.remake)
        assert "使えなくなります" in recovery.warning.text() and recovery.cancel.hasFocus()
        await until(lambda: clipped(screen) == [], WAIT)  # laid out on the next turn
        cancel = recovery.cancel  # scrolled into view, whole
        await until(lambda: cancel.visibleRegion().boundingRect() == cancel.rect(), WAIT)
        shot(screen, "polish-after-remake-confirm")
        click(recovery.cancel)  # やめる: nothing changes
        assert recovery.remake.isVisible() and not recovery.warning.isVisible()
        click(recovery.remake)
        click(recovery.confirm)
        await until(lambda: screen.code.isVisible() and recovery.confirm.isEnabled(), WAIT)
        new_code = screen.code.text().replace("\n", "")
        assert new_code != old_code and not recovery.warning.isVisible()
        engine = window.session.engine
        with pytest.raises(RecoveryCodeWrong):  # the old code stopped working
            await engine.recover_private_notes(old_code)
        # the new code opens the box; sealed from this device's own keys, it adds no meeting's
        assert await engine.recover_private_notes(new_code) == 0
        assert not window.notice.isVisible()
        notice = ErrorPresenter().present(RecoveryBoxMissing())
        assert "鍵がありません" in notice.message and "回復コードを作る" in notice.next_step
        screen.close()

        # the render service closes (as in session.close()); a pending resize draws nothing
        await asyncio.to_thread(window.session.render.shutdown)
        fired: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def timed_out() -> None:
            if not fired.done():
                fired.set_result(None)

        viewer._resize_timer.timeout.connect(timed_out)
        viewer._resize_timer.start()
        await asyncio.wait_for(fired, WAIT)
        viewer._render()  # raised ServiceClosed before the guard


def test_the_page_slider_groove_shows_in_high_contrast(qtbot: QtBot) -> None:
    groove = next(b for b in restyle(STYLE, 1.0, True).split("}") if "::groove" in b)
    assert f"background: {GREY}" in groove
    slider = QSlider(Qt.Orientation.Horizontal)
    qtbot.addWidget(slider)
    slider.setStyleSheet(restyle(STYLE, 1.0, True))
    slider.resize(300, 60)
    slider.setValue(99)
    image = slider.grab().toImage()
    row = [QColor(image.pixel(x, image.height() // 2)) for x in range(20, 120)]
    assert sum(c.name() == GREY for c in row) > 50  # the track, grey on the black window
