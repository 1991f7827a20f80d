"""Saving my annotated copy from the app: my ink and my note land in the saved PDF."""

from __future__ import annotations

from pathlib import Path

import pymupdf
from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, Ink, InkPoint, StickyNote
from furano_meet.app.tour import FIRST_DOCUMENT, until
from furano_meet.pagespace import Point
from furano_meet.store.records import Visibility
from server.demo import MEETING_ID
from tests.app.conftest import app_council

NOTE = "ここは委員会で質問する"


async def test_export_saves_my_ink_and_note_as_pdf_annotations(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        engine = window.session.engine
        stroke = Ink((InkPoint(120, 300), InkPoint(220, 320), InkPoint(320, 300)), "#d0021b", 2.5)
        for body, visibility in (
            (AnnotationBody(stroke), Visibility.PRIVATE),
            (AnnotationBody(StickyNote(Point(400, 200), NOTE)), Visibility.SHARED),
        ):
            await engine.add_annotation(MEETING_ID, *FIRST_DOCUMENT, 2, body, visibility=visibility)
        window.viewer.open_document(*FIRST_DOCUMENT)
        await until(window.export.button.isEnabled)

        window.export.button.click()  # the dialog opens without blocking the meeting
        dialog = window.export.dialog
        assert dialog is not None and dialog.isVisible()
        target = tmp_path / "my-copy.pdf"
        saved: list[str] = []
        window.export.exported.connect(saved.append)
        dialog.selectFile(str(target))
        dialog.accept()
        await until(lambda: bool(saved))
        assert saved == [str(target)]
        assert "保存しました" in window.export.done.text()
        window.grab().save(str(tmp_path / "exported.png"))

        with pymupdf.open(target) as doc:
            page = doc[2]
            annots = {a.type[1]: (a.vertices, a.info["content"]) for a in page.annots()}
            others = [a.type[1] for number in (0, 1) for a in doc[number].annots()]
        assert set(annots) == {"Ink", "Text"}
        (vertices,) = annots["Ink"][0]
        assert [(round(x), round(y)) for x, y in vertices] == [(120, 300), (220, 320), (320, 300)]
        assert annots["Text"][1] == NOTE
        assert others == []
