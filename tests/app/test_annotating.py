"""Writing on the page in the real app: stylus with pressure, palm rejection, highlighter that
snaps to words, 付箋, eraser, undo, private and shared marks, offline writing — real relay,
real engines, real renders, offscreen.

Input is sent with ``QApplication.sendEvent`` (:mod:`furano_meet.app.synthetic`), never with
``QTest.touchEvent``, whose nested ``processEvents()`` makes qasync lose timer callbacks: the
earlier version of these tests hung that way (see that module).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import (
    QColor,
    QImage,
    QInputMethodEvent,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, Highlight, Ink, Quad, StickyNote
from furano_meet.app.council import demo_council
from furano_meet.app.ink_tools import Tool
from furano_meet.app.page_canvas import PageCanvas
from furano_meet.app.session import Session
from furano_meet.app.synthetic import finger, stylus, tablet, touch_screen
from furano_meet.app.tour import FIRST_DOCUMENT, drag, expect_paint, until
from furano_meet.app.viewer import Viewer
from furano_meet.app.window import MainWindow
from furano_meet.pagespace import Point
from furano_meet.store.records import Visibility
from furano_meet.sync.events import Connectivity
from furano_meet.sync.queries import AnnotationView
from tests.app.conftest import Windows, app_council, quiet_pymupdf_garbage

WAIT = 20
SHOTS = Path("/tmp/shots")


def live_painted(viewer: Viewer, samples: int) -> asyncio.Future[float]:
    """Resolved when the canvas paints the stroke under the pen holding ``samples`` points."""
    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def seen(count: int, at: float) -> None:
        if count == samples and not future.done():
            future.set_result(at)

    viewer.annotator.live_painted.connect(seen)
    future.add_done_callback(lambda _: viewer.annotator.live_painted.disconnect(seen))
    return future


async def open_first_page(window: MainWindow) -> None:
    painted = expect_paint(window.viewer, 0)
    window.viewer.open_document(*FIRST_DOCUMENT)
    await asyncio.wait_for(painted, WAIT)


async def notes(session: Session) -> tuple[AnnotationView, ...]:
    return await session.engine.annotations(*FIRST_DOCUMENT, 0)


async def until_notes(session: Session, count: int) -> tuple[AnnotationView, ...]:
    async def enough() -> bool:
        return len(await notes(session)) == count

    await session.wait_until(enough, WAIT)
    return await notes(session)


def shoot(widget: QWidget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"annotate-{name}.png"))


def ink_across(canvas: PageCanvas, paper: QImage, at: Point) -> int:
    """How much darker the canvas is than ``paper`` on a column through ``at`` (page points):
    a stroke's width times its darkness, so a wider stroke scores more."""
    image = canvas.grab().toImage()
    view = canvas.to_view(at)
    x = int(view.x())
    rows = range(int(view.y()) - 12, int(view.y()) + 13)
    return sum(
        max(0, QColor(paper.pixel(x, y)).lightness() - QColor(image.pixel(x, y)).lightness())
        for y in rows
    )


