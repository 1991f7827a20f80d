# mypy: untyped-calls-exclude=pymupdf
"""The render thread's side: one open PyMuPDF document and everything read from it.

Theory of operation
-------------------
This is the only module of the service that touches PyMuPDF, and an :class:`OpenDocument` is
only ever used from the thread that opened it — the service's render thread — which it checks
on every call. PyMuPDF is not thread-safe (one global MuPDF context) and holds Python's GIL
while it works, so a second render thread would gain nothing and risk crashes.

A page's first piece is drawn straight from the page: that is the page turn the reader waits
for, and building a display list first (then rasterising it) made it ~20 % slower than the
bare render on the light pages of a budget book. When a page is drawn again — a zoom, the next
tile — its display list is built and kept (for the last :data:`DISPLAY_LISTS` pages): the
page's content is interpreted once more, and every tile or zoom after that only rasterises. Each
piece is drawn into a pixmap whose bounds are exactly the requested pixel rectangle of the whole
page's grid, so tiles assemble to the very pixels of a whole-page render (MuPDF's own clip
rounding could shift a tile by a pixel at large sizes). Only plain values leave this module:
bytes, numbers, strings and the dataclasses of :mod:`.types`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pymupdf
from pymupdf import mupdf

from furano_meet.pagespace import Point, Quad, Rect, ViewTransform

from .errors import (
    BadRenderRequest,
    DocumentDamaged,
    DocumentLocked,
    PageOutOfRange,
    RenderError,
    RenderFailed,
)
from .text import words_of
from .types import (
    MAX_PIXELS,
    DocumentInfo,
    OutlineEntry,
    PageInfo,
    PageLink,
    PixelRect,
    Pixels,
    RenderRequest,
    WebLink,
    Word,
)
from .web import web_address

DISPLAY_LISTS = 8
"""Pages whose display list is kept: the visible one, its neighbours, a few recent ones."""
MAX_HITS = 1_000
"""Search hits returned for one page; more are cut off (a one-character query on a dense page)."""
MAX_QUERY = 256
_A4 = (595.0, 842.0)

Allocate = Callable[[int], bytearray | memoryview]
"""Gives the writable buffer of ``n`` bytes a piece is drawn into: a ``bytearray`` on the
render thread, a shared-memory segment in the render process (so the app maps the very pixels
MuPDF drew, with no copy)."""


def _matrix(t: ViewTransform) -> pymupdf.Matrix:
    """``t`` as a PyMuPDF matrix from unrotated page points to view pixels."""
    s, w, h = t.scale, t.width, t.height
    match t.rotation:
        case 0:
            return pymupdf.Matrix(s, 0, 0, s, 0, 0)
        case 90:
            return pymupdf.Matrix(0, s, -s, 0, h * s, 0)
        case 180:
            return pymupdf.Matrix(-s, 0, 0, -s, w * s, h * s)
        case _:
            return pymupdf.Matrix(0, -s, s, 0, 0, w * s)


def _rect(r: Any) -> Rect:
    r = pymupdf.Rect(r).normalize()
    return Rect(float(r.x0), float(r.y0), float(r.x1), float(r.y1))


def _pdf_text(raw: str) -> str:
    """A label prefix as PyMuPDF hands it over: literal text, or a ``<hex>`` string holding
    UTF-16BE with a byte-order mark (the standard) or UTF-8 (what some writers, PyMuPDF's own
    ``set_page_labels`` among them, put there)."""
    if not (raw.startswith("<") and raw.endswith(">")):
        return raw
    try:
        data = bytes.fromhex(raw[1:-1])
    except ValueError:
        return raw
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _labels(doc: pymupdf.Document, count: int) -> list[str]:
    """Printed page labels from the document's label rules; the page number where none."""
    rules = sorted(doc.get_page_labels(), key=lambda r: int(r["startpage"]))
    labels = []
    for index in range(count):
        rule = next((r for r in reversed(rules) if int(r["startpage"]) <= index), None)
        label = ""
        if rule is not None:
            style = str(rule.get("style", ""))
            number = index - int(rule["startpage"]) + int(rule.get("firstpagenum", 1))
            number -= 1 if style in ("a", "A") else 0
            prefix = _pdf_text(str(rule.get("prefix", "")))
            label = pymupdf.utils.construct_label(style, prefix, number)
        labels.append(str(label) or str(index + 1))
    return labels


