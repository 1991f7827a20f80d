"""Issue #9: the meeting list names each meeting's committee (会議体) as the clerk signed it in
the roster, and reads it from the title only when the roster carries none. The clerk sets it in
the desk's 「会議の設定…」 (the 「会議体」 field); a councillor's list follows when their device
accepts the roster, and the desk's meeting chooser names the meeting as the list does. At its
first size (within 1280×800) the desk shows the demo's whole pack, no row scrolled away.
Real relay (the demo council), the clerk's real engine behind a real desk, offscreen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from furano_meet.app.clerk_desk import ClerkDesk
from furano_meet.app.meetings import COMMITTEE_ROLE
from furano_meet.app.tour import until
from furano_meet.sync.committee import Committee, committee_of, session_of
from furano_meet.sync.events import Connectivity
from server.demo import MEETING_TITLE
from tests.app.conftest import app_council
from tests.app.test_clerk_desk import clerk_window, pack_ids
from tests.app.test_first_run import shot
from tests.app.test_viewer import WAIT
from tools.screen_check import clipped

GUESSED = Committee("総務文教委員会", signed=False)
SIGNED = Committee("総務文教委員会", signed=True)


def test_the_signed_committee_wins_and_the_title_is_the_fallback() -> None:
    assert committee_of(MEETING_TITLE, None) == GUESSED
    assert committee_of(MEETING_TITLE, "予算審査特別委員会") == Committee(
        "予算審査特別委員会", True
    )
    assert committee_of("令和8年第4回 定例会", None) is None  # a session is not a committee
    assert committee_of("令和8年第4回 定例会", "全員協議会") == Committee("全員協議会", True)
    assert session_of(MEETING_TITLE, GUESSED) == "令和8年第4回富良野市議会定例会"
    assert session_of(MEETING_TITLE, Committee("予算審査特別委員会", True)) == MEETING_TITLE


async def test_the_clerk_sets_the_committee_and_a_members_list_shows_it(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        member = await windows.open("giin1")

        def shown() -> tuple[Committee | None, str]:
            rows = member.meetings.entries()
            return (rows[0].data(COMMITTEE_ROLE), rows[0].text()) if rows else (None, "")

        await until(lambda: shown()[0] == GUESSED, WAIT)  # no committee signed yet: the title's
        assert shown()[1].startswith(
            "2026年12月8日\u3000総務文教委員会\n令和8年第4回富良野市議会定例会\n"
        )

        window = await clerk_window(windows, qtbot)
        button = next(
            b for b in window.statusBar().findChildren(QPushButton) if b.text() == "資料の管理…"
        )
        button.click()
        desk = window.clerk_desk
        assert isinstance(desk, ClerkDesk)
        qtbot.addWidget(desk)
        await until(lambda: len(pack_ids(desk)) == 3, WAIT)
        await until(lambda: "会議体：未設定" in desk.summary.text(), WAIT)
        chooser = desk.meetings.currentText()  # named as the meeting list names it
        assert chooser == "2026年12月8日\u3000総務文教委員会\u3000令和8年第4回富良野市議会定例会"
        whole_pack(desk)
        shot(desk, "committee-desk-pack")
        box = desk.show_settings().committee
        assert desk.right.currentWidget() is desk.settings and box.isVisible()
        await until(box.apply.isEnabled, WAIT)
        assert box.field.text() == "" and "まだ設定されていません" in box.now.text()

        box.field.setText(" 総務文教委員会 ")  # edge spaces are not part of the name
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):  # Enter, built by hand
            key = QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
            QApplication.sendEvent(box.field, key)
        await until(lambda: shown()[0] == SIGNED, WAIT)
        assert shown()[1].startswith(
            "2026年12月8日\u3000総務文教委員会\n令和8年第4回富良野市議会定例会\n"
        )
        await until(lambda: "「総務文教委員会」" in box.now.text(), WAIT)
        assert box.field.text() == "総務文教委員会" and box.apply.isEnabled()
        shot(desk, "committee-desk")
        member.side.show_panel("meetings")
        shot(member, "committee-meeting-list")

        # a name the title does not carry: the signed one is shown, the session keeps its title
        box.field.setText("予算審査特別委員会")
        box.apply.click()
        await until(lambda: shown()[0] == Committee("予算審査特別委員会", True), WAIT)
        assert shown()[1].startswith(f"2026年12月8日\u3000予算審査特別委員会\n{MEETING_TITLE}\n")
        renamed = f"2026年12月8日\u3000予算審査特別委員会\u3000{MEETING_TITLE}"
        await until(lambda: desk.meetings.currentText() == renamed, WAIT)
        assert "会議体：予算審査特別委員会" in desk.summary.text()

        # removed: the list reads it from the title again
        box.field.setText("")
        box.apply.click()
        await until(lambda: shown()[0] == GUESSED, WAIT)
        await until(lambda: box.field.text() == "" and box.apply.isEnabled(), WAIT)

        # offline: the presenter says it calmly on the desk, the field shows what still holds
        clerk = windows.council.clerk
        assert clerk is not None
        await clerk.stop()
        await until(lambda: clerk.status.connectivity is not Connectivity.ONLINE, WAIT)
        box.field.setText("総務文教委員会")
        box.apply.click()
        await until(desk.notice.isVisible, WAIT)
        assert "サーバーへの接続が必要です" in desk.notice.text.text()
        await until(lambda: box.field.text() == "" and box.apply.isEnabled(), WAIT)
        assert "まだ設定されていません" in box.now.text()
        shot(desk, "committee-offline")


def whole_pack(desk: ClerkDesk) -> None:
    """The desk at its first size fits a 1280×800 screen and shows every row of the pack (the
    items' headings and the documents), no word cut."""
    assert desk.width() <= 1280 and desk.height() <= 800 - 40  # a title bar above it
    assert desk.minimumSizeHint().height() <= desk.height()
    viewport = desk.pack.viewport().rect()
    rows = [desk.pack.visualItemRect(desk.pack.item(i)) for i in range(desk.pack.count())]
    assert len(rows) == 6  # three items' headings, three documents
    assert all(viewport.contains(row) for row in rows), (rows, viewport)
    assert not desk.pack.verticalScrollBar().isVisible()
    assert clipped(desk) == []