def type_japanese(widget: QWidget, text: str) -> None:
    """Text as an input method commits it (``QTest.keyClicks`` aborts on non-Latin text)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def open_bar(window: MainWindow) -> None:
    """Tap 「✎ 書き込む」 if the bar is folded (reading): the tools are behind it."""
    bar = window.viewer.annotation_bar
    if not bar.is_open:
        QTest.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)
    assert bar.is_open and bar.tools[Tool.PEN].isVisible()


def choose(window: MainWindow, tool: Tool, *, shared: bool = False) -> None:
    open_bar(window)
    bar = window.viewer.annotation_bar
    if not bar.tools[tool].isChecked():  # a second tap puts the tool down
        QTest.mouseClick(bar.tools[tool], Qt.MouseButton.LeftButton)
    assert window.viewer.annotator.state.tool is tool
    if bar.share.isChecked() != shared:
        QTest.mouseClick(bar.share, Qt.MouseButton.LeftButton)


async def test_a_stylus_stroke_is_drawn_as_it_moves_keeps_its_pressure_and_reaches_others(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        writer = await windows.open("giin1")
        reader = await windows.open("giin2")
        await open_first_page(writer)
        await open_first_page(reader)
        viewer, canvas = writer.viewer, writer.viewer.canvas
        assert viewer.annotation_bar.share.text() == "自分だけ"  # private by default
        choose(writer, Tool.PEN, shared=True)
        QTest.mouseClick(viewer.annotation_bar.widths[2], Qt.MouseButton.LeftButton)  # 太
        assert viewer.annotation_bar.share.text() == "全員に共有"

        page = canvas.page_rect()
        paper = canvas.grab().toImage()
        pen = stylus()
        y = page.top() + page.height() * 0.4
        xs = [page.left() + page.width() * (0.2 + 0.05 * i) for i in range(9)]
        pressures = [0.1 + 0.1 * i for i in range(9)]
        tablet(canvas, pen, QEvent.Type.TabletPress, QPointF(xs[0], y), pressures[0])
        painted = live_painted(viewer, 5)
        for x, pressure in zip(xs[1:5], pressures[1:5], strict=True):
            tablet(canvas, pen, QEvent.Type.TabletMove, QPointF(x, y), pressure)
        await asyncio.wait_for(painted, WAIT)  # drawn while the pen moves...
        assert await notes(writer.session) == ()  # ...and not stored before it lifts
        at = canvas.to_page(QPointF(xs[3], y))
        assert at is not None and ink_across(canvas, paper, at) > 0

        # the palm lands below the pen and slides while the pen is down: it writes nothing
        palm = QPointF(xs[2], y + page.height() * 0.2)
        touch = touch_screen()
        finger(canvas, touch, [palm, palm + QPointF(40, 10), palm + QPointF(80, 20)])
        live = viewer.annotator._live
        assert live is not None and len(live.samples) == 5
        for x, pressure in zip(xs[5:], pressures[5:], strict=True):
            tablet(canvas, pen, QEvent.Type.TabletMove, QPointF(x, y), pressure)
        shoot(writer, "pen-drawing")
        tablet(canvas, pen, QEvent.Type.TabletRelease, QPointF(xs[-1], y), 0.0)

        (note,) = await until_notes(writer.session, 1)  # one stroke: the palm wrote nothing
        ink = note.body.mark
        assert isinstance(ink, Ink)
        assert note.visibility is Visibility.SHARED
        # smoothed at capture (ink_smoothing.py): the samples (evenly spaced on a line, so
        # kept where they were) with their own pressures, curve points between them
        kept = iter(ink.points)
        for x, pressure in zip(xs, pressures, strict=True):
            want = canvas.to_page(QPointF(x, y))
            assert want is not None
            got = next(p for p in kept if abs(p.x - want.x) < 0.02)
            assert abs(got.y - want.y) < 0.02 and got.pressure == round(pressure, 3)
        assert (ink.points[0].pressure, ink.points[-1].pressure) == (0.1, 0.9)
        assert all(
            a.pressure <= b.pressure for a, b in zip(ink.points, ink.points[1:], strict=False)
        )
        assert ink.width == 4.0 and ink.colour == "#202124"

        # painted on the writer's page, wider where pressed harder
        await until(lambda: ink in canvas.ink and not viewer.annotator._pending)
        light_at, firm_at = canvas.to_page(QPointF(xs[1], y)), canvas.to_page(QPointF(xs[7], y))
        assert light_at is not None and firm_at is not None
        light = ink_across(canvas, paper, light_at)  # the 2nd sample's place
        firm = ink_across(canvas, paper, firm_at)  # the 8th's
        assert firm > 1.4 * light > 0
        shoot(writer, "pen-stored")

        # a private stroke, then a shared 付箋: once the note is on the reader's page, the
        # private stroke (sent before it) is still not there
        choose(writer, Tool.PEN, shared=False)
        low = page.top() + page.height() * 0.7
        drag(canvas, [QPointF(xs[0], low), QPointF(xs[4], low), QPointF(xs[8], low)])
        await until_notes(writer.session, 2)
        choose(writer, Tool.NOTE, shared=True)
        QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=page.center().toPoint())
        type_japanese(viewer.note_panel.text, "全員へ")
        QTest.mouseClick(viewer.note_panel.save_button, Qt.MouseButton.LeftButton)
        mine = await until_notes(writer.session, 3)
        assert [n.visibility for n in mine].count(Visibility.PRIVATE) == 1

        def reader_sees_the_note() -> bool:
            return any(isinstance(n.body.mark, StickyNote) for n in reader.viewer.annotator.notes)

        await until(reader_sees_the_note, WAIT)
        assert reader.viewer.canvas.ink == (ink,)  # the shared stroke only
        assert len(await notes(reader.session)) == 2
        shoot(reader, "pen-shared")

        # a finger with no pen near writes like a pen (so the palm check above could fail)
        viewer.annotator.gate.pen_left()
        choose(writer, Tool.PEN, shared=False)
        finger(canvas, touch, [palm, palm + QPointF(40, 0), palm + QPointF(80, 0)])
        assert isinstance((await until_notes(writer.session, 4))[-1].body.mark, Ink)


async def test_highlighter_note_eraser_and_undo(tmp_path: Path, qtbot: QtBot) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        await open_first_page(window)
        session, viewer = window.session, window.viewer
        canvas, bar = viewer.canvas, viewer.annotation_bar

        # highlighter: a drag across one word stores that word's box and text
        words = await session.render.words(*FIRST_DOCUMENT, 0)
        word = max(words, key=lambda w: w.rect.width)
        open_bar(window)
        QTest.mouseClick(bar.tools[Tool.HIGHLIGHTER], Qt.MouseButton.LeftButton)
        mid_y = (word.rect.y0 + word.rect.y1) / 2
        start = canvas.to_view(Point(word.rect.x0 + 1, mid_y))
        end = canvas.to_view(Point(word.rect.x1 - 1, mid_y))
        drag(canvas, [start, (start + end) / 2, end])
        (marked,) = await until_notes(session, 1)
        assert marked.visibility is Visibility.PRIVATE  # private unless shared
        highlight = marked.body.mark
        assert isinstance(highlight, Highlight)
        assert highlight.quads == Highlight((Quad.from_rect(word.rect),)).quads
        assert highlight.text == word.text
        await until(lambda: len(viewer.annotator.notes) == 1)
        shoot(window, "highlight")

        # 付箋: a tap opens the panel, the text typed is stored
        QTest.mouseClick(bar.tools[Tool.NOTE], Qt.MouseButton.LeftButton)
        spot = canvas.page_rect().center().toPoint()
        QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=spot)
        assert viewer.note_panel.isVisible()
        type_japanese(viewer.note_panel.text, "予算の根拠を確認")
        shoot(window, "note-panel")
        QTest.mouseClick(viewer.note_panel.save_button, Qt.MouseButton.LeftButton)
        stored = await until_notes(session, 2)
        sticky = stored[1].body.mark
        assert isinstance(sticky, StickyNote) and sticky.text == "予算の根拠を確認"
        assert not viewer.note_panel.isVisible()
        await until(lambda: len(viewer.annotator.notes) == 2)
        shoot(window, "note-stored")

        # eraser: a sweep across the note deletes it
        QTest.mouseClick(bar.tools[Tool.ERASER], Qt.MouseButton.LeftButton)
        centre = canvas.to_view(Point(sticky.at.x + 10, sticky.at.y + 10))
        drag(canvas, [centre - QPointF(30, 0), centre, centre + QPointF(30, 0)])
        left = await until_notes(session, 1)
        assert isinstance(left[0].body.mark, Highlight)

        # undo brings the note back (same text), redo erases it again; Ctrl+Z works too
        QTest.mouseClick(bar.undo, Qt.MouseButton.LeftButton)
        back = await until_notes(session, 2)
        assert AnnotationBody(sticky) in [n.body for n in back]
        QTest.mouseClick(bar.redo, Qt.MouseButton.LeftButton)
        await until_notes(session, 1)
        window.activateWindow()
        QTest.keyClick(viewer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the erase
        await until_notes(session, 2)
        QTest.keyClick(viewer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the note
        await until_notes(session, 1)
        viewer.annotator.undo_step()  # and the highlight
        await until_notes(session, 0)
        shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        QTest.keyClick(viewer, Qt.Key.Key_Z, shift)
        (again,) = await until_notes(session, 1)
        assert again.body.mark == highlight
        await until(lambda: bar.undo.isEnabled() and bar.redo.isEnabled())


async def test_a_stroke_written_offline_reaches_the_others_once_the_relay_is_back(
    tmp_path: Path, qtbot: QtBot
) -> None:
    sessions: list[Session] = []
    quiet_pymupdf_garbage()
    try:
        async with demo_council(tmp_path / "demo") as council:
            windows = Windows(council, tmp_path / "devices", qtbot)
            sessions = windows.sessions
            writer = await windows.open("giin1")
            reader = await windows.open("giin2")
            await open_first_page(writer)
            await open_first_page(reader)
        # the relay has stopped: the writer writes anyway, on a shared page
        await until(lambda: writer.status.connectivity is Connectivity.OFFLINE, WAIT)
        choose(writer, Tool.PEN, shared=True)
        page = writer.viewer.canvas.page_rect()
        y = page.top() + page.height() * 0.5
        line = [QPointF(page.left() + page.width() * f, y) for f in (0.2, 0.4, 0.6)]
        drag(writer.viewer.canvas, line)
        (note,) = await until_notes(writer.session, 1)
        await until(lambda: writer.viewer.canvas.ink == (note.body.mark,))  # shown offline
        assert await notes(reader.session) == ()
        shoot(writer, "offline")

        port = urlparse(council.url).port
        assert port is not None
        async with demo_council(tmp_path / "demo", port=port):  # the same relay, back
            await until(lambda: reader.viewer.canvas.ink == (note.body.mark,), 60)
        (got,) = await notes(reader.session)
        assert got.annotation_id == note.annotation_id and got.body == note.body
    finally:
        for session in sessions:
            await session.close()
