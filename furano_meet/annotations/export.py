"""Export a reader's annotated copy: the decrypted PDF with their marks as real PDF annotations.

Why real annotations and not pixels burnt into the page: any PDF reader can then show, hide,
list and print them, the text stays searchable, and a councillor's 付箋 stays a note one can
open. Ink becomes an Ink annotation (colour, width), a highlight a Highlight annotation on its
quads, a sticky note a Text annotation whose contents keep the Japanese as written.

Positions need no conversion: marks are stored in unrotated page points with the origin at the
crop box's top-left corner (:mod:`furano_meet.pagespace`), which is what PyMuPDF's annotation
calls expect on a page of any ``/Rotate``.

PyMuPDF is not thread-safe and holds the GIL while it works, so :func:`export_annotated` must
run where the app's PyMuPDF runs: the render service's worker, through
``RenderService.call(functools.partial(export_annotated, pdf, marks))`` (a module-level function
and plain values, so it pickles into the render process), or a thread of a headless tool — never
the GUI thread. This module is not imported by :mod:`furano_meet.annotations`, so the model
itself still needs no renderer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .model import AnnotationBody, Highlight, Ink, Mark, StickyNote

if TYPE_CHECKING:  # PyMuPDF loads where the export runs (the render process), not at import:
    import pymupdf  # the app's window imports this module at start (docs/app.md, "Start-up")

__all__ = ["PlacedMark", "export_annotated", "placed"]

NOTE_ICON = "Note"


@dataclass(frozen=True, slots=True)
class PlacedMark:
    """One mark on one page (0-based), with the name shown as the annotation's author."""

    page: int
    mark: Mark
    author: str = ""


class _Placed(Protocol):
    """What :func:`placed` reads from a note (``AnnotationView`` has these fields)."""

    @property
    def page(self) -> int: ...

    @property
    def author(self) -> str: ...

    @property
    def body(self) -> AnnotationBody: ...


def placed(notes: Iterable[_Placed]) -> tuple[PlacedMark, ...]:
    """Plain values for :func:`export_annotated` from the engine's typed notes."""
    return tuple(PlacedMark(n.page, n.body.mark, n.author) for n in notes)


def _rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` (checked by the model) as PDF's 0..1 components."""
    return (int(colour[1:3], 16) / 255, int(colour[3:5], 16) / 255, int(colour[5:7], 16) / 255)


def _add(page: pymupdf.Page, mark: Mark) -> pymupdf.Annot:
    import pymupdf

    match mark:
        case Ink(points, colour, width):
            annot = page.add_ink_annot([[(p.x, p.y) for p in points]])
            annot.set_border(width=width)
            annot.set_colors(stroke=_rgb(colour))
        case Highlight(quads, colour, text):
            annot = page.add_highlight_annot([pymupdf.Quad(*q) for q in quads])
            annot.set_colors(stroke=_rgb(colour))
            if text:
                annot.set_info(content=text)
        case StickyNote(at, text, colour):
            annot = page.add_text_annot(at, text, icon=NOTE_ICON)
            annot.set_colors(stroke=_rgb(colour))
    return annot


def export_annotated(pdf: bytes | bytearray, marks: Iterable[PlacedMark]) -> bytes:
    """The PDF with ``marks`` added as annotations; marks on pages it lacks are skipped.

    The input is opened from memory and never written to disk; the answer is the new file's
    bytes (garbage-collected and compressed), for the caller to save where the reader chose.
    """
    import pymupdf

    with pymupdf.open(stream=bytes(pdf), filetype="pdf") as doc:
        for item in marks:
            if not 0 <= item.page < doc.page_count:
                continue
            page = doc[item.page]  # held: an annotation is unbound once its page is freed
            annot = _add(page, item.mark)
            if item.author:
                annot.set_info(title=item.author)
            annot.update()
        return bytes(doc.tobytes(garbage=3, deflate=True))
