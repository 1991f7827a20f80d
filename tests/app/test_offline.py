"""The teleworker without a network (issue #9): with the relay stopped, a fresh start of the
app lists the meetings and opens a received document; a note written offline waits, is sent
once the relay is back, and appears on another member's window."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

from pytestqt.qtbot import QtBot

from furano_meet.app.council import demo_council, enrolled_store
from furano_meet.app.session import Session
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.demo import DEMO_PASSPHRASE
from furano_meet.pagespace import Point
from furano_meet.store import LocalStore
from furano_meet.sync.backoff import Backoff
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import Connectivity
from server.demo import MEETING_ID
from tests.app.conftest import Windows, quiet_pymupdf_garbage
from tests.app.reader import open_window
from tests.app.test_first_run import shot

WAIT = 30  # seconds; every wait is on a positive marker
STROKE = tuple(Point(120 + 15 * i, 300 + 4 * (i % 2)) for i in range(12))


def session_on(store: LocalStore) -> Session:
    """A fresh start of the app on this profile (a short reconnect back-off, for the test)."""
    return Session(SyncEngine(store, backoff=Backoff(base=0.05, cap=0.5)))


async def received_pack(session: Session) -> None:
    async def ready() -> bool:
        return sum(d.ready for d in await session.engine.documents(MEETING_ID)) == 3

    await session.wait_until(ready, WAIT)


async def test_offline_start_reads_and_a_note_is_sent_when_the_relay_is_back(
    tmp_path: Path, qtbot: QtBot
) -> None:
    quiet_pymupdf_garbage()
    demo, devices = tmp_path / "demo", tmp_path / "devices"
    async with demo_council(demo) as council:  # the first day, online: the pack arrives
        port = urlparse(council.url).port or 0
        store = await enrolled_store(council, devices, "giin1")
        online = session_on(store)
        online.start()
        try:
            await received_pack(online)
        finally:
            await online.close()
            store.close()
    # -- the relay is gone; the app starts afresh at home --
    store = await asyncio.to_thread(LocalStore.open, devices, "giin1", DEMO_PASSPHRASE)
    session = session_on(store)
    others: list[Session] = []
    try:
        window = open_window(session, qtbot)
        session.start()
        window.choose_meeting(MEETING_ID)
        await reads_offline(window)
        window.viewer.share_stroke(STROKE)  # the pen's intent: a shared note, written offline
        await until(lambda: session.engine.status.pending_ops == 1, WAIT)
        await until(lambda: "未送信1件" in window.status.text(), WAIT)
        assert not window.notice.isVisible()  # offline is a state, not an error
        shot(window, "offline-note")

        async with demo_council(demo, port=port) as back:  # the relay returns
            await until(
                lambda: (
                    session.engine.status.pending_ops == 0
                    and window.status.connectivity is Connectivity.ONLINE
                ),
                WAIT,
            )
            windows = Windows(back, devices, qtbot)
            others = windows.sessions
            other = await windows.open("giin2")
            shown = expect_paint(other.viewer, 0)
            other.viewer.open_document(*FIRST_DOCUMENT)
            await asyncio.wait_for(shown, WAIT)
            await until(lambda: len(other.viewer.canvas.ink) == 1, WAIT)
            (ink,) = other.viewer.canvas.ink
            assert [(p.x, p.y) for p in ink.points] == [(p.x, p.y) for p in STROKE]
    finally:
        await session.close()
        for member in others:
            await member.close()
        store.close()


async def reads_offline(window: MainWindow) -> None:
    """The meeting list, the agenda and a painted page — with no relay at all."""
    await until(
        lambda: len(window.meetings.entries()) == 1 and len(window.agenda.entries()) == 3, WAIT
    )
    assert window.status.connectivity is not Connectivity.ONLINE
    painted = expect_paint(window.viewer, 0)
    window.viewer.open_document(*FIRST_DOCUMENT)
    await asyncio.wait_for(painted, WAIT)
    assert window.viewer.page_label.text() == "1 / 12"
    await until(lambda: "オフライン" in window.status.text(), WAIT)
