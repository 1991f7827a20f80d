"""Page space: the one coordinate system annotations, search hits and links are stored in.

Why one system: a stroke drawn on a tablet held sideways at 300 % must land on the same words on
a laptop at "fit page". So everything that is *about the page* lives in **unrotated PDF page
points** — the page as PyMuPDF sees it with rotation 0: origin at the top-left corner of the
crop box, x to the right, y downwards, 1 unit = 1/72 inch. Zoom, the page's own ``/Rotate``
and any rotation the reader chooses are applied only when drawing, by :class:`ViewTransform`.

PyMuPDF's text extraction and search already answer in this system; its link rectangles and
its ``page.rect`` are in the *rotated* system and are converted where they are read
(:mod:`furano_meet.render.pages`). Pure math, no PyMuPDF here: the core and the app share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["ROTATIONS", "Point", "Quad", "Rect", "ViewTransform", "segment_distance"]

ROTATIONS = (0, 90, 180, 270)
"""The rotations a page or a view may have, in degrees clockwise (PDF ``/Rotate`` semantics)."""


class Point(NamedTuple):
    """A position in page points (or, after :meth:`ViewTransform.to_view`, in view pixels)."""

    x: float
    y: float


class Rect(NamedTuple):
    """An axis-aligned rectangle; ``x0 <= x1`` and ``y0 <= y1`` when built by this module."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def contains(self, point: Point, tolerance: float = 0.0) -> bool:
        """Whether ``point`` lies inside (edges included), grown by ``tolerance`` on each side."""
        return (
            self.x0 - tolerance <= point.x <= self.x1 + tolerance
            and self.y0 - tolerance <= point.y <= self.y1 + tolerance
        )

    def union(self, other: Rect) -> Rect:
        return Rect(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    @staticmethod
    def around(points: list[Point] | tuple[Point, ...], margin: float = 0.0) -> Rect:
        """The smallest rectangle holding every point, grown by ``margin``; needs one point."""
        xs = [p.x for p in points]
        ys = [p.y for p in points]
        return Rect(min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin)


class Quad(NamedTuple):
    """Four corners in PyMuPDF's order (upper-left, upper-right, lower-left, lower-right).

    Text on a page is not always horizontal (縦書き, rotated tables), so highlights and search
    hits are quads, not rectangles.
    """

    ul: Point
    ur: Point
    ll: Point
    lr: Point

    @property
    def rect(self) -> Rect:
        return Rect.around(self)

    def contains(self, point: Point) -> bool:
        """Whether ``point`` lies inside the quad (edges included); the quad must be convex."""
        ring = (self.ul, self.ur, self.lr, self.ll)
        sides = [_cross(ring[i], ring[(i + 1) % 4], point) for i in range(4)]
        return all(s >= 0 for s in sides) or all(s <= 0 for s in sides)

    def distance(self, point: Point) -> float:
        """Distance from ``point`` to the quad: 0 inside, else to the nearest edge."""
        if self.contains(point):
            return 0.0
        ring = (self.ul, self.ur, self.lr, self.ll)
        return min(segment_distance(point, ring[i], ring[(i + 1) % 4]) for i in range(4))

    @staticmethod
    def from_rect(rect: Rect) -> Quad:
        return Quad(
            Point(rect.x0, rect.y0),
            Point(rect.x1, rect.y0),
            Point(rect.x0, rect.y1),
            Point(rect.x1, rect.y1),
        )


def _cross(a: Point, b: Point, p: Point) -> float:
    return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)


def segment_distance(p: Point, a: Point, b: Point) -> float:
    """Distance from ``p`` to the segment ``a``–``b`` (a point when ``a == b``)."""
    dx, dy = b.x - a.x, b.y - a.y
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        return math.hypot(p.x - a.x, p.y - a.y)
    t = max(0.0, min(1.0, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2))
    return math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy))


@dataclass(frozen=True, slots=True)
class ViewTransform:
    """Page points ↔ view pixels for one page shown at ``scale`` and ``rotation``.

    ``width`` × ``height`` is the *unrotated* page size in points; ``rotation`` is the total
    clockwise rotation on screen (the page's ``/Rotate`` plus any the reader chose, a multiple
    of 90); ``scale`` is view pixels per point. The view's origin is the top-left corner of the
    rotated, scaled page — exactly the pixel grid :mod:`furano_meet.render` renders into, and the
    same mapping as PyMuPDF's ``page.rotation_matrix`` followed by ``Matrix(scale, scale)``.
    """

    width: float
    height: float
    rotation: int = 0
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ValueError(f"rotation must be one of {ROTATIONS}, got {self.rotation!r}")
        for name in ("width", "height", "scale"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")

    @property
    def view_size(self) -> tuple[float, float]:
        """Width and height of the whole page in view pixels (not rounded)."""
        if self.rotation in (90, 270):
            return self.height * self.scale, self.width * self.scale
        return self.width * self.scale, self.height * self.scale

    def to_view(self, point: Point) -> Point:
        x, y = point
        w, h, s = self.width, self.height, self.scale
        match self.rotation:
            case 0:
                return Point(x * s, y * s)
            case 90:
                return Point((h - y) * s, x * s)
            case 180:
                return Point((w - x) * s, (h - y) * s)
            case _:
                return Point(y * s, (w - x) * s)

    def to_page(self, point: Point) -> Point:
        vx, vy = point[0] / self.scale, point[1] / self.scale
        w, h = self.width, self.height
        match self.rotation:
            case 0:
                return Point(vx, vy)
            case 90:
                return Point(vy, h - vx)
            case 180:
                return Point(w - vx, h - vy)
            case _:
                return Point(w - vy, vx)

    def rect_to_view(self, rect: Rect) -> Rect:
        a = self.to_view(Point(rect.x0, rect.y0))
        b = self.to_view(Point(rect.x1, rect.y1))
        return Rect(min(a.x, b.x), min(a.y, b.y), max(a.x, b.x), max(a.y, b.y))

    def rect_to_page(self, rect: Rect) -> Rect:
        a = self.to_page(Point(rect.x0, rect.y0))
        b = self.to_page(Point(rect.x1, rect.y1))
        return Rect(min(a.x, b.x), min(a.y, b.y), max(a.x, b.x), max(a.y, b.y))
