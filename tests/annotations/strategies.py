"""Hypothesis strategies for valid annotation bodies (shared by the model and codec tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from furano_meet.annotations import (
    MAX_TEXT,
    PAGE_BOUND,
    AnnotationBody,
    Highlight,
    Ink,
    InkPoint,
    Point,
    Quad,
    StickyNote,
)

coords = st.floats(-PAGE_BOUND, PAGE_BOUND, allow_nan=False, allow_infinity=False)
pressures = st.floats(0.0, 1.0)
colours = st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True)
# Any text a person could type: no control characters but newline and tab, no lone surrogates.
texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), max_size=60
)
points = st.builds(Point, coords, coords)
ink_points = st.builds(InkPoint, coords, coords, pressures)
quads = st.builds(Quad, points, points, points, points)
ids = st.from_regex(r"[A-Za-z0-9._:-]{1,40}", fullmatch=True)

inks = st.builds(
    Ink, st.lists(ink_points, min_size=1, max_size=30).map(tuple), colours, st.floats(0.01, 200.0)
)
highlights = st.builds(
    Highlight, st.lists(quads, min_size=1, max_size=5).map(tuple), colours, st.none() | texts
)
notes = st.builds(StickyNote, points, texts, colours)
marks = st.one_of(inks, highlights, notes)
bodies = st.builds(AnnotationBody, marks, st.none() | ids)

__all__ = ["MAX_TEXT", "bodies", "colours", "coords", "marks", "points", "quads", "texts"]
