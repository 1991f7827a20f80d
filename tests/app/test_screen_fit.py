"""Windows open within the screen they are on (``screen_fit.py``): a tablet's 1280×800 less its
task bar never gets a window whose bottom — status line, notices, buttons — hides below it."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from furano_meet.app.screen_fit import FRAME, fitted_size, resize_within_screen, side_by_side

TABLET_ROOM = QRect(0, 0, 1280, 752)  # 1280×800 less a 48 px task bar


def test_a_window_wanted_larger_than_the_tablet_is_shrunk_to_what_it_leaves() -> None:
    size = fitted_size(QSize(1366, 900), TABLET_ROOM)
    assert size == QSize(1280 - FRAME.width(), 752 - FRAME.height())


def test_only_the_side_that_does_not_fit_is_shrunk() -> None:
    assert fitted_size(QSize(760, 860), TABLET_ROOM) == QSize(760, 752 - FRAME.height())
    assert fitted_size(QSize(1366, 600), TABLET_ROOM) == QSize(1280 - FRAME.width(), 600)


def test_a_window_that_fits_keeps_its_wanted_size() -> None:
    assert fitted_size(QSize(900, 700), TABLET_ROOM) == QSize(900, 700)
    assert fitted_size(QSize(1366, 900), QRect(0, 0, 1920, 1040)) == QSize(1366, 900)


def test_without_a_screen_to_measure_the_wanted_size_is_kept(qtbot: QtBot) -> None:
    """Offscreen (tests, the tour, benchmarks) the fixed 800×800 "screen" is nobody's screen."""
    window = QWidget()
    qtbot.addWidget(window)
    assert fitted_size(QSize(1366, 900), None) == QSize(1366, 900)
    assert resize_within_screen(window, 1366, 900) is False
    assert window.size() == QSize(1366, 900)


def test_the_live_demos_two_windows_share_a_laptop_screen_without_overlapping() -> None:
    laptop = QRect(0, 0, 1366, 728)
    chair, councillor = side_by_side(2, QSize(940, 860), laptop)
    assert chair.right() + FRAME.width() < councillor.left()
    assert laptop.contains(chair.adjusted(0, 0, FRAME.width(), FRAME.height()))
    assert laptop.contains(councillor.adjusted(0, 0, FRAME.width(), FRAME.height()))
    assert chair.size() == councillor.size() == QSize(chair.width(), 728 - 20 - FRAME.height())


def test_on_a_wide_screen_the_demo_windows_keep_their_wanted_size() -> None:
    frames = side_by_side(2, QSize(940, 860), QRect(0, 0, 2560, 1400))
    assert [frame.size() for frame in frames] == [QSize(940, 860)] * 2
    assert frames[0].right() < frames[1].left()
