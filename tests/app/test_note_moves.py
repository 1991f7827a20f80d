"""A 付箋 is touched where its icon is drawn (note_icon.touches) and stays whole on the page
(note_icon.keep_on_page): pushed past any edge, at any zoom, on a page shown rotated, its
icon — drawn from the anchor right and down on screen — ends against that edge and no
further."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from furano_meet.annotations import AnnotationBody, Ink, InkPoint, StickyNote
from furano_meet.app.note_icon import keep_on_page, note_side, touches
from furano_meet.app.note_moves import NoteMoves
from furano_meet.pagespace import ROTATIONS, Point, ViewTransform
from furano_meet.store.records import Visibility
from furano_meet.sync.queries import AnnotationView

A4 = (595.0, 842.0)
FAR = 5000.0
EDGES = {  # where the finger goes, in view pixels from the page's centre
    "left": (-FAR, 0.0),
    "right": (FAR, 0.0),
    "top": (0.0, -FAR),
    "bottom": (0.0, FAR),
    "bottom-right": (FAR, FAR),
    "top-left": (-FAR, -FAR),
}


def _icon_on_screen(at: Point, transform: ViewTransform) -> tuple[float, float, float, float]:
    view, side = transform.to_view(at), note_side(transform.scale)
    return view.x, view.y, view.x + side, view.y + side


@pytest.mark.parametrize("rotation", ROTATIONS)
@pytest.mark.parametrize("scale", [0.6, 1.0, 2.0])
@pytest.mark.parametrize("edge", list(EDGES))
def test_a_note_pushed_past_an_edge_stops_whole_against_it(
    rotation: int, scale: float, edge: str
) -> None:
    transform = ViewTransform(*A4, rotation, scale)
    width, height = transform.view_size
    dx, dy = EDGES[edge]
    beyond = transform.to_page(Point(width / 2 + dx, height / 2 + dy))
    kept = keep_on_page(beyond, transform)
    x0, y0, x1, y1 = _icon_on_screen(kept, transform)
    tiny = 1e-6
    assert -tiny <= x0 and x1 <= width + tiny and -tiny <= y0 and y1 <= height + tiny
    assert ("left" not in edge) or abs(x0) < tiny
    assert ("right" not in edge) or abs(x1 - width) < tiny
    assert ("top" not in edge) or abs(y0) < tiny
    assert ("bottom" not in edge) or abs(y1 - height) < tiny
    if dx == 0:  # pushed straight down or up: it stays in its column
        assert abs(x0 - width / 2) < tiny


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_a_note_on_the_page_is_left_where_it_is(rotation: int) -> None:
    transform = ViewTransform(*A4, rotation, 2.0)
    inside = Point(200.0, 300.0)
    assert keep_on_page(inside, transform) is inside


def test_a_dragged_note_stops_at_the_edge() -> None:
    transform = ViewTransform(*A4, 0, 2.0)
    when = datetime(2026, 12, 4, tzinfo=UTC)
    note = AnnotationView(
        "a-1", "m", "doc", 1, 0, Visibility.PRIVATE, "giin1",
        AnnotationBody(StickyNote(Point(500.0, 400.0), "端へ")), when, when,
    )  # fmt: skip
    moves = NoteMoves(keep=lambda at: keep_on_page(at, transform))
    moves.press(note, Point(510.0, 410.0))
    assert moves.to(Point(900.0, 420.0))  # the finger far past the right edge
    shown = moves.where(note)
    assert shown is not None and shown.at == Point(A4[0] - note_side(2.0) / 2.0, 410.0)
    released = moves.release(2.0)
    assert released is not None and released[1] == shown


@pytest.mark.parametrize("rotation", ROTATIONS)
@pytest.mark.parametrize("scale", [0.6, 1.0, 3.0])
def test_a_note_is_touched_where_its_icon_is_drawn(rotation: int, scale: float) -> None:
    """Every pixel of the icon as drawn (right and down of the anchor on screen, at least
    NOTE_MIN_PX wide) touches the note; a pixel a little beyond any side does not."""
    transform = ViewTransform(*A4, rotation, scale)
    mark = StickyNote(Point(300.0, 400.0), "回転")
    x0, y0, x1, y1 = _icon_on_screen(mark.at, transform)
    inside = [(x0 + 1, y0 + 1), (x1 - 1, y0 + 1), (x0 + 1, y1 - 1), (x1 - 1, y1 - 1)]
    outside = [(x0 - 3, y0 + 5), (x1 + 3, y0 + 5), (x0 + 5, y0 - 3), (x0 + 5, y1 + 3)]
    for x, y in inside:
        assert touches(mark, transform.to_page(Point(x, y)), transform, 0.0), (x, y)
    for x, y in outside:
        assert not touches(mark, transform.to_page(Point(x, y)), transform, 0.0), (x, y)
    reach = 4.0 / scale  # a reach in page points widens the box by as much on screen
    assert touches(mark, transform.to_page(Point(x0 - 3, y0 + 5)), transform, reach)


def test_marks_other_than_notes_are_touched_by_their_page_geometry() -> None:
    stroke = Ink((InkPoint(10.0, 10.0, 1.0), InkPoint(50.0, 10.0, 1.0)), "#202124", 2.0)
    transform = ViewTransform(*A4, 90, 2.0)
    assert touches(stroke, Point(30.0, 10.5), transform, 0.0)
    assert not touches(stroke, Point(30.0, 20.0), transform, 0.0)
