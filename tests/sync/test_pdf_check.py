"""The clerk's PDF check (furano_meet/sync/pdf_check.py through ``documents.inspect_pdf``):
non-PDFs, damaged files, repairs that lose pages, inflate bombs and costly pages are refused with
a stable code, the file's name and a plain reason; sound files pass with their page count."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable

import pymupdf
import pytest

from furano_meet.crypto import DeviceKeys, MeetingKey
from furano_meet.sync import documents as docs
from furano_meet.sync.pdf_check import MiB, PdfInspection, PdfLimits, PdfWarning

#: Words that belong to MuPDF and Python, never to a message the clerk reads.
INTERNALS = ("code=", "FzError", "RuntimeError", "FileDataError", "MuPDF", "xref", "stream")


def pages_pdf(count: int, *, lines: int = 30) -> bytes:
    """A small PDF with ``count`` pages of text, objects written page after page (so the first
    half of the file holds the first pages and cutting it loses the rest)."""
    doc = pymupdf.open()
    for number in range(1, count + 1):
        page = doc.new_page()
        for line in range(lines):
            page.insert_text((50, 60 + 24 * line), f"Page {number}, line {line}: 議案 {number}")
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def refused(
    pdf: bytes, name: str = "agenda.pdf", limits: PdfLimits | None = None
) -> docs.DocumentUnreadable:
    """The refusal of ``pdf``, checked to name the file in plain words with a next step."""
    with pytest.raises(docs.DocumentUnreadable) as caught:
        docs.inspect_pdf(pdf, name, limits=limits)
    error = caught.value
    assert name in error.message and error.reason in error.message
    assert not any(word in error.message for word in INTERNALS), error.message
    assert error.next_step == docs.NEXT_STEPS[error.code]
    return error


# -- not a PDF ----------------------------------------------------------------------------------


def _png() -> bytes:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 16, 16), False)
    pixmap.clear_with(200)
    return bytes(pixmap.tobytes("png"))


def _zip(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def _jpeg() -> bytes:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 16, 16), False)
    return bytes(pixmap.tobytes("jpg"))


NOT_PDF: dict[str, Callable[[], bytes]] = {
    "png": _png,
    "jpeg": _jpeg,
    "html": lambda: b"<!DOCTYPE html><html><body><h1>Agenda</h1></body></html>",
    "svg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect/></svg>',
    "cbz": lambda: _zip("001.png", _png()),
    "text": lambda: bytes("議事日程 第1 会議録署名議員の指名\n", "utf-8"),
    "zip": lambda: _zip("agenda.txt", b"not a pdf"),
}


@pytest.mark.parametrize("kind", sorted(NOT_PDF))
def test_a_file_that_is_not_a_pdf_is_refused_whatever_its_name(kind: str) -> None:
    error = refused(NOT_PDF[kind](), f"議案書-{kind}.pdf")
    assert error.code == "pdf_not_pdf"
    assert error.file_name == f"議案書-{kind}.pdf"


@pytest.mark.parametrize("kind", ["png", "jpeg", "svg", "cbz"])
def test_mupdf_would_open_these_as_one_page_documents(kind: str) -> None:
    """Why the check exists: ``filetype="pdf"`` sniffs content and opens an image as a page."""
    doc = pymupdf.open(stream=NOT_PDF[kind](), filetype="pdf")
    assert doc.page_count >= 1 and not doc.is_pdf


def test_a_pdf_header_after_the_first_kilobyte_does_not_count() -> None:
    assert refused(b" " * 1024 + pages_pdf(1)).code == "pdf_not_pdf"


def test_a_pdf_header_within_the_first_kilobyte_is_accepted_as_readers_do() -> None:
    assert docs.inspect_pdf(b"\n" * 1000 + pages_pdf(2)).page_count == 2


def test_text_that_merely_starts_like_a_pdf_is_refused() -> None:
    assert refused(b"%PDF-1.7\nthis is only text\n").code == "pdf_broken"


# -- empty, password ----------------------------------------------------------------------------


def test_a_zero_byte_file_is_empty() -> None:
    error = refused(b"", "空.pdf")
    assert error.code == "pdf_empty" and "0 bytes" in error.reason


def test_a_pdf_without_pages_is_empty() -> None:
    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    assert refused(pdf).code == "pdf_empty"


def _encrypted(*, user: str, owner: str) -> bytes:
    doc = pymupdf.open(stream=pages_pdf(2), filetype="pdf")
    data: bytes = doc.tobytes(
        encryption=pymupdf.mupdf.PDF_ENCRYPT_AES_256, user_pw=user, owner_pw=owner
    )
    return data


def test_a_user_password_is_refused() -> None:
    assert refused(_encrypted(user="kaigi", owner="jimukyoku")).code == "pdf_password"


def test_an_owner_password_alone_opens_and_is_accepted() -> None:
    assert docs.inspect_pdf(_encrypted(user="", owner="jimukyoku")) == PdfInspection(2)


# -- damage and repair --------------------------------------------------------------------------


def _cut(whole: bytes, where: str) -> bytes:
    """The first part of ``whole``, cut where a failed copy or download might stop."""
    half = len(whole) // 2
    if where == "half, between objects":
        return whole[: whole.rindex(b"endobj\n", 0, half) + 7]
    if where == "half, inside a content stream":
        return whole[: whole.index(b"stream\n", half) + 20]
    last_page = pymupdf.open(stream=whole, filetype="pdf")[-1].xref
    return whole[: whole.index(f"\n{last_page} 0 obj".encode())]


@pytest.mark.parametrize(
    "where", ["half, between objects", "half, inside a content stream", "before the last page"]
)
def test_a_truncated_file_that_repair_leaves_incomplete_is_refused(where: str) -> None:
    """MuPDF repairs the first part of a file into all its pages, the missing ones blank."""
    cut = _cut(pages_pdf(12), where)
    repaired = pymupdf.open(stream=cut, filetype="pdf")
    assert repaired.is_repaired and repaired.page_count == 12  # what the old check accepted
    error = refused(cut)
    assert error.code == "pdf_pages_lost"
    assert error.page is not None and f"page {error.page}" in error.reason
    assert 6 <= error.page <= 12


def test_a_repair_that_loses_nothing_is_accepted_with_a_warning() -> None:
    """Only the cross-reference table and trailer are cut off: every object is still there."""
    whole = pages_pdf(5)
    inspection = docs.inspect_pdf(whole[: whole.rindex(b"\nxref\n")])
    assert inspection == PdfInspection(5, (PdfWarning.REPAIRED,))


def test_a_sound_file_has_no_warnings() -> None:
    assert docs.inspect_pdf(pages_pdf(3)) == PdfInspection(3, ())


def _with_page_tree(pdf: bytes, **keys: str) -> bytes:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    tree = int(doc.xref_get_key(doc.pdf_catalog(), "Pages")[1].split()[0])
    for key, value in keys.items():
        doc.xref_set_key(tree, key, value.replace("TREE", str(tree)))
    data: bytes = doc.tobytes()
    return data


def test_a_page_tree_announcing_more_pages_than_it_holds_is_refused() -> None:
    error = refused(_with_page_tree(pages_pdf(2), Count="5"))
    assert (error.code, error.page) == ("pdf_pages_lost", 3)


def test_a_cycle_in_the_page_tree_is_refused_without_mupdf_words() -> None:
    pdf = pages_pdf(2)
    first = pymupdf.open(stream=pdf, filetype="pdf")[0].xref
    error = refused(_with_page_tree(pdf, Kids=f"[{first} 0 R TREE 0 R]"))
    assert (error.code, error.page) == ("pdf_pages_lost", 2)
    assert "cycle in page tree" in error.detail  # MuPDF's words: for the log only


# -- what would hurt the readers ----------------------------------------------------------------


def _with_contents(raw: bytes, filters: str) -> bytes:
    """A one-page PDF whose content stream is ``raw``, stored as is under ``filters``."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "heavy")
    xref = page.get_contents()[0]
    doc.update_stream(xref, raw, compress=False)
    doc.xref_set_key(xref, "Filter", filters)
    data: bytes = doc.tobytes()
    return data


