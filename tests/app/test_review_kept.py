"""Issue #9: the 差し替え review list survives a restart before the reader looked, and stays
cleared after one once they did. Real relay (the demo council), real engines, offscreen; the
restarted app opens offline, from the encrypted store alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, StickyNote
from furano_meet.app.review_list import NOTE_ROLE
from furano_meet.app.session import Session
from furano_meet.app.states import State
from furano_meet.app.tour import until
from furano_meet.app.window import MainWindow
from furano_meet.demo import DEMO_PASSPHRASE
from furano_meet.pagespace import Point
from furano_meet.store import LocalStore
from furano_meet.sync.engine import SyncEngine
from server.demo import MEETING_ID
from tests.app.conftest import Windows, app_council
from tests.app.test_agenda_pack import (
    FIRST,
    REPLACED,
    replacement_of_the_first_document,
    state_of,
    tap,
)
from tests.app.test_first_run import shot
from tests.app.test_viewer import WAIT

NOTE = "財源の内訳を確認"


@contextlib.asynccontextmanager
async def restarted(windows: Windows, qtbot: QtBot, user_id: str) -> AsyncIterator[MainWindow]:
    """``user_id``'s app started again on its store, offline (nothing comes from the relay)."""
    store = await asyncio.to_thread(
        LocalStore.open, windows.devices, user_id, passphrase=DEMO_PASSPHRASE
    )
    session = Session(await asyncio.to_thread(SyncEngine, store))
    window = MainWindow(session)
    try:
        qtbot.addWidget(window)
        window.resize(1280, 860)
        window.show()
        window.choose_meeting(MEETING_ID)
        await until(lambda: state_of(window, REPLACED) is not None, WAIT)
        yield window
    finally:
        window.close()
        await session.close()
        await asyncio.to_thread(store.close)


async def test_the_review_list_outlives_a_restart_until_looked_at(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        engine = window.session.engine
        body = AnnotationBody(StickyNote(Point(100, 100), NOTE))
        note = await engine.add_annotation(MEETING_ID, *FIRST, 5, body)  # page 6 will change
        clerk = windows.council.clerk
        assert clerk is not None
        await clerk.publish_document(
            MEETING_ID,
            replacement_of_the_first_document(),
            title="議案書",
            agenda_item="議案（全件）",
            agenda_position=1,
            document_id=REPLACED[0],
            version=REPLACED[1],
        )
        await until(lambda: len(window.contents.review.entries()) == 1, WAIT)
        window.close()
        await window.session.close()  # closed before the reader looked

        async with restarted(windows, qtbot, "giin1") as again:
            review = again.contents.review
            assert state_of(again, REPLACED) == State.NEEDS_REVIEW
            await until(lambda: len(review.entries()) == 1, WAIT)
            assert NOTE in review.entries()[0].text()
            assert review.entries()[0].data(NOTE_ROLE)[0].annotation_id == note
            shot(again, "review-kept-after-restart")
            tap(review, review.entries()[0])  # looking at it clears it
            await until(lambda: not review.entries(), WAIT)
            await until(lambda: state_of(again, REPLACED) == State.UPDATED, WAIT)
            await again.session.ops.settle()  # the seen mark is written

        async with restarted(windows, qtbot, "giin1") as again:
            assert state_of(again, REPLACED) == State.UPDATED
            assert await again.session.engine.needs_review(MEETING_ID) == ()
