"""Exporting an annotated copy: the marks land as real PDF annotations where they were drawn."""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf
import pytest

from furano_meet.annotations import Highlight, Ink, InkPoint, Quad, StickyNote
from furano_meet.annotations.export import PlacedMark, export_annotated
from furano_meet.pagespace import Point

NOTE = "予算の根拠を確認する（第3表）"


def source_pdf() -> bytes:
    with pymupdf.open() as doc:
        for number in range(2):
            page = doc.new_page(width=595, height=842)
            page.insert_text((72, 100), f"令和8年度 予算書 {number + 1}", fontname="japan")
        doc[1].set_rotation(90)  # a page shown sideways: marks stay in unrotated points
        return bytes(doc.tobytes())


@dataclass(frozen=True)
class ReadBack:
    """What a PDF reader sees of one annotation (read while its page is alive)."""

    kind: str
    rect: pymupdf.Rect
    vertices: list[list[tuple[float, float]]]
    width: float
    stroke: tuple[float, ...]
    info: dict[str, str]


def rounded(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(round(x, 1), round(y, 1)) for x, y in points]


def read_back(pdf: bytes) -> list[list[ReadBack]]:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        pages = []
        for page in doc:
            pages.append(
                [
                    ReadBack(
                        a.type[1],
                        a.rect,
                        a.vertices if a.type[1] == "Ink" else [],
                        a.border.get("width", 0.0),
                        tuple(a.colors["stroke"]),
                        dict(a.info),
                    )
                    for a in page.annots()
                ]
            )
        return pages


def test_ink_highlight_and_note_land_where_they_were_drawn() -> None:
    pdf = source_pdf()
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        (word,) = doc[0].search_for("予算", quads=True)
    stroke = Ink((InkPoint(100, 200), InkPoint(180, 240), InkPoint(260, 210)), "#d0021b", 3.0)
    hit = Quad(*(Point(c.x, c.y) for c in (word.ul, word.ur, word.ll, word.lr)))
    marks = [
        PlacedMark(0, stroke, "giin1"),
        PlacedMark(0, Highlight((hit,), "#ffeb3b", "予算")),
        PlacedMark(0, StickyNote(Point(300, 400), NOTE)),
        PlacedMark(1, Ink((InkPoint(50, 60), InkPoint(150, 60)), "#1a56db", 2.0)),
        PlacedMark(7, StickyNote(Point(1, 1), "no such page")),  # skipped, not an error
    ]
    first, second = read_back(export_annotated(pdf, marks))

    ink, highlight, note = first
    assert ink.kind == "Ink"
    (vertices,) = ink.vertices
    assert rounded(vertices) == [(100, 200), (180, 240), (260, 210)]
    assert ink.width == pytest.approx(3.0)
    assert ink.stroke == pytest.approx((208 / 255, 2 / 255, 27 / 255), abs=0.01)
    assert ink.info["title"] == "giin1"
    assert highlight.kind == "Highlight"
    assert highlight.rect.intersects(word.rect)
    assert highlight.info["content"] == "予算"

    (sideways,) = second
    assert note.kind == "Text"
    assert note.info["content"] == NOTE  # the Japanese survives the round trip
    assert note.rect.x0 == pytest.approx(300, abs=0.5)
    assert note.rect.y0 == pytest.approx(400, abs=0.5)
    (vertices,) = sideways.vertices  # on the rotated page, still in unrotated points
    assert rounded(vertices) == [(50, 60), (150, 60)]


def test_an_empty_export_is_the_same_document() -> None:
    pdf = source_pdf()
    exported = export_annotated(bytearray(pdf), [])
    assert read_back(exported) == [[], []]
    with pymupdf.open(stream=exported, filetype="pdf") as doc:
        assert "予算書" in doc[0].get_text()
