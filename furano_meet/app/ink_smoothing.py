"""Pen strokes smoothed at capture, in page points, so ink looks drawn rather than plotted.

Why: a stroke is the pen's samples joined by straight segments. Written slowly, the samples sit
a pixel apart and follow the screen's pixel grid (a mouse, a finger and many pens report whole
pixels), so a slanted line is a staircase; from a digitiser that samples slowly, they sit far
apart and every curve is a polygon with visible corners. Both are fixed here, once, on the
samples in unrotated page points — so the stroke is the same at any zoom and on every screen,
and the stored op is an ordinary :class:`~furano_meet.annotations.Ink` (more points, same
format: older peers read new strokes).

Two light, local steps (xournalpp smooths its input much the same way):

1. **A short moving average** (weights 1-2-1, twice) moves each sample towards its
   neighbours, never by more than :data:`MAX_SHIFT` points, and only where samples are close
   (:data:`SPARSE`): the pixel staircase goes, while sparse samples (where a neighbour's pull
   would shrink a curve) stay where the pen was.
2. **Catmull–Rom curves through the samples** (centripetal, so nothing overshoots or loops)
   fill each segment longer than :data:`SEGMENT` where the path turns with points enough that
   no piece turns more than :data:`MAX_TURN` (a straight run gets none): a polygon's corners
   become the curve the pen drew through its samples.

Each sample keeps its own pressure; the points put between two samples take pressures between
theirs. The first and last points are the pen's own, exactly. Every output point depends only
on a few samples around it, so the stroke under the pen (:class:`LiveStroke`) is smoothed as it
grows — each new sample recomputes a short tail, not the stroke — and is on pen-up exactly the
stroke that is stored (:func:`smooth`): nothing jumps when the pen lifts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from furano_meet.annotations import InkPoint

__all__ = ["MAX_PIECES", "MAX_SHIFT", "MAX_TURN", "SEGMENT", "LiveStroke", "smooth"]

MAX_SHIFT = 0.5
"""The most (page points) the moving average moves a sample: half a pixel's staircase at
fit-page zoom, far less than any stroke a hand means."""
SPARSE = (1.0, 2.0)
"""Samples up to the first distance apart (page points) are averaged fully, from the second on
not at all (between, less and less)."""
SEGMENT = 1.5
"""Segments longer than this (page points) get curve points about this far apart."""
MAX_PIECES = 8
"""At most this many pieces per segment (a pen lifted and put down far away is no curve)."""
MAX_TURN = 6.0
"""Degrees a piece may turn: a straight run gets no points, a tight curve up to
:data:`MAX_PIECES`."""
PASSES = 2
_TAIL = 3
"""Samples of context left of a recomputed tail: two for the averages, one for the curve."""
_SETTLED = 4
"""A sample's output no longer changes once this many samples follow it."""


def smooth(points: Sequence[InkPoint]) -> tuple[InkPoint, ...]:
    """The stroke through ``points`` (the pen's samples, page points) as stored and shown."""
    return tuple(point for _, point in _smoothed(points))


class LiveStroke:
    """The stroke under the pen, smoothed as it grows (module docstring).

    :attr:`points` is always ``smooth(samples)``; :meth:`add` recomputes only the tail that a
    new sample can change and says which points to repaint.
    """

    def __init__(self, first: InkPoint) -> None:
        self.samples: list[InkPoint] = [first]
        self.points: list[InkPoint] = [first]
        self._settled = 0
        """Samples whose output is final: those before ``samples[_settled]``..."""
        self._settled_points = 0
        """...whose output is ``points[:_settled_points]``."""

    def add(self, sample: InkPoint) -> list[InkPoint]:
        """Append a sample; returns the points that moved or appeared (and those they
        replaced), for the caller to repaint around."""
        self.samples.append(sample)
        start = max(0, self._settled - _TAIL)
        tail = _smoothed(self.samples[start:])
        gone = self.points[self._settled_points :]
        fresh = [point for owner, point in tail if owner + start >= self._settled]
        del self.points[self._settled_points :]
        self.points.extend(fresh)
        settled = len(self.samples) - _SETTLED
        if settled > self._settled:
            self._settled_points += sum(
                1 for owner, _ in tail if self._settled <= owner + start < settled
            )
            self._settled = settled
        return gone + fresh


def _smoothed(samples: Sequence[InkPoint]) -> list[tuple[int, InkPoint]]:
    """The smoothed stroke, each point with the sample it belongs to (a sample, then the
    points between it and the next)."""
    averaged = _averaged(samples)
    out: list[tuple[int, InkPoint]] = []
    last = len(averaged) - 1
    for i, point in enumerate(averaged):
        out.append((i, point))
        if i < last:
            before = averaged[i - 1] if i > 0 else None
            after = averaged[i + 2] if i + 2 <= last else None
            out.extend((i, q) for q in _between(before, point, averaged[i + 1], after))
    return out


