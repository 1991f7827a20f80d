"""Issue #9: when the clerk forbids saving annotated copies, 「書き込み入りで保存」 greys out
with the calm reason beside it, and comes back when the clerk allows it again. Real relay
(the demo council), the clerk's real engine signing the roster, offscreen."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.app.tour import FIRST_DOCUMENT, until
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_viewer import WAIT

REASON = "この会議では保存できません（事務局の設定）"


async def test_the_save_button_follows_the_clerks_signed_rule(tmp_path: Path, qtbot: QtBot) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        bar = window.export
        window.viewer.open_document(*FIRST_DOCUMENT)
        window.side.show_panel("document")  # the side column's 目次 panel holds the bar
        await until(bar.button.isEnabled, WAIT)
        assert bar.reason.text() == "" and not bar.reason.isVisible()

        clerk = windows.council.clerk
        assert clerk is not None
        await clerk.set_export_allowed(MEETING_ID, False)
        await until(lambda: bar.reason.text() == REASON, WAIT)
        assert not bar.button.isEnabled() and bar.button.toolTip() == REASON
        assert bar.reason.isVisible()
        bar.choose_file()  # a stray call (e.g. a shortcut) opens nothing
        assert bar.dialog is None
        shot(window, "export-forbidden")
        shot(bar, "export-forbidden-bar")

        await clerk.set_export_allowed(MEETING_ID, True)
        await until(bar.button.isEnabled, WAIT)
        assert bar.reason.text() == "" and not bar.reason.isVisible()
