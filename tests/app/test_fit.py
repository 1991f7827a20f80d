"""Every window fits a 1280×800 tablet without cutting a word: the chair's (with the presenter
panel) and a councillor's, in Japanese and English, with normal text, large text and high
contrast — the presenter panel folds and the side column narrows rather than words shrinking.
Real relay, real engines, offscreen; the checks are :mod:`tools.screen_check`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QRect, QSize
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import KEEP, Appearance, restyle
from furano_meet.app.language import set_language
from furano_meet.app.session import Session
from furano_meet.app.tour import expect_paint
from furano_meet.app.window import MainWindow
from furano_meet.preferences import Preferences
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_viewer import chair_and_follower
from tools.screen_check import clipped

WAIT = 20
TABLET = QSize(1280, 800)
ZERO = QPoint(0, 0)
LOOKS = {
    "normal": Preferences(),
    "large": Preferences(large_text=True),
    "contrast": Preferences(high_contrast=True),
}


async def test_every_window_fits_1280_by_800_in_every_language_and_look(
    tmp_path: Path, qtbot: QtBot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        async with app_council(tmp_path, qtbot) as windows:
            chair, member = await chair_and_follower(windows)
            sessions = {"chair": chair.session, "member": member.session}
            chair.close()
            member.close()
            problems: list[str] = []
            for language in ("ja", "en"):
                set_language(app, language)
                for look, prefs in LOOKS.items():
                    Appearance.of(app).apply(prefs)
                    for role, session in sessions.items():
                        name = f"fit-{role}-{language}-{look}"
                        problems += await fitted(qtbot, session, name)
            assert problems == [], "\n".join(problems)
    finally:
        set_language(app, "ja")
        Appearance.of(app).apply(Preferences())


async def fitted(qtbot: QtBot, session: Session, name: str) -> list[str]:
    """A new window on ``session`` at 1280×800 showing the chair's page, and its 設定: what
    does not fit (window size, clipped words). The chair's window in Japanese with normal
    text keeps the presenter panel open (the room folds the side column instead)."""
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(TABLET)
    window.show()
    painted = expect_paint(window.viewer, 1)  # the chair's page, followed
    window.choose_meeting(MEETING_ID)
    await asyncio.wait_for(painted, WAIT)
    hint = window.minimumSizeHint()
    problems = [f"{name}: {p}" for p in clipped(window)]
    if hint.width() > TABLET.width() or hint.height() > TABLET.height():
        problems.append(f"{name}: asks {hint.width()}×{hint.height()}")
    if window.size() != TABLET:
        problems.append(f"{name}: grew to {window.width()}×{window.height()}")
    panel = window.presenter_panel
    if name == "fit-chair-ja-normal" and (panel.isHidden() or panel.folded):
        problems.append(f"{name}: the presenter panel is not open")
    shot(window, name)
    problems += writing_with_a_notice(window, session, name)
    settings = window.open_settings()
    settings.resize(760, 800)
    problems += [f"{name}, settings: {p}" for p in clipped(settings)]
    shot(settings, f"{name}-settings")
    settings.close()
    window.close()
    await session.ops.settle()
    return problems


def writing_with_a_notice(window: MainWindow, session: Session, name: str) -> list[str]:
    """The write bar open, a 付箋 being written and a notice shown — the tallest the page's
    column gets: the window keeps 1280×800 and every word (it grew to 907 px, 1105 with large
    text, until the notice floated over the page and the bar stood beside the bars above it)."""
    viewer = window.viewer
    viewer.annotation_bar.set_open(True)
    viewer.note_panel.open_note("", new=True)  # a 付箋 being written: the panel under the page
    session.errors.present_code("document_withdrawn")
    for _ in range(4):  # what was just shown is laid out (cascading layout requests)
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
    name = f"{name}-writing-notice"
    problems = [f"{name}: {p}" for p in clipped(window)]
    hint = window.minimumSizeHint()
    if hint.height() > TABLET.height():
        problems.append(f"{name}: asks {hint.width()}×{hint.height()}")
    if window.size() != TABLET:
        problems.append(f"{name}: grew to {window.width()}×{window.height()}")
    shot(window, name)
    if not window.notice.isVisible() or not viewer.note_panel.isVisible():
        problems.append(f"{name}: the notice or the 付箋 panel is not shown")
    notice = QRect(window.notice.mapTo(window, ZERO), window.notice.size())
    panel = viewer.note_panel.geometry().translated(viewer.mapTo(window, ZERO))
    if notice.intersects(panel) or not window.rect().contains(notice):
        problems.append(f"{name}: the notice {notice} covers the 付箋 panel {panel} or is cut")
    window.notice.hide()
    viewer.note_panel.hide()
    viewer.annotation_bar.set_open(False)
    return problems


def test_a_pen_colour_swatch_keeps_its_colour_in_high_contrast() -> None:
    """The colour is what the swatch says; everything else turns black, white and yellow."""
    sheet = f"QPushButton {{ {KEEP} background: #d0021b; color: #202124; }}"
    contrasted = restyle(sheet, 1.0, True)
    assert "#d0021b" in contrasted and "#202124" not in contrasted
