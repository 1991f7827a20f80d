"""The model refuses every invalid value when a mark is made, and snaps to the wire's grid."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.annotations import (
    MAX_INK_POINTS,
    MAX_QUADS,
    MAX_TEXT,
    MAX_WIDTH,
    PAGE_BOUND,
    AnnotationBody,
    AnnotationInvalid,
    Highlight,
    Ink,
    InkPoint,
    Point,
    Quad,
    StickyNote,
)
from furano_meet.errors import Fault, FuranoError

from .strategies import marks

SQUARE = Quad(Point(0, 0), Point(10, 0), Point(0, 10), Point(10, 10))


def test_values_snap_to_a_hundredth_of_a_point_and_a_thousandth_of_pressure() -> None:
    ink = Ink((InkPoint(1.234567, 2.345678, 0.33333),), "#A0B1C2", 1.006)
    assert ink.points == (InkPoint(1.23, 2.35, 0.333),)
    assert ink.colour == "#a0b1c2"
    assert ink.width == 1.01
    assert Ink((InkPoint(5, 6),)).points == (InkPoint(5.0, 6.0, 1.0),)  # no pressure: full pressure


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(marks)
def test_making_a_mark_again_from_its_own_values_changes_nothing(mark: Any) -> None:
    fields = {f.name: getattr(mark, f.name) for f in dataclasses.fields(mark)}
    assert type(mark)(**fields) == mark


def test_marks_are_immutable() -> None:
    note = StickyNote(Point(1, 2), "要確認")
    with pytest.raises(dataclasses.FrozenInstanceError):
        note.text = "x"  # type: ignore[misc]


BAD_NUMBERS = [math.nan, math.inf, -math.inf, PAGE_BOUND + 1, -PAGE_BOUND - 1, "1", None, True]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_bad_coordinates_are_refused_everywhere(bad: Any) -> None:
    with pytest.raises(AnnotationInvalid):
        Ink((InkPoint(0, 0), InkPoint(bad, 1)))
    with pytest.raises(AnnotationInvalid):
        Highlight((Quad(Point(0, 0), Point(bad, 0), Point(0, 1), Point(1, 1)),))
    with pytest.raises(AnnotationInvalid):
        StickyNote(Point(0, bad))


@pytest.mark.parametrize("pressure", [-0.001, 1.001, math.nan, 2])
def test_pressure_must_lie_in_0_to_1(pressure: float) -> None:
    with pytest.raises(AnnotationInvalid, match="pressure"):
        Ink((InkPoint(0, 0, pressure),))


@pytest.mark.parametrize("width", [0, -1, 0.004, MAX_WIDTH + 0.01, math.inf])
def test_width_must_be_positive_and_bounded(width: float) -> None:
    with pytest.raises(AnnotationInvalid, match="width"):
        Ink((InkPoint(0, 0),), width=width)


def test_the_edges_of_the_ranges_are_accepted() -> None:
    Ink((InkPoint(PAGE_BOUND, -PAGE_BOUND, 0.0), InkPoint(0, 0, 1.0)), width=MAX_WIDTH)
    Ink((InkPoint(0, 0),), width=0.01)


@pytest.mark.parametrize("colour", ["#fff", "ff0000", "#gg0000", "#ff00001", "", None, "red"])
def test_colours_must_be_rrggbb(colour: Any) -> None:
    for make in (
        lambda: Ink((InkPoint(0, 0),), colour),
        lambda: Highlight((SQUARE,), colour),
        lambda: StickyNote(Point(0, 0), "", colour),
    ):
        with pytest.raises(AnnotationInvalid, match="colour"):
            make()


def test_counts_are_bounded_and_empty_marks_refused() -> None:
    Ink(tuple(InkPoint(i % 100, 0) for i in range(MAX_INK_POINTS)))
    with pytest.raises(AnnotationInvalid, match="at most"):
        Ink(tuple(InkPoint(0, 0) for _ in range(MAX_INK_POINTS + 1)))
    with pytest.raises(AnnotationInvalid, match="at most"):
        Highlight((SQUARE,) * (MAX_QUADS + 1))
    with pytest.raises(AnnotationInvalid, match="empty"):
        Ink(())
    with pytest.raises(AnnotationInvalid, match="empty"):
        Highlight(())


def test_too_long_text_is_the_users_to_fix_bad_text_is_ours() -> None:
    StickyNote(Point(0, 0), "あ" * MAX_TEXT)
    with pytest.raises(AnnotationInvalid) as long:
        StickyNote(Point(0, 0), "あ" * (MAX_TEXT + 1))
    assert long.value.fault is Fault.USER and long.value.next_step
    for bad in ("a\x00b", "\x1b[31m", "\ud800"):
        with pytest.raises(AnnotationInvalid) as refused:
            StickyNote(Point(0, 0), bad)
        assert refused.value.fault is Fault.OURS
    assert StickyNote(Point(0, 0), "一行目\n\t二行目").text == "一行目\n\t二行目"


@pytest.mark.parametrize("shape", [((0, 0, 0.5, 9),), ((0,),), ("ab",), "ab", 5, ((0, 0), None)])
def test_malformed_point_lists_are_refused(shape: Any) -> None:
    with pytest.raises(AnnotationInvalid):
        Ink(shape)


def test_any_sequence_of_points_is_taken_as_a_tuple() -> None:
    points: Any = [(0, 0), [1, 2, 0.5]]
    with pytest.raises(AnnotationInvalid):
        Ink(points)  # a list is not a point
    assert Ink([(0, 0), (1, 2, 0.5)]).points == (InkPoint(0, 0, 1), InkPoint(1, 2, 0.5))  # type: ignore[arg-type]


@pytest.mark.parametrize("carried", ["", "a b", "x" * 129, "a/../b", 7])
def test_carried_from_must_be_an_annotation_id(carried: Any) -> None:
    with pytest.raises(AnnotationInvalid, match="carried_from"):
        AnnotationBody(StickyNote(Point(0, 0)), carried)
    assert AnnotationBody(StickyNote(Point(0, 0)), "a-0123abcd").carried_from == "a-0123abcd"


def test_a_body_needs_a_mark() -> None:
    with pytest.raises(AnnotationInvalid, match="mark"):
        AnnotationBody({"kind": "note"})  # type: ignore[arg-type]


def test_annotation_errors_join_the_one_tree() -> None:
    with pytest.raises(FuranoError) as caught:
        StickyNote(Point(math.nan, 0))
    assert caught.value.code == "annotation_invalid"


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(st.floats(0.0001, 0.0049))
def test_a_width_that_snaps_to_zero_is_refused(width: float) -> None:
    with pytest.raises(AnnotationInvalid, match="width"):
        Ink((InkPoint(0, 0),), width=width)


anything = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
maybe_points = st.lists(st.tuples(anything, anything) | st.tuples(anything, anything, anything))


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(maybe_points, anything, anything)
def test_any_ink_input_is_made_valid_or_refused(points: Any, colour: Any, width: Any) -> None:
    try:
        ink = Ink(points, colour, width)
    except AnnotationInvalid:
        return
    assert ink.points and all(0 <= p.pressure <= 1 for p in ink.points)
    assert all(abs(v) <= PAGE_BOUND for p in ink.points for v in (p.x, p.y))
    assert 0 < ink.width <= MAX_WIDTH and ink.colour.startswith("#")


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(st.tuples(anything, anything), anything, anything)
def test_any_note_input_is_made_valid_or_refused(at: Any, text: Any, colour: Any) -> None:
    try:
        note = StickyNote(at, text, colour)
    except AnnotationInvalid:
        return
    assert isinstance(note.text, str) and all(math.isfinite(v) for v in note.at)
