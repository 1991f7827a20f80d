# mypy: untyped-calls-exclude=pymupdf
"""Sample agenda packs: real PDFs from memory, readable Japanese/Latin text, stable bytes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pymupdf
import pytest

from furano_meet.samples import DEMO_ITEMS, AgendaItem, BudgetLine, generate_agenda_pack

FULL_WIDTH_LATIN = re.compile("[Ａ-Ｚａ-ｚ０-９]")


@pytest.fixture(scope="module")
def pack() -> bytes:
    return generate_agenda_pack(title="議案書")


@pytest.fixture
def doc(pack: bytes) -> Iterator[pymupdf.Document]:
    with pymupdf.open(stream=pack, filetype="pdf") as opened:
        yield opened


@pytest.mark.parametrize("pages", [3, 12, 20])
def test_opens_from_memory_with_the_requested_page_count(pages: int) -> None:
    data = generate_agenda_pack(title="議案書", pages=pages)
    assert data.startswith(b"%PDF-")
    with pymupdf.open(stream=data, filetype="pdf") as opened:
        assert opened.page_count == pages
        assert not opened.needs_pass


def test_cover_names_meeting_time_and_place(doc: pymupdf.Document) -> None:
    cover = doc[0].get_text()
    assert "令和8年第4回富良野市議会定例会 総務文教委員会" in cover
    assert "議案書" in cover
    assert "令和8年12月10日（木）" in cover
    assert "午前10時00分" in cover
    assert "富良野市役所 議会委員会室" in cover


def test_agenda_page_lists_items_with_ascii_latin(doc: pymupdf.Document) -> None:
    agenda = doc[1].get_text()
    assert "議事日程" in agenda.replace("　", "")
    assert "議案第1号" in agenda
    assert "富良野市一般会計補正予算（第3号）" in agenda
    for item in DEMO_ITEMS:
        assert item.number in agenda
    # The point of insert_htmlbox: Latin extracts as ASCII, not as full-width letters.
    assert "FY2026" in agenda
    assert "ICT" in agenda
    assert not FULL_WIDTH_LATIN.search(agenda)


def test_no_page_sets_latin_full_width(doc: pymupdf.Document) -> None:
    for page in doc.pages():
        assert not FULL_WIDTH_LATIN.search(page.get_text()), page.number


def test_every_page_but_the_cover_has_its_number_in_the_footer(doc: pymupdf.Document) -> None:
    assert not re.search(r"- \d+ -", doc[0].get_text())
    for page in doc.pages(1):
        footer = page.get_text(clip=pymupdf.Rect(0, 800, page.rect.width, page.rect.height))
        assert footer.strip() == f"- {page.number + 1} -"


def test_body_pages_carry_prose_and_a_drawn_budget_table(doc: pymupdf.Document) -> None:
    first = doc[2]
    text = first.get_text()
    assert "提案理由" in text
    assert "款" in text and "項" in text and "目" in text
    # 議案第1号's lines: a cut is printed with △, and the total row adds up.
    assert "△1,960,000" in text
    assert "67,650,000" in text
    assert f"{sum(line.after_yen for line in DEMO_ITEMS[0].budget_lines):,}" in text
    assert len(first.get_drawings()) >= 3  # shading, grid and outline, not an image
    for page in doc.pages(2):
        assert len(page.get_text()) > 500, page.number
        assert "であります" in page.get_text()


def test_items_without_budget_lines_still_get_a_table() -> None:
    items = [AgendaItem("議案第9号", "富良野市手数料条例の一部を改正する条例")]
    data = generate_agenda_pack(title="参考資料", items=items, pages=4, seed=3)
    with pymupdf.open(stream=data, filetype="pdf") as opened:
        text = opened[2].get_text()
        assert "関連予算の款項目別内訳" in text
        assert "合計" in text
        assert "議案第9号" in opened[3].get_text()


def test_fewer_body_pages_than_items_keeps_the_whole_agenda() -> None:
    data = generate_agenda_pack(title="議案書", pages=3)
    with pymupdf.open(stream=data, filetype="pdf") as opened:
        agenda = opened[1].get_text()
        assert all(item.number in agenda for item in DEMO_ITEMS)
        assert "議案第1号" in opened[2].get_text()


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(pack: bytes) -> None:
    assert generate_agenda_pack(title="議案書") == pack
    small = generate_agenda_pack(title="議案書", pages=4, seed=1)
    assert generate_agenda_pack(title="議案書", pages=4, seed=1) == small
    assert generate_agenda_pack(title="議案書", pages=4, seed=2) != small


def test_metadata_carries_no_timestamp_of_the_run(doc: pymupdf.Document) -> None:
    meta = doc.metadata
    assert meta is not None
    assert meta["title"] == "議案書"
    assert meta["creationDate"] == meta["modDate"] == "D:20261203090000+09'00'"
    # A trailer /ID derived from the inputs, not MuPDF's random one (or none at all).
    kind, value = doc.xref_get_key(-1, "ID")
    assert kind == "array"
    assert re.fullmatch(r"\[<([0-9A-F]{32})><\1>\]", value), value


def test_fonts_are_subset_not_embedded_whole(pack: bytes, doc: pymupdf.Document) -> None:
    # A full Droid Sans Fallback is ~17 MB; a 12-page pack with subset fonts is a few hundred KB.
    assert len(pack) < 1_000_000
    # (xref, ext, type, name, ...): base-14 Helvetica (the footer) is not embedded at all.
    embedded = {font[3] for page in doc.pages() for font in page.get_fonts() if font[1] != "n/a"}
    assert embedded and all(re.match(r"[A-Z]{6}\+", name) for name in embedded), embedded


def test_padding_reaches_the_requested_size_with_image_pages() -> None:
    target = 3_000_000
    data = generate_agenda_pack(title="議案書", padding_to_bytes=target, seed=4)
    assert target <= len(data) < target + 64 * 1024
    with pymupdf.open(stream=data, filetype="pdf") as opened:
        assert opened.page_count > 12
        last = opened[-1]
        assert last.get_images()
        assert "参考資料" in last.get_text()
        assert f"- {opened.page_count} -" in last.get_text()
        last.get_pixmap(dpi=20)
    assert generate_agenda_pack(title="議案書", padding_to_bytes=target, seed=4) == data


def test_padding_smaller_than_the_pack_adds_nothing(pack: bytes) -> None:
    assert generate_agenda_pack(title="議案書", padding_to_bytes=1_000) == pack


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_pages_render(doc: pymupdf.Document, index: int) -> None:
    pixmap = doc[index].get_pixmap(dpi=50, alpha=False)
    assert pixmap.width > 300
    assert min(pixmap.samples) < 100  # something dark was drawn: text, not a blank page


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pages": 2}, "pages must be >= 3"),
        ({"items": []}, "at least one agenda item"),
        ({"title": " "}, "non-empty title"),
        ({"padding_to_bytes": 0}, "padding_to_bytes must be positive"),
    ],
)
def test_impossible_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"title": "議案書", **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_agenda_pack(**arguments)


def test_amounts_too_large_to_print_are_refused() -> None:
    huge = BudgetLine("2款 総務費", "1項 総務管理費", "1目 一般管理費", 10**40, 0)
    item = AgendaItem("議案第1号", "巨額補正予算", budget_lines=(huge,))
    with pytest.raises(ValueError, match="too large to print"):
        generate_agenda_pack(title="議案書", items=[item], pages=3)


def test_samples_import_without_qt() -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None\n"
        "sys.modules['qasync'] = None\n"
        "import furano_meet.samples\n"
    )
    subprocess.run([sys.executable, "-X", "dev", "-W", "error", "-c", code], check=True)
