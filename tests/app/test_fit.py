"""Every window fits a 1280×800 tablet without cutting a word: the chair's (with the presenter
panel) and a councillor's, in Japanese and English, with normal text, large text and high
contrast — the presenter panel folds and the side column narrows rather than words shrinking.
Real relay, real engines, offscreen; the checks are :mod:`tools.screen_check`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, QSize
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import KEEP, MARK, Appearance, restyle
from furano_meet.app.bars import FollowBar
from furano_meet.app.error_presenter import ErrorPresenter
from furano_meet.app.first_run import FirstRunWindow
from furano_meet.app.language import set_language
from furano_meet.app.session import Session
from furano_meet.app.tour import expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.preferences import Preferences
from furano_meet.store import PassphraseRequired
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


FIRST_RUN = QSize(900, 760)
"""The size the first-run window opens at (``first_run.prepare_profile``)."""


@pytest.mark.parametrize("look", ["normal", "contrast", "large"])
async def test_the_first_run_pages_fit_the_tablet_in_every_language(
    look: str, tmp_path: Path, qtbot: QtBot
) -> None:
    """Each step of the first run (passphrase, invitation with the relay asked for and a
    notice, waiting with the fingerprint, the recovery code), driven through the window's
    public interface as ``tools.screens`` shows them, opened at its own 900×760: no word cut,
    and never asking more than the 1280×800 tablet (with large text the invitation step with a
    notice is ~935 px tall: it scrolls within the window instead of growing it)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    problems: list[str] = []
    try:
        Appearance.of(app).apply(LOOKS[look])
        for language in ("ja", "en"):
            set_language(app, language)
            name = f"fit-first-run-{language}-{look}"
            problems += await first_run_fitted(tmp_path / name, qtbot, name)
    finally:
        set_language(app, "ja")
        Appearance.of(app).apply(Preferences())
    assert problems == [], "\n".join(problems)


async def first_run_fitted(data: Path, qtbot: QtBot, name: str) -> list[str]:
    errors = ErrorPresenter()
    window = FirstRunWindow(data, "fit", errors)
    qtbot.addWidget(window)
    window.resize(FIRST_RUN)
    window.show()
    if not Appearance.of(QApplication.instance()).default:  # type: ignore[arg-type]
        await until(lambda: window.styleSheet().endswith(MARK))  # rewritten on the next turn
    window.passphrase.ask(PassphraseRequired("no keychain", new_store=True))
    window.waiting.show_fingerprint("K7QX-2M9D-PL4A-W8RT-6HZN-C3VB")
    window.recovery.show_code("TQ4M7-XK2PD-9WLRA-3HN8C-V6BZE-J5Y2S")
    window.invitation.ask_for_relay()
    problems = []
    for step in (window.passphrase, window.invitation, window.waiting, window.recovery):
        holder = step.parentWidget() or step
        bar = window.scroller.verticalScrollBar()
        bar.setValue(bar.maximum())  # the last step was read to its end (or tabbed through)
        window.pages.setCurrentWidget(holder)
        if bar.value() != 0:
            problems.append(f"{name}-{type(step).__name__}: opened scrolled to {bar.value()}")
        if step is window.invitation:
            errors.present_code("invitation_untrusted")  # a notice above the step
        for _ in range(4):  # what was just shown is laid out (cascading layout requests)
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
        page = f"{name}-{type(step).__name__}"
        assert window.current is step
        problems += [f"{page}: {p}" for p in clipped(window)]
        hint = window.minimumSizeHint()  # it may grow past 900×760, not past the screen
        if hint.width() > TABLET.width() or hint.height() > TABLET.height():
            problems.append(f"{page}: asks {hint.width()}×{hint.height()}")
        shot(window, page)
        window.notice.hide()
    window.close()
    await window.close_ops()
    return problems


def test_a_pen_colour_swatch_keeps_its_colour_in_high_contrast() -> None:
    """The colour is what the swatch says; everything else turns black, white and yellow."""
    sheet = f"QPushButton {{ {KEEP} background: #d0021b; color: #202124; }}"
    contrasted = restyle(sheet, 1.0, True)
    assert "#d0021b" in contrasted and "#202124" not in contrasted


async def test_the_follow_bar_keeps_its_large_text_when_its_state_is_shown_again(
    qtbot: QtBot,
) -> None:
    """Every page turn shows the bar's state again: with large text the bar kept setting its
    plain sheet over appearance.py's rewrite, so until the next turn the label was normal size
    (seen in a screenshot: the green bar 22 px lower)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        Appearance.of(app).apply(LOOKS["large"])
        bar = FollowBar()
        qtbot.addWidget(bar)
        bar.show()
        await until(lambda: bar.styleSheet().endswith(MARK))
        large = bar.height()
        bar.show_view(None)  # the same state again, as a page turn does
        assert bar.styleSheet().endswith(MARK) and bar.height() == large
    finally:
        Appearance.of(app).apply(Preferences())
