"""Where a mark is on the page: its bounding box and whether a tap or the eraser touches it.

All in page points; the app converts a screen tolerance (say 12 px under a finger) into points
by dividing by the view's scale (:class:`~furano_meet.pagespace.ViewTransform`).
"""

from __future__ import annotations

from furano_meet.pagespace import Point, Rect, segment_distance

from .model import Highlight, Ink, Mark, StickyNote

__all__ = ["NOTE_ICON_SIZE", "bounding_box", "hit_test"]

NOTE_ICON_SIZE = 20.0
"""A sticky note is drawn as a square icon this many points wide, its top-left corner at the
note's anchor (as PDF text annotations are); tapping the icon opens the note."""


def bounding_box(mark: Mark) -> Rect:
    """The smallest rectangle holding everything the mark paints (ink includes its width)."""
    match mark:
        case Ink():
            return Rect.around([Point(p.x, p.y) for p in mark.points], mark.width / 2)
        case Highlight():
            box = mark.quads[0].rect
            for quad in mark.quads[1:]:
                box = box.union(quad.rect)
            return box
        case StickyNote():
            x, y = mark.at
            return Rect(x, y, x + NOTE_ICON_SIZE, y + NOTE_ICON_SIZE)


def hit_test(mark: Mark, point: Point, tolerance: float = 0.0) -> bool:
    """Whether ``point`` is on the mark or within ``tolerance`` points of it.

    Ink counts its painted width (a tap on the edge of a thick stroke hits it); a highlight is
    hit inside any of its quads; a note on its icon.
    """
    if not bounding_box(mark).contains(point, tolerance):
        return False  # the cheap test first: most marks on a page are far from the tap
    match mark:
        case Ink():
            reach = tolerance + mark.width / 2
            pts = [Point(p.x, p.y) for p in mark.points]
            if len(pts) == 1:
                return segment_distance(point, pts[0], pts[0]) <= reach
            return any(
                segment_distance(point, a, b) <= reach for a, b in zip(pts, pts[1:], strict=False)
            )
        case Highlight():
            return any(q.distance(point) <= tolerance for q in mark.quads)
        case StickyNote():
            return True  # inside the icon's box, grown by the tolerance
