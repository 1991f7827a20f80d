"""Failures reach the reader as calm words with a next step, from the one error presenter."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.app.session import Session
from furano_meet.app.tour import FIRST_DOCUMENT, until
from furano_meet.app.window import MainWindow
from server import demo
from server.demo import MEETING_ID
from server.relay import Relay
from tests.app.conftest import app_council
from tests.conftest import relay_config
from tests.e2e.council import Council
from tests.e2e.test_sync_security import flip_a_byte, published, rewrite_blob
from tests.pdfs import generate_agenda_pack


def assert_calm(text: str) -> None:
    assert "Traceback" not in text and "Error" not in text
    assert any("\u3040" <= ch <= "\u30ff" for ch in text)  # Japanese (kana), not the core's English


async def test_a_tampered_document_is_refused_and_said_so_calmly(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with Relay(relay_config(tmp_path)) as relay:
        await relay.store.run(demo.seed, relay.store)
        await refused_and_said_so_calmly(relay, tmp_path, qtbot)


async def refused_and_said_so_calmly(relay: Relay, tmp_path: Path, qtbot: QtBot) -> None:
    council = Council(relay, tmp_path / "devices")
    await council.setup_admin()
    try:
        _, doc_id = await published(council, generate_agenda_pack(title="議案書", pages=3))
        await rewrite_blob(relay, doc_id, flip_a_byte)
        device = await council.device("giin1", start=False)
        session = Session(device.engine)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.resize(1280, 800)  # the tablet: a short page would fold the notice to one line
        window.show()
        session.start()
        try:
            await until(window.notice.isVisible)
            notice = session.errors.last
            assert notice is not None and notice.code == "tampered"
            text = window.notice.text.text()
            assert "確認に失敗" in text and "議会事務局" in text  # what happened, what to do
            assert_calm(text)
            window.choose_meeting(MEETING_ID)
            documents = await session.engine.documents(MEETING_ID)
            assert not any(d.ready for d in documents)  # and it is never shown
        finally:
            await session.close()
    finally:
        await council.close()


async def test_a_refused_presenter_intent_is_explained_with_the_next_step(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        await refused_intent_explained(await windows.open("giin1"))


async def refused_intent_explained(window: MainWindow) -> None:
    session = window.session
    task = session.ops.run(session.engine.present_page(MEETING_ID, *FIRST_DOCUMENT, 2))
    outcome: object = await asyncio.wait_for(task, 20)
    assert outcome is None  # the op failed, and did not raise
    assert window.notice.isVisible()
    assert session.errors.last is not None and session.errors.last.code == "not_presenter"
    text = window.notice.text.text()
    assert "発表者" in text and "委員長" in text
    assert_calm(text)
