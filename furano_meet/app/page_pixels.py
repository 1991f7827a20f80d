"""The viewer's pixels: what to ask the render service for, and what to hand the canvas.

Theory of operation
-------------------
The viewer decides *which* page at *which* scale (logical pixels per point); this module turns
that into render requests at the screen's device pixel ratio, so text is sharp on a high-DPI
screen, and paints what has arrived:

* **A page that fits** (fit page, fit width, a moderate zoom) is one whole-page request, with
  its neighbours prefetched, so a page turn is one ``drawPixmap``.
* **A zoomed page** (:func:`~.tiles.needs_tiles`) is tiles: the visible ones first, the ring
  around them as prefetch, asked for again whenever the reader scrolls (superseding what
  scrolled away); each tile is drawn as it arrives.
* **Low resolution first**: until the sharp pixels are there the canvas shows the sharpest
  whole-page pixmap of that page already held (after a zoom: the page as it was), scaled to
  the new size; a page never seen gets a quick render at a third of the scale
  (:func:`~.tiles.low_res_scale`) asked for just before the sharp one while its document has
  no measured cost yet, and later only when it is zoomed into tiles and slow
  (:func:`~.tiles.stand_in_worth`, from the render service's measured
  :meth:`~furano_meet.render.RenderService.draw_cost`). A page drawn whole gets none: the
  stand-in reads the whole page too, so it cost nearly what the sharp page costs and delayed
  it by that much.

Pixmaps are made when pixels arrive (never in ``paintEvent``) and kept in the byte-bounded
:class:`~.pixmap_cache.PixmapCache`: the memory budget, across documents. One exception, the
page the reader is waiting for (issue #9): it is painted at once from a ``QImage`` over the
render service's shared memory (:func:`wrap`, held together with its :class:`Pixels`), and made
a pixmap in the next event (:meth:`PagePixels.keep_fresh`) — ``QPixmap.fromImage`` converts
RGB888 to 32 bits, a copy of 0.2–0.9 ms that the turn no longer waits for. The cache keeps
pixmaps, never such images: a pixmap shares a 32-bit image's buffer, so a cache of them would
keep the render service's pool segments out of use (and count them twice in memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRectF, QTimer
from PySide6.QtGui import QImage, QPixmap

from furano_meet.render import DocumentInfo, PixelRect, Pixels, RenderFuture, RenderRequest
from furano_meet.render.errors import DocumentNotOpen, ServiceClosed

from .pixmap_cache import PixmapCache
from .render_arrivals import RenderArrivals
from .tiles import TilePlan, low_res_scale, needs_tiles, stand_in_worth

if TYPE_CHECKING:
    from .viewer import Viewer

__all__ = ["PagePixels", "to_pixmap"]


def wrap(pixels: Pixels, device_pixel_ratio: float) -> QImage:
    """The render service's buffer as an image, without a copy: valid only while ``pixels``
    is held (and so is its shared-memory segment)."""
    image = QImage(
        pixels.data, pixels.width, pixels.height, pixels.stride, QImage.Format.Format_RGB888
    )
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


def to_pixmap(pixels: Pixels, device_pixel_ratio: float) -> QPixmap:
    """The pixels as a pixmap of their own: ``fromImage`` converts RGB888 to the screen's
    32-bit format, a copy, so the pixmap outlives ``pixels``."""
    pixmap = QPixmap.fromImage(wrap(pixels, device_pixel_ratio))
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    return pixmap


@dataclass(frozen=True, slots=True)
class _Fresh:
    """The page the reader waited for, painted from the render service's pixels as they came:
    ``image`` wraps ``pixels.data``, so ``pixels`` is held exactly as long as ``image``."""

    request: RenderRequest
    image: QImage
    pixels: Pixels


class PagePixels:
    """The pixels of one viewer (see the module docstring)."""

    def __init__(self, viewer: Viewer, cache: PixmapCache | None = None) -> None:
        self.viewer = viewer
        self.cache = cache if cache is not None else PixmapCache()
        self.requested: list[RenderRequest] = []
        """Everything handed to the render service by the last :meth:`show` (for tests)."""
        self._name = f"viewer-{id(viewer)}"
        self._document: DocumentInfo | None = None
        self._page = -1
        self._scale = 1.0
        self._viewport = 0
        self._flying: dict[RenderRequest, RenderFuture[Pixels]] = {}
        """Requests being converted when they arrive (asking again must not convert twice)."""
        # -- perf (issue #9): the awaited page is painted before it becomes a pixmap --
        self._fresh: _Fresh | None = None
        """The page in view as it arrived, painted without ``QPixmap.fromImage`` (0.2–0.9 ms
        of the turn); it becomes a pixmap in the next event, after the paint."""
        self._settle = QTimer(viewer, singleShot=True, interval=0)
        self._settle.timeout.connect(self.keep_fresh)
        # --
        # Finished renders come in one Qt event, not three qasync turns (render_arrivals.py).
        self._arrivals = RenderArrivals(viewer)
        self._arrivals.arrived.connect(self._arrived)
        self._arrivals.failed.connect(self._failed)

    # -- what the viewer asks ------------------------------------------------------------------

    def dpr(self) -> float:
        return self.viewer.devicePixelRatioF()

    def whole(self, page: int, scale: float | None = None) -> RenderRequest:
        """The whole-page request for ``page`` at the logical ``scale`` (default: the current)."""
        assert self._document is not None
        device = (self._scale if scale is None else scale) * self.dpr()
        return RenderRequest(self._document.doc_id, self._document.version, page, round(device, 3))

    def _viewport_px(self) -> int:
        """Device pixels of the page area as :meth:`show` last measured them (a resize shows
        again): asked of Qt on every call it was seven round trips a page turn, each one a
        release of the GIL that the render service's thread could keep (1.4 ms a turn)."""
        if self._viewport <= 0:
            self._measure_viewport()
        return self._viewport

    def _measure_viewport(self) -> None:
        viewport = self.viewer.page_area.viewport().size() * self.dpr()
        self._viewport = viewport.width() * viewport.height()

    def _size(self, request: RenderRequest) -> tuple[int, int]:
        assert self._document is not None
        return self._document.pages[request.page].pixel_size(request.scale)

    def tiled(self, page: int) -> bool:
        return needs_tiles(self._size(self.whole(page)), self._viewport_px())

    def plan(self, page: int) -> TilePlan:
        """The tiles of the page in view for the scrolled position now."""
        assert self._document is not None
        width, height = self._size(self.whole(page))
        canvas = self.viewer.canvas
        area = self.viewer.page_area.viewport()
        corner = canvas.mapFrom(area, QPoint(0, 0)) - canvas.page_rect().topLeft().toPoint()
        dpr = self.dpr()
        view = PixelRect(
            max(0, round(corner.x() * dpr)),
            max(0, round(corner.y() * dpr)),
            max(1, round(area.width() * dpr)),
            max(1, round(area.height() * dpr)),
        )
        return TilePlan.of(width, height, view)

    def first(self, page: int) -> RenderRequest:
        """The request that makes ``page`` sharp: the whole page, or its most central tile."""
        whole = self.whole(page)
        if page != self._page or not self.tiled(page):
            return whole
        return _tile(whole, self.plan(page).visible[0])

    # -- showing -------------------------------------------------------------------------------

    def set_document(self, document: DocumentInfo | None) -> None:
        """The viewer opened ``document``; other documents' pixmaps stay within the budget
        (going back to one shows its pages at once)."""
        self.keep_fresh()
        self._document, self._page = document, -1

    def show(self, page: int, scale: float) -> None:
        """Show ``page`` at logical ``scale``: what is held at once, the rest asked for."""
        if self._document is None:
            return
        self._page, self._scale = page, scale
        self._measure_viewport()
        self.cache.fit_screen(self._viewport_px())
        sharp = self.whole(page)
        ahead = [self.whole(i) for i in (page + 1, page - 1) if 0 <= i < self._document.page_count]
        tiled = self.tiled(page)
        if tiled:
            plan = self.plan(page)
            visible = [_tile(sharp, clip) for clip in plan.visible]
            ahead = [_tile(sharp, clip) for clip in self._ring(plan)]
        else:
            visible = [sharp]
        if self._backdrop(page, sharp) is None and self._stand_in_worth(sharp, tiled):
            # never seen, and tiles to wait for (or nothing measured): a small whole one first
            low = low_res_scale(sharp.scale, self._size(sharp), self._viewport_px())
            visible.insert(0, self.whole(page, low / self.dpr()))
        now = [r for r in visible if not self.holds(r)]
        later = [r for r in ahead if not self.holds(r)]
        self.requested = now + later
        try:
            futures = self.viewer.session.render.show(self._name, now, later)
        except ServiceClosed:
            return  # a resize timer fired after session.close(): nothing is left to draw
        self._flying = {r: f for r, f in self._flying.items() if not f.done()}  # superseded
        for request, future in zip(now + later, futures, strict=True):
            if self._flying.get(request) is not future:
                self._flying[request] = future
                self._arrivals.watch(request, future)
        self._paint()

    def _stand_in_worth(self, sharp: RenderRequest, tiled: bool) -> bool:
        cost = self.viewer.session.render.draw_cost(sharp.doc_id, sharp.version)
        return stand_in_worth(cost, self._size(sharp), tiled=tiled)

    def coming(self, page: int) -> bool:
        """Whether ``page``'s sharp pixels at the scale shown are asked for and on their way
        (so showing it again would change nothing)."""
        if self._document is None or page != self._page:
            return False
        future = self._flying.get(self.first(page))
        return future is not None and not future.done()

    def _ring(self, plan: TilePlan) -> list[PixelRect]:
        """The ring tiles the budget allows beside the visible ones and a page or two: a
        prefetched tile must never push a visible one out of the cache."""
        room = self.cache.capacity * 3 // 4 - sum(_bytes(c) for c in plan.visible)
        ring = []
        for clip in plan.ring:  # nearest first
            room -= _bytes(clip)
            if room < 0:
                break
            ring.append(clip)
        return ring

    def refresh(self) -> None:
        """The reader scrolled: ask for the tiles now in view (nothing when none are needed)."""
        if self._document is not None and self._page >= 0 and self.tiled(self._page):
            self.show(self._page, self._scale)

    def _failed(self, error: BaseException) -> None:
        """A render failed: said by the error presenter — unless its document was closed
        meanwhile (the reader opened another one), which is nothing to tell."""
        if not isinstance(error, DocumentNotOpen):
            self.viewer.session.errors.present(error)

    def _arrived(self, request: RenderRequest, pixels: Pixels) -> None:
        """(GUI thread, one event after the render finished) Keep it as a pixmap; paint it
        if it belongs to the page in view."""
        self._flying.pop(request, None)
        if self.holds(request):
            return  # asked for twice (a resize, a return): converted already
        shown = self._document is not None and (
            request.doc_id,
            request.version,
            request.page,
        ) == (self._document.doc_id, self._document.version, self._page)
        if shown and request.clip is None and request == self.first(self._page):
            # perf (issue #9): the page the reader waits for is painted from these very pixels
            # now and made a pixmap in the next event (keep_fresh), after the paint
            self.keep_fresh()
            self._fresh = _Fresh(request, wrap(pixels, self.dpr()), pixels)
            self._settle.start()
        else:
            self.cache.put(request, to_pixmap(pixels, self.dpr()))
        del pixels  # once a pixmap: its shared-memory segment goes back to the service's pool
        if not shown:
            return
        sharp = self.whole(self._page)
        if request == sharp:  # the stand-ins of this page have done their work
            for stale in self.cache.whole_pages(sharp.doc_id, sharp.version, sharp.page):
                if stale.scale < sharp.scale:
                    self.cache.discard(stale)
        if request.clip is None or request.scale == sharp.scale:
            self._paint()
            if request == self.first(self._page):
                self.viewer.canvas.repaint()  # perf (issue #9): the page the reader waits for, now

    @property
    def fresh_pixels(self) -> Pixels | None:
        """The render service's pixels the page in view is painted from until it is a pixmap
        (for tests)."""
        return None if self._fresh is None else self._fresh.pixels

    def keep_fresh(self) -> None:
        """Make the page painted from the render service's pixels a pixmap of the cache (the
        canvas swaps it in), and let go of the pixels: their segment goes back to the pool."""
        fresh, self._fresh = self._fresh, None
        if fresh is None:
            return
        self._settle.stop()
        pixmap = to_pixmap(fresh.pixels, fresh.image.devicePixelRatio())
        self.cache.put(fresh.request, pixmap)
        self.viewer.canvas.replace_pixels(fresh.image, pixmap)
        # ``fresh`` (the image, then the pixels it wraps) goes when this returns

    # -- the canvas ----------------------------------------------------------------------------

    def _backdrop(self, page: int, sharp: RenderRequest) -> RenderRequest | None:
        """The whole-page pixmap to show for ``page``: the sharp one, else the sharpest held."""
        assert self._document is not None
        if self.holds(sharp):
            return sharp
        held = self.cache.whole_pages(self._document.doc_id, self._document.version, page)
        return held[0] if held else None

    def _paint(self) -> None:
        """Hand the canvas the page in view as held now: a whole page (sharp, or a stand-in
        scaled to the current size) and, on a zoomed page, the tiles that have arrived."""
        if self._document is None or self._page < 0:
            return
        sharp = self.whole(self._page)
        backdrop = self._backdrop(self._page, sharp)
        pixmap: QPixmap | QImage | None = None
        if self._fresh is not None and backdrop == self._fresh.request:
            pixmap = self._fresh.image
        elif backdrop is not None:
            pixmap = self.cache.get(backdrop)
        pieces: list[tuple[QRectF, QPixmap]] = []
        if self.tiled(self._page):
            dpr = self.dpr()
            visible = [_tile(sharp, clip) for clip in self.plan(self._page).visible]
            done = all(r in self.cache for r in visible)
            for request in self.cache.tiles(sharp.doc_id, sharp.version, sharp.page, sharp.scale):
                tile, clip = self.cache.get(request), request.clip
                if tile is not None and clip is not None:
                    rect = QRectF(clip.x / dpr, clip.y / dpr, clip.width / dpr, clip.height / dpr)
                    pieces.append((rect, tile))
        else:
            done = backdrop == sharp
        if pixmap is None and not pieces:
            return  # nothing of this page yet: the page before stays until its pixels come
        canvas = self.viewer.canvas
        transform = self._document.pages[self._page].transform(self._scale)
        canvas.show_page((sharp.doc_id, sharp.version, sharp.page), pixmap, transform, sharp=done)
        canvas.set_tiles(tuple(pieces), sharp=done)
        self.viewer.page_shown()

    def holds(self, request: RenderRequest) -> bool:
        """Whether ``request``'s pixels are here: a pixmap, or the page just painted."""
        return request in self.cache or (self._fresh is not None and self._fresh.request == request)


def _bytes(clip: PixelRect) -> int:
    return 4 * clip.width * clip.height  # as a pixmap: 32 bits a pixel


def _tile(whole: RenderRequest, clip: PixelRect) -> RenderRequest:
    return RenderRequest(whole.doc_id, whole.version, whole.page, whole.scale, clip)
