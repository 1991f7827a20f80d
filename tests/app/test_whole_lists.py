"""Issue #9, polish: the app's other lists — search results, 確認 (notes to review), the
clerk's who-has-it, the page thumbnails — show a long row whole, with large text too.

Each list is the app's own widget on a real session (the demo council, a real relay), shown
at the side column's widths with large text, and a long Japanese row is put in through the
widget's own row-making code. The check is :func:`tools.screen_check.clipped` (a row drawn cut
with 「…」, or with fewer lines than its words need); each row is also shown to be cut in a
plain word-wrapped list (Qt's own measure), so the check can fail."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QApplication, QListWidget, QWidget
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import MARK, Appearance
from furano_meet.app.clerk_delivery import DeliveryFeed, DeliveryPanel
from furano_meet.app.page_labels import caption
from furano_meet.app.review_list import ReviewList, ReviewRow
from furano_meet.app.search_panel import SearchPanel
from furano_meet.app.session import Session
from furano_meet.app.thumbnails import ThumbnailStrip
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import STYLE, MainWindow
from furano_meet.preferences import Preferences
from furano_meet.store.seen_marks import ReviewNote
from furano_meet.sync.delivery import DeviceReceipt, MemberDelivery
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_whole_rows import cut_at
from tools.screen_check import clipped

TITLE = "富良野市一般会計補正予算（第3号）説明資料"
SNIPPET = (
    "歳出の【補正予算】は総務費、民生費、衛生費、農林水産業費、商工費、土木費、教育費に"
    "わたり、それぞれの事業の執行状況に応じて所要額を計上するものであります"
)
WIDTHS = range(300, 440, 14)
"""The side column's list, narrow to wide."""
PLAIN = range(140, 440, 10)
"""A plain list cuts each row at some of these widths (a caption at a thumbnail's)."""


def cut_rows(view: QListWidget, holder: QWidget) -> dict[int, list[str]]:
    """``{width: what clipped() finds in view}`` with ``holder`` (the list, or the widget that
    holds it) shown at each width."""
    found = {}
    for width in WIDTHS:
        holder.resize(width, 560)
        for _ in range(4):  # the new width lays the rows out (cascading layout requests)
            QApplication.sendPostedEvents()
        assert view.isVisible() and view.count() > 0
        if problems := clipped(view):
            found[width] = problems
    return found


async def shown(holder: QWidget, qtbot: QtBot) -> None:
    """``holder`` on screen in the window's style, its sheet rewritten for large text."""
    qtbot.addWidget(holder)
    holder.setStyleSheet(STYLE)
    holder.show()
    await until(lambda: holder.styleSheet().endswith(MARK))  # appearance.py: the next turn


def search_rows(session: Session, window: MainWindow) -> tuple[QListWidget, QWidget, str]:
    panel = SearchPanel(session, window.viewer)
    text = f"{TITLE}\u30006ページ\n{SNIPPET}"  # a page hit as the panel words it
    panel._add_row(text, ("page", 0))  # noqa: SLF001 - the panel's own row, not a search
    panel.results.show()  # shown while a query is typed
    return panel.results, panel, text


async def review_rows(session: Session) -> tuple[QListWidget, QWidget, str]:
    review = ReviewList(session)
    review.set_meeting(MEETING_ID)
    await session.ops.settle()  # its own reading (nothing to review) is shown first
    note = ReviewNote(MEETING_ID, "demo-2", 1, 2, "note-1")
    review._show([ReviewRow(note, TITLE, 11, f"付箋「{SNIPPET[:40]}…」")])  # noqa: SLF001
    return review, review, review.item(0).text()


def delivery_rows(session: Session) -> tuple[QListWidget, QWidget, str]:
    panel = DeliveryPanel(DeliveryFeed(session))
    member = MemberDelivery(
        "giin9",
        "富良野市議会 総務文教常任委員会 副委員長 北の峰",
        has_latest=True,
        has_older=None,
        devices=(DeviceReceipt("dev-1", 3, None, True, "北の峰さんの会議室タブレット（予備機）"),),
        latest_verified=False,
    )
    item = panel._row(member, 3)  # noqa: SLF001 - the panel's own row, not a report
    panel.rows.addItem(item)
    return panel.rows, panel, item.text()


async def thumbnail_cells(session: Session, window: MainWindow) -> tuple[QListWidget, QWidget, str]:
    """The strip on a real document whose pages carry long printed labels (「付録資料-3」)."""
    painted = expect_paint(window.viewer, 0)
    window.viewer.open_document(*FIRST_DOCUMENT, 0)
    await asyncio.wait_for(painted, 20)
    info = window.viewer.document
    assert info is not None
    pages = tuple(replace(p, label=f"付録資料-{p.index + 1}") for p in info.pages)
    strip = ThumbnailStrip(session, window.viewer)
    strip.show_document(replace(info, pages=pages))
    text = caption(pages[-1])
    assert text == f"{len(pages)}ページ（印刷 付録資料-{len(pages)}）"
    return strip, strip, text


async def test_long_rows_show_whole_in_every_list_with_large_text(
    tmp_path: Path, qtbot: QtBot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        async with app_council(tmp_path, qtbot) as windows:
            window = await windows.open("giin1")
            session = window.session
            Appearance.of(app).apply(Preferences(large_text=True))
            for name, (view, holder, text) in {
                "search": search_rows(session, window),
                "review": await review_rows(session),
                "delivery": delivery_rows(session),
                "thumbnails": await thumbnail_cells(session, window),
            }.items():
                await shown(holder, qtbot)
                assert cut_rows(view, holder) == {}, name
                assert text in [view.item(i).text() for i in range(view.count())]
                shot(holder, f"whole-list-{name}")
                plain = cut_at(qtbot, whole=False, texts=[text], icon=False, widths=PLAIN)
                assert plain, f"{name}: a plain list cuts the row, so the check can fail"
                holder.close()
    finally:
        Appearance.of(app).apply(Preferences())
