"""The annotation model: ink strokes, highlights and sticky notes (付箋) as immutable values.

Theory of operation
-------------------
One annotation op carries one :class:`AnnotationBody`: a *mark* (:class:`Ink`,
:class:`Highlight` or :class:`StickyNote`) plus, for notes moved onto a replaced document
(差し替え), the id of the note it was carried from. Every position is in unrotated PDF page
points (:mod:`furano_meet.pagespace`), so zoom and rotation never change what a mark means.

Values are checked when a mark is *made*, so an invalid one never exists: finite numbers, points
inside a generous page bound, bounded point counts and text lengths, colours as ``#rrggbb``,
pressure 0..1, width > 0. The same constructors run when :mod:`.codec` decodes a peer's bytes,
so what goes out and what comes in obey the same rules.

Made values snap to the wire's grid — positions and widths to 1/100 pt (3.5 µm), pressure to
1/1000 — so a mark equals its own decoded copy exactly (the wire carries integers, see
:mod:`.codec`). No pen or screen resolves finer than that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from furano_meet.errors import Fault
from furano_meet.pagespace import Point, Quad

from .errors import AnnotationInvalid

__all__ = [
    "MAX_INK_POINTS",
    "MAX_QUADS",
    "MAX_TEXT",
    "MAX_WIDTH",
    "PAGE_BOUND",
    "AnnotationBody",
    "Highlight",
    "Ink",
    "InkPoint",
    "Mark",
    "StickyNote",
]

PAGE_BOUND = 30_000.0
"""Every coordinate lies in [-PAGE_BOUND, PAGE_BOUND] points. PDF pages are at most 14,400 pt a
side (200 in); the bound leaves room for crop boxes that do not start at the origin and for a
stroke that runs a little off the page, and refuses nonsense."""
MAX_INK_POINTS = 10_000
"""Points in one stroke: ~50 s of pen movement at 200 Hz. The app starts a new stroke before."""
MAX_QUADS = 2_000
"""Quads in one highlight (one per line or word piece)."""
MAX_TEXT = 10_000
"""Characters in a note's text or a highlight's covered text."""
MAX_WIDTH = 200.0
"""Widest stroke, in points (a highlighter pen is ~12)."""
MAX_ID = 128

POSITION_GRID = 100
"""Positions and widths are stored in 1/POSITION_GRID points."""
PRESSURE_GRID = 1000
"""Pressure is stored in 1/PRESSURE_GRID."""

_COLOUR = re.compile(r"#[0-9a-f]{6}")
_ID = re.compile(r"[A-Za-z0-9._:-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InkPoint(NamedTuple):
    """One sample of the pen: a position in page points and the pressure it reported (0..1)."""

    x: float
    y: float
    pressure: float = 1.0


def _invalid(message: str, fault: Fault = Fault.OURS) -> AnnotationInvalid:
    return AnnotationInvalid(message, fault=fault)


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"{what} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise _invalid(f"{what} must be finite, got {value!r}")
    return float(value)


def snap_position(value: object, what: str) -> float:
    """``value`` checked (finite, within the page bound) and snapped to 1/100 pt."""
    number = _number(value, what)
    if abs(number) > PAGE_BOUND:
        raise _invalid(f"{what} {number!r} lies outside ±{PAGE_BOUND:,.0f} pt")
    return round(number * POSITION_GRID) / POSITION_GRID


def _snap_point(point: object, what: str) -> Point:
    if not isinstance(point, tuple) or len(point) != 2:
        raise _invalid(f"{what} must be a Point (x, y)")
    return Point(snap_position(point[0], f"{what}.x"), snap_position(point[1], f"{what}.y"))


def _snap_pressure(value: object, what: str) -> float:
    number = _number(value, what)
    if not 0.0 <= number <= 1.0:
        raise _invalid(f"{what} must lie in 0..1, got {number!r}")
    return round(number * PRESSURE_GRID) / PRESSURE_GRID


def check_colour(value: object) -> str:
    """A colour as ``#rrggbb``; upper-case hex digits are accepted and stored lower-case."""
    if not isinstance(value, str) or not _COLOUR.fullmatch(value.lower()):
        raise _invalid(f"colour must be #RRGGBB, got {value!r}")
    return value.lower()


