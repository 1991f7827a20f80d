"""Is this file a PDF every member's device can show? The clerk's check before publishing.

Theory of operation
-------------------
A published document is opened on every member's tablet, so what is wrong with it is paid for
once per device, at the meeting. The check therefore refuses at publish — on the clerk's PC,
once — every file that would fail or hurt there, and says why in words the clerk can act on:

1. **Is it a PDF at all?** The file must carry the ``%PDF-`` header within its first
   :data:`HEADER_WINDOW` bytes (where readers look) *and* MuPDF must have opened it as a PDF:
   ``pymupdf.open(..., filetype="pdf")`` sniffs the content and happily opens a PNG, a JPEG,
   an HTML or SVG page or a comic-book archive as a one-page "document".
2. **Can it be opened?** Not at all (``pdf_broken``), only with a password (``pdf_password``;
   a file with only an *owner* password opens and is accepted), or with no pages
   (``pdf_empty``, also the 0-byte file).
3. **Did repair lose pages?** MuPDF repairs a damaged file silently: the first half of a
   20-page file opens with 20 pages, the missing ones blank. The check walks what each page
   draws — the page object, its content streams, its resources (fonts, images, forms) and its
   annotations' appearances — and refuses (``pdf_pages_lost``) when a page the page tree
   announces is missing or fails to load or render, or, in a file that needed repair, when
   something a page draws is missing or a compressed stream stops before its end. A repair
   that lost nothing is accepted with the warning :attr:`PdfWarning.REPAIRED`, so the
   publisher can ask the clerk to look it over.
4. **Would it hurt the readers?** Every stream a page draws is decoded once, counting bytes
   and discarding them, up to :data:`MAX_PAGE_DECODED_BYTES` per page (an inflate bomb: 2 MB
   that inflates to 2 GiB); every image's decoded size is worked out from its dictionary and
   compared with :data:`MAX_IMAGE_BYTES`; then each page is interpreted once, its text
   extracted and a thumbnail rendered, within :data:`PAGE_CPU_SECONDS` of CPU time (and the
   whole document within :data:`DOCUMENT_CPU_SECONDS`). Any of these refuses with ``pdf_too_costly``. CPU time of this thread, not wall time: a busy
   machine must not refuse a good file.

The result is a value, not an exception: :func:`examine` returns a :class:`PdfInspection`
(page count and warnings) or a :class:`PdfRefusal` (stable code, a plain reason, MuPDF's own
words kept apart in ``detail`` for the log, the page when one is to blame).
:func:`furano_meet.sync.documents.inspect_pdf` turns a refusal into ``DocumentUnreadable``
naming the file. Everything runs on the caller's thread and the ``Document`` is closed before
returning, so no PyMuPDF object crosses threads.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import pymupdf
from pymupdf import mupdf

__all__ = [
    "DOCUMENT_CPU_SECONDS",
    "HEADER_WINDOW",
    "MAX_IMAGE_BYTES",
    "MAX_PAGE_DECODED_BYTES",
    "PAGE_CPU_SECONDS",
    "PROBE_PIXELS",
    "PdfInspection",
    "PdfLimits",
    "PdfWarning",
    "PdfRefusal",
    "examine",
]

MiB: Final = 1024 * 1024

HEADER_WINDOW: Final = 1024
"""Readers accept ``%PDF-`` within the first 1024 bytes (some producers put junk before it);
anything else is not a PDF, whatever its name says."""

MAX_PAGE_DECODED_BYTES: Final = 32 * MiB
"""Decoded stream bytes one page may draw (content, forms, fonts, patterns — not image pixels).
The heaviest page among 65 real-world files (council minutes, budget books, A1 plans, forms)
draws 2.7 MiB, fonts included; an inflate bomb decodes to gigabytes. MuPDF gets through content
at roughly 100–200 MB/s on a PC (the 2 GiB bomb: 10.5 s a page) and several times slower on a
tablet, so 32 MiB — twelve times the heaviest real page — is about the most a page turn may
cost a member's device."""

MAX_IMAGE_BYTES: Final = 256 * MiB
"""Bytes one image may take once decoded (width × height × colour components; readers unpack
every sample to a byte before scaling). An A3 colour scan at 600 dpi or an A1 plan at 300 dpi
needs about 210 MB, the 9,258 × 12,259 black-and-white scan in a real book 113 MB; a
100,000 × 100,000 image (a classic bomb: a tiny stream, 30 GB of pixels) is refused before
anything decodes it. 256 MiB is about what a tablet can spare for one picture."""

