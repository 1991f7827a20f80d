"""The notice is calm: one that needs nothing of the reader folds away by itself, never under
a finger or with the keyboard on it; one that asks something stays until 閉じる; floating over
a short page at large English text it shrinks to two lines with 「詳しく」; a screen reader gets
the whole of it either way. Real widgets offscreen; the reading time is injected (short) and
waited on through the timer's own signal and the banner's visibility, never a sleep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent, QFontMetrics
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import Appearance
from furano_meet.app.error_presenter import SELF_RESOLVING, ErrorPresenter
from furano_meet.app.language import set_language
from furano_meet.app.notice_bar import COVER_AT_MOST, FloatingNotice, NoticeBar, first_lines
from furano_meet.app.window import STYLE
from furano_meet.preferences import Preferences

FOLD_MS = 200
HOSTS: list[QWidget] = []


def banner(qtbot: QtBot) -> tuple[NoticeBar, ErrorPresenter]:
    host = QWidget()
    HOSTS.append(host)  # kept for the test (the bar and the presenter are its children)
    host.setStyleSheet(STYLE)
    qtbot.addWidget(host)
    field = QLineEdit(host)  # where the reader's keyboard is (the window's search field, say)
    field.setFocus()
    bar = NoticeBar(host, fold_after_ms=FOLD_MS)
    bar.move(0, 60)
    errors = ErrorPresenter(host)
    errors.shown.connect(bar.show_notice)
    host.resize(900, 400)
    host.show()
    return bar, errors


def keyboard_in_window(bar: NoticeBar, qtbot: QtBot) -> QLineEdit:
    """The banner's window active and the keyboard in its field (a window's search field)."""
    host = bar.parentWidget()
    assert host is not None
    host.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is host, timeout=5000)
    field = host.findChild(QLineEdit)
    assert field is not None
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    return field


def test_a_notice_that_needs_nothing_folds_away_by_itself(qtbot: QtBot) -> None:
    bar, errors = banner(qtbot)
    assert "unreachable" in SELF_RESOLVING
    errors.present_code("unreachable")  # つながると自動で同期します: nothing to do
    assert bar.isVisible()
    assert bar.fold_timer.isActive()
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)


def test_a_notice_that_asks_something_stays_until_closed(qtbot: QtBot) -> None:
    bar, errors = banner(qtbot)
    errors.present_code("unreachable")
    errors.present_code("disk_full")  # the environment's fault, yet the reader must free space
    assert errors.last is not None and errors.last.needs_action
    assert bar.isVisible()
    assert not bar.fold_timer.isActive()  # a later notice that asks stops the earlier fold
    bar.close_button.click()
    assert not bar.isVisible()


def test_it_never_folds_under_a_finger(qtbot: QtBot) -> None:
    bar, errors = banner(qtbot)
    errors.present_code("connection_lost")
    inside = QPointF(bar.rect().center())
    QApplication.sendEvent(bar, QEnterEvent(inside, inside, QPointF(bar.mapToGlobal(QPoint()))))
    for _ in range(2):  # the reading time is up, twice, with the pointer on it
        with qtbot.waitSignal(bar.fold_timer.timeout, timeout=5000):
            pass
        assert bar.isVisible()
    QApplication.sendEvent(bar, QEvent(QEvent.Type.Leave))  # the finger lifts
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)


def test_it_never_folds_with_the_keyboard_on_it(qtbot: QtBot) -> None:
    bar, errors = banner(qtbot)
    field = keyboard_in_window(bar, qtbot)
    errors.present_code("no_meeting_key")
    QTest.keyClick(field, Qt.Key.Key_Tab)  # the reader's keyboard moves onto 閉じる
    qtbot.waitUntil(bar.close_button.hasFocus, timeout=5000)
    for _ in range(2):
        with qtbot.waitSignal(bar.fold_timer.timeout, timeout=5000):
            pass
        assert bar.isVisible()
    QTest.keyClick(bar.close_button, Qt.Key.Key_Tab)  # and on, to the search field
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)


def test_focus_that_lands_on_it_when_a_panel_closes_does_not_hold_it(qtbot: QtBot) -> None:
    """The 付箋 panel closed after 保存: Qt moves its focus to the next widget in the chain —
    the notice's button — as if by Tab. The reader did not go there: it still folds."""
    bar, errors = banner(qtbot)
    field = keyboard_in_window(bar, qtbot)
    errors.present_code("connection_lost")
    field.hide()  # the focused panel closes
    qtbot.waitUntil(bar.close_button.hasFocus, timeout=5000)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)