class OpenDocument:
    """A document open on the render thread (see the module docstring)."""

    def __init__(
        self, doc_id: str, version: int, data: bytes | bytearray, password: str | None
    ) -> None:
        self.thread = threading.get_ident()
        try:
            doc = pymupdf.open(stream=data, filetype="pdf")
        except Exception as exc:  # PyMuPDF raises FileDataError, EmptyFileError, RuntimeError …
            raise DocumentDamaged(f"{exc.__class__.__name__}: {exc}") from exc
        self._doc = doc
        try:
            if doc.needs_pass and (password is None or not doc.authenticate(password)):
                raise DocumentLocked(wrong_password=password is not None)
            count = int(doc.page_count)
            if count == 0:
                raise DocumentDamaged("it has no pages")
            self.info = DocumentInfo(doc_id, version, self._pages(count), bool(doc.is_repaired))
        except RenderError:
            doc.close()
            raise
        except Exception as exc:
            doc.close()
            raise DocumentDamaged(f"{exc.__class__.__name__}: {exc}") from exc
        self._lists: OrderedDict[int, Any | None] = OrderedDict()
        """Display lists of recent pages; ``None`` for a page drawn once, without one."""

    def _pages(self, count: int) -> tuple[PageInfo, ...]:
        try:
            labels = _labels(self._doc, count)
        except Exception:  # noqa: BLE001 - broken label rules must not hide the document
            labels = [str(i + 1) for i in range(count)]
        pages: list[PageInfo] = []
        for index in range(count):
            try:
                page = self._doc.load_page(index)
                size = page.cropbox  # unrotated, as everything about the page
                pages.append(
                    PageInfo(
                        index,
                        float(size.width),
                        float(size.height),
                        int(page.rotation),
                        labels[index],
                    )
                )
            except Exception:  # noqa: BLE001 - one bad page ("cycle in page tree") keeps the rest
                w, h = (pages[-1].width, pages[-1].height) if pages else _A4
                pages.append(PageInfo(index, w, h, 0, labels[index], readable=False))
        return tuple(pages)

    def check_thread(self) -> None:
        if threading.get_ident() != self.thread:
            raise RenderError(
                f"document {self.info.doc_id} used from thread {threading.get_ident()},"
                f" opened on {self.thread}: PyMuPDF documents must stay on one thread"
            )

    def _page(self, index: int) -> tuple[Any, PageInfo]:
        self.check_thread()
        if not 0 <= index < self.info.page_count:
            raise PageOutOfRange(index, self.info.page_count)
        info = self.info.pages[index]
        if not info.readable:
            raise RenderFailed(index, "the page could not be loaded")
        try:
            return self._doc.load_page(index), info
        except Exception as exc:
            raise RenderFailed(index, f"{exc.__class__.__name__}: {exc}") from exc

    def _display_list(self, index: int) -> tuple[Any, Any | None]:
        """The page and its display list — ``None`` the first time (draw from the page)."""
        page, _ = self._page(index)
        found = None
        if index in self._lists:
            found = self._lists[index]
            if found is None:
                found = self._lists[index] = page.get_displaylist(annots=True)
        else:
            self._lists[index] = None
            while len(self._lists) > DISPLAY_LISTS:
                self._lists.popitem(last=False)
        self._lists.move_to_end(index)
        return page, found

    def draw(self, request: RenderRequest, allocate: Allocate = bytearray) -> Pixels:
        """Render ``request`` into RGB pixels, straight into a buffer from ``allocate``."""
        info = self.info.pages[request.page] if 0 <= request.page < self.info.page_count else None
        if info is None:
            raise PageOutOfRange(request.page, self.info.page_count)
        width, height = info.pixel_size(request.scale, request.rotation)
        clip = request.clip or PixelRect(0, 0, width, height)
        if clip.x + clip.width > width or clip.y + clip.height > height:
            raise BadRenderRequest(f"clip {clip} reaches outside the page ({width}×{height} px)")
        if clip.width * clip.height > MAX_PIXELS:
            raise BadRenderRequest(
                f"a whole page of {width}×{height} px is more than {MAX_PIXELS:,} pixels; ask for tiles"
            )
        page, display_list = self._display_list(request.page)
        try:
            to_view = page.derotation_matrix * _matrix(
                info.transform(request.scale, request.rotation)
            )
            return self._rasterise(request, page, display_list, to_view, clip, allocate)
        except RenderError:
            raise
        except Exception as exc:
            raise RenderFailed(request.page, f"{exc.__class__.__name__}: {exc}") from exc

    @staticmethod
    def _rasterise(
        request: RenderRequest,
        page: Any,
        display_list: Any | None,
        to_view: Any,
        clip: PixelRect,
        allocate: Allocate,
    ) -> Pixels:
        # As PyMuPDF's own JM_pixmap_from_display_list, but with the pixmap bounds given exactly
        # and MuPDF drawing straight into a Python buffer: no copy out of MuPDF afterwards (a
        # fresh 4 MB copy cost more than the rasterising itself here, page faults included).
        stride = 3 * clip.width
        buffer = allocate(stride * clip.height)
        bbox = mupdf.FzIrect(clip.x, clip.y, clip.x + clip.width, clip.y + clip.height)
        rgb = mupdf.FzColorspace(mupdf.FzColorspace.Fixed_RGB)
        samples = mupdf.python_mutable_buffer_data(buffer)
        pix = mupdf.fz_new_pixmap_with_bbox_and_data(rgb, bbox, mupdf.FzSeparations(), 0, samples)
        if pix.stride() != stride:
            raise RenderError(f"MuPDF chose stride {pix.stride()} for {clip}, not {stride}")
        mupdf.fz_clear_pixmap_with_value(pix, 0xFF)
        m = to_view
        device = mupdf.fz_new_draw_device_with_bbox(
            mupdf.FzMatrix(m.a, m.b, m.c, m.d, m.e, m.f), pix, bbox
        )
        if display_list is None:  # contents, annotations and widgets, as the list holds them
            mupdf.fz_run_page(page.this, device, mupdf.FzMatrix(), mupdf.FzCookie())
        else:
            area = (
                pymupdf.Rect(
                    clip.x - 1, clip.y - 1, clip.x + clip.width + 1, clip.y + clip.height + 1
                )
                * ~m
            )
            cull = mupdf.FzRect(area.x0, area.y0, area.x1, area.y1)
            mupdf.fz_run_display_list(
                display_list.this, device, mupdf.FzMatrix(), cull, mupdf.FzCookie()
            )
        mupdf.fz_close_device(device)
        del device, pix  # MuPDF lets go of the buffer here, on this thread
        return Pixels(request, clip.width, clip.height, stride, memoryview(buffer).toreadonly())

    def words(self, index: int) -> tuple[Word, ...]:
        """Whole words of spaced text, single characters of Japanese (:mod:`.text`)."""
        page, _ = self._page(index)
        try:
            found = page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_WORDS, sort=False)
        except Exception as exc:
            raise RenderFailed(index, f"{exc.__class__.__name__}: {exc}") from exc
        return words_of(found)

    def search(self, index: int, query: str) -> tuple[Quad, ...]:
        """Where ``query`` occurs on the page, as quads (a hit across a line break gives one
        quad per line); Japanese queries of one or two characters included."""
        if not query.strip() or len(query) > MAX_QUERY:
            raise BadRenderRequest(f"search query must have 1..{MAX_QUERY} characters, not blank")
        page, _ = self._page(index)
        try:
            found = page.search_for(query, quads=True)
        except Exception as exc:
            raise RenderFailed(index, f"{exc.__class__.__name__}: {exc}") from exc
        return tuple(
            Quad(*(Point(float(c.x), float(c.y)) for c in (q.ul, q.ur, q.ll, q.lr)))
            for q in found[:MAX_HITS]
        )

    def _links(self, index: int) -> list[tuple[dict[str, Any], Rect]]:
        """Every link PyMuPDF reads on the page with its area in (unrotated) page points."""
        page, _ = self._page(index)
        try:
            found = page.get_links()
            derotate = page.derotation_matrix
        except Exception as exc:
            raise RenderFailed(index, f"{exc.__class__.__name__}: {exc}") from exc
        return [(link, _rect(pymupdf.Rect(link["from"]) * derotate)) for link in found]

    def links(self, index: int) -> tuple[PageLink, ...]:
        """Internal links only (see :class:`~.types.PageLink`), their areas in page points."""
        links = []
        for link, area in self._links(index):
            target = link.get("page")
            if link.get("kind") not in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED):
                continue  # URI, Launch, GoToR (other files), JavaScript …: never offered
            if not isinstance(target, int) or not 0 <= target < self.info.page_count:
                continue
            links.append(PageLink(area, target))
        return tuple(links)

    def web_links(self, index: int) -> tuple[WebLink, ...]:
        """The page's ``/URI`` links whose address is a plain web address (:mod:`.web`), their
        areas in page points; every other action is left out, whatever it claims to be."""
        links = []
        for link, area in self._links(index):
            if link.get("kind") != pymupdf.LINK_URI:
                continue  # Launch, GoToR, embedded files, JavaScript …: never offered
            url = web_address(str(link.get("uri") or ""))
            if url is not None:
                links.append(WebLink(area, url))
        return tuple(links)

    def outline(self) -> tuple[OutlineEntry, ...]:
        self.check_thread()
        try:
            toc = self._doc.get_toc(simple=False)
        except Exception:  # noqa: BLE001 - a broken outline is no outline, the pages still show
            return ()
        entries = []
        for level, title, page, *rest in toc:
            dest = rest[0] if rest else {}
            internal = dest.get("kind") in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED, None)
            ok = internal and isinstance(page, int) and 1 <= page <= self.info.page_count
            entries.append(OutlineEntry(int(level), str(title), page - 1 if ok else None))
        return tuple(entries)

    def close(self) -> None:
        self.check_thread()
        self._lists.clear()
        self._doc.close()
