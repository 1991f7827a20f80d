"""Search in the app: a two-character Japanese word, its hits, and the page with them marked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from furano_meet.app.tour import until
from furano_meet.app.window import MainWindow
from tests.app.conftest import app_council

QUERY = "予算"


def type_in(field: QLineEdit, text: str) -> None:
    """Japanese arrives as an input method's commits, a character at a time (as a reader
    types; the panel debounces them into one search)."""
    for char in text:
        event = QInputMethodEvent()
        event.setCommitString(char)
        QApplication.sendEvent(field, event)


def marked_pixels(window: MainWindow) -> int:
    """Yellow-tinted pixels inside the drawn hit polygons (the marker over the text)."""
    canvas = window.viewer.canvas
    image = canvas.grab().toImage()
    count = 0
    for polygon in canvas.highlight_polygons():
        rect = polygon.boundingRect().toRect()
        for y in range(rect.top() + 1, rect.bottom()):
            for x in range(rect.left() + 1, rect.right()):
                colour = QColor(image.pixel(x, y))
                count += colour.red() > 200 and colour.blue() < colour.red() - 60
    return count


async def every_document_indexed(window: MainWindow) -> None:
    """Wait until search covers all the meeting's documents: a document is ready (it opens)
    before its text is indexed, and a search typed in between finds fewer pages than the
    engine's own search a moment later (seen once the council started faster). The marker:
    「議案第」 is in the running header of every demo document's body pages."""
    engine, meeting_id = window.session.engine, window.viewer.meeting_id
    wanted = {d.document_id for d in await engine.documents(meeting_id) if d.ready}

    async def indexed() -> bool:
        hits = await engine.search("議案第", meeting_id=meeting_id)
        return {h.doc_id for h in hits} >= wanted

    await window.session.wait_until(indexed)


async def test_a_two_character_word_finds_pages_and_marks_the_hit(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        await every_document_indexed(window)
        panel = window.search
        type_in(panel.field, QUERY)
        await until(lambda: panel.query == QUERY and panel.results.count() > 0)
        expected = await window.session.engine.search(QUERY, meeting_id=window.viewer.meeting_id)
        assert [(h.doc_id, h.page_no) for h in panel.hits] == [
            (h.doc_id, h.page_no) for h in expected
        ]
        assert QUERY in panel.summary.text()
        assert all(QUERY in "".join(t for t, m in h.fragments() if m) for h in panel.hits)

        # a hit beyond a first page: the tap must really open the document and turn to it
        row = max(i for i, h in enumerate(panel.hits) if h.page_no > 0)
        hit, item = panel.hits[row], panel.results.item(row)
        panel.results.scrollToItem(item)
        rect = panel.results.visualItemRect(item)
        QTest.mouseClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        key = (hit.doc_id, hit.version, hit.page_no)
        await until(
            lambda: window.viewer.canvas.key == key and bool(window.viewer.canvas.highlights)
        )
        await until(lambda: marked_pixels(window) > 20)
        assert window.viewer.page_label.text().startswith(f"{hit.page_no + 1} /")
        window.grab().save(str(tmp_path / "search.png"))

        # 前の一致: the nearest earlier page of this document that the index also lists
        earlier = [
            h.page_no
            for h in expected
            if (h.doc_id, h.version) == (hit.doc_id, hit.version) and h.page_no < hit.page_no
        ]
        QTest.mouseClick(panel.previous_hit, Qt.MouseButton.LeftButton)
        if earlier:
            back = (hit.doc_id, hit.version, max(earlier))
            await until(lambda: window.viewer.canvas.key == back)
            await until(lambda: bool(window.viewer.canvas.highlights))
        else:
            await until(lambda: "見つかりません" in panel.summary.text())

        type_in(panel.field, "xxx")  # a word nowhere in the pack: the marks go
        await until(lambda: panel.query == QUERY + "xxx")
        assert panel.results.count() == 0
        assert "見つかりませんでした" in panel.summary.text()
        await until(lambda: not window.viewer.canvas.highlights)