PAGE_CPU_SECONDS: Final = 1.0
"""CPU seconds one page may take to interpret, extract its text and render a thumbnail on the
clerk's PC. Real pages take milliseconds (the slowest we know, a single page holding one huge
scan, 0.4 s); a tablet is several times slower than a PC, so a page over this budget would
freeze every member's page turn for seconds. The budget is measured, not enforced mid-page:
PyMuPDF holds the GIL while MuPDF runs and offers no way to abort from another thread, so a
page slow in a way the walk cannot see runs once, here, and is then refused."""

DOCUMENT_CPU_SECONDS: Final = 20.0
"""CPU seconds the whole check may take. Every member's device extracts the text of every
page for search when a document arrives; the 612-page budget book takes 0.6 s here, so a
document over thirty times that would cost each tablet minutes of work, every time."""

PROBE_PIXELS: Final = 128
"""Longer side of the test render in pixels: enough to run every drawing operator and decode
every image, cheap for a 600-page book, and the same cost for a page whatever its size (an
A0 plan or a page that claims to be a kilometre wide)."""

_NOT_DRAWN: Final = frozenset(
    {"Parent", "P", "Dest", "A", "AA", "Next", "Prev", "First", "Last", "Kids", "StructParent"}
)
"""Keys whose values point away from what a page draws (up the page tree, to other pages, to
actions); the walk does not follow them."""

_FLATE_NAMES: Final = frozenset({"FlateDecode", "Fl"})


class PdfWarning(StrEnum):
    """Something the clerk should know about a file that is accepted (the app translates it)."""

    REPAIRED = "repaired"
    """The file was damaged and MuPDF repaired it without losing a page: worth a look."""


@dataclass(frozen=True, slots=True)
class PdfLimits:
    """The bounds of :func:`examine`; the defaults are the module constants (tests shrink them)."""

    page_decoded_bytes: int = MAX_PAGE_DECODED_BYTES
    image_bytes: int = MAX_IMAGE_BYTES
    page_cpu_seconds: float = PAGE_CPU_SECONDS
    document_cpu_seconds: float = DOCUMENT_CPU_SECONDS


