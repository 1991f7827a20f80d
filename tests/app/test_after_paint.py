"""A page turn's own work waits for the page's paint (issue #9, ``app/after_paint.py``).

The reader's intent (``browse``), the store read of the page's ink and the read of its links
run once the page turned to is painted — or after the time limit when no paint comes — and
until the intent is told, the engine's older view does not take the reader back.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.app.after_paint import AfterPaint
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.viewer import Viewer
from furano_meet.sync.follow import PageRef
from server.demo import MEETING_ID
from tests.app.conftest import app_council

WAIT = 20
TARGET = 4


async def test_the_newest_work_of_each_kind_runs_at_the_paint_or_the_time_limit(
    qtbot: QtBot,
) -> None:
    after = AfterPaint()
    ran: list[str] = []
    after.later("intent", lambda: ran.append("intent 1"))
    after.later("ink", lambda: ran.append("ink"))
    after.later("intent", lambda: ran.append("intent 2"))  # a second turn: only its intent
    assert ran == []
    assert list(after.waiting) == ["intent", "ink"]
    after.settle(("doc", 1, 2), 0.0)  # the canvas's painted(key, at)
    assert ran == ["intent 2", "ink"]
    assert list(after.waiting) == []

    after.settle_ms = 30
    started = time.perf_counter()
    after.later("links", lambda: ran.append("links"))
    await until(lambda: "links" in ran, WAIT)  # no paint came: the time limit runs it
    assert time.perf_counter() - started >= 0.025
    assert list(after.waiting) == []


async def _opened(viewer: Viewer) -> None:
    """The first document open on page 1, its neighbour held and its intent told."""
    opened = expect_paint(viewer, 0)
    viewer.open_document(*FIRST_DOCUMENT)
    await asyncio.wait_for(opened, WAIT)
    await until(lambda: viewer.holds(viewer.request_for(1)), WAIT)
    await until(lambda: not viewer.after_paint.waiting, WAIT)


async def test_the_ink_read_and_the_intent_wait_for_the_page_and_the_view_waits_for_them(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        viewer = (await windows.open("giin1")).viewer
        viewer.after_paint.settle_ms = WAIT * 1000  # only the paint lets the work go
        await _opened(viewer)
        engine = viewer.session.engine
        # page 1's intent told and done: the engine's view names it (before the turn below)
        await until(lambda: engine.view(MEETING_ID).view.page == PageRef(*FIRST_DOCUMENT, 0))

        reads: list[tuple[int | None, float]] = []
        annotations = engine.annotations

        def observed(document_id: str, version: int, page: int | None = None):  # type: ignore[no-untyped-def]
            if page is not None:  # one page's notes: the viewer's read (the 確認 list reads all)
                reads.append((page, time.perf_counter()))  # observation only: passes through
            return annotations(document_id, version, page)

        engine.annotations = observed  # type: ignore[method-assign]
        render, links_asked = viewer.session.render, []
        links = render.links

        def observed_links(doc_id: str, version: int, page: int, *rest):  # type: ignore[no-untyped-def]
            links_asked.append((page, time.perf_counter()))
            return links(doc_id, version, page, *rest)

        render.links = observed_links  # type: ignore[method-assign,assignment]
        painted = expect_paint(viewer, TARGET)
        viewer.turn_page(TARGET)
        # the engine's view is re-applied before the turn is told (another event, a window
        # showing the meeting again): it still says page 1, and must not take the reader back
        viewer.set_meeting(MEETING_ID)
        assert viewer.page == TARGET
        assert sorted(viewer.after_paint.waiting) == ["ink", "intent"]
        assert reads == []  # the page's ink is not read while its pixels are on their way
        assert links_asked == []  # nor its links
        at = await asyncio.wait_for(painted, WAIT)

        await until(lambda: engine.view(MEETING_ID).view.page == PageRef(*FIRST_DOCUMENT, TARGET))
        await until(lambda: bool(reads), WAIT)
        assert [page for page, _ in reads] == [TARGET]
        assert reads[0][1] > at  # read once the page was painted
        assert viewer.page == TARGET
        await until(lambda: bool(links_asked), WAIT)
        assert links_asked[0][0] == TARGET and links_asked[0][1] > at