def deflated_zeros(mebibytes: int) -> bytes:
    """Deflate data for ``mebibytes`` MiB of zeros, built from one repeated block in
    milliseconds (a full flush resets the compressor, so every 1 MiB block is the same ~1 KB)."""
    compressor = zlib.compressobj(9)
    head = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + block * (mebibytes - 1) + compressor.flush()


def test_an_inflate_bomb_is_refused_before_anything_renders_it() -> None:
    """2 MB that inflate to 2 GiB: a reader spent 10 s on page 1 of it, on every device."""
    bomb = deflated_zeros(2048)
    assert len(bomb) < 2.2 * MiB
    error = refused(_with_contents(bomb, "/FlateDecode"))
    assert (error.code, error.page) == ("pdf_too_costly", 1)
    assert "MiB" in error.reason


def test_other_filter_chains_are_bounded_by_mupdfs_own_decoders() -> None:
    hexed = deflated_zeros(4).hex().encode() + b">"
    pdf = _with_contents(hexed, "[/ASCIIHexDecode /FlateDecode]")
    assert docs.inspect_pdf(pdf).page_count == 1
    assert refused(pdf, limits=PdfLimits(page_decoded_bytes=2 * MiB)).code == "pdf_too_costly"


def test_an_image_of_huge_dimensions_is_refused() -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_image(page.rect, stream=_png())
    image = page.get_images()[0][0]
    doc.xref_set_key(image, "Width", "100000")
    doc.xref_set_key(image, "Height", "100000")
    error = refused(doc.tobytes())
    assert (error.code, error.page) == ("pdf_too_costly", 1)
    assert "100,000 × 100,000" in error.reason


