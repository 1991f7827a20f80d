"""Placing and moving a 付箋 in the real app: while the panel is open a marker shows where the
new note goes (a tap elsewhere moves it, the text kept); a drag of one's own note moves it — an
edit, stored under the same id, undoable, and seen by the other member. Real relay, real
engines, offscreen; the marker checked in pixels."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from furano_meet.annotations import StickyNote
from furano_meet.app.council import member_session
from furano_meet.app.ink_tools import Tool
from furano_meet.app.note_icon import note_side
from furano_meet.app.page_canvas import PageCanvas
from furano_meet.app.session import Session
from furano_meet.app.tour import FIRST_DOCUMENT, drag, until
from furano_meet.app.viewer import Viewer
from furano_meet.pagespace import Point
from furano_meet.sync.queries import AnnotationView
from tests.app.conftest import app_council
from tests.app.test_annotating import choose, open_first_page, type_japanese
from tests.app.test_first_run import shot

WAIT = 20


def orange_near(canvas: PageCanvas, at: QPointF, reach: int = 60) -> int:
    """How many pixels within ``reach`` of ``at`` are the marker's orange."""
    image = canvas.grab().toImage()
    found = 0
    for y in range(int(at.y()) - reach, int(at.y()) + reach):
        for x in range(int(at.x()) - reach, int(at.x()) + reach):
            if 0 <= x < image.width() and 0 <= y < image.height():
                c = QColor(image.pixel(x, y))
                found += c.red() > 200 and 90 < c.green() < 150 and c.blue() < 60
    return found


async def stickies(session: Session) -> list[tuple[str, StickyNote]]:
    notes = await session.engine.annotations(*FIRST_DOCUMENT, 0)
    return [(n.annotation_id, n.body.mark) for n in notes if isinstance(n.body.mark, StickyNote)]


def shown_at(notes: tuple[AnnotationView, ...]) -> list[Point]:
    return [n.body.mark.at for n in notes if isinstance(n.body.mark, StickyNote)]


async def one_sticky(session: Session) -> bool:
    return len(await stickies(session)) == 1


def close(a: Point, b: Point) -> bool:
    return abs(a.x - b.x) < 0.1 and abs(a.y - b.y) < 0.1


def near(a: Point | None, b: Point, canvas: PageCanvas) -> bool:
    """Within the pixel a tap is rounded to, at the canvas's scale."""
    assert a is not None and canvas.transform is not None
    return abs(a.x - b.x) + abs(a.y - b.y) <= 2.5 / canvas.transform.scale


def fitted(viewer: Viewer) -> bool:
    """The whole page fits the page area as it is now (no re-fit still to come)."""
    return abs(viewer.canvas.page_rect().height() - viewer.page_area.viewport().height() + 8) <= 1


def tap(canvas: PageCanvas, at: Point) -> None:
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.to_view(at).toPoint())


