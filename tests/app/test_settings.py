"""設定 in the real app: language, large text, high contrast and the app lock, on the demo
council's real relay and engines, offscreen. Screenshots go to /tmp/shots/settings-*.png."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QScrollArea
from pytestqt.qtbot import QtBot

from furano_meet import preferences
from furano_meet.app.app_lock import AppLock
from furano_meet.app.appearance import MARK, restyle
from furano_meet.app.language import set_language
from furano_meet.app.settings_screen import SettingsScreen
from furano_meet.app.side_tabs import SideTabs
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.pin import FREE_ATTEMPTS, SETTING
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_viewer import chair_presents

WAIT = 20


def heading(window: MainWindow, text: str) -> SideTabs:
    """The side column's tab bar, which names its panels (会議 / 資料 / この資料 / 検索)."""
    tabs = window.side.tabs
    assert text in [tabs.tabText(i) for i in range(tabs.count())]
    return tabs


def locked(lock: AppLock) -> bool:
    """(A function, so the type checker does not take the lock state for a constant.)"""
    return lock.locked


async def laid_out(window: MainWindow) -> None:
    """Before a screenshot: the status bar has grown to hold its larger buttons."""
    button = next(b for b in window.statusBar().findChildren(QPushButton) if b.text() == "設定")
    await until(lambda: window.statusBar().height() >= button.minimumSizeHint().height(), WAIT)