def check_text(value: object, what: str) -> str:
    """Text a person wrote: at most :data:`MAX_TEXT` characters, no control characters but
    newline and tab, and encodable as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        raise _invalid(f"{what} must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise AnnotationInvalid(
            f"{what} is {len(value):,} characters long; at most {MAX_TEXT:,} fit.",
            fault=Fault.USER,
            next_step="Shorten the text.",
        )
    if _CONTROL.search(value):
        raise _invalid(f"{what} contains a control character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _invalid(f"{what} is not valid Unicode text") from exc
    return value


def _count(items: Iterable[object], what: str, limit: int) -> tuple[object, ...]:
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise _invalid(f"{what} must be a sequence")
    values = tuple(items)
    if not values:
        raise _invalid(f"{what} must not be empty")
    if len(values) > limit:
        raise _invalid(f"{what} has {len(values):,} items; at most {limit:,} are allowed")
    return values


@dataclass(frozen=True, slots=True)
class Ink:
    """A pen stroke: the samples in drawing order, its colour and its width at full pressure."""

    points: tuple[InkPoint, ...]
    colour: str = "#000000"
    width: float = 2.0

    def __post_init__(self) -> None:
        points = []
        for i, p in enumerate(_count(self.points, "ink points", MAX_INK_POINTS)):
            if not isinstance(p, tuple) or len(p) not in (2, 3):
                raise _invalid(f"ink point {i} must be (x, y) or (x, y, pressure)")
            pressure = _snap_pressure(p[2], f"ink point {i} pressure") if len(p) == 3 else 1.0
            points.append(
                InkPoint(
                    snap_position(p[0], f"ink point {i} x"),
                    snap_position(p[1], f"ink point {i} y"),
                    pressure,
                )
            )
        width = snap_position(self.width, "ink width")
        if not 0.0 < width <= MAX_WIDTH:
            raise _invalid(f"ink width must lie in (0, {MAX_WIDTH:g}] pt, got {self.width!r}")
        object.__setattr__(self, "points", tuple(points))
        object.__setattr__(self, "colour", check_colour(self.colour))
        object.__setattr__(self, "width", width)


@dataclass(frozen=True, slots=True)
class Highlight:
    """A marker over text: one quad per line piece, optionally the text it covers (for search
    and for the "needs review" list after a document is replaced)."""

    quads: tuple[Quad, ...]
    colour: str = "#ffeb3b"
    text: str | None = None

    def __post_init__(self) -> None:
        quads = []
        for i, q in enumerate(_count(self.quads, "highlight quads", MAX_QUADS)):
            if not isinstance(q, tuple) or len(q) != 4:
                raise _invalid(f"highlight quad {i} must be a Quad of four points")
            quads.append(Quad(*(_snap_point(c, f"highlight quad {i} corner") for c in q)))
        object.__setattr__(self, "quads", tuple(quads))
        object.__setattr__(self, "colour", check_colour(self.colour))
        if self.text is not None:
            object.__setattr__(self, "text", check_text(self.text, "highlighted text"))


@dataclass(frozen=True, slots=True)
class StickyNote:
    """A 付箋: its anchor (the icon's top-left corner) on the page, its text and colour."""

    at: Point
    text: str = ""
    colour: str = "#ffd54f"

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _snap_point(self.at, "note anchor"))
        object.__setattr__(self, "text", check_text(self.text, "note text"))
        object.__setattr__(self, "colour", check_colour(self.colour))


Mark = Ink | Highlight | StickyNote


@dataclass(frozen=True, slots=True)
class AnnotationBody:
    """What one annotation op carries, encrypted: the mark, and where it was carried from.

    ``carried_from`` is the id of the annotation on the previous version of a replaced document
    that this one continues (set by the sync engine's carry-over; ``None`` otherwise).
    """

    mark: Mark
    carried_from: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.mark, Ink | Highlight | StickyNote):
            raise _invalid(f"mark must be Ink, Highlight or StickyNote, got {self.mark!r}")
        if self.carried_from is not None and not (
            isinstance(self.carried_from, str)
            and len(self.carried_from) <= MAX_ID
            and _ID.fullmatch(self.carried_from)
        ):
            raise _invalid(f"carried_from must be an annotation id, got {self.carried_from!r}")