def test_a_page_of_absurd_size_costs_only_a_thumbnail() -> None:
    """Readers fit a page to the screen, so its size alone hurts nobody; the test render is
    sized in pixels, not by a zoom that would make a 5 km page a gigapixel image."""
    doc = pymupdf.open(stream=pages_pdf(1), filetype="pdf")
    doc.xref_set_key(doc[0].xref, "MediaBox", "[0 0 14400000 14400000]")
    assert docs.inspect_pdf(doc.tobytes()) == PdfInspection(1)


def test_a_page_over_its_time_budget_is_refused() -> None:
    error = refused(pages_pdf(2), limits=PdfLimits(page_cpu_seconds=0.0))
    assert (error.code, error.page) == ("pdf_too_costly", 1)


def test_a_document_over_its_time_budget_is_refused() -> None:
    error = refused(pages_pdf(2), limits=PdfLimits(document_cpu_seconds=0.0))
    assert (error.code, error.page) == ("pdf_too_costly", None)
    assert "page 1 of 2" in error.reason


def test_a_damaged_stream_in_a_sound_file_is_shown_as_far_as_it_goes() -> None:
    """As every reader does; only in a file that needed repair is damage a sign of loss."""
    good = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Agenda) Tj ET\n" * 50)
    pdf = _with_contents(good[:40] + bytes(range(256)) + good[40:], "/FlateDecode")
    assert docs.inspect_pdf(pdf).page_count == 1


# -- publishing ---------------------------------------------------------------------------------


def test_publishing_names_the_document_by_title_without_a_file_name() -> None:
    with pytest.raises(docs.DocumentUnreadable) as caught:
        docs.prepare_upload(
            _png(),
            meeting_key=MeetingKey(bytes(32), meeting_id="r8-teireikai", epoch=1),
            keys=DeviceKeys.generate(),
            device_id="clerk-pc",
            document_id="gian-1",
            version=1,
            title="議案書 第1号",
        )
    assert caught.value.file_name == "議案書 第1号"


def test_publishing_a_repaired_file_carries_the_warning() -> None:
    whole = pages_pdf(3)
    prepared = docs.prepare_upload(
        whole[: whole.rindex(b"\nxref\n")],
        meeting_key=MeetingKey(bytes(32), meeting_id="r8-teireikai", epoch=1),
        keys=DeviceKeys.generate(),
        device_id="clerk-pc",
        document_id="gian-1",
        version=1,
        title="議案書",
        file_name="gian.pdf",
    )
    assert prepared.warnings == (PdfWarning.REPAIRED,)
    assert prepared.manifest.page_count == 3
