"""The highlighter on Japanese text in the real app: a drag across 「予算の執行状況」 marks
exactly the characters it crossed — on a horizontal line, down a vertical (縦書き) column,
and on a real council's minutes when ../shared/pdfs is there — while English text still
snaps to whole words. Real relay, real engines, the render service's words, offscreen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from bench.app_council import MEETING_ID, bench_council
from furano_meet.annotations import Highlight, Quad
from furano_meet.app.ink_tools import Tool
from furano_meet.app.session import Session
from furano_meet.app.tour import drag, expect_paint, until
from furano_meet.app.viewer import Viewer
from furano_meet.app.window import MainWindow
from furano_meet.pagespace import Point, Rect
from furano_meet.render.types import Word
from tests.app.test_first_run import shot
from tests.conftest import SHARED_PDFS
from tests.render.test_text import MINUTES, japanese_sheet

WAIT = 30
SHEET = ("jp-sheet", 1)
REAL = ("jp-minutes", 1)


async def test_the_highlighter_marks_the_characters_dragged_over(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with reading(tmp_path, qtbot, SHEET, japanese_sheet()) as (reader, viewer):
        await show(viewer, SHEET, 0)
        viewer.annotator.choose_tool(Tool.HIGHLIGHTER)
        await highlight(reader, viewer, SHEET, 0, "予算の執行状況")
        shot(viewer, "highlight-japanese")
        await highlight(reader, viewer, SHEET, 0, "report", start=0.1, end=0.6)
        await show(viewer, SHEET, 1)
        await highlight(reader, viewer, SHEET, 1, "執行状況", vertical=True)
        shot(viewer, "highlight-vertical")


@pytest.mark.skipif(
    not MINUTES.is_file(), reason=f"{SHARED_PDFS} is absent: no real Japanese document to mark"
)
async def test_the_highlighter_on_real_minutes(tmp_path: Path, qtbot: QtBot) -> None:
    async with reading(tmp_path, qtbot, REAL, MINUTES.read_bytes()) as (reader, viewer):
        await show(viewer, REAL, 1)
        viewer.annotator.choose_tool(Tool.HIGHLIGHTER)
        await highlight(reader, viewer, REAL, 1, "デジタル社会推進会議")
        shot(viewer, "highlight-minutes")


@contextlib.asynccontextmanager
async def reading(
    tmp_path: Path, qtbot: QtBot, document: tuple[str, int], pdf: bytes
) -> AsyncIterator[tuple[Session, Viewer]]:
    """A councillor's window on the meeting, ``pdf`` published by the clerk as ``document``."""
    async with bench_council(tmp_path, 0) as council:
        clerk = await council.session("jimukyoku", "clerk")
        await clerk.engine.publish_document(
            MEETING_ID, pdf, title="予算の執行状況", document_id=document[0]
        )
        reader = await council.session("giin2", documents=4)
        window = MainWindow(reader)
        qtbot.addWidget(window)
        window.resize(1280, 860)
        window.show()
        window.choose_meeting(MEETING_ID)
        try:
            yield reader, window.viewer
        finally:
            window.close()


async def show(viewer: Viewer, document: tuple[str, int], page: int) -> None:
    painted = expect_paint(viewer, page, document)
    viewer.open_document(*document, page)
    await asyncio.wait_for(painted, WAIT)


def find(words: tuple[Word, ...], text: str) -> list[Word]:
    """The words holding ``text`` (characters of Japanese, one word of English)."""
    for i, word in enumerate(words):
        run = words[i : i + len(text)] if word.text != text else (word,)
        if "".join(w.text for w in run) == text:
            return list(run)
    raise AssertionError(f"{text!r} is not on the page")


async def highlight(
    session: Session,
    viewer: Viewer,
    document: tuple[str, int],
    page: int,
    text: str,
    *,
    start: float = 0.5,
    end: float = 0.5,
    vertical: bool = False,
) -> None:
    """Drag from ``start`` into the first word of ``text`` to ``end`` into its last (shares
    of a word's width, or height when ``vertical``); exactly ``text`` must be stored, its
    characters under one quad."""
    words = find(await session.render.words(*document, page), text)
    first, last = words[0].rect, words[-1].rect

    def at(rect: Rect, share: float) -> QPointF:
        if vertical:
            return viewer.canvas.to_view(
                Point((rect.x0 + rect.x1) / 2, rect.y0 + rect.height * share)
            )
        return viewer.canvas.to_view(Point(rect.x0 + rect.width * share, (rect.y0 + rect.y1) / 2))

    before = len(await session.engine.annotations(*document, page))
    a, b = at(first, start), at(last, end)
    drag(viewer.canvas, [a + (b - a) * i / 8 for i in range(9)])

    async def stored() -> bool:
        return len(await session.engine.annotations(*document, page)) == before + 1

    await session.wait_until(stored, WAIT)
    mark = (await session.engine.annotations(*document, page))[-1].body.mark
    assert isinstance(mark, Highlight)
    assert mark.text == text
    whole = first
    for word in words[1:]:
        whole = whole.union(word.rect)
    assert mark.quads == Highlight((Quad.from_rect(whole),)).quads  # stored rounded
    await until(lambda: any(n.body.mark == mark for n in viewer.annotator.notes), WAIT)
