"""The app's memory budget for page pixels: the viewer's pixmaps and the render service's cache.

Where the memory of a long read went (the 612-page budget book, 200 pages visited: 488 MB for
the app and its render process, 179 MB of it before the book opened): the render service's
LRU of 256 MB held pixels in shared-memory segments — counted in the app's RSS, and again in
the render process's, which keeps every pool segment it drew into mapped for reuse. The viewer
held its own copy of the same pages as pixmaps. PyMuPDF's own store stayed small (the book's
text pages add < 1 MB; MuPDF's store is bounded at 256 MB by itself).

So the budget is split by who needs what: the viewer's pixmaps — what is painted, and what a
page turn or a scroll paints next — are the real cache (:data:`PIXMAP_BYTES`, least recently
used first, whatever document they belong to); the render service keeps only a little
(:data:`RENDER_CACHE_BYTES`: a request asked for twice in quick succession), so the shared
segments go back to its pool and the pool lets go of them.
"""

from __future__ import annotations

from PySide6.QtGui import QPixmap

from furano_meet.render import RenderRequest
from furano_meet.render.cache import ByteLRU

__all__ = ["PIXMAP_BYTES", "RENDER_CACHE_BYTES", "SCREENS", "PixmapCache"]

PIXMAP_BYTES = 24 * 2**20
"""The viewer's pixmaps at least: a 1920×1200 screen of tiles (9 MB) and part of its ring, or
the page in view, its neighbours and a few pages of history at fit-page. A larger screen gets
:data:`SCREENS` screens of pixels (:meth:`PixmapCache.fit_screen`)."""
SCREENS = 3
"""Screens of pixels the budget holds at least: the tiles in view must never evict each
other (a 4K screen is 33 MB of pixmap)."""
RENDER_CACHE_BYTES = 8 * 2**20
"""The render service's own LRU (see the module docstring)."""


def pixmap_bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)


class PixmapCache:
    """Rendered pixmaps by their :class:`RenderRequest`, bounded in bytes across documents."""

    def __init__(self, capacity: int = PIXMAP_BYTES) -> None:
        self._lru: ByteLRU[RenderRequest, QPixmap] = ByteLRU(capacity)

    @property
    def size(self) -> int:
        """Bytes held now (never more than :attr:`capacity`)."""
        return self._lru.size

    @property
    def capacity(self) -> int:
        return self._lru.capacity

    @property
    def evictions(self) -> int:
        return self._lru.evictions

    def __len__(self) -> int:
        return len(self._lru)

    def __contains__(self, request: RenderRequest) -> bool:
        return request in self._lru

    def fit_screen(self, device_pixels: int) -> None:
        """Grow the budget to :data:`SCREENS` screens of ``device_pixels`` when it is smaller."""
        self._lru.capacity = max(self._lru.capacity, SCREENS * 4 * device_pixels)

    def put(self, request: RenderRequest, pixmap: QPixmap) -> None:
        self._lru.put(request, pixmap, pixmap_bytes(pixmap))

    def get(self, request: RenderRequest) -> QPixmap | None:
        """The pixmap, now the most recently used."""
        return self._lru.get(request)

    def whole_pages(self, doc_id: str, version: int, page: int) -> list[RenderRequest]:
        """Whole-page renders of a page held now, the sharpest first (for a backdrop)."""
        found = [
            r
            for r in self._lru
            if r.clip is None and (r.doc_id, r.version, r.page) == (doc_id, version, page)
        ]
        return sorted(found, key=lambda r: -r.scale)

    def tiles(self, doc_id: str, version: int, page: int, scale: float) -> list[RenderRequest]:
        """Tiles of a page at ``scale`` held now."""
        return [
            r
            for r in self._lru
            if r.clip is not None
            and r.scale == scale
            and (r.doc_id, r.version, r.page) == (doc_id, version, page)
        ]

    def discard(self, request: RenderRequest) -> None:
        self._lru.discard(request)

    def discard_document(self, doc_id: str, version: int) -> int:
        """Forget a closed document's pixmaps; returns how many."""
        return self._lru.discard_where(lambda r: (r.doc_id, r.version) == (doc_id, version))
