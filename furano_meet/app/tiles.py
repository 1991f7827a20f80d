"""Which pixels of a page to ask for: the whole page, a quick low-resolution one, or tiles.

Pure arithmetic on the render service's pixel grid (no Qt), so the rules are tested alone and
the viewer only asks. As in Okular's tiles manager, a page much larger than the screen — an A3
budget sheet at 400 % — is never drawn in one piece: it is cut into square tiles on the grid of
the whole page at that scale (:class:`~furano_meet.render.PixelRect`, which the service draws
pixel-exact), and only the tiles in view are asked for, then a ring around them as prefetch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from furano_meet.render import MAX_PIXELS, PixelRect

__all__ = [
    "LOW_RES_DIVISOR",
    "STAND_IN_AFTER",
    "TILE",
    "TILE_ABOVE",
    "TilePlan",
    "low_res_scale",
    "needs_tiles",
    "stand_in_worth",
]

TILE = 768
"""Tile edge in device pixels: 2.3 MB as a pixmap, a few milliseconds of rasterising; four to
six cover a laptop's page area, so scrolling asks for one row or column at a time."""
TILE_ABOVE = 4.0
"""A page is tiled once it has more than this many screens of pixels: zoomed well in. A page
that fits, or fills the width, stays one piece (a page turn is then one ``drawPixmap``)."""
LOW_RES_DIVISOR = 3.0
"""The quick first render of a page not seen yet: a third of the sharp scale (a ninth of the
pixels), shown scaled up at once and replaced by the sharp one when it arrives."""
STAND_IN_AFTER = 0.025
"""Seconds: a page expected to render sharp sooner than this gets no low-resolution stand-in
first. With the render process one piece is drawn at a time, so a stand-in delays the sharp
render by its own round trip (2–4 ms in the app for a budget-book page that renders in 2 ms:
a third of a not-prefetched turn), and a stand-in shown for a frame or two is a flicker, not
a help."""
_MIN_SCALE = 0.02


def needs_tiles(page_px: tuple[int, int], viewport_px: int) -> bool:
    """Whether a page of ``page_px`` (width, height) pixels is drawn as tiles on a viewport of
    ``viewport_px`` pixels: when it is many screens large, or too large for one piece."""
    width, height = page_px
    return width * height > min(MAX_PIXELS, TILE_ABOVE * max(1, viewport_px))


def stand_in_worth(cost: float | None, page_px: tuple[int, int], *, tiled: bool) -> bool:
    """Whether a page of ``page_px`` pixels gets a low-resolution stand-in first, given its
    document's recent ``cost`` in seconds per pixel (``None``: nothing measured yet).

    Only a slow page zoomed into tiles does, once its document is measured: the stand-in is
    one small piece where the sharp page is many. A page drawn whole never does, however
    slow: most of a first render is reading the page (fonts, images, paths), which the
    stand-in pays in full too (93 % of the sharp render's time on the demo pack's pages),
    and the sharp page waited behind it (docs/rendering.md)."""
    width, height = page_px
    return cost is None or (tiled and cost * width * height > STAND_IN_AFTER)


def low_res_scale(sharp: float, page_px: tuple[int, int], viewport_px: int) -> float:
    """The scale of the quick first render of a page whose sharp render (at ``sharp``) has
    ``page_px`` pixels: a third of it, and never more than a quarter screen of pixels (a
    zoomed page's stand-in is a small whole page, not a large one)."""
    width, height = page_px
    cap = sharp * math.sqrt(max(1, viewport_px) / 4 / max(1, width * height))
    return round(max(_MIN_SCALE, min(sharp / LOW_RES_DIVISOR, cap)), 3)


@dataclass(frozen=True, slots=True)
class TilePlan:
    """The tiles of a page ``width`` × ``height`` pixels for a viewport showing ``view``.

    ``visible`` are the tiles the view touches, the one nearest its centre first; ``ring`` the
    tiles around them (asked for behind the visible ones, so a short scroll finds them ready).
    """

    visible: tuple[PixelRect, ...]
    ring: tuple[PixelRect, ...]

    @classmethod
    def of(
        cls, width: int, height: int, view: PixelRect, tile: int = TILE, ring: int = 1
    ) -> TilePlan:
        cols, rows = math.ceil(width / tile), math.ceil(height / tile)

        def span(start: int, length: int, count: int) -> tuple[int, int]:
            first = min(count - 1, max(0, start // tile))
            last = min(count - 1, max(0, (start + max(1, length) - 1) // tile))
            return first, last

        c0, c1 = span(view.x, view.width, cols)
        r0, r1 = span(view.y, view.height, rows)
        cx, cy = view.x + view.width / 2, view.y + view.height / 2

        def rect(col: int, row: int) -> PixelRect:
            x, y = col * tile, row * tile
            return PixelRect(x, y, min(tile, width - x), min(tile, height - y))

        def distance(r: PixelRect) -> float:
            return math.hypot(r.x + r.width / 2 - cx, r.y + r.height / 2 - cy)

        inside = [rect(c, r) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        around = [
            rect(c, r)
            for r in range(max(0, r0 - ring), min(rows - 1, r1 + ring) + 1)
            for c in range(max(0, c0 - ring), min(cols - 1, c1 + ring) + 1)
            if not (r0 <= r <= r1 and c0 <= c <= c1)
        ]
        return cls(tuple(sorted(inside, key=distance)), tuple(sorted(around, key=distance)))