async def test_a_marker_shows_where_the_note_goes_and_a_drag_moves_it(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        other = await member_session(windows.council, windows.devices, "giin2")
        windows.sessions.append(other)
        await open_first_page(window)
        viewer, session = window.viewer, window.session
        canvas, annotator, panel = viewer.canvas, viewer.annotator, viewer.note_panel
        choose(window, Tool.NOTE, shared=True)

        # A tap: the panel opens and the marker stands where the note will go. (The panel
        # takes room under the page, which shrinks: places are page points, taps are made
        # where they are on screen at that moment.)
        size = viewer.document.pages[0] if viewer.document is not None else None
        assert size is not None
        here, elsewhere = (
            Point(size.width * 0.3, size.height * 0.4),
            Point(size.width * 0.55, size.height * 0.6),
        )
        assert orange_near(canvas, canvas.to_view(here)) == 0
        tap(canvas, here)
        assert panel.isVisible()
        assert near(annotator.note_marker, here, canvas)
        await until(lambda: orange_near(canvas, canvas.to_view(here)) > 80, WAIT)
        type_japanese(panel.text, "ここに貼る")
        shot(window, "note-marker")

        # A tap elsewhere moves the marker; the text typed stays.
        tap(canvas, elsewhere)
        assert near(annotator.note_marker, elsewhere, canvas)
        assert panel.text.toPlainText() == "ここに貼る"
        assert orange_near(canvas, canvas.to_view(here), 20) == 0
        assert orange_near(canvas, canvas.to_view(elsewhere)) > 80
        QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
        await session.wait_until(lambda: one_sticky(session), WAIT)
        ((note_id, stored),) = await stickies(session)
        assert annotator.note_marker is None and not panel.isVisible()  # gone with the panel
        assert near(stored.at, elsewhere, canvas)
        assert orange_near(canvas, canvas.to_view(elsewhere)) == 0

        # A drag of the note moves it: the same note (an edit), elsewhere, for the other too.
        await until(lambda: len(annotator.notes) == 1, WAIT)
        await until(lambda: fitted(viewer), WAIT)  # the page grew back where the panel was
        grip = canvas.to_view(Point(stored.at.x + 8, stored.at.y + 8))
        shift = QPointF(120, 70)
        drag(canvas, [grip + shift * i / 6 for i in range(7)])
        scale = canvas.transform.scale if canvas.transform is not None else 1.0
        moved = Point(stored.at.x + shift.x() / scale, stored.at.y + shift.y() / scale)

        async def moved_for(reader: Session) -> bool:
            found = await stickies(reader)
            return len(found) == 1 and found[0][0] == note_id and close(found[0][1].at, moved)

        await session.wait_until(lambda: moved_for(session), WAIT)
        assert not panel.isVisible()  # a move is not a tap: nothing opened
        await other.wait_until(lambda: moved_for(other), WAIT)
        (after,) = [n for _, n in await stickies(session)]
        assert after.text == "ここに貼る" and after.colour == stored.colour
        await until(lambda: [close(at, moved) for at in shown_at(annotator.notes)] == [True], WAIT)
        shot(window, "note-moved")

        # Undo puts it back; a tap on it (a tremble, not a move) opens it to edit.
        QTest.mouseClick(viewer.annotation_bar.undo, Qt.MouseButton.LeftButton)

        async def back() -> bool:
            return [n.at for _, n in await stickies(session)] == [stored.at]

        await session.wait_until(back, WAIT)
        await until(lambda: shown_at(annotator.notes) == [stored.at], WAIT)
        drag(canvas, [grip, grip + QPointF(3, 2)])
        assert panel.isVisible() and panel.text.toPlainText() == "ここに貼る"
        assert annotator.note_marker == stored.at  # the note being edited is marked too


async def test_a_note_dragged_off_the_page_stays_whole_on_it_at_200_percent(
    tmp_path: Path, qtbot: QtBot
) -> None:
    """Dragged past the right edge, then past the bottom-left corner, at 200 %: the note
    follows the finger off the page and stops with its whole icon against the edge (it
    used to stop at the finger's last point on the page, the icon half off it)."""
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        await open_first_page(window)
        viewer, session = window.viewer, window.session
        canvas, annotator, panel = viewer.canvas, viewer.annotator, viewer.note_panel
        choose(window, Tool.NOTE)
        size = viewer.document.pages[0] if viewer.document is not None else None
        assert size is not None
        tap(canvas, Point(size.width * 0.5, size.height * 0.3))
        type_japanese(panel.text, "端まで")
        QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
        await session.wait_until(lambda: one_sticky(session), WAIT)
        await until(lambda: len(annotator.notes) == 1 and fitted(viewer), WAIT)
        assert canvas.transform is not None
        fit = canvas.transform.scale
        viewer.set_zoom(2.0)
        await until(lambda: getattr(canvas.transform, "scale", 0) > 1.99 * fit, WAIT)

        async def drag_to(end: QPointF) -> tuple[float, float, float, float]:
            """Drag the note from its middle to ``end`` (canvas pixels); its icon's box on
            screen (left, top, right, bottom) once stored there."""
            ((_, before),) = await stickies(session)
            grip = canvas.to_view(Point(before.at.x + 5, before.at.y + 5))
            drag(canvas, [grip + (end - grip) * i / 8 for i in range(9)])

            async def moved() -> bool:
                return [n.at for _, n in await stickies(session)] != [before.at]

            await session.wait_until(moved, WAIT)
            ((_, after),) = await stickies(session)
            corner = canvas.to_view(after.at)
            side = note_side(canvas.transform.scale if canvas.transform else 1.0)
            return corner.x(), corner.y(), corner.x() + side, corner.y() + side

        page = canvas.page_rect()
        left, top, right, bottom = await drag_to(QPointF(page.right() + 300, page.center().y()))
        assert page.right() - 1.5 <= right <= page.right() + 1.0  # against the right edge
        assert page.top() <= top and bottom <= page.bottom()
        left, top, right, bottom = await drag_to(QPointF(page.left() - 300, page.bottom() + 300))
        assert page.left() - 0.5 <= left <= page.left() + 0.5  # in the bottom-left corner
        assert page.bottom() - 1.5 <= bottom <= page.bottom() + 1.0
        around = QRectF(left - 40, top - 120, 200, 160).toAlignedRect()
        canvas.grab(around.intersected(canvas.rect())).save("/tmp/shots/note-kept-on-page.png")
