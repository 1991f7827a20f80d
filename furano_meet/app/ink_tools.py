"""The annotation tools' state and rules, apart from any widget: which tool, which colour, palm
rejection, which words (or Japanese characters) a highlighter drag crosses, whose marks a
reader sees.

Kept free of widgets so the rules can be read (and tested) on their own; the
:class:`~.annotator.Annotator` feeds them Qt's events and the toolbar shows :class:`ToolState`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from furano_meet.annotations import Highlight, Quad
from furano_meet.pagespace import Point, Rect
from furano_meet.render.types import Word
from furano_meet.store.records import Visibility
from furano_meet.sync.queries import AnnotationView


class Tool(Enum):
    PEN = "pen"
    HIGHLIGHTER = "highlighter"
    NOTE = "note"
    ERASER = "eraser"


SWATCHES = ("#202124", "#d0021b", "#1a56db", "#ffeb3b")
"""黒, 赤, 青, 黄: few and far apart, so they are told apart at a glance (and by name)."""
WIDTHS = (1.0, 2.0, 4.0)
"""細, 中, 太 in page points at full pressure."""
HIGHLIGHT_BAND = 12.0
"""How wide the highlighter's preview band is while dragging, in page points."""
ERASER_REACH_PX = 14.0
"""How near (screen pixels, about a fingertip's half width) the eraser must pass a mark."""
PALM_GRACE = 0.8
"""Seconds after the stylus was last seen in which a touch is still taken for the palm."""


@dataclass
class ToolState:
    """What the toolbar has chosen; ``tool`` is ``None`` while the reader only reads."""

    tool: Tool | None = None
    colours: dict[Tool, str] = field(
        default_factory=lambda: {Tool.PEN: SWATCHES[0], Tool.HIGHLIGHTER: SWATCHES[3]}
    )
    width: float = WIDTHS[1]
    shared: bool = False
    """Private by default: a mark reaches the meeting only when the reader says so."""

    @property
    def colour(self) -> str:
        return self.colours.get(self.tool or Tool.PEN, SWATCHES[0])

    @property
    def visibility(self) -> Visibility:
        return Visibility.SHARED if self.shared else Visibility.PRIVATE


@dataclass
class PenGate:
    """Palm rejection: while the stylus is down or near, a touch is the hand resting on the
    screen, not an intent (xournalpp's rule). "Near" is the stylus seen within
    :data:`PALM_GRACE` seconds (hover moves keep it fresh; not every tablet reports
    proximity to the window)."""

    grace: float = PALM_GRACE
    down: bool = False
    last_seen: float = -math.inf

    def saw_pen(self, now: float, *, down: bool) -> None:
        self.down, self.last_seen = down, now

    def pen_left(self) -> None:
        self.down, self.last_seen = False, -math.inf

    def blocks_touch(self, now: float) -> bool:
        return self.down or now - self.last_seen < self.grace


def visible_notes(notes: Iterable[AnnotationView], user_id: str) -> tuple[AnnotationView, ...]:
    """What a reader sees: every shared mark, and private marks only of their own."""
    return tuple(n for n in notes if n.visibility is Visibility.SHARED or n.author == user_id)


def crossed_words(words: Sequence[Word], path: Sequence[Point], step: float = 1.0) -> list[Word]:
    """The words a drag along ``path`` (page points) passes over, in reading order.

    The path is walked in steps of ``step`` points, so a quick drag whose samples lie far
    apart still selects every word between them.
    """
    samples: list[Point] = list(path[:1])
    for a, b in zip(path, path[1:], strict=False):
        n = max(1, math.ceil(math.hypot(b.x - a.x, b.y - a.y) / step))
        samples += [
            Point(a.x + (b.x - a.x) * i / n, a.y + (b.y - a.y) * i / n) for i in range(1, n + 1)
        ]
    return [w for w in words if any(w.rect.contains(p) for p in samples)]


def highlight_of(words: Sequence[Word], colour: str) -> Highlight | None:
    """A highlight over ``words`` with the text they hold; ``None`` when the drag crossed no
    text. Characters of Japanese text (``Word.joined``) are written without spaces, and those
    side by side share one quad (a justified line's small gaps included, a vertical column's
    per-character lines too); words of a line are spaced, lines on lines of their own."""
    if not words:
        return None
    text, rects, previous = "", [], None
    for word in words:
        if previous is not None and not word.joined:
            same_line = (word.block, word.line) == (previous.block, previous.line)
            text += " " if same_line else "\n"
        if previous is not None and word.joined and _side_by_side(previous.rect, word.rect):
            rects[-1] = rects[-1].union(word.rect)
        else:
            rects.append(word.rect)
        text, previous = text + word.text, word
    return Highlight(tuple(Quad.from_rect(r) for r in rects), colour, text)


def _side_by_side(a: Rect, b: Rect) -> bool:
    """Whether two characters' boxes touch, or nearly (within a third of a character): next
    to each other, not a character or more apart."""
    slack = min(b.width, b.height) / 3
    return (
        a.x0 - slack <= b.x1
        and b.x0 <= a.x1 + slack
        and a.y0 - slack <= b.y1
        and b.y0 <= a.y1 + slack
    )
