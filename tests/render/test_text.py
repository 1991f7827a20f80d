# mypy: untyped-calls-exclude=pymupdf
"""The highlighter's words: whole words of spaced text, single characters of Japanese, on
horizontal and vertical (縦書き) lines — from generated PDFs and, when ../shared/pdfs is
there, from real Japanese documents."""

from __future__ import annotations

import pymupdf
import pytest

from furano_meet.render import RenderService
from furano_meet.render.types import Word
from tests.conftest import SHARED_PDFS

HORIZONTAL = "令和8年度の予算の執行状況について"
ENGLISH = "Budget report for the year"
COLUMNS = ("予算の執行状況について", "令和8年度 補正予算")
"""Two vertical columns, right to left."""
MINUTES = SHARED_PDFS / "jpgov__第４回デジタル社会推進会議_議事録.pdf"
VERTICAL = SHARED_PDFS / "pdfjs__vertical.pdf"


def japanese_sheet() -> bytes:
    """Page 1: a Japanese line and an English one; page 2: two vertical columns (the built-in
    Japanese font with its vertical encoding, as 縦書き PDFs hold it)."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 120), HORIZONTAL, fontname="japan", fontsize=20)
    page.insert_text((72, 180), ENGLISH, fontsize=16)
    vertical = pymupdf.open()
    column = vertical.new_page()
    for x, text in zip((320, 280), COLUMNS, strict=True):
        column.insert_text((x, 100), text, fontname="japan", fontsize=20)
    vertical.xref_set_key(column.get_fonts()[0][0], "Encoding", "/UniJIS-UTF16-V")
    doc.insert_pdf(pymupdf.open("pdf", vertical.tobytes()))
    data = bytes(doc.tobytes())
    doc.close()
    return data


def runs(words: tuple[Word, ...]) -> list[str]:
    """The text as the highlighter puts it together: joined characters without a space."""
    out: list[str] = []
    for word in words:
        if word.joined and out:
            out[-1] += word.text
        else:
            out.append(word.text)
    return out


def test_japanese_is_cut_into_characters_english_into_words(service: RenderService) -> None:
    service.open("jp", 1, japanese_sheet()).result(30)
    words = service.words("jp", 1, 0).result(30)
    japanese = [w for w in words if w.line == words[0].line and w.block == words[0].block]
    assert [w.text for w in japanese] == list(HORIZONTAL)
    assert [w.joined for w in japanese] == [False] + [True] * (len(HORIZONTAL) - 1)
    for left, right in zip(japanese, japanese[1:], strict=False):  # side by side, in order
        assert left.rect.x1 == pytest.approx(right.rect.x0, abs=0.5)
    english = [w for w in words if w not in japanese]
    assert [w.text for w in english] == ENGLISH.split()
    assert not any(w.joined for w in english)
    assert runs(words) == [HORIZONTAL, *ENGLISH.split()]


def test_vertical_columns_read_top_to_bottom(service: RenderService) -> None:
    service.open("jp", 1, japanese_sheet()).result(30)
    words = service.words("jp", 1, 1).result(30)
    assert runs(words) == [COLUMNS[0], *COLUMNS[1].split()]
    first = [w for w in words if w.rect.x0 > 300]
    for upper, lower in zip(first, first[1:], strict=False):  # one column, downwards
        assert upper.rect.y1 == pytest.approx(lower.rect.y0, abs=0.5)


@pytest.mark.skipif(not SHARED_PDFS.is_dir(), reason="../shared/pdfs is absent: no real documents")
def test_real_japanese_documents(service: RenderService) -> None:
    service.open("minutes", 1, MINUTES.read_bytes()).result(30)
    text = runs(service.words("minutes", 1, 1).result(30))
    assert "「デジタル社会推進会議」を開催いたします。お忙しい中、御参加いただきまして" in "".join(
        text
    )
    assert all(len(w) <= 200 for w in text)  # no page-long run
    service.open("vertical", 1, VERTICAL.read_bytes()).result(30)
    words = service.words("vertical", 1, 0).result(30)
    assert runs(words) == ["あいうえお", "日本語"]
