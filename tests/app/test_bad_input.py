"""Bad input in the app (issue #9): a document withdrawn while it is open, and a 差し替え
while a reader is on page N — on the real relay, with the clerk's own device.

What a reader expects, decided here: a withdrawn document does not vanish from under the
reader mid-sentence — the banner says calmly that it was withdrawn and the open pages stay
readable; asked for again later, it is refused in words (not as an app bug) and the page shown
before comes back. A new version (差し替え) tapped in the agenda opens on the page the reader was
on, with their notes carried over.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pymupdf
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, Ink, InkPoint
from furano_meet.app.error_presenter import Notice
from furano_meet.app.states import State
from furano_meet.app.tour import expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.store.records import Visibility
from furano_meet.sync.events import AnnotationsCarried, Connectivity, DownloadProgress
from server.config import RelayConfig
from server.demo import MEETING_ID
from server.relay import Relay
from tests.app.reader import Reading, clerk_and_reader
from tests.app.test_first_run import shot
from tests.app.test_states import row_states, withdraw
from tests.conftest import relay_config
from tests.e2e.council import Device
from tests.pdfs import generate_agenda_pack

WAIT = 30  # seconds; every wait is on a positive marker


def pack() -> bytes:
    return generate_agenda_pack(title="議案書", pages=6)


@asynccontextmanager
async def reading(tmp_path: Path, qtbot: QtBot) -> AsyncIterator[tuple[Device, MainWindow]]:
    """The clerk's device (meeting key made) and giin1's window on the meeting, online."""
    async with (
        Relay(relay_config(tmp_path)) as relay,
        clerk_and_reader(relay, tmp_path / "devices", qtbot) as reader,
    ):
        reader.window.session.start()
        yield reader.clerk, reader.window


def agenda_row(window: MainWindow, doc_id: str, version: int) -> None:
    """Tap the agenda's row of (doc_id, version), as a reader does."""
    for i in range(window.agenda.count()):
        item = window.agenda.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == (doc_id, version):
            rect = window.agenda.visualItemRect(item)
            QTest.mouseClick(window.agenda.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return
    raise AssertionError(f"{doc_id} v{version} is not in the agenda")


def next_notice(window: MainWindow) -> asyncio.Future[Notice]:
    """The next notice the error presenter shows on ``window`` (make it before the action)."""
    future: asyncio.Future[Notice] = asyncio.get_running_loop().create_future()

    def shown(notice: Notice) -> None:
        if not future.done():
            future.set_result(notice)

    window.session.errors.shown.connect(shown)
    future.add_done_callback(lambda _: window.session.errors.shown.disconnect(shown))
    return future


def next_carried(window: MainWindow) -> asyncio.Future[AnnotationsCarried]:
    """The next 差し替え carry-over the engine reports to ``window``'s session."""
    future: asyncio.Future[AnnotationsCarried] = asyncio.get_running_loop().create_future()

    def seen(event: object) -> None:
        if isinstance(event, AnnotationsCarried) and not future.done():
            future.set_result(event)

    window.session.engine_event.connect(seen)
    future.add_done_callback(lambda _: window.session.engine_event.disconnect(seen))
    return future


async def publish(
    clerk: Device, pdf: bytes, title: str, document_id: str | None = None, version: int = 1
) -> str:
    info = await clerk.engine.publish_document(
        MEETING_ID, pdf, title=title, document_id=document_id, version=version
    )
    return info.document_id


async def test_a_document_withdrawn_while_open_stays_readable_and_is_said_calmly(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with reading(tmp_path, qtbot) as (clerk, window):
        doc = await publish(clerk, pack(), "議案書")
        other = await publish(clerk, generate_agenda_pack(title="資料2", pages=3, seed=1), "資料2")
        await until(lambda: row_states(window.agenda) == [State.READY] * 2, WAIT)  # received
        viewer = window.viewer
        opened = expect_paint(viewer, 2, (doc, 1))
        viewer.open_document(doc, 1, 2)  # reading page 3
        await asyncio.wait_for(opened, WAIT)

        said = next_notice(window)
        await withdraw(clerk, doc)
        notice = await asyncio.wait_for(said, WAIT)
        assert notice.code == "document_withdrawn"
        assert "取り下げられました" in window.notice.text.text() and window.notice.isVisible()
        assert viewer.canvas.key == (doc, 1, 2)  # the page stays in front of the reader
        turned = expect_paint(viewer, 3, (doc, 1))
        QTest.keyClick(viewer, Qt.Key.Key_Right)  # and the open pages stay readable
        await asyncio.wait_for(turned, WAIT)
        shot(window, "withdrawn-open")

        shown = expect_paint(viewer, 0, (other, 1))
        viewer.open_document(other, 1)
        await asyncio.wait_for(shown, WAIT)
        window.notice.hide()
        refused = next_notice(window)
        viewer.open_document(doc, 1)  # asked for again: it is gone from this device
        notice = await asyncio.wait_for(refused, WAIT)
        assert notice.code == "document_unavailable"  # not 「アプリの不具合」
        assert "この端末にないため開けません" in window.notice.text.text()
        await until(lambda: viewer.canvas.key == (other, 1, 0), WAIT)  # the page before is back
        viewer.open_document(doc, 1)  # asking again is answered again, never stuck "opening"
        await until(lambda: window.notice.isVisible() and viewer.canvas.key == (other, 1, 0))


async def test_a_replaced_document_opens_on_the_readers_page_with_their_notes(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with reading(tmp_path, qtbot) as (clerk, window):
        doc = await publish(clerk, pack(), "議案書", document_id="gian")
        # received, not only announced: opening an announced document is refused
        await until(lambda: row_states(window.agenda) == [State.READY], WAIT)
        viewer, engine = window.viewer, window.session.engine
        opened = expect_paint(viewer, 4, (doc, 1))
        viewer.open_document(doc, 1, 4)  # the reader is on page 5
        await asyncio.wait_for(opened, WAIT)
        mark = Ink(tuple(InkPoint(100 + 10 * i, 400) for i in range(8)), "#d0021b", 2.0)
        await engine.add_annotation(
            MEETING_ID, doc, 1, 4, AnnotationBody(mark), visibility=Visibility.PRIVATE
        )
        await until(lambda: len(viewer.canvas.ink) == 1, WAIT)

        carried = next_carried(window)
        await publish(clerk, pack(), "議案書（差し替え）", document_id=doc, version=2)
        event = await asyncio.wait_for(carried, WAIT)
        assert len(event.carried) == 1 and event.needs_review == ()
        await until(
            lambda: (
                window.agenda.count() >= 1
                and any(
                    window.agenda.item(i).data(Qt.ItemDataRole.UserRole) == (doc, 2)
                    for i in range(window.agenda.count())
                )
            ),
            WAIT,
        )

        replaced = expect_paint(viewer, 4, (doc, 2))
        agenda_row(window, doc, 2)  # the reader taps the new version
        await asyncio.wait_for(replaced, WAIT)
        assert viewer.page_label.text() == "5 / 6"  # where they were, not back at page 1
        await until(lambda: len(viewer.canvas.ink) == 1, WAIT)  # and their note came along
        assert viewer.canvas.ink[0].points == mark.points
        shot(window, "replaced")


def scanned_pdf(pages: int) -> bytes:
    """(Worker thread) A scan-like PDF of ``pages`` pages, ~3.6 MB each: an incompressible
    1200×1000 image per page (a download many pieces long). Made and freed on this thread."""
    doc = pymupdf.open()
    try:
        for number in range(1, pages + 1):
            page = doc.new_page()
            noise = pymupdf.Pixmap(pymupdf.csRGB, 1200, 1000, os.urandom(1200 * 1000 * 3), False)
            page.insert_image(page.rect, pixmap=noise)
            page.insert_text((72, 72), f"Budget scan, page {number}", fontsize=24)
        return bytes(doc.tobytes())
    finally:
        doc.close()


async def test_the_relay_going_away_mid_download_shows_and_the_download_resumes(
    tmp_path: Path, qtbot: QtBot
) -> None:
    big = await asyncio.to_thread(scanned_pdf, 6)  # ~22 MB: the client stores 4 MiB pieces
    config = relay_config(tmp_path)
    relay = Relay(config)
    await relay.start()
    try:
        async with clerk_and_reader(relay, tmp_path / "devices", qtbot) as reader:
            await cut_and_resumed(reader, await publish(reader.clerk, big, "予算書"), relay, config)
    finally:
        await relay.close()


async def cut_and_resumed(reader: Reading, doc: str, relay: Relay, config: RelayConfig) -> None:
    """The relay stops once giin1's download is under way; it shows, then goes on."""
    window = reader.window
    progress: list[tuple[int, int]] = []  # (received, total), in order
    cut = asyncio.get_running_loop().create_future()

    def seen(event: object) -> None:
        if isinstance(event, DownloadProgress) and event.document_id == doc:
            progress.append((event.received, event.total))
            if 0 < event.received < event.total and not cut.done():
                cut.set_result(None)

    reader.member.engine.subscribe(seen)  # the engine's own observer: the earliest word of it
    window.session.start()
    await asyncio.wait_for(cut, WAIT)
    port = relay.port
    await relay.close()  # the relay goes away mid-download
    await until(lambda: window.status.connectivity is Connectivity.OFFLINE, WAIT)
    await until(lambda: window.agenda.count() == 1 and "受信中" in window.agenda.item(0).text())
    await until(lambda: "つながると続きを受信します" in window.agenda.item(0).text(), WAIT)
    before = len(progress)
    received, total = progress[-1]
    assert received < total, "the download finished before the relay went away"
    assert row_states(window.agenda) == [State.DOWNLOADING]
    assert not window.notice.isVisible()  # an outage is a state, not an error
    shot(window, "download-cut")

    async with Relay(replace(config, port=port)):  # the same relay, back on its port
        shown = expect_paint(window.viewer, 0, (doc, 1))
        await until(lambda: row_states(window.agenda) == [State.READY], WAIT)
        # It went on from where it was cut: every piece after the outage lies beyond it. (None
        # at all when the last piece was stored as the relay went, before its progress event:
        # the resumed download then finds nothing left, which is also a resume.)
        assert all(now > received for now, _ in progress[before:]), progress[before:]
        window.viewer.open_document(doc, 1)
        await asyncio.wait_for(shown, WAIT)