@dataclass(frozen=True, slots=True)
class PdfInspection:
    """A file that may be published: how many pages, and what the clerk should be told."""

    page_count: int
    warnings: tuple[PdfWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class PdfRefusal:
    """Why a file may not be published.

    ``code`` is stable and translated by the app; ``reason`` is plain English for logs and the
    CLI; ``detail`` keeps MuPDF's own words (never shown to the clerk); ``page`` is the 1-based
    page to blame, when there is one.
    """

    code: str
    reason: str
    detail: str = ""
    page: int | None = None


def examine(pdf: bytes | bytearray, limits: PdfLimits | None = None) -> PdfInspection | PdfRefusal:
    """Check a file the clerk wants to publish (see the module docstring for what and why)."""
    if not pdf:
        return PdfRefusal("pdf_empty", "The file is empty (0 bytes).")
    if b"%PDF-" not in pdf[:HEADER_WINDOW]:
        return PdfRefusal("pdf_not_pdf", "The file is not a PDF (it has no PDF header).")
    try:
        doc = pymupdf.open(stream=pdf, filetype="pdf")
    except Exception as exc:  # noqa: BLE001 - FileDataError, EmptyFileError, RuntimeError …
        return PdfRefusal("pdf_broken", "The file is too damaged to open.", _words(exc))
    try:
        return _examine_open(doc, limits or PdfLimits())
    finally:
        doc.close()


def _examine_open(doc: pymupdf.Document, limits: PdfLimits) -> PdfInspection | PdfRefusal:
    if not doc.is_pdf:
        return PdfRefusal(
            "pdf_not_pdf", "The file is not a PDF (it opens as another kind of file)."
        )
    if doc.needs_pass:
        return PdfRefusal("pdf_password", "The PDF is protected by a password.")
    try:
        count = int(doc.page_count)
    except Exception as exc:  # noqa: BLE001 - "Invalid number of pages" and the like
        return PdfRefusal("pdf_broken", "The file is too damaged to find its pages.", _words(exc))
    if count == 0:
        return PdfRefusal("pdf_empty", "The PDF has no pages.")
    repaired = bool(doc.is_repaired)
    walk = _PageWalk(doc, limits, repaired=repaired)
    started = time.thread_time()
    for index in range(count):
        refusal = walk.page(index) or _probe(doc, index, limits)
        if refusal is not None:
            return refusal
        spent = time.thread_time() - started
        if spent > limits.document_cpu_seconds:
            return PdfRefusal(
                "pdf_too_costly",
                f"The PDF takes too long to prepare for members' devices (over"
                f" {limits.document_cpu_seconds:g} s of computing by page {index + 1} of {count}).",
                f"thread CPU {spent:.3f} s after {index + 1} pages",
            )
    return PdfInspection(count, (PdfWarning.REPAIRED,) if repaired else ())


def _probe(doc: pymupdf.Document, index: int, limits: PdfLimits) -> PdfRefusal | None:
    """Interpret the page once, extract its text and render a thumbnail, timing the CPU."""
    started = time.thread_time()
    try:
        page = doc.load_page(index)
        zoom = PROBE_PIXELS / max(page.rect.width, page.rect.height, 1.0)
        listing = page.get_displaylist()
        pymupdf.TextPage(listing.get_textpage()).extractText()
        listing.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    except Exception as exc:  # noqa: BLE001 - any failure means the page cannot be shown
        return _lost(index, "cannot be shown", _words(exc))
    spent = time.thread_time() - started
    if spent > limits.page_cpu_seconds:
        return PdfRefusal(
            "pdf_too_costly",
            f"Page {index + 1} takes too long to show ({spent:.1f} s of computing; the limit is"
            f" {limits.page_cpu_seconds:g} s).",
            f"thread CPU {spent:.3f} s: display list, text, {PROBE_PIXELS}-pixel thumbnail",
            index + 1,
        )
    return None


@dataclass
class _PageWalk:
    """Follows what each page draws, once per object in the whole document.

    Shared objects (a font every page uses) are checked, and counted, on the first page that
    draws them; the thumbnail render catches any cost the walk cannot see.
    """

    doc: pymupdf.Document
    limits: PdfLimits
    repaired: bool
    seen: set[int] = field(default_factory=set)
    decoded: int = 0

    def __post_init__(self) -> None:
        self.pdf = mupdf.pdf_document_from_fz_document(self.doc.this)

    def page(self, index: int) -> PdfRefusal | None:
        """Walk one page: the page object, its contents, resources and annotations."""
        self.decoded = 0
        try:
            ref = mupdf.pdf_lookup_page_obj(self.pdf, index)
        except Exception as exc:  # noqa: BLE001 - a cycle or hole in the page tree
            return _lost(index, "cannot be found in the file", _words(exc))
        obj = mupdf.pdf_resolve_indirect(ref)
        if not mupdf.pdf_is_dict(obj) or _name(mupdf.pdf_dict_gets(obj, "Type")) != "Page":
            return _lost(index, "is missing from the file", f"page object {_num(ref)} is gone")
        for key in ("Contents", "Annots"):
            refusal = self._walk(index, mupdf.pdf_dict_gets(obj, key), key)
            if refusal is not None:
                return refusal
        resources = mupdf.pdf_dict_get_inheritable(obj, mupdf.pdf_new_name("Resources"))
        return self._walk(index, resources, "Resources")

    def _walk(self, index: int, obj: mupdf.PdfObj, path: str) -> PdfRefusal | None:
        """Depth-first over one value; indirect objects are visited once per document."""
        stack = [(obj, path)]
        while stack:
            value, where = stack.pop()
            if mupdf.pdf_is_indirect(value):
                num = _num(value)
                if num in self.seen:
                    continue
                self.seen.add(num)
                resolved = mupdf.pdf_resolve_indirect(value)
                if mupdf.pdf_is_null(resolved):
                    if self.repaired:  # a dangling reference in a sound file is the producer's
                        return _lost(index, "draws something that is missing", f"{where}: {num}")
                    continue
                if mupdf.pdf_is_stream(value):  # a property of the reference, not the dict
                    refusal = self._stream(index, num, resolved, where)
                    if refusal is not None:
                        return refusal
                value = resolved
            if mupdf.pdf_is_dict(value):
                for i in range(mupdf.pdf_dict_len(value)):
                    key = mupdf.pdf_to_name(mupdf.pdf_dict_get_key(value, i))
                    if key not in _NOT_DRAWN:
                        child = mupdf.pdf_dict_get_val(value, i)
                        if _composite(child):
                            stack.append((child, f"{where}/{key}"))
            elif mupdf.pdf_is_array(value):
                for i in range(mupdf.pdf_array_len(value)):
                    child = mupdf.pdf_array_get(value, i)
                    if _composite(child):
                        stack.append((child, f"{where}[{i}]"))
        return None

    def _stream(self, index: int, num: int, stream: mupdf.PdfObj, where: str) -> PdfRefusal | None:
        if _name(mupdf.pdf_dict_gets(stream, "Subtype")) == "Image":
            width = mupdf.pdf_to_int(mupdf.pdf_dict_gets(stream, "Width"))
            height = mupdf.pdf_to_int(mupdf.pdf_dict_gets(stream, "Height"))
            if width * height * _components(stream) > self.limits.image_bytes:
                return PdfRefusal(
                    "pdf_too_costly",
                    f"Page {index + 1} has an image too large for members' devices"
                    f" ({width:,} × {height:,} pixels).",
                    f"{where}: image {num} is {width}x{height}",
                    index + 1,
                )
            return None  # a reader decodes only width × height samples, bounded above
        budget = self.limits.page_decoded_bytes - self.decoded
        try:
            size, complete = self._decode(num, stream, budget)
        except Exception as exc:  # noqa: BLE001 - MuPDF's filter errors
            if self.repaired:
                return _lost(index, "draws data that is damaged", f"{where}: {_words(exc)}")
            return None  # MuPDF shows what it can of a sound file's bad stream, as others do
        self.decoded += size
        if self.decoded > self.limits.page_decoded_bytes:
            return PdfRefusal(
                "pdf_too_costly",
                f"Page {index + 1} holds too much compressed data for members' devices"
                f" (over {self.limits.page_decoded_bytes // MiB} MiB once unpacked).",
                f"{where}: stream {num} decodes past the budget",
                index + 1,
            )
        if not complete and self.repaired:
            return _lost(index, "draws data that is cut off or damaged", f"{where}: {num}")
        return None

    def _decode(self, num: int, stream: mupdf.PdfObj, budget: int) -> tuple[int, bool]:
        """Decoded size (at most ``budget + 1``) and whether the data reached its proper end.

        Plain Flate (nearly every stream) is inflated here, raw, so a stream cut short is
        seen; other filter chains go through MuPDF's own decoders, which only bound the size.
        Either way the output is counted and dropped, never held.
        """
        if _filters(stream) <= _FLATE_NAMES:
            raw = mupdf.pdf_load_raw_stream_number(self.pdf, num).fz_buffer_extract()
            if not _filters(stream):
                return len(raw), True
            return _inflate(raw, budget)
        opened = mupdf.pdf_open_stream_number(self.pdf, num)
        return int(mupdf.fz_skip(opened, budget + 1)), True


def _inflate(raw: bytes, budget: int) -> tuple[int, bool]:
    """Inflate ``raw`` 1 MiB at a time, stopping past ``budget``; ignores the zlib checksum
    (MuPDF does too) but not a missing final block."""
    has_header = len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = raw[2:] if has_header else raw
    size = 0
    try:
        while pending and not inflater.eof and size <= budget:
            size += len(inflater.decompress(pending, MiB))
            pending = inflater.unconsumed_tail
    except zlib.error:  # damaged data: readers stop here too, after what was counted
        return size, False
    return size, inflater.eof or size > budget


def _filters(stream: mupdf.PdfObj) -> frozenset[str]:
    found = mupdf.pdf_dict_gets(stream, "Filter")
    if mupdf.pdf_is_array(found):
        return frozenset(
            _name(mupdf.pdf_array_get(found, i)) for i in range(mupdf.pdf_array_len(found))
        )
    return frozenset({_name(found)}) if mupdf.pdf_is_name(found) else frozenset()


def _components(image: mupdf.PdfObj) -> int:
    """Colour components per pixel once decoded: 1 for masks, grey and palettes, 4 for CMYK,
    N for ICC and DeviceN; 3 (RGB) when the image does not say (JPEG 2000)."""
    if mupdf.pdf_to_bool(mupdf.pdf_dict_gets(image, "ImageMask")):
        return 1
    space = mupdf.pdf_dict_gets(image, "ColorSpace")
    family = _name(mupdf.pdf_array_get(space, 0) if mupdf.pdf_is_array(space) else space)
    if family in {"DeviceGray", "CalGray", "G", "Indexed", "I", "Separation"}:
        return 1
    if family in {"DeviceCMYK", "CMYK"}:
        return 4
    if family == "ICCBased":
        return max(
            1, int(mupdf.pdf_to_int(mupdf.pdf_dict_gets(mupdf.pdf_array_get(space, 1), "N")))
        )
    if family == "DeviceN":
        return max(1, int(mupdf.pdf_array_len(mupdf.pdf_array_get(space, 1))))
    return 3


def _composite(value: mupdf.PdfObj) -> bool:
    return bool(
        mupdf.pdf_is_indirect(value) or mupdf.pdf_is_dict(value) or mupdf.pdf_is_array(value)
    )


def _name(value: mupdf.PdfObj) -> str:
    return str(mupdf.pdf_to_name(value)) if mupdf.pdf_is_name(value) else ""


def _num(value: mupdf.PdfObj) -> int:
    return int(mupdf.pdf_to_num(value))


def _lost(index: int, what: str, detail: str) -> PdfRefusal:
    return PdfRefusal(
        "pdf_pages_lost",
        f"The PDF is damaged: page {index + 1} {what}, so members would see it incomplete.",
        detail,
        index + 1,
    )


def _words(exc: BaseException) -> str:
    """MuPDF's own account of a failure, for the log only."""
    return f"{type(exc).__name__}: {exc}"
