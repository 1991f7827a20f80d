"""Presenting in the real app: the chair's panel, role requests, and bringing everyone here.

Real relay (the demo council), real engines, real renders, offscreen. Every wait is on what a
person would see: a row's state, a painted page, a bar's words.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from furano_meet.app.bars import FollowBar
from furano_meet.app.council import member_session
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.protocol import messages as m
from furano_meet.sync.attendance import Whereabouts
from furano_meet.sync.follow import FollowState, Mode, PageRef
from furano_meet.sync.presenting import MeetingView
from server.demo import MEETING_ID
from tests.app.conftest import app_council

WAIT = 20  # seconds: generous on a shared machine; every wait is on a positive marker
SHOTS = Path("/tmp/shots")


def click(button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


async def chair_opens_and_presents(chair: MainWindow, page: int) -> None:
    """The chair opens the first document at ``page`` and presents it with 「このページを表示」."""
    shown = expect_paint(chair.viewer, page)
    chair.viewer.open_document(*FIRST_DOCUMENT, page)
    await asyncio.wait_for(shown, WAIT)
    click(chair.viewer.presenter_bar.present)
    await until(lambda: chair.viewer.follow_bar.state == "presenting")


def presenter_page(window: MainWindow) -> int | None:
    """The presenter's page as this window's engine last heard it."""
    view = window.viewer.view
    page = None if view is None else view.view.presenter_page
    return None if page is None else page.page


def shot(window: MainWindow, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / f"presenting-{name}.png"))


def turned_to(page: int) -> PageRef:
    return PageRef(FIRST_DOCUMENT[0], FIRST_DOCUMENT[1], page)


async def test_the_chairs_panel_and_bringing_a_browser_back(tmp_path: Path, qtbot: QtBot) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        chair = await windows.open("iincho")
        member = await windows.open("giin1")
        panel = chair.presenter_panel
        assert panel.isVisible() and not member.presenter_panel.isVisible()  # moderators only
        assert member.viewer.presenter_bar.request.isVisible()
        assert not member.viewer.presenter_bar.bring.isVisible()

        await chair_opens_and_presents(chair, 2)
        await until(lambda: panel.where().get("giin1") is Whereabouts.FOLLOWING)
        assert panel.where()["iincho"] is Whereabouts.PRESENTING
        assert panel.where()["giin3"] is Whereabouts.OFFLINE
        row = panel.rows["giin1"]
        assert (row.name.text(), row.state.text()) == (
            "委員 北野",
            "追従中",
        )  # a name, not a device

        # Another councillor, without a window, follows along.
        other = await member_session(windows.council, windows.devices, "giin2")
        windows.sessions.append(other)
        await until(lambda: panel.where().get("giin2") is Whereabouts.FOLLOWING)

        # The councillor turns away: the chair's panel says so.
        await until(lambda: member.viewer.canvas.key == (*FIRST_DOCUMENT, 2))
        browsed = expect_paint(member.viewer, 1)
        QTest.keyClick(member.viewer, Qt.Key.Key_Left)
        await asyncio.wait_for(browsed, WAIT)
        await until(lambda: panel.where().get("giin1") is Whereabouts.BROWSING)
        assert panel.rows["giin1"].state.text() == "自分で閲覧中"
        assert panel.where() == {  # the clerk's publishing device is in the room too
            "iincho": Whereabouts.PRESENTING,
            "jimukyoku": Whereabouts.FOLLOWING,
            "giin1": Whereabouts.BROWSING,
            "giin2": Whereabouts.FOLLOWING,
            "giin3": Whereabouts.OFFLINE,
        }
        # the clerk is staff: under 事務局, last, and not counted with the members
        assert panel.summary.text() == "追従中 1人\n自分で閲覧中 1人\nオフライン 1人"
        assert panel.staff_heading.isVisible() and panel.staff_heading.text() == "事務局"
        assert panel.staff_heading.y() > panel.rows["giin3"].y()
        assert panel.rows["jimukyoku"].y() > panel.staff_heading.y()
        shot(chair, "chair-panel")

        # 全員をこのページへ pressed right after a turn, with no wait between: the bring names
        # the page on the chair's screen, so the browsing window, the windowless follower and
        # the chair all end on page 5 whatever the relay had echoed; no lock after.
        chair_page = expect_paint(chair.viewer, 4)
        brought = expect_paint(member.viewer, 4)
        chair.viewer.turn_page(4)
        click(chair.viewer.presenter_bar.bring)
        await until(lambda: member.viewer.follow_bar.state == "following")
        assert member.session.engine.view(MEETING_ID).view.page == turned_to(4)
        await asyncio.wait_for(brought, WAIT)
        await asyncio.wait_for(chair_page, WAIT)
        await until(lambda: other.engine.view(MEETING_ID).view.presenter_page == turned_to(4))
        await until(lambda: chair.session.engine.view(MEETING_ID).view.page == turned_to(4))
        # the chair's panel follows live: the row's words and the counts (nobody browses now)
        await until(lambda: panel.where().get("giin1") is Whereabouts.FOLLOWING)
        assert panel.rows["giin1"].state.text() == "追従中"
        assert panel.summary.text() == "追従中 2人\n自分で閲覧中 0人\nオフライン 1人"
        assert member.viewer.page_label.text() == "5 / 12"
        again = expect_paint(member.viewer, 3)
        QTest.keyClick(member.viewer, Qt.Key.Key_Left)  # turning away works at once
        await asyncio.wait_for(again, WAIT)
        # the turn is told once its page is painted (after_paint.py)
        engine = member.session.engine
        await until(lambda: engine.view(MEETING_ID).view.mode is Mode.BROWSING)
        await until(lambda: panel.where().get("giin1") is Whereabouts.BROWSING)
        assert panel.summary.text() == "追従中 1人\n自分で閲覧中 1人\nオフライン 1人"

        # The councillor's devices stop: offline.
        await member.session.engine.stop()
        await until(lambda: panel.where().get("giin1") is Whereabouts.OFFLINE)
        assert panel.rows["giin1"].state.text() == "オフライン"
        shot(chair, "chair-offline")

        # The chair's own device goes offline: nobody's state is known, so no stale rows.
        await chair.session.engine.stop()
        await until(lambda: panel.summary.text().startswith("この端末はオフラインです"))
        assert panel.where() == {}


async def test_a_member_asks_the_chair_grants_and_the_member_hands_back(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        chair = await windows.open("iincho")
        member = await windows.open("giin1")
        await chair_opens_and_presents(chair, 0)
        await until(lambda: member.viewer.canvas.key == (*FIRST_DOCUMENT, 0))  # following
        bar = member.viewer.presenter_bar
        click(bar.request)
        await until(lambda: "giin1" in chair.presenter_panel.requests.rows)
        await until(lambda: bar.request.text() == "お願いしました — 許可をお待ちください")
        assert not bar.request.isEnabled()
        shot(member, "member-asked")
        row = chair.presenter_panel.requests.rows["giin1"]
        assert row.text.text() == "委員 北野から発表の希望があります"
        assert chair.presenter_panel.requests.isVisible()
        shot(chair, "request")

        click(row.grant)
        await until(lambda: member.viewer.follow_bar.state == "presenting")
        await until(lambda: not chair.presenter_panel.requests.rows)
        assert member.presenter_panel.isVisible()  # the presenter sees who follows
        assert member.presenter_panel.stop.isVisible() and not bar.request.isVisible()
        await until(lambda: chair.presenter_panel.where().get("giin1") is Whereabouts.PRESENTING)
        assert chair.presenter_panel.take.isVisible()
        shown = expect_paint(chair.viewer, 1)
        member.viewer.turn_page(1)  # the councillor presents: the chair follows
        await asyncio.wait_for(shown, WAIT)
        assert "北野さんに追従中" in chair.viewer.follow_bar.label.text()

        click(member.presenter_panel.stop)  # 発表を終える: the role goes back to the chair
        await until(lambda: chair.viewer.follow_bar.state == "presenting")
        await until(lambda: bar.request.isVisible() and bar.request.isEnabled())
        assert not member.presenter_panel.isVisible()

        click(bar.request)  # asked again, and put off with 「あとで」
        await until(lambda: "giin1" in chair.presenter_panel.requests.rows)
        click(chair.presenter_panel.requests.rows["giin1"].later)
        assert not chair.presenter_panel.requests.isVisible()

        # Handed over once more; the chair takes the role back with 「発表を引き継ぐ」.
        await chair.session.engine.grant_presenter(MEETING_ID, "giin1")
        await until(lambda: member.viewer.follow_bar.state == "presenting")
        await until(chair.presenter_panel.take.isVisible)
        click(chair.presenter_panel.take)
        await until(lambda: chair.viewer.follow_bar.state == "presenting")
        await until(lambda: "委員長に追従中" in member.viewer.follow_bar.label.text())

        # The chair's own 「発表を終える」 pauses: their turns are private until 「発表に戻る」.
        click(chair.presenter_panel.stop)
        follow_bar = chair.viewer.follow_bar
        await until(follow_bar.back.isVisible)
        assert follow_bar.label.text() == "一時停止中 — 皆さんは2ページ"
        assert follow_bar.back.text() == "発表に戻る"
        private = expect_paint(chair.viewer, 3)
        chair.viewer.turn_page(3)
        await asyncio.wait_for(private, WAIT)
        shot(chair, "paused")
        seen = member.session.engine.view(MEETING_ID).view.page
        assert seen is not None and seen.page == 1  # the councillor still sees page 2
        click(follow_bar.back)
        await until(lambda: follow_bar.state == "presenting")


def test_the_return_bar_says_when_the_chair_is_in_another_document(qtbot: QtBot) -> None:
    """「委員長は12ページです」 would send a reader to page 12 of the wrong document."""
    bar = FollowBar()
    qtbot.addWidget(bar)
    follow = FollowState()
    follow.reset(m.PresenterState(seq=1, presenter_user_id="iincho", document_id="b", page=11))

    def view() -> MeetingView:
        return MeetingView(MEETING_ID, True, "member", follow.view(), False, (), ())

    follow.browse(PageRef("b", 0, 3))
    bar.show_view(view())
    assert (bar.state, bar.label.text()) == ("browsing", "委員長は12ページです")
    follow.browse(PageRef("a", 1, 3))
    bar.show_view(view())
    assert bar.label.text() == "委員長は別の資料の12ページです"
    assert bar.back.text() == "戻る"
