"""The agenda pack in the real app: the clerk's order, the outline, thumbnails, printed page
labels, and the notes a 差し替え leaves for review — cleared once looked at, after a restart
too. Real relay (the demo council), real engines, real renders, offscreen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QListWidget, QListWidgetItem
from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, StickyNote
from furano_meet.app.meetings import STATE_ROLE, MeetingRow
from furano_meet.app.pixmap_cache import pixmap_bytes
from furano_meet.app.session import Session
from furano_meet.app.states import State, StateBook
from furano_meet.app.tour import expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.demo import DEMO_PASSPHRASE
from furano_meet.pagespace import Point
from furano_meet.store import LocalStore
from furano_meet.store.seen_marks import note_mark
from furano_meet.sync.engine import DocumentSummary, MeetingSummary, SyncEngine
from furano_meet.sync.events import AnnotationsCarried
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_states import summary
from tests.app.test_viewer import WAIT
from tests.pdfs import demo_documents

FIRST = ("demo-1", 1)
REPLACED = ("demo-1", 2)


def tap(listing: QListWidget, item: QListWidgetItem) -> None:
    listing.scrollToItem(item)
    rect = listing.visualItemRect(item)
    QTest.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def inked(image: QImage) -> int:
    """How many pixels of the picture are ink (anything but paper white)."""
    return sum(
        QColor(image.pixel(x, y)).lightness() < 230
        for y in range(image.height())
        for x in range(image.width())
    )


def replacement_of_the_first_document() -> bytes:
    """議案書 version 2: page 6 changed; printed labels 表紙, i, then 1, 2, … for the body."""
    pdf = demo_documents()[0][1]
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        doc[5].insert_text((72, 100), "(修正)", fontsize=14)
        doc.set_page_labels(
            [
                {"startpage": 0, "prefix": "表紙", "style": ""},
                {"startpage": 1, "style": "r", "firstpagenum": 1},
                {"startpage": 2, "style": "D", "firstpagenum": 1},
            ]
        )
        data: bytes = doc.tobytes()
    return data


def state_of(window: MainWindow, document: tuple[str, int]) -> State | None:
    rows = window.agenda.entries()
    found = [r for r in rows if tuple(r.data(Qt.ItemDataRole.UserRole)) == document]
    return found[0].data(STATE_ROLE) if found else None


async def test_the_agenda_pack_from_order_to_review(tmp_path: Path, qtbot: QtBot) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        agenda, contents, viewer = window.agenda, window.contents, window.viewer

        # The clerk's signed order (titles would sort 3, 2, 1), under each item's label.
        await until(lambda: len(agenda.entries()) == 3, WAIT)
        order = [tuple(r.data(Qt.ItemDataRole.UserRole)) for r in agenda.entries()]
        assert order == [("demo-1", 1), ("demo-2", 1), ("demo-3", 1)]
        headings = [agenda.item(i).text() for i in range(agenda.count())]
        assert headings[0] == "議案（全件）" and headings[2] == "議案第1号"

        # Open the first document; its outline lists the items; a tap goes to one.
        painted = expect_paint(viewer, 0)
        tap(agenda, agenda.entries()[0])
        await asyncio.wait_for(painted, WAIT)
        await until(lambda: contents.outline.count() > 3, WAIT)
        entry = next(
            contents.outline.item(i)
            for i in range(contents.outline.count())
            if contents.outline.item(i).text().startswith("議案第2号")
        )
        target = entry.data(Qt.ItemDataRole.UserRole)
        assert target == 4
        painted = expect_paint(viewer, target)
        window.side.show_panel("document")  # the reader's tap on 目次・ページ
        tap(contents.outline, entry)
        await asyncio.wait_for(painted, WAIT)
        shot(window, "agenda-outline")

        # Thumbnails: rendered for the rows in view, with ink; a tap goes to that page.
        strip = contents.thumbnails
        contents.setCurrentWidget(strip)
        assert strip.count() == 12
        await until(lambda: bool(strip.drawn) and set(strip.visible_rows()) <= strip.drawn, WAIT)
        assert 11 not in strip.drawn or 11 in strip.visible_rows()  # lazily, rows in view
        for row in strip.visible_rows():
            assert inked(strip.item(row).icon().pixmap(strip.iconSize()).toImage()) > 50
        painted = expect_paint(viewer, 2)
        tap(strip, strip.item(2))
        await asyncio.wait_for(painted, WAIT)
        assert strip.currentRow() == 2
        shot(window, "agenda-thumbnails")

        # The pictures are kept within a budget of bytes (never less than the rows in view and
        # one more): scrolled to the end, the first rows show their blank page again, and are
        # drawn anew on the way back.
        first_rows = set(strip.visible_rows())
        one = max(pixmap_bytes(p) for p in map(strip.pictures.get, first_rows) if p is not None)
        strip.pictures.capacity = 2 * one
        strip.scrollToBottom()
        await until(lambda: set(strip.visible_rows()) <= strip.drawn, WAIT)
        budget = strip.pictures.capacity
        assert 2 * one < budget < 12 * one  # raised to hold the view, not the whole pack
        assert strip.pictures.size <= budget and len(strip.drawn) <= budget // one
        assert first_rows - strip.drawn and strip.pictures.evictions > 0
        strip.scrollToTop()
        await until(lambda: set(strip.visible_rows()) <= strip.drawn, WAIT)
        assert strip.pictures.size <= strip.pictures.capacity

        # A note on a page the clerk will change, and one on a page that stays.
        engine = window.session.engine
        changing = await engine.add_annotation(
            MEETING_ID, *FIRST, 5, AnnotationBody(StickyNote(Point(100, 100), "財源の内訳を確認"))
        )
        await engine.add_annotation(
            MEETING_ID, *FIRST, 0, AnnotationBody(StickyNote(Point(50, 50), "表紙"))
        )
        clerk = windows.council.clerk
        assert clerk is not None
        pdf = replacement_of_the_first_document()
        await clerk.publish_document(
            MEETING_ID,
            pdf,
            title="議案書",
            agenda_item="議案（全件）",
            agenda_position=1,
            document_id=REPLACED[0],
            version=REPLACED[1],
        )

        # The 確認 tab lists exactly the note on the changed page; the agenda says so.
        review = contents.review
        await until(lambda: len(review.entries()) == 1, WAIT)
        assert contents.currentWidget() is review
        assert "財源の内訳を確認" in review.entries()[0].text()
        assert "6ページ" in review.entries()[0].text()
        await until(lambda: state_of(window, REPLACED) == State.NEEDS_REVIEW, WAIT)
        shot(window, "agenda-review")

        # A tap opens the note's page (on the version it was written on) and clears it.
        painted = expect_paint(viewer, 5, FIRST)
        tap(review, review.entries()[0])
        await asyncio.wait_for(painted, WAIT)
        await until(lambda: not review.entries(), WAIT)
        await until(lambda: state_of(window, REPLACED) == State.UPDATED, WAIT)

        # Opening the new version: on the reader's page (6), then its printed labels, and
        # the "updated" mark is gone.
        painted = expect_paint(viewer, 5, REPLACED)
        window.side.show_panel("agenda")  # the reader's tap on 資料
        tap(agenda, agenda.entries()[0])
        await asyncio.wait_for(painted, WAIT)
        painted = expect_paint(viewer, 0, REPLACED)
        viewer.turn_page(0)
        await asyncio.wait_for(painted, WAIT)
        assert viewer.page_label.text() == "1 / 12（印刷 表紙）"
        painted = expect_paint(viewer, 3, REPLACED)
        viewer.turn_page(3)
        await asyncio.wait_for(painted, WAIT)
        assert viewer.page_label.text() == "4 / 12（印刷 2）"
        assert strip.item(1).text() == "2ページ（印刷 i）"
        await until(lambda: state_of(window, REPLACED) == State.READY, WAIT)
        await until(lambda: window.meetings.entries()[0].data(STATE_ROLE) == State.READY, WAIT)
        shot(window, "agenda-labels")
        await window.session.ops.settle()  # the seen marks are written
        marks = await engine.seen_marks(MEETING_ID)
        assert {(*REPLACED, "updated"), (*REPLACED, note_mark(changing))} <= marks

        # After a restart the marks stay cleared.
        window.close()
        await window.session.close()
        store = await asyncio.to_thread(
            LocalStore.open, windows.devices, "giin1", passphrase=DEMO_PASSPHRASE
        )
        session = Session(await asyncio.to_thread(SyncEngine, store))
        try:
            again = MainWindow(session)
            qtbot.addWidget(again)
            again.resize(1280, 860)
            again.show()
            again.choose_meeting(MEETING_ID)
            await until(lambda: len(again.agenda.entries()) == 3, WAIT)
            assert state_of(again, REPLACED) == State.READY
            await until(lambda: bool(again.meetings.entries()), WAIT)
            assert again.meetings.entries()[0].data(STATE_ROLE) == State.READY
        finally:
            again.close()
            await session.close()
            await asyncio.to_thread(store.close)


async def test_meetings_are_grouped_upcoming_then_past(tmp_path: Path, qtbot: QtBot) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        await until(lambda: bool(window.meetings.entries()), WAIT)
        now = datetime.now(UTC)

        def row(meeting_id: str, title: str, days: int) -> MeetingRow:
            when = now + timedelta(days=days)
            meeting = MeetingSummary(meeting_id, title, when, None, True, False)
            return MeetingRow(meeting, (summary(),))

        listing = window.meetings
        listing.session.engine_event.disconnect(listing._on_event)  # no reload mid-check
        listing._show(
            [
                row("a", "令和8年第3回 定例会", -90),
                row("b", "総務文教委員会", -7),
                row("c", "予算特別委員会", 3),
                row("d", "令和8年第4回 定例会", 10),
            ]
        )
        texts = [listing.item(i).text() for i in range(listing.count())]
        assert texts[0] == "今後の会議" and texts[3] == "過去の会議"
        assert "予算特別委員会" in texts[1] and "第4回" in texts[2]  # soonest first
        assert "総務文教委員会" in texts[4] and "第3回" in texts[5]  # latest first
        assert [r.data(Qt.ItemDataRole.UserRole) for r in listing.entries()] == list("cdba")
        shot(window, "agenda-meeting-list")


def test_looked_at_marks_clear_updated_and_review(qtbot: QtBot) -> None:
    book = StateBook()
    carried = summary(2)
    assert book.document(carried).state is State.UPDATED
    book.observe(AnnotationsCarried("mt", "doc", 1, 2, (), ("n1", "n2")))
    assert [n.annotation_id for n in book.to_review("mt")] == ["n1", "n2"]
    assert book.to_review("mt")[0].from_version == 1
    book.look("mt", "doc", 2, note_mark("n1"))
    assert book.needs_review(carried) == ("n2",)
    book.look("mt", "doc", 2, note_mark("n2"))
    assert book.document(carried).state is State.UPDATED
    book.opened("mt", "doc", 2)
    assert book.document(carried).state is State.READY
    assert book.document(DocumentSummary("mt", "doc", 1, "t", None, 4, carried.state, 0)).state is (
        State.READY
    )
