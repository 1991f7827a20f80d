# mypy: untyped-calls-exclude=pymupdf
"""The viewer measured in a real window: page turns and what a deep zoom asks the renderer for.

Runs on the app's qasync loop with a real :class:`~furano_meet.app.window.MainWindow` whose
session holds the document (decrypted by its engine, rendered by its render service).

* **Prefetched turn** — a real → / ← key event on the viewer, once the neighbours of the page
  shown are ready (:meth:`Viewer.holds`), to the canvas's first paint of the new page
  (``page_painted``).
* **Not prefetched** — a jump two pages on (:meth:`Viewer.turn_page`, what the slider and the
  key handler call), so the target is never a neighbour that was prefetched: the whole render
  through the service plus the pixmap and the paint. **Baseline**: right after each sample, the
  bare ``load_page(i).get_pixmap`` of that page at the viewer's scale (``Viewer.request_for``) on
  this thread, from another copy of the same bytes — the least work that gives those pixels.
* **Deep zoom** — the A3 page at fit-page × 4, scrolled to five places; every request the
  viewer hands the render service is logged (visible and prefetch) and the largest is compared
  with the whole page at that zoom.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pymupdf
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from furano_meet.app.tour import expect_paint, until
from furano_meet.app.viewer import Fit, Viewer
from furano_meet.render import Pixels, RenderFuture, RenderRequest
from furano_meet.render.types import page_pixel_size

OPEN_TIMEOUT = 120.0
A3 = (842.0, 1191.0)
ZOOM = 4.0


def a3_plan() -> bytes:
    """An A3 page of fine lines and small text (a floor plan or a big table, as clerks send)."""
    doc = pymupdf.open()
    page = doc.new_page(width=A3[0], height=A3[1])
    for y in range(30, int(A3[1]) - 30, 24):
        page.draw_line((30, y), (A3[0] - 30, y), width=0.3)
        page.insert_text(
            (36, y - 6), f"Row {y:04d} — 1,234,567 / 2,345,678 / 3,456,789", fontsize=7
        )
    data = doc.tobytes()
    doc.close()
    return bytes(data)


async def open_page(viewer: Viewer, document: tuple[str, int]) -> None:
    """Open ``document`` in the viewer and wait until its first page is painted."""
    painted = expect_paint(viewer, 0, document)
    viewer.open_document(*document)
    await asyncio.wait_for(painted, OPEN_TIMEOUT)


async def neighbours_ready(viewer: Viewer) -> None:
    """Wait until the pages either side of the one shown are ready (the prefetch is done)."""
    assert viewer.document is not None
    count, page = viewer.document.page_count, viewer.page
    wanted = [viewer.request_for(i) for i in (page - 1, page + 1) if 0 <= i < count]
    await until(lambda: all(viewer.holds(r) for r in wanted), OPEN_TIMEOUT)


def press(viewer: Viewer, key: Qt.Key) -> None:
    event = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewer, event)


def bare_render(doc: pymupdf.Document, index: int, scale: float) -> float:
    """Seconds for PyMuPDF alone to render page ``index`` at ``scale`` (the baseline)."""
    start = time.perf_counter()
    doc.load_page(index).get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
    return time.perf_counter() - start


@dataclass
class Turns:
    prefetched: list[float] = field(default_factory=list)
    jumped: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)


async def page_turns(
    viewer: Viewer, document: tuple[str, int], pdf: bytes, *, prefetched: int, jumps: int
) -> Turns:
    """``jumps`` not-prefetched turns (each with its baseline), then ``prefetched`` key turns."""
    turns = Turns()
    await open_page(viewer, document)
    assert viewer.document is not None
    count = viewer.document.page_count
    bare_doc = pymupdf.open(stream=pdf, filetype="pdf")
    bare_render(bare_doc, 0, 1.0)  # the first render in a process loads fonts: not a sample
    try:
        for target in range(2, count, 2)[:jumps]:
            await neighbours_ready(viewer)
            painted = expect_paint(viewer, target, document)
            start = time.perf_counter()
            viewer.turn_page(target)
            turns.jumped.append(await asyncio.wait_for(painted, OPEN_TIMEOUT) - start)
            turns.bare.append(bare_render(bare_doc, target, viewer.request_for(target).scale))
    finally:
        bare_doc.close()
    step = 1
    for _ in range(prefetched):
        if not 0 <= viewer.page + step < count:
            step = -step  # a short document: back and forth
        await neighbours_ready(viewer)
        painted = expect_paint(viewer, viewer.page + step, document)
        start = time.perf_counter()
        press(viewer, Qt.Key.Key_Right if step > 0 else Qt.Key.Key_Left)
        turns.prefetched.append(await asyncio.wait_for(painted, OPEN_TIMEOUT) - start)
    return turns


class RequestLog:
    """Every request a viewer hands its render service (observation only: it passes through)."""

    def __init__(self, viewer: Viewer) -> None:
        self.requests: list[RenderRequest] = []
        service = viewer.session.render
        show = service.show

        def logged(
            view: str, visible: Iterable[RenderRequest], prefetch: Iterable[RenderRequest] = ()
        ) -> list[RenderFuture[Pixels]]:
            shown, ahead = list(visible), list(prefetch)
            self.requests += shown + ahead
            return show(view, shown, ahead)

        setattr(service, "show", logged)  # noqa: B010 - an instance attribute over the method


async def deep_zoom(viewer: Viewer, document: tuple[str, int]) -> dict[str, Any]:
    """The A3 page at fit-page × 4, scrolled to five places: the largest pixmap asked for."""
    log = RequestLog(viewer)
    await open_page(viewer, document)
    assert viewer.document is not None
    width, height = viewer.document.pages[0].transform(1.0).view_size
    viewer.set_fit(Fit.PAGE)
    fit_scale = viewer.request_for(0).scale
    viewer.set_zoom(ZOOM)
    await until(lambda: viewer.holds(viewer.request_for(0)), OPEN_TIMEOUT)
    bars = viewer.page_area.horizontalScrollBar(), viewer.page_area.verticalScrollBar()
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        for bar in bars:
            bar.setValue(round(bar.maximum() * fraction))
        # What the scroll's debounce timer calls, at once. Never processEvents() here: inside
        # a running qasync task it strands other tasks ("Cannot enter into task").
        viewer.pixels.refresh()
        await until(lambda: viewer.holds(viewer.request_for(0)), OPEN_TIMEOUT)
    full_w, full_h = page_pixel_size(width, height, fit_scale * ZOOM, 0)
    pieces = [_pixels(r, width, height) for r in log.requests if r.page == 0]
    largest, whole = max(pieces)
    viewport = viewer.page_area.viewport().size()
    return {
        "page_points": [width, height],
        "fit_page_scale": fit_scale,
        "zoom": ZOOM,
        "full_page_at_zoom_px": full_w * full_h,
        "largest_request_px": largest,
        "largest_request_covers_page_fraction": round(largest / whole, 4),
        "viewport_px": viewport.width() * viewport.height(),
        "requests": len(log.requests),
        "tiled": any(r.clip is not None for r in log.requests),
    }


def _pixels(request: RenderRequest, width: float, height: float) -> tuple[int, int]:
    """(pixels asked for, pixels of the whole page at the request's scale)."""
    w, h = page_pixel_size(width, height, request.scale, request.rotation)
    clip = request.clip
    return (w * h if clip is None else clip.width * clip.height), w * h
