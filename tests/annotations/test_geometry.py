"""Bounding boxes and hit tests: what the eraser and a tap on a note rely on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.annotations import (
    NOTE_ICON_SIZE,
    AnnotationBody,
    Highlight,
    Ink,
    InkPoint,
    Mark,
    Point,
    Quad,
    Rect,
    StickyNote,
    bounding_box,
    hit_test,
)

from .strategies import marks

STROKE = Ink((InkPoint(100, 100, 1.0), InkPoint(200, 100, 0.5), InkPoint(200, 200, 0.2)), width=4)
SLANTED = Quad(Point(10, 10), Point(50, 0), Point(20, 40), Point(60, 30))


def test_ink_box_includes_half_the_width() -> None:
    assert bounding_box(STROKE) == Rect(98, 98, 202, 202)


def test_highlight_box_covers_every_quad() -> None:
    far = Quad.from_rect(Rect(300, 400, 310, 410))
    assert bounding_box(Highlight((SLANTED, far))) == Rect(10, 0, 310, 410)


def test_note_box_is_its_icon() -> None:
    assert bounding_box(StickyNote(Point(5, 6))) == Rect(
        5, 6, 5 + NOTE_ICON_SIZE, 6 + NOTE_ICON_SIZE
    )


@pytest.mark.parametrize(
    ("point", "tolerance", "hit"),
    [
        (Point(150, 100), 0, True),  # on the line
        (Point(150, 102), 0, True),  # within half the width
        (Point(150, 103), 0, False),
        (Point(150, 103), 1.5, True),  # a finger's tolerance
        (Point(150, 150), 10, False),  # inside the corner, far from both segments
        (Point(201.5, 150), 0, True),  # the second segment
        (Point(100, 200), 20, False),
    ],
)
def test_ink_hit_follows_the_segments(point: Point, tolerance: float, hit: bool) -> None:
    assert hit_test(STROKE, point, tolerance) is hit


def test_a_single_dot_is_hit_around_itself() -> None:
    dot = Ink((InkPoint(50, 50),), width=10)
    assert hit_test(dot, Point(54, 52))
    assert not hit_test(dot, Point(56, 54))


def test_highlight_hit_inside_a_slanted_quad_only() -> None:
    mark = Highlight((SLANTED,))
    assert hit_test(mark, Point(35, 20))
    assert not hit_test(mark, Point(12, 2))  # inside the bounding box, outside the quad
    assert not hit_test(mark, Point(12, 2), tolerance=7.2)  # 7.28 pt from the top edge
    assert hit_test(mark, Point(12, 2), tolerance=7.3)


def test_note_hit_on_its_icon() -> None:
    note = StickyNote(Point(100, 100))
    assert hit_test(note, Point(110, 119))
    assert not hit_test(note, Point(99, 110))
    assert hit_test(note, Point(99, 110), tolerance=2)


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(marks)
def test_every_mark_hits_its_own_first_point_and_misses_far_away(mark: Mark) -> None:
    match mark:
        case Ink():
            first = Point(mark.points[0].x, mark.points[0].y)
        case Highlight():
            first = mark.quads[0].ul
        case StickyNote():
            first = mark.at
    assert hit_test(mark, first)
    box = bounding_box(mark)
    assert box.contains(first)
    assert not hit_test(mark, Point(box.x1 + 1, box.y1 + 1))
    assert AnnotationBody(mark).mark is mark


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(marks, st.floats(-40_000, 40_000), st.floats(-40_000, 40_000), st.floats(0, 50))
def test_a_hit_is_always_inside_the_grown_box(mark: Mark, x: float, y: float, tol: float) -> None:
    if hit_test(mark, Point(x, y), tol):
        assert bounding_box(mark).contains(Point(x, y), tol)
