"""Every window fits a 1280×800 tablet without cutting a word: the chair's (with the presenter
panel) and a councillor's, in Japanese and English, with normal text, large text and high
contrast — the presenter panel folds and the side column narrows rather than words shrinking.
Real relay, real engines, offscreen; the checks are :mod:`tools.screen_check`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import Appearance
from furano_meet.app.language import set_language
from furano_meet.app.tour import expect_paint
from furano_meet.app.window import MainWindow
from furano_meet.preferences import Preferences
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_viewer import chair_presents
from tools.screen_check import clipped

WAIT = 20
SCREEN = (1280, 800)
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
            chair = await windows.open("iincho")
            member = await windows.open("giin1")
            shown = [expect_paint(window.viewer, 1) for window in (chair, member)]
            await chair_presents(chair.session, 1)
            await asyncio.wait_for(asyncio.gather(*shown), WAIT)
            sessions = {"chair": chair.session, "member": member.session}
            chair.close()
            member.close()
            report = []
            for language in ("ja", "en"):
                set_language(app, language)
                for look, prefs in LOOKS.items():
                    Appearance.of(app).apply(prefs)
                    for role, session in sessions.items():
                        window = MainWindow(session)
                        qtbot.addWidget(window)
                        window.resize(*SCREEN)
                        window.show()
                        painted = expect_paint(window.viewer, 1)  # the chair's page
                        window.choose_meeting(MEETING_ID)
                        await asyncio.wait_for(painted, WAIT)
                        name = f"fit-{role}-{language}-{look}"
                        hint = window.minimumSizeHint()
                        v = window.viewer
                        parts = (
                            window.side.minimumSizeHint().width(),
                            window.side.width(),
                            v.minimumSizeHint().width(),
                            v.presenter_bar.sizeHint().width(),
                            v.layout().itemAt(v.layout().count() - 1).sizeHint().width(),
                            window.presenter_panel.isVisible(),
                            window.side.shown_open,
                            window.presenter_panel.folded,
                        )
                        report.append(
                            (
                                name,
                                hint.width(),
                                hint.height(),
                                window.width(),
                                parts,
                                clipped(window),
                            )
                        )
                        shot(window, name)
                        window.close()
                        await session.ops.settle()
            for row in report:
                print(row)
            assert all(w <= SCREEN[0] and h <= SCREEN[1] and not c for _, w, h, _, _, c in report)
    finally:
        set_language(app, "ja")
        Appearance.of(app).apply(Preferences())
