"""A shared stroke received on a page already holding ink costs that stroke alone: it is added
to the canvas's ink layer (the page's other strokes are not drawn again) and the page's notes
are not read from the store again (issue #9: both grew with the ink on the page, and the
shared stroke's way to another device with them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, Ink, InkPoint
from furano_meet.app.ink_layer import in_shown_order
from furano_meet.app.ink_tools import Tool
from furano_meet.app.tour import FIRST_DOCUMENT, drag, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.pagespace import Point
from furano_meet.store.records import Visibility
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import AnnotationsChanged
from furano_meet.sync.queries import AnnotationView
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_annotating import choose, open_first_page

WAIT = 30
BLUE = "#1a56db"


def _stroke(row: int) -> Ink:
    return Ink(tuple(InkPoint(90.0 + 12 * k, 120.0 + 30 * row) for k in range(10)), BLUE, 8.0)


def _blue_at(window: MainWindow, point: Point) -> bool:
    """Whether the canvas as painted now shows the stroke's blue at ``point`` (page points)."""
    canvas = window.viewer.canvas
    at = canvas.to_view(point)
    colour = canvas.grab().toImage().pixelColor(round(at.x()), round(at.y()))
    return colour.blue() - colour.red() > 100  # #1a56db; the page is white, the text black


def count_reads(engine: SyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Every read of a page's notes the window asks ``engine`` for from now on."""
    reads: list[tuple[object, ...]] = []
    read = engine.annotations

    async def counted(*args: object) -> tuple[AnnotationView, ...]:
        reads.append(args)
        return await read(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "annotations", counted)
    return reads


async def _share(chair: MainWindow, member: MainWindow, ink: Ink) -> str:
    """The chair shares ``ink`` on page 1; returns once the member's canvas holds it and the
    member's work for it has settled."""
    note = await chair.session.engine.add_annotation(
        MEETING_ID, *FIRST_DOCUMENT, 0, AnnotationBody(ink), visibility=Visibility.SHARED
    )
    await until(lambda: ink in member.viewer.canvas.ink, WAIT)
    await asyncio.wait_for(member.session.ops.settle(), WAIT)
    return note


async def test_a_received_stroke_is_added_alone(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        chair = await windows.open("iincho")
        member = await windows.open("giin1")
        await until(lambda: len(member.agenda.entries()) == 3, WAIT)
        painted = expect_paint(member.viewer, 0)
        member.viewer.open_document(*FIRST_DOCUMENT)
        await asyncio.wait_for(painted, WAIT)
        await asyncio.wait_for(member.session.ops.settle(), WAIT)
        for row in range(3):  # ink already on the page
            await _share(chair, member, _stroke(row))
        layer, engine = member.viewer.canvas.ink_layer, member.session.engine
        redraws, drawn = layer.redraws, layer.strokes_drawn
        reads = count_reads(engine, monkeypatch)
        last = _stroke(3)
        note = await _share(chair, member, last)
        assert member.viewer.canvas.ink == tuple(_stroke(row) for row in range(4))
        assert (layer.redraws, layer.strokes_drawn) == (redraws, drawn + 1)
        assert reads == []
        assert _blue_at(member, Point(last.points[4].x, last.points[4].y))

        # A deletion is not told whole: the page is read and the layer drawn again without it.
        await chair.session.engine.delete_annotation(note)
        await until(lambda: last not in member.viewer.canvas.ink, WAIT)
        await asyncio.wait_for(member.session.ops.settle(), WAIT)
        assert len(reads) == 1
        assert not _blue_at(member, Point(last.points[4].x, last.points[4].y))
        assert _blue_at(member, Point(_stroke(2).points[4].x, _stroke(2).points[4].y))
        assert layer.redraws > redraws


async def test_the_authors_own_stroke_is_drawn_alone_with_no_store_read(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chair's own pen stroke, on a page already holding ink: the engine tells it whole, so
    the chair's window adds that stroke to its layer and reads nothing — at the write, nor when
    the relay acknowledges it (issue #9, fifth session: it used to read the page's notes after
    every stroke)."""
    async with app_council(tmp_path, qtbot) as windows:
        chair = await windows.open("iincho")
        choose(chair, Tool.PEN, shared=True)  # first: the open bar narrows the page
        await open_first_page(chair)
        await asyncio.wait_for(chair.session.ops.settle(), WAIT)
        for row in range(3):  # ink already on the page
            await chair.session.engine.add_annotation(
                MEETING_ID, *FIRST_DOCUMENT, 0, AnnotationBody(_stroke(row)),
                visibility=Visibility.SHARED,
            )  # fmt: skip
        await until(lambda: len(chair.viewer.canvas.ink) == 3, WAIT)
        await asyncio.wait_for(chair.session.ops.settle(), WAIT)
        canvas, engine = chair.viewer.canvas, chair.session.engine
        layer = canvas.ink_layer
        canvas.repaint()
        redraws, drawn = layer.redraws, layer.strokes_drawn
        reads = count_reads(engine, monkeypatch)
        told: list[AnnotationsChanged] = []
        chair.session.engine_event.connect(
            lambda e: told.append(e) if isinstance(e, AnnotationsChanged) else None
        )
        page = canvas.page_rect()
        y = page.top() + page.height() * 0.8
        drag(canvas, [QPointF(page.left() + page.width() * k / 10, y) for k in (2, 3, 4, 5)])
        await until(lambda: len(canvas.ink) == 4 and not chair.viewer.annotator._pending, WAIT)
        # told whole when written; nothing more when the relay has logged it
        (note,) = told[0].annotation_ids
        store = engine._ctx.store  # the test looks; the window never reads the store

        async def logged() -> bool:
            row = await asyncio.to_thread(store.annotation, note)
            return row is not None and row.server_seq is not None

        async with asyncio.timeout(WAIT):
            while not await logged():
                await asyncio.sleep(0.01)
        await asyncio.wait_for(chair.session.ops.settle(), WAIT)
        canvas.repaint()
        assert reads == []
        assert (layer.redraws, layer.strokes_drawn) == (redraws, drawn + 1)
        assert [e.annotation_ids for e in told] == [(note,)]
        assert [n.body.mark for n in told[0].notes] == [canvas.ink[-1]]


def _view(note_id: str, row: int) -> AnnotationView:
    from datetime import UTC, datetime

    when = datetime(2026, 12, 3, tzinfo=UTC)
    return AnnotationView(
        note_id, MEETING_ID, "doc", 1, 0, Visibility.SHARED, "giin1",
        AnnotationBody(_stroke(row)), when, when,
    )  # fmt: skip


def test_a_read_keeps_the_order_shown() -> None:
    a, b, c, edited = _view("a", 0), _view("b", 1), _view("c", 2), _view("b", 3)
    assert in_shown_order((a, b), (c, edited, a)) == (a, edited, c)
    assert in_shown_order((a, b, c), (c, a)) == (a, c)
    assert in_shown_order((), (c, a)) == (c, a)