class Clock:
    """The app lock's time source: moved by the test, never slept on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_large_text_high_contrast_and_english_apply_at_once_and_persist(
    tmp_path: Path, qtbot: QtBot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        await until(lambda: window.meetings.count() > 0, WAIT)
        screen = window.open_settings()
        qtbot.addWidget(screen)
        label = heading(window, "会議")
        normal_size = label.fontInfo().pointSize()
        normal_window = app.palette().color(QPalette.ColorRole.Window)
        shot(screen, "settings-screen")

        screen.large_text.click()
        await until(lambda: label.fontInfo().pointSize() > normal_size, WAIT)
        assert label.fontInfo().pointSize() >= round(normal_size * 1.25)
        assert screen.large_text.fontInfo().pointSize() > 15  # the settings screen grew too
        await laid_out(window)
        shot(window, "settings-large-text")

        screen.high_contrast.click()
        await until(lambda: window.styleSheet().endswith(MARK), WAIT)
        palette = app.palette()
        assert palette.color(QPalette.ColorRole.Window) != normal_window
        assert palette.color(QPalette.ColorRole.Window).lightness() == 0
        assert palette.color(QPalette.ColorRole.WindowText).lightness() == 255
        assert "#f8f9fa" not in window.styleSheet() and "#ffd600" in window.styleSheet()
        await laid_out(window)
        shot(window, "settings-high-contrast")
        shot(screen, "settings-screen-high-contrast")

        path = preferences.beside(window.session.engine.profile_directory)
        await until(lambda: preferences.load(path).high_contrast, WAIT)  # saved off the thread
        saved = preferences.load(path)
        assert saved.large_text and saved.high_contrast and saved.language == "system"

        # a restart of the window reads them back; the defaults bring the normal look back
        screen.close()
        again = MainWindow(window.session)  # not given to qtbot: switching language deletes it
        again.resize(1280, 860)
        again.show()
        again.choose_meeting(MEETING_ID)
        second = again.open_settings()
        assert second.large_text.isChecked() and second.high_contrast.isChecked()
        second.large_text.click()
        second.high_contrast.click()
        await until(lambda: not window.styleSheet().endswith(MARK), WAIT)
        assert label.fontInfo().pointSize() == normal_size
        assert app.palette().color(QPalette.ColorRole.Window) == normal_window
        await until(lambda: preferences.load(path) == preferences.Preferences(), WAIT)
        await switching_to_english_rebuilds_the_window_in_english(again)


async def switching_to_english_rebuilds_the_window_in_english(window: MainWindow) -> None:
    app = QApplication.instance()
    assert app is not None
    screen = window.settings_screen
    assert screen is not None and heading(window, "会議").isVisible()
    try:
        english = next(b for b in screen.languages.buttons() if b.property("choice") == "en")
        english.click()
        new = window.successor
        assert new is not None and new.isVisible() and not window.isVisible()
        assert heading(new, "Meetings").isVisible()
        assert new.viewer.meeting_id == MEETING_ID  # the same meeting, the same session
        new_screen = new.settings_screen
        assert new_screen is not None and new_screen.windowTitle() == "Furano Meet — Settings"
        assert new_screen.large_text.text() == "Larger text"
        shot(new_screen, "settings-english")
        shot(new, "settings-english-window")
        path = preferences.beside(new.session.engine.profile_directory)
        await until(lambda: preferences.load(path).language == "en", WAIT)
        new.close()
    finally:
        set_language(app, "ja")
        await window.session.ops.settle()


async def test_the_app_locks_when_idle_and_sync_goes_on_underneath(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        chair = (await windows.open("iincho")).session
        window = await windows.open("giin1")
        lock, clock = window.lock, Clock()
        lock.set_clock(clock)
        screen: SettingsScreen = window.open_settings()
        qtbot.addWidget(screen)

        five = next(b for b in screen.lock_choices.buttons() if b.property("choice") == 5)
        five.click()
        clock.now += 3600
        lock.check()
        assert not locked(lock)  # no PIN yet: never locks
        screen.pin_first.setText("2468")
        screen.pin_second.setText("2486")
        QTest.mouseClick(screen.set_pin, Qt.MouseButton.LeftButton)
        assert "一致しません" in screen.pin_state.text()
        scroll = screen.findChild(QScrollArea)
        assert scroll is not None
        scroll.ensureWidgetVisible(screen.make_code)
        shot(screen, "settings-pin")
        screen.pin_second.setText("2468")
        QTest.mouseClick(screen.set_pin, Qt.MouseButton.LeftButton)
        await until(lambda: lock.record is not None, WAIT)
        stored = await window.session.engine.app_setting(SETTING)
        assert stored is not None and "2468" not in stored  # a salted hash, never the PIN
        lock.check()  # the timer notes the typing above as input

        clock.now += 4 * 60
        lock.check()
        assert not locked(lock)  # four idle minutes of five
        clock.now += 61
        lock.check()
        assert locked(lock) and lock.screen.isVisible()
        assert not window.meetings.isEnabledTo(window)
        assert not screen.isVisible()  # 設定 closed: nobody changes the PIN of a locked tablet
        shot(window, "settings-lock-screen")

        # the chair turns the page while this tablet is locked: it arrives underneath
        shown = expect_paint(window.viewer, 4)
        await chair_presents(chair, 4)
        await asyncio.wait_for(shown, WAIT)
        assert locked(lock) and window.viewer.page_label.text() == "5 / 12"

        for _ in range(FREE_ATTEMPTS):
            lock.screen.pin.setText("1357")
            QTest.keyClick(lock.screen.pin, Qt.Key.Key_Return)
            await until(lambda: lock.screen.message.text() != "", WAIT)
            assert locked(lock)
            if lock.attempts.wait_left() == 0:
                assert "違います" in lock.screen.message.text()
                lock.screen.message.clear()
        assert "秒ほど待って" in lock.screen.message.text()
        shot(window, "settings-lock-screen-wait")
        lock.screen.pin.setText("2468")
        QTest.mouseClick(lock.screen.unlock, Qt.MouseButton.LeftButton)
        assert locked(lock)  # the right PIN, but too soon: asked to wait, not checked
        clock.now += 31
        lock.screen.pin.setText("2468")
        QTest.mouseClick(lock.screen.unlock, Qt.MouseButton.LeftButton)
        await until(lambda: not locked(lock), WAIT)
        assert window.meetings.isEnabledTo(window)
        assert window.viewer.page_label.text() == "5 / 12"
        assert window.viewer.canvas.key == (*FIRST_DOCUMENT, 4)
        await window.session.ops.settle()


def test_restyle_scales_sizes_and_maps_colours_by_role() -> None:
    sheet = (
        "QPushButton { font-size: 15pt; min-height: 52px; min-width: 72px;"
        " border: 2px solid #5f6368; background: #ffffff; color: #202124; }"
        "QPushButton:checked { background: #d0021b; color: #ffffff; }"
        "QPushButton:disabled { color: #9aa0a6; }"
    )
    assert restyle(sheet, 1.0, False) == sheet
    large = restyle(sheet, 1.3, False)
    assert "font-size: 20pt" in large and "min-height: 68px" in large
    assert "min-width: 72px" in large  # widths stay: a row of buttons must still fit
    contrast = restyle(sheet, 1.0, True)
    normal, checked, disabled = contrast.split("}")[:3]
    assert "background: #000000" in normal and "color: #ffffff" in normal
    assert "solid #ffffff" in normal
    assert "background: #ffd600" in checked and "color: #000000" in checked
    assert "color: #b0b0b0" in disabled
    assert "QPushButton:focus" in contrast  # the thick focus ring
    assert (
        restyle("font-size: 13pt; color: #5f6368;", 1.3, True) == "font-size: 17pt; color: #ffffff;"
    )
