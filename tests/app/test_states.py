"""Meeting and document states in the lists: icon, colour and words, from the real engine's
read models and events (real relay) — and every state's wording from real summaries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.app.meetings import STATE_ROLE
from furano_meet.app.session import Session
from furano_meet.app.states import LOOKS, State, StateBook
from furano_meet.app.tour import until
from furano_meet.app.whole_rows import kept_whole
from furano_meet.app.window import MainWindow
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m
from furano_meet.store.records import DocumentState
from furano_meet.sync.account import Account
from furano_meet.sync.engine import DocumentSummary, MeetingSummary
from furano_meet.sync.events import (
    AnnotationsCarried,
    Connectivity,
    DownloadProgress,
    MeetingAccessLost,
    StatusChanged,
    SyncStatus,
)
from server import demo
from server.demo import MEETING_ID
from server.relay import Relay
from tests.app.test_first_run import WAIT, shot
from tests.conftest import relay_config
from tests.e2e.council import Council, Device
from tests.e2e.test_sync_security import published
from tests.pdfs import generate_agenda_pack


def row_states(widget: object) -> list[State]:
    rows = [widget.item(i) for i in range(widget.count())]  # type: ignore[attr-defined]
    return [row.data(STATE_ROLE) for row in rows if row.data(STATE_ROLE) is not None]


async def withdraw(clerk: Device, document_id: str) -> None:
    """The clerk's office withdraws a document (as its own device would, over the relay)."""
    account = Account.load(clerk.store)
    assert account is not None
    async with await RelayConnection.connect(account.relay_url) as conn:
        await conn.authenticate(account.device_id, account.token)
        await conn.request(m.WithdrawDocument(meeting_id=MEETING_ID, document_id=document_id))


async def test_a_meeting_waits_for_its_key_then_shows_a_withdrawn_document(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with Relay(relay_config(tmp_path)) as relay:
        await relay.store.run(demo.seed, relay.store)
        council = Council(relay, tmp_path / "devices")
        await council.setup_admin()
        try:
            device = await council.device("giin1", start=False)
            session = Session(device.engine)
            window = MainWindow(session)
            qtbot.addWidget(window)
            window.resize(1280, 860)
            window.show()
            session.start()
            try:
                await key_waiting_then_withdrawn(council, window)
            finally:
                await session.close()
        finally:
            await council.close()


async def key_waiting_then_withdrawn(council: Council, window: MainWindow) -> None:
    await until(lambda: row_states(window.meetings) == [State.KEY_WAITING], WAIT)
    assert "鍵の到着待ち" in window.meetings.entries()[0].text()
    shot(window, "states_key_waiting")

    clerk, first = await published(council, generate_agenda_pack(title="議案書", pages=3))
    await clerk.engine.publish_document(
        MEETING_ID, generate_agenda_pack(title="資料2", pages=3), title="資料2"
    )
    await until(lambda: row_states(window.meetings) == [State.READY], WAIT)
    window.choose_meeting(MEETING_ID)
    await until(lambda: row_states(window.agenda) == [State.READY, State.READY], WAIT)

    await withdraw(clerk, first)
    await until(lambda: row_states(window.meetings) == [State.WITHDRAWN], WAIT)
    row = window.meetings.entries()[0].text()  # the bracket is kept whole on a line
    assert kept_whole("取り下げられた資料があります（1件）") in row
    await until(lambda: State.WITHDRAWN in row_states(window.agenda), WAIT)
    assert sorted(row_states(window.agenda)) == sorted([State.WITHDRAWN, State.READY])
    shot(window, "states_withdrawn")


T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def summary(version: int = 1, state: DocumentState = DocumentState.COMPLETE) -> DocumentSummary:
    pages = 4 if state is DocumentState.COMPLETE else 0
    return DocumentSummary("mt", "doc", version, "議案書", None, pages, state, 250)


def meeting(*, has_key: bool = True, shredded: bool = False) -> MeetingSummary:
    return MeetingSummary("mt", "総務文教委員会", T0, None, has_key, shredded)


def test_every_state_has_its_own_icon_colour_and_plain_words(qtbot: QtBot) -> None:
    book = StateBook()
    downloading = (summary(state=DocumentState.DOWNLOADING),)
    assert book.meeting(meeting(), downloading).text == "受信中 0%（0/1件）"
    book.observe(DownloadProgress("mt", "doc", 1, 250, 1000))
    assert book.meeting(meeting(), downloading).text == "受信中 25%（0/1件）"
    assert book.document(downloading[0]).text == "受信中 25%"
    book.observe(StatusChanged(SyncStatus(Connectivity.OFFLINE)))  # stopped: says so
    assert book.document(downloading[0]).text == "受信中 25% — つながると続きを受信します"
    assert book.meeting(meeting(), downloading).text.endswith("つながると続きを受信します")
    book.observe(StatusChanged(SyncStatus(Connectivity.ONLINE)))
    assert book.document(downloading[0]).text == "受信中 25%"

    assert book.meeting(meeting(), (summary(),)).state is State.READY
    assert book.meeting(meeting(), (summary(), summary(2))).text == "資料が更新されました（1件）"
    assert book.document(summary(2)).text == "4ページ　更新版（第2版）"
    book.observe(AnnotationsCarried("mt", "doc", 1, 2, (("a", "b"),), ("c", "d")))
    assert book.meeting(meeting(), (summary(), summary(2))).state is State.NEEDS_REVIEW
    assert book.document(summary(2)).text == "差し替え（第2版） — メモ2件の確認が必要です"
    assert book.needs_review(summary(2)) == ("c", "d") and book.needs_review(summary(1)) == ()

    assert book.meeting(meeting(has_key=False), ()).state is State.KEY_WAITING
    assert book.meeting(meeting(), ()).text == "資料はまだありません"
    assert book.meeting(meeting(shredded=True), (summary(),)).text.startswith("閲覧期限切れ")
    book.observe(MeetingAccessLost("mt", "removed"))
    assert book.meeting(meeting(), (summary(),)).state is State.ACCESS_LOST

    glyphs = [glyph for glyph, _ in LOOKS.values()]
    colours = [colour for _, colour in LOOKS.values()]
    assert len(set(glyphs)) == len(set(colours)) == len(State)  # never colour alone
