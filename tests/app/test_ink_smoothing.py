"""Stroke smoothing at capture (ink_smoothing.py) on synthetic jagged input: a slow line on
the pixel grid (a staircase) and a curve from a digitiser that samples slowly (a polygon)."""

from __future__ import annotations

import math
import random

from furano_meet.annotations import Ink, InkPoint, decode, encode
from furano_meet.annotations.model import AnnotationBody
from furano_meet.app.ink_smoothing import MAX_PIECES, MAX_SHIFT, LiveStroke, smooth

PIXEL = 0.75
"""A screen pixel in page points at a fit-page scale of 1.33."""


def _turns(points: tuple[InkPoint, ...] | list[InkPoint]) -> list[float]:
    """The turn (degrees) at each inner point of the polyline, coincident points skipped."""
    turns = []
    for a, b, c in zip(points, points[1:], points[2:], strict=False):
        u, v = (b.x - a.x, b.y - a.y), (c.x - b.x, c.y - b.y)
        if math.hypot(*u) < 1e-9 or math.hypot(*v) < 1e-9:
            continue
        cross, dot = u[0] * v[1] - u[1] * v[0], u[0] * v[0] + u[1] * v[1]
        turns.append(abs(math.degrees(math.atan2(cross, dot))))
    return turns


def _length(points: tuple[InkPoint, ...] | list[InkPoint]) -> float:
    return sum(math.hypot(b.x - a.x, b.y - a.y) for a, b in zip(points, points[1:], strict=False))


def _staircase() -> list[InkPoint]:
    """A slow slanted line, 40 pt long, reported on the pixel grid, pressure rising."""
    points: list[InkPoint] = []
    for k in range(120):
        x, y = 100 + k * 0.3, 200 + k * 0.12
        snapped = InkPoint(round(x / PIXEL) * PIXEL, round(y / PIXEL) * PIXEL, 0.2 + k / 200)
        if not points or snapped[:2] != points[-1][:2]:
            points.append(snapped)
    return points


def _polygon(samples: int = 10, radius: float = 15.0) -> list[InkPoint]:
    """Most of a circle drawn at a slow digitiser's rate: a sample every 36°."""
    return [
        InkPoint(
            300 + radius * math.cos(2 * math.pi * k / samples),
            300 + radius * math.sin(2 * math.pi * k / samples),
            0.3 + 0.05 * k,
        )
        for k in range(samples)
    ]


def _pressures_kept(raw: list[InkPoint], smoothed: tuple[InkPoint, ...]) -> None:
    """Each sample's pressure is there, in order; points between two samples lie between
    theirs."""
    pressures = [p.pressure for p in smoothed]
    at = 0
    for sample in raw:
        at = pressures.index(sample.pressure, at)
    low, high = min(p.pressure for p in raw), max(p.pressure for p in raw)
    assert all(low <= p <= high for p in pressures)


def test_a_staircase_becomes_a_line() -> None:
    raw = _staircase()
    out = smooth(raw)
    assert sum(t > 20 for t in _turns(raw)) > 30  # the input is jagged...
    assert sum(t > 20 for t in _turns(out)) < sum(t > 20 for t in _turns(raw)) / 10  # ...no more
    assert (out[0], out[-1]) == (raw[0], raw[-1])  # the pen's own ends, exactly
    straight = math.hypot(raw[-1].x - raw[0].x, raw[-1].y - raw[0].y)
    assert straight <= _length(out) <= 1.05 * straight < _length(raw)
    _pressures_kept(raw, out)


def test_a_slow_digitisers_polygon_becomes_a_curve() -> None:
    raw = _polygon()
    out = smooth(raw)
    assert min(_turns(raw)) > 35
    assert max(_turns(out)) < 12
    assert (out[0], out[-1]) == (raw[0], raw[-1])
    arc = 2 * math.pi * 15.0 * 9 / 10  # the circle's arc the samples lie on
    assert _length(raw) < _length(out) <= 1.02 * arc
    assert all(abs(math.hypot(p.x - 300, p.y - 300) - 15.0) < 0.6 for p in out)  # on the circle
    _pressures_kept(raw, out)


def test_samples_move_little_and_short_strokes_stay() -> None:
    raw = _polygon()
    out = smooth(raw)
    for sample in raw:  # each sample's smoothed self (same pressure) is within MAX_SHIFT
        mine = [p for p in out if p.pressure == sample.pressure]
        assert min(math.hypot(p.x - sample.x, p.y - sample.y) for p in mine) <= MAX_SHIFT
    dot = [InkPoint(10, 10, 0.5)]
    assert smooth(dot) == tuple(dot)
    short = [InkPoint(10, 10, 0.5), InkPoint(11, 10.5, 0.6)]
    assert smooth(short) == tuple(short)
    straight = [InkPoint(10 + 12 * k, 10, 0.5) for k in range(6)]  # fast, but a line
    assert smooth(straight) == tuple(straight)  # no points where nothing turns


def test_the_live_stroke_is_at_every_sample_the_stroke_stored() -> None:
    """Smoothed as it grows, the stroke under the pen is always :func:`smooth` of its samples,
    so on pen-up it does not jump; each sample recomputes a short tail only."""
    rng = random.Random(9)
    for _ in range(50):
        samples = [
            InkPoint(rng.uniform(0, 60), rng.uniform(0, 60), rng.random())
            for _ in range(rng.randint(2, 60))
        ]
        live = LiveStroke(samples[0])
        for sample in samples[1:]:
            before = len(live.points)
            moved = live.add(sample)
            assert live.points == list(smooth(live.samples))
            assert len(moved) <= 2 * 6 * 8  # old and new tail: a few segments, not the stroke
            # the annotator stores a very long stroke this many points before the limit
            assert len(live.points) - before <= 8 * MAX_PIECES


def test_a_smoothed_stroke_is_an_ordinary_ink_op() -> None:
    """The stored format is unchanged: more points, each an (x, y, pressure) sample."""
    ink = Ink(smooth(_polygon()), "#202124", 2.0)
    again = decode(encode(AnnotationBody(ink))).mark
    assert isinstance(again, Ink) and len(again.points) == len(ink.points)