@pytest.fixture
def english_large() -> Iterator[None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    set_language(app, "en")
    Appearance.of(app).apply(Preferences(large_text=True))
    try:
        yield
    finally:
        set_language(app, "ja")
        Appearance.of(app).apply(Preferences())


@pytest.mark.usefixtures("english_large")
def test_over_a_short_page_it_shrinks_to_two_lines_and_opens_with_details(qtbot: QtBot) -> None:
    host = QWidget()
    host.setStyleSheet(STYLE)
    qtbot.addWidget(host)
    page = QWidget(host)
    host.resize(700, 420)
    page.setGeometry(0, 60, 700, 360)  # a page squeezed short (the 付箋 panel open below it)
    bar = NoticeBar(fold_after_ms=FOLD_MS)
    FloatingNotice(bar, host, page)
    errors = ErrorPresenter(host)
    errors.shown.connect(bar.show_notice)
    host.show()
    notice = errors.present_code("recovery_box_missing")  # the longest words there are
    qtbot.waitUntil(lambda: bar.compact, timeout=5000)
    assert bar.full_height(page.width()) > page.height() * COVER_AT_MOST
    qtbot.waitUntil(lambda: bar.height() <= page.height() * COVER_AT_MOST, timeout=5000)
    assert bar.more.isVisible()
    shown = bar.text.text().split("\n")
    assert 1 <= len(shown) <= 2, shown  # the message in two lines at most, cut with 「…」
    metrics = bar.text.fontMetrics()
    assert all(metrics.horizontalAdvance(line) <= bar.text.width() for line in shown), shown
    words = "".join(shown).removesuffix("…").replace(" ", "")
    assert words and notice.message.replace(" ", "").startswith(words)  # the message's start
    assert notice.next_step not in bar.text.text()
    # a screen reader hears all of it, folded or not
    assert bar.accessibleName() == notice.message
    assert bar.accessibleDescription() == notice.next_step
    bar.more.click()  # 詳しく: the whole notice, until 閉じる (it asks something)
    qtbot.waitUntil(lambda: bar.height() > page.height() * COVER_AT_MOST, timeout=5000)
    assert notice.next_step in bar.text.text()
    assert not bar.more.isVisible()
    assert bar.isVisible()


def test_over_a_tall_page_the_whole_notice_shows(qtbot: QtBot) -> None:
    host = QWidget()
    host.setStyleSheet(STYLE)
    qtbot.addWidget(host)
    page = QWidget(host)
    host.resize(1000, 700)
    page.setGeometry(0, 60, 1000, 640)
    bar = NoticeBar()
    FloatingNotice(bar, host, page)
    errors = ErrorPresenter(host)
    errors.shown.connect(bar.show_notice)
    host.show()
    notice = errors.present_code("document_withdrawn")
    qtbot.waitUntil(lambda: bar.height() > 0 and bar.width() == page.width(), timeout=5000)
    assert not bar.compact
    assert not bar.more.isVisible()
    assert bar.text.text() == f"{notice.message}\n{notice.next_step}"


def test_the_shrunk_message_is_its_first_two_lines_cut_with_an_ellipsis(qtbot: QtBot) -> None:
    bar, _ = banner(qtbot)
    font = bar.text.font()
    message = "表示中の資料は議会事務局により取り下げられました。"
    width = QFontMetrics(font).horizontalAdvance(message) // 3  # three lines' worth
    lines = first_lines(message, font, width).split("\n")
    assert len(lines) == 2 and lines[1].endswith("…"), lines
    assert message.startswith(lines[0] + lines[1].removesuffix("…"))
    assert all(QFontMetrics(font).horizontalAdvance(line) <= width for line in lines)
    assert first_lines(message, font, width * 4) == message  # it fits: whole, no 「…」
