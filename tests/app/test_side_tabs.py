"""Issue #9, seen by a councillor of seventy: in English with large text, the side column
opened beside the page shows all four of its tabs whole — no scroll arrows to find the fourth —
and each of its panels fits the tablet beside the two rows of tabs. Real relay, a councillor's
real window at 1280×800, offscreen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import Appearance
from furano_meet.app.language import set_language
from furano_meet.app.tour import until
from furano_meet.preferences import Preferences
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_fit import TABLET
from tools.screen_check import clipped
from tools.screens import restyled

WAIT = 20


async def test_the_side_tabs_fit_in_english_with_large_text(tmp_path: Path, qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    set_language(app, "en")
    Appearance.of(app).apply(Preferences(large_text=True))
    try:
        async with app_council(tmp_path, qtbot) as windows:
            window = await windows.open("giin1")
            window.resize(TABLET)
            await restyled(window)
            side = window.side
            await until(lambda: side.reading and side.restored, WAIT)
            if not side.shown_open:
                side.toggle.click()  # the reader opens the lists beside the page
            await until(lambda: side.shown_open and side.tabs.isVisible(), WAIT)
            tabs = side.tabs
            arrows = [b for b in tabs.findChildren(QToolButton) if b.isVisible()]
            shot(window, "side-tabs-en-large")
            assert arrows == []
            assert all(tabs.rect().contains(tabs.tabRect(i)) for i in range(tabs.count()))
            for panel in side.panels:  # each panel fits the tablet's height beside two rows
                side.show_panel(panel.key)
                QApplication.sendPostedEvents()
                assert window.size() == TABLET, panel.key
                assert clipped(window) == [], panel.key
    finally:
        set_language(app, "ja")
        Appearance.of(app).apply(Preferences())
