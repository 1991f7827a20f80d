"""How a mark looks on screen: ink whose width follows pressure, highlights, 付箋 icons.

One place paints marks, for the committed ones and for the stroke still under the pen, so a
stroke does not change its look when it is stored. Everything arrives in page points and is
mapped by the caller's ``to_view`` (the canvas's :class:`~furano_meet.pagespace.ViewTransform`
plus its centring), so marks stay on their words at any zoom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

from furano_meet.annotations import Highlight, InkPoint, StickyNote
from furano_meet.pagespace import Point, Rect

from .note_icon import note_side

ToView = Callable[[Point], QPointF]

MIN_SHARE = 0.2
"""The thinnest a stroke gets at the lightest touch, as a share of its full width."""


def pressure_width(width: float, pressure: float) -> float:
    """The stroke's width at ``pressure`` (0..1): light touches write thin, firm ones full."""
    return width * (MIN_SHARE + (1.0 - MIN_SHARE) * pressure)


def paint_ink(
    painter: QPainter,
    to_view: ToView,
    points: Sequence[InkPoint],
    colour: str,
    width: float,
    scale: float,
) -> None:
    """A stroke as round-capped segments, each as wide as the pressure at its ends."""
    if not points:
        return
    pen = QPen(QColor(colour))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    views = [to_view(Point(p.x, p.y)) for p in points]  # each point mapped once
    previous, before = points[0], views[0]
    for point, view in zip(points[1:] or points[:1], views[1:] or views[:1], strict=True):
        pressure = (previous.pressure + point.pressure) / 2
        pen.setWidthF(max(1.0, pressure_width(width, pressure) * scale))
        painter.setPen(pen)
        painter.drawLine(before, view)
        previous, before = point, view


def paint_ink_near(
    painter: QPainter,
    to_view: ToView,
    points: Sequence[InkPoint],
    area: Rect,
    colour: str,
    width: float,
    scale: float,
) -> None:
    """:func:`paint_ink`, but only the segments that reach into ``area`` (page points): the
    stroke under the pen is painted at every sample, and a paint redraws only the few pixels
    around the new segment — drawing the whole (smoothed, so long) stroke there each time cost
    more than the rest of the paint (issue #9, fifth session). What is drawn inside ``area``
    is exactly what :func:`paint_ink` draws there."""
    reach = width + 2 / scale  # the widest pen, its antialiased edge and round cap
    x0, y0, x1, y1 = area.x0 - reach, area.y0 - reach, area.x1 + reach, area.y1 + reach
    start: int | None = None
    for i in range(len(points) - 1):
        a, b = points[i], points[i + 1]
        near = (
            min(a.x, b.x) <= x1
            and max(a.x, b.x) >= x0
            and min(a.y, b.y) <= y1
            and max(a.y, b.y) >= y0
        )
        if near and start is None:
            start = i
        elif not near and start is not None:
            paint_ink(painter, to_view, points[start : i + 1], colour, width, scale)
            start = None
    if start is not None:
        paint_ink(painter, to_view, points[start:], colour, width, scale)
    elif len(points) == 1:
        paint_ink(painter, to_view, points, colour, width, scale)


def paint_highlight(painter: QPainter, to_view: ToView, mark: Highlight) -> None:
    """Translucent quads that multiply over the text, so the words stay readable."""
    colour = QColor(mark.colour)
    colour.setAlpha(110)
    painter.save()
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    for quad in mark.quads:
        painter.drawPolygon(QPolygonF([to_view(c) for c in (quad.ul, quad.ur, quad.lr, quad.ll)]))
    painter.restore()


def paint_note(painter: QPainter, to_view: ToView, mark: StickyNote, scale: float) -> None:
    """The 付箋 icon: a square of the note's colour with a folded corner and text lines,
    :func:`~.note_icon.note_side` pixels from its anchor right and down on screen (where a tap
    finds it: :func:`~.note_icon.touches`)."""
    corner = to_view(mark.at)
    side = note_side(scale)
    box = QRectF(corner, corner + QPointF(side, side))
    painter.save()
    painter.setPen(QPen(QColor("#5f4b00"), 2))
    painter.setBrush(QColor(mark.colour))
    painter.drawRect(box)
    for share in (0.35, 0.55, 0.75):
        y = box.top() + side * share
        painter.drawLine(QPointF(box.left() + side * 0.2, y), QPointF(box.right() - side * 0.2, y))
    painter.restore()


NOTE_MARKER = QColor("#e37400")
"""The marker's orange: the search hit's edge colour, apart from every swatch."""


def paint_note_marker(painter: QPainter, to_view: ToView, at: Point, scale: float) -> None:
    """Where the 付箋 being written goes: a thick dashed orange frame, larger than the icon,
    around its place, and a dot at its corner (the point the note is pinned to)."""
    corner = to_view(at)
    side = note_side(scale)
    box = QRectF(corner, corner + QPointF(side, side)).adjusted(-12, -12, 12, 12)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    fill = QColor(NOTE_MARKER)
    fill.setAlpha(60)
    painter.setPen(QPen(NOTE_MARKER, 5, Qt.PenStyle.DashLine))
    painter.setBrush(fill)
    painter.drawRoundedRect(box, 6, 6)
    painter.setPen(QPen(QColor("#ffffff"), 2))
    painter.setBrush(NOTE_MARKER)
    painter.drawEllipse(corner, 7, 7)
    painter.restore()
