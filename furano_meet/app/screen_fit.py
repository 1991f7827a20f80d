"""Windows sized to the screen they open on, never past its edge.

Why: the app's windows had fixed first sizes (the main window 1366×900, 設定 760×860) chosen
on a desktop monitor. On a meeting-room tablet (1280×800, less the task bar) such a window
opens taller than the screen: its bottom — the status line, the notice, the buttons — sits
under the task bar, and an older reader has no idea a window can be moved. Every window is laid
out to fit 1280×800 (``tests/app/test_fit.py``); this module makes sure it is *opened* that way.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FRAME = QSize(16, 40)
"""Room for the window manager's frame and title bar, which ``availableGeometry`` includes."""


def room_on_screen(widget: QWidget) -> QRect | None:
    """The part of the widget's screen a window may cover (task bars excluded), if known.

    None on the offscreen platform: its "screen" is a fixed 800×800 nobody looks at, and the
    tests, the tour and the benchmarks that run there choose their windows' sizes themselves.
    """
    if QGuiApplication.platformName() == "offscreen":
        return None
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return None if screen is None else screen.availableGeometry()


def fitted_size(wanted: QSize, room: QRect | None) -> QSize:
    """``wanted``, shrunk to what the screen leaves once the frame is drawn."""
    if room is None:
        return wanted
    return wanted.boundedTo(QSize(room.width() - FRAME.width(), room.height() - FRAME.height()))


def resize_within_screen(window: QWidget, width: int, height: int) -> bool:
    """Give ``window`` its wanted first size, or what its screen allows; True when shrunk.

    Qt keeps a window at least its minimum size, so a screen smaller than the layout's minimum
    still gets the whole layout (the tests keep that minimum within 1280×800).
    """
    wanted = QSize(width, height)
    size = fitted_size(wanted, room_on_screen(window))
    window.resize(size)
    return size != wanted


def show_main_window(window: QWidget, width: int, height: int) -> None:
    """The app's main window: its wanted size on a large screen, maximised on a small one.

    A tablet's screen is the meeting: maximised, nothing of the page is lost to a frame the
    reader would have to drag.
    """
    if resize_within_screen(window, width, height):
        window.showMaximized()
    else:
        window.show()


def side_by_side(count: int, wanted: QSize, room: QRect | None, gap: int = 20) -> list[QRect]:
    """Frames for ``count`` windows in a row, each at most ``wanted``, all within ``room``.

    Why: the live demo opens the chair's and a councillor's windows together so a newcomer
    sees a page turn travel from one to the other; on a laptop's 1366×768 two 940-wide
    windows would overlap and the councillor's would hide half the chair's.
    """
    if room is None:
        room = QRect(0, 0, gap + count * (wanted.width() + gap), wanted.height() + 2 * gap)
    width = min(wanted.width(), (room.width() - gap * (count + 1) - FRAME.width() * count) // count)
    size = fitted_size(QSize(width, wanted.height()), room.adjusted(0, gap, 0, 0))
    return [
        QRect(
            room.left() + gap + index * (size.width() + FRAME.width() + gap),
            room.top() + gap,
            size.width(),
            size.height(),
        )
        for index in range(count)
    ]
