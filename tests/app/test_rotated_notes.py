"""A 付箋 on a rotated page is found where its icon is drawn. The icon is drawn from its anchor
right and down *on screen*; on a page with ``/Rotate`` 90, 180 or 270 that is not the page's
right and down, and the hit box (for a tap that opens the note, and a drag that moves it) used
to be the page-space square, off the drawing. Here a generated PDF has one page of each
rotation; on each, a note is placed by a tap, its icon is *found in the pixels* the canvas
paints, and a tap there opens the note, while a tap inside the old page-space square but away
from the drawing does not; a drag from the drawn icon moves the note with the finger. Real relay, real engines, real PyMuPDF, offscreen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pymupdf
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from furano_meet.annotations import NOTE_ICON_SIZE, StickyNote
from furano_meet.app.ink_tools import ERASER_REACH_PX, Tool
from furano_meet.app.page_canvas import PageCanvas
from furano_meet.app.states import State
from furano_meet.app.tour import drag, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.pagespace import ROTATIONS, Point
from tests.app.test_annotating import choose, type_japanese
from tests.app.test_bad_input import publish, reading
from tests.app.test_first_run import shot
from tests.app.test_states import row_states
from tests.pdfs import generate_agenda_pack

WAIT = 20
NOTE_FILL = QColor(StickyNote(Point(0, 0)).colour)


def rotated_pack() -> bytes:
    """Four pages, turned 0, 90, 180 and 270 degrees by their ``/Rotate``."""
    with pymupdf.open(stream=generate_agenda_pack(title="回転", pages=4), filetype="pdf") as pdf:
        for page, rotation in zip(pdf, ROTATIONS, strict=True):
            page.set_rotation(rotation)
        made: bytes = pdf.tobytes()
    return made


def drawn_icon(canvas: PageCanvas, near: QPointF, reach: int = 90) -> QRect | None:
    """The box of the 付箋 fill colour painted within ``reach`` px of ``near`` (canvas px)."""
    image = canvas.grab().toImage()
    xs, ys = [], []
    for y in range(int(near.y()) - reach, int(near.y()) + reach):
        for x in range(int(near.x()) - reach, int(near.x()) + reach):
            inside = 0 <= x < image.width() and 0 <= y < image.height()
            if inside and QColor(image.pixel(x, y)) == NOTE_FILL:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return QRect(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)


def tap(canvas: PageCanvas, at: QPointF) -> None:
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at.toPoint())


def in_view(window: MainWindow, at: QPointF) -> None:
    """Scroll the zoomed page so ``at`` (canvas pixels) is in view, with room around it."""
    window.viewer.page_area.ensureVisible(round(at.x()), round(at.y()), 200, 150)


async def test_a_note_on_a_rotated_page_opens_where_its_icon_is_drawn(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with reading(tmp_path, qtbot) as (clerk, window):
        doc = await publish(clerk, await asyncio.to_thread(rotated_pack), "回転した議案書")
        await until(lambda: row_states(window.agenda) == [State.READY], WAIT)  # received
        viewer = window.viewer
        opened = expect_paint(viewer, 0, (doc, 1))
        viewer.open_document(doc, 1, 0)
        await asyncio.wait_for(opened, WAIT)
        choose(window, Tool.NOTE)
        for page, rotation in enumerate(ROTATIONS):
            await note_is_found_where_drawn(window, doc, page, rotation)


async def note_is_found_where_drawn(window: MainWindow, doc: str, page: int, rotation: int) -> None:
    viewer, annotator, panel = window.viewer, window.viewer.annotator, window.viewer.note_panel
    canvas = viewer.canvas
    if canvas.key != (doc, 1, page):
        turned = expect_paint(viewer, page, (doc, 1))
        viewer.open_document(doc, 1, page)
        await asyncio.wait_for(turned, WAIT)
    assert canvas.transform is not None and canvas.transform.rotation == rotation
    fit = canvas.transform.scale / viewer.zoom
    viewer.set_zoom(3.0)  # the icon large, so "away" is well beyond a finger's reach
    await until(lambda: abs(getattr(canvas.transform, "scale", 0) - 3.0 * fit) < 1e-6, WAIT)
    transform = canvas.transform
    assert transform is not None

    async def settled() -> None:
        """The panel closed and the page back at its size (the open panel shrinks it)."""
        annotator.close_note()
        await until(lambda: canvas.transform == transform, WAIT)

    # a note placed by a tap, in the middle of the page
    width, height = transform.width, transform.height
    anchor = Point(width * 0.45, height * 0.45)
    in_view(window, canvas.to_view(anchor))  # where a reader scrolls to, zoomed in
    tap(canvas, canvas.to_view(anchor))
    assert panel.isVisible() and panel.text.toPlainText() == ""  # a new note
    type_japanese(panel.text, f"{rotation}度")
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    await until(
        lambda: (
            [n.body.mark.text for n in annotator.notes if isinstance(n.body.mark, StickyNote)]
            == [f"{rotation}度"]
        ),
        WAIT,
    )
    (note,) = [n.body.mark for n in annotator.notes if isinstance(n.body.mark, StickyNote)]
    await settled()
    await until(lambda: drawn_icon(canvas, canvas.to_view(note.at)) is not None, WAIT)
    icon = drawn_icon(canvas, canvas.to_view(note.at))
    assert icon is not None and icon.width() > 30 and abs(icon.width() - icon.height()) <= 2
    in_view(window, QPointF(icon.center()))
    shot(window, f"note-rotated-{rotation}")

    # a tap on the icon as drawn opens the note
    tap(canvas, QPointF(icon.center()))
    assert panel.isVisible() and panel.text.toPlainText() == f"{rotation}度", rotation
    await settled()

    # a tap away from the drawing — inside the page-space square the old hit box was, where
    # the page is rotated — opens a new note instead
    away = Point(note.at.x + NOTE_ICON_SIZE * 0.9, note.at.y + NOTE_ICON_SIZE * 0.9)
    spot = canvas.to_view(away)
    reach = ERASER_REACH_PX
    outside = (
        spot.x() < icon.left() - reach
        or spot.x() > icon.right() + reach
        or spot.y() < icon.top() - reach
        or spot.y() > icon.bottom() + reach
    )
    if rotation == 0:  # unrotated, the square is the icon: there a tap still opens it
        assert not outside
        tap(canvas, spot)
        assert panel.text.toPlainText() == f"{rotation}度"
    else:
        assert outside, (rotation, spot, icon)
        tap(canvas, spot)
        assert panel.isVisible() and panel.text.toPlainText() == "", rotation
    await settled()

    # a drag that starts on the drawn icon moves the note, and its icon follows the finger
    shift = QPointF(70, 45)
    grip = QPointF(icon.center())
    drag(canvas, [grip + shift * i / 6 for i in range(7)])
    assert not panel.isVisible()  # a move, not a tap

    def moved() -> StickyNote | None:
        marks = [n.body.mark for n in annotator.notes if isinstance(n.body.mark, StickyNote)]
        return marks[0] if len(marks) == 1 and marks[0].at != note.at else None

    await until(lambda: moved() is not None, WAIT)
    after = moved()
    assert after is not None and after.text == f"{rotation}度"
    await until(lambda: drawn_icon(canvas, canvas.to_view(after.at)) is not None, WAIT)
    now = drawn_icon(canvas, canvas.to_view(after.at))
    assert now is not None
    assert abs(now.left() - icon.left() - shift.x()) <= 2, (rotation, icon, now)
    assert abs(now.top() - icon.top() - shift.y()) <= 2, (rotation, icon, now)
