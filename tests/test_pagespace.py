"""Page points ↔ view pixels: inverse of each other, and PyMuPDF's mapping exactly."""

from __future__ import annotations

import math

import pymupdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.pagespace import ROTATIONS, Point, Quad, Rect, ViewTransform

sizes = st.floats(1, 15_000)
scales = st.floats(0.01, 64)
coords = st.floats(-30_000, 30_000)


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(sizes, sizes, st.sampled_from(ROTATIONS), scales, coords, coords)
def test_to_page_inverts_to_view(
    w: float, h: float, rot: int, s: float, x: float, y: float
) -> None:
    t = ViewTransform(w, h, rot, s)
    back = t.to_page(t.to_view(Point(x, y)))
    assert math.isclose(back.x, x, abs_tol=1e-6 * (abs(x) + w + h))
    assert math.isclose(back.y, y, abs_tol=1e-6 * (abs(y) + w + h))


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(sizes, sizes, st.sampled_from(ROTATIONS), scales)
def test_the_page_maps_onto_the_view_exactly(w: float, h: float, rot: int, s: float) -> None:
    t = ViewTransform(w, h, rot, s)
    vw, vh = t.view_size
    box = t.rect_to_view(Rect(0, 0, w, h))
    assert math.isclose(box.x0, 0, abs_tol=1e-9 * vw) and math.isclose(box.y0, 0, abs_tol=1e-9 * vh)
    assert math.isclose(box.x1, vw) and math.isclose(box.y1, vh)
    assert t.rect_to_page(box) == pytest.approx(Rect(0, 0, w, h), abs=1e-9 * (w + h))


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_matches_pymupdf_rotation_matrix_then_zoom(rotation: int) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=500)
    page.set_rotation(rotation)
    t = ViewTransform(300, 500, rotation, 1.75)
    matrix = page.rotation_matrix * pymupdf.Matrix(1.75, 1.75)
    for x, y in [(0, 0), (300, 500), (12.5, 400), (299, 3)]:
        expected = pymupdf.Point(x, y) * matrix
        assert t.to_view(Point(x, y)) == pytest.approx(Point(expected.x, expected.y))
    assert t.view_size == pytest.approx((page.rect.width * 1.75, page.rect.height * 1.75))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rotation": 45}, "rotation"),
        ({"scale": 0}, "scale"),
        ({"scale": math.inf}, "scale"),
        ({"width": -1}, "width"),
        ({"height": math.nan}, "height"),
    ],
)
def test_bad_transforms_are_refused(kwargs: dict[str, float], match: str) -> None:
    args: dict[str, float] = {"width": 100, "height": 100, "rotation": 0, "scale": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        ViewTransform(args["width"], args["height"], int(args["rotation"]), args["scale"])


def test_quad_contains_and_distance() -> None:
    q = Quad.from_rect(Rect(0, 0, 10, 5))
    assert q.contains(Point(10, 5)) and q.contains(Point(3, 2))
    assert not q.contains(Point(10.1, 2))
    assert q.distance(Point(13, 9)) == 5.0
    assert q.rect == Rect(0, 0, 10, 5)
