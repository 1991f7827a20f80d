"""The values the render service takes and gives: requests, pixel buffers, page facts.

All plain, immutable and free of PyMuPDF objects, so they cross threads freely and the app can
hold them. Sizes and positions about the page are in unrotated page points
(:mod:`furano_meet.pagespace`); pixel rectangles are on the grid of the whole page rendered at
the request's scale and rotation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

from furano_meet.pagespace import ROTATIONS, Rect, ViewTransform

from .errors import BadRenderRequest

__all__ = [
    "MAX_PIXELS",
    "MAX_SCALE",
    "DocumentInfo",
    "OutlineEntry",
    "PageInfo",
    "PageLink",
    "WebLink",
    "PixelRect",
    "Pixels",
    "Priority",
    "RenderRequest",
    "Word",
    "page_pixel_size",
    "tile_grid",
]

MAX_PIXELS = 4096 * 4096
"""Most pixels drawn in one piece (48 MiB of RGB). A larger area — a whole A3 page at 400 % —
must be asked for as tiles (:func:`tile_grid`); the service refuses it whole. This also bounds
how long one render holds PyMuPDF (which keeps Python's GIL while it draws)."""
MAX_SCALE = 64.0
"""Largest scale (pixels per point): 6,400 % at 72 dpi, 400 % of a page on a 1,150 dpi screen."""


class Priority(IntEnum):
    """Order of work on the render thread: lower first; FIFO within one priority."""

    URGENT = 0
    """Opening and closing documents."""
    VISIBLE = 1
    """What is on screen now."""
    PREFETCH = 2
    """Neighbouring pages, so the next page turn is instant."""
    BACKGROUND = 3
    """Thumbnails, search over the whole document."""


@dataclass(frozen=True, slots=True)
class PixelRect:
    """A rectangle of pixels: ``x``, ``y`` of the top-left pixel, ``width`` × ``height``."""

    x: int
    y: int
    width: int
    height: int


def page_pixel_size(width: float, height: float, scale: float, rotation: int) -> tuple[int, int]:
    """The pixel size of a whole page (``width`` × ``height`` unrotated points) as rendered.

    Rounded up as MuPDF rounds a page's bounds (``fz_round_rect``), so a full render here has
    exactly the size ``page.get_pixmap`` would give.
    """
    vw, vh = ViewTransform(width, height, rotation, scale).view_size
    return max(1, math.ceil(vw - 0.001)), max(1, math.ceil(vh - 0.001))


@dataclass(frozen=True, slots=True)
class RenderRequest:
    """One piece of one page at one zoom: the cache key of the service.

    ``page`` is the 0-based page index; ``scale`` is pixels per point; ``rotation`` is what the
    reader added to the page's own ``/Rotate`` (0, 90, 180 or 270); ``clip`` is the part of the
    whole-page pixel grid to draw (``None``: the whole page). Tiles of one page at one scale
    fit together pixel for pixel with each other and with a whole-page render.
    """

    doc_id: str
    version: int
    page: int
    scale: float
    clip: PixelRect | None = None
    rotation: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and 0 < self.scale <= MAX_SCALE):
            raise BadRenderRequest(f"scale must lie in (0, {MAX_SCALE:g}], got {self.scale!r}")
        if self.rotation not in ROTATIONS:
            raise BadRenderRequest(f"rotation must be one of {ROTATIONS}, got {self.rotation!r}")
        if self.page < 0:
            raise BadRenderRequest(f"page index must be >= 0, got {self.page}")
        clip = self.clip
        if clip is not None:
            if clip.x < 0 or clip.y < 0 or clip.width < 1 or clip.height < 1:
                raise BadRenderRequest(f"clip {clip} must be a non-empty rectangle at x, y >= 0")
            if clip.width * clip.height > MAX_PIXELS:
                raise BadRenderRequest(f"clip {clip} has more than {MAX_PIXELS:,} pixels")


@dataclass(frozen=True, slots=True)
class Pixels:
    """Rendered pixels: RGB, 8 bits a channel, rows ``stride`` bytes apart, top row first.

    ``data`` is a read-only view of the one buffer MuPDF drew into (never copied). Wrap it in
    the GUI without a copy: ``QImage(data, width, height, stride, Format_RGB888)``, keeping
    this object alive as long as the image; ``bytes(data)`` makes a copy.
    """

    request: RenderRequest
    width: int
    height: int
    stride: int
    data: memoryview

    @property
    def nbytes(self) -> int:
        return self.data.nbytes


@dataclass(frozen=True, slots=True)
class PageInfo:
    """One page: its unrotated size in points, its own ``/Rotate``, its printed label.

    ``label`` is the page label the document defines (e.g. "iii", "資-3"), else the physical
    page number. ``readable`` is False when the page failed to load when the document was
    opened (rendering it raises :class:`~.errors.RenderFailed`); its size is then a guess.
    """

    index: int
    width: float
    height: float
    rotation: int
    label: str
    readable: bool = True

    def transform(self, scale: float, rotation: int = 0) -> ViewTransform:
        """Page points ↔ pixels of this page rendered at ``scale`` with ``rotation`` added."""
        return ViewTransform(self.width, self.height, (self.rotation + rotation) % 360, scale)

    def pixel_size(self, scale: float, rotation: int = 0) -> tuple[int, int]:
        """Size of the whole page rendered at ``scale`` (what tiles must cover)."""
        return page_pixel_size(self.width, self.height, scale, (self.rotation + rotation) % 360)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """An open document: every page's facts, and whether MuPDF had to repair the file."""

    doc_id: str
    version: int
    pages: tuple[PageInfo, ...]
    repaired: bool

    @property
    def page_count(self) -> int:
        return len(self.pages)


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """One line of the document's outline (目次): nesting level from 1, title, target page
    index (``None`` when the entry points outside the document)."""

    level: int
    title: str
    page: int | None


@dataclass(frozen=True, slots=True)
class PageLink:
    """A link inside the document: the area to tap (page points) and the page it goes to.

    Only internal links are ever returned: web links, Launch, JavaScript, embedded-file and
    remote-document actions are left out, so the app cannot run or open them by mistake.
    """

    rect: Rect
    target_page: int


@dataclass(frozen=True, slots=True)
class WebLink:
    """A link to a web page: the area to tap (page points) and the address it goes to — an
    ``http``/``https`` address only (:func:`~.web.web_address`); whatever the page shows
    over the area may say something else, so the app shows this address before opening it."""

    rect: Rect
    url: str


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a page, for the highlighter: a run without spaces, or one character of
    Japanese text (:mod:`.text`)."""

    rect: Rect
    text: str
    block: int
    line: int
    joined: bool = False
    """It continues the word before it with no space between (Japanese characters)."""


def tile_grid(width: int, height: int, tile: int = 512) -> tuple[PixelRect, ...]:
    """Tiles of at most ``tile`` × ``tile`` pixels covering a ``width`` × ``height`` image,
    row by row; edge tiles are smaller. Ask for the visible ones only."""
    if tile < 1 or width < 1 or height < 1:
        raise BadRenderRequest(f"cannot tile {width}×{height} by {tile}")
    return tuple(
        PixelRect(x, y, min(tile, width - x), min(tile, height - y))
        for y in range(0, height, tile)
        for x in range(0, width, tile)
    )