def _averaged(samples: Sequence[InkPoint]) -> list[InkPoint]:
    """Step 1: each inner sample towards its neighbours (1-2-1, :data:`PASSES` times), by at
    most :func:`_allowed`; ends and pressures as they were."""
    points = list(samples)
    for _ in range(PASSES if len(points) > 2 else 0):
        inner = [
            InkPoint((a.x + 2 * p.x + b.x) / 4, (a.y + 2 * p.y + b.y) / 4, p.pressure)
            for a, p, b in zip(points, points[1:], points[2:], strict=False)
        ]
        points = [points[0], *inner, points[-1]]
    return [
        _within(raw, moved, _allowed(samples, i))
        for i, (raw, moved) in enumerate(zip(samples, points, strict=True))
    ]


def _allowed(samples: Sequence[InkPoint], i: int) -> float:
    """How far sample ``i`` may move: :data:`MAX_SHIFT` among close samples (a pixel apart:
    the staircase), fading to nothing where they lie :data:`SPARSE` apart (there the average
    would only shrink the curve, and step 2 rounds the corners)."""
    here = samples[i]
    apart = max(
        (math.hypot(samples[j].x - here.x, samples[j].y - here.y) for j in (i - 1, i + 1)
         if 0 <= j < len(samples)),
        default=0.0,
    )  # fmt: skip
    dense, sparse = SPARSE
    return MAX_SHIFT * min(1.0, max(0.0, (sparse - apart) / (sparse - dense)))


def _within(raw: InkPoint, moved: InkPoint, allowed: float) -> InkPoint:
    dx, dy = moved.x - raw.x, moved.y - raw.y
    shift = math.hypot(dx, dy)
    if shift <= allowed:
        return moved
    share = allowed / shift
    return InkPoint(raw.x + dx * share, raw.y + dy * share, raw.pressure)


def _between(
    before: InkPoint | None, a: InkPoint, b: InkPoint, after: InkPoint | None
) -> list[InkPoint]:
    """Step 2: the centripetal Catmull–Rom points strictly between samples ``a`` and ``b``:
    none for a short segment or a straight run, else as many as keep each piece's turn under
    :data:`MAX_TURN`. A missing neighbour at an end is the segment extended."""
    length = math.hypot(b.x - a.x, b.y - a.y)
    if length <= SEGMENT:
        return []
    p0 = before or InkPoint(2 * a.x - b.x, 2 * a.y - b.y, a.pressure)
    p3 = after or InkPoint(2 * b.x - a.x, 2 * b.y - a.y, b.pressure)
    turn = (_turn(p0, a, b) + _turn(a, b, p3)) / 2  # about how far the curve turns here
    pieces = min(MAX_PIECES, math.ceil(length / SEGMENT), math.ceil(turn / MAX_TURN))
    if pieces < 2:
        return []
    t1 = _knot(p0, a)
    t2 = t1 + _knot(a, b)
    t3 = t2 + _knot(b, p3)
    found = []
    for k in range(1, pieces):
        share = k / pieces
        t = t1 + (t2 - t1) * share
        a1 = _lerp(p0, a, 0.0, t1, t)
        a2 = _lerp(a, b, t1, t2, t)
        a3 = _lerp(b, p3, t2, t3, t)
        b1 = _lerp(a1, a2, 0.0, t2, t)
        b2 = _lerp(a2, a3, t1, t3, t)
        x, y = _lerp(b1, b2, t1, t2, t)
        found.append(InkPoint(x, y, a.pressure + (b.pressure - a.pressure) * share))
    return found


def _turn(a: InkPoint, b: InkPoint, c: InkPoint) -> float:
    """How far (degrees) the path a → b → c turns at ``b``; 0 where two points coincide."""
    ux, uy, vx, vy = b.x - a.x, b.y - a.y, c.x - b.x, c.y - b.y
    if (ux == 0 and uy == 0) or (vx == 0 and vy == 0):
        return 0.0
    return abs(math.degrees(math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)))


def _knot(p: InkPoint, q: InkPoint) -> float:
    """Centripetal parametrisation: the square root of the distance (never 0)."""
    return max(1e-6, math.sqrt(math.hypot(q.x - p.x, q.y - p.y)))


def _lerp(
    p: tuple[float, ...], q: tuple[float, ...], t0: float, t1: float, t: float
) -> tuple[float, float]:
    share = (t - t0) / (t1 - t0)
    return p[0] + (q[0] - p[0]) * share, p[1] + (q[1] - p[1]) * share
