"""Where a 付箋's icon is: drawn on screen, touched, and kept whole on the page.

Why a module of its own: the icon is drawn from the note's anchor :func:`note_side` pixels
right and down *on screen* (:func:`~.mark_painter.paint_note`), whatever the page's
``/Rotate`` or the zoom — a note reads the right way up on a page turned sideways. So the
icon's place in page points is not ``at`` plus a fixed square to the right and down of it:
on a page shown at 90° the page's "right and down" is the screen's "down and left". Every
question about the icon — is a tap on it (:func:`touches`), where may it sit
(:func:`keep_on_page`) — is answered here from the same box on screen, mapped back to page
points, so the place a finger finds it is the place it is drawn. (The hit box used to be the
page-space square of :func:`~furano_meet.annotations.bounding_box`, which matches the drawing
only on an unrotated page at a zoom where the icon is not held at :data:`NOTE_MIN_PX`.)

Pure geometry over a :class:`~furano_meet.pagespace.ViewTransform`: no widgets.
"""

from __future__ import annotations

from furano_meet.annotations import NOTE_ICON_SIZE, Mark, StickyNote, hit_test
from furano_meet.pagespace import Point, Rect, ViewTransform

__all__ = ["NOTE_MIN_PX", "keep_on_page", "note_box", "note_side", "touches"]

NOTE_MIN_PX = 24.0
"""The smallest a 付箋 icon is drawn (pixels): a finger must find it even zoomed out."""


def note_side(scale: float) -> float:
    """How wide (pixels) a 付箋 icon is drawn at ``scale``: from its anchor's point on screen,
    that far right and down."""
    return max(NOTE_MIN_PX, NOTE_ICON_SIZE * scale)


def note_box(at: Point, transform: ViewTransform) -> Rect:
    """The icon of a 付箋 anchored at ``at`` as drawn through ``transform``, in page points."""
    view, side = transform.to_view(at), note_side(transform.scale)
    return transform.rect_to_page(Rect(view.x, view.y, view.x + side, view.y + side))


def touches(mark: Mark, point: Point, transform: ViewTransform, reach: float) -> bool:
    """Whether ``point`` (page points) is on ``mark`` as drawn, or within ``reach`` points of
    it: a 付箋 on its icon on screen, any other mark by its page geometry
    (:func:`~furano_meet.annotations.hit_test`)."""
    if isinstance(mark, StickyNote):
        return note_box(mark.at, transform).contains(point, reach)
    return hit_test(mark, point, reach)


def keep_on_page(at: Point, transform: ViewTransform) -> Point:
    """``at`` (a 付箋's anchor, page points), moved as little as needed for the whole icon —
    :func:`note_side` pixels right and down of it on screen — to lie on the page shown through
    ``transform``."""
    side = note_side(transform.scale)
    width, height = transform.view_size
    view = transform.to_view(at)
    x = min(max(view.x, 0.0), max(0.0, width - side))
    y = min(max(view.y, 0.0), max(0.0, height - side))
    return at if (x, y) == (view.x, view.y) else transform.to_page(Point(x, y))
