"""The typed annotation model: ink, highlights and sticky notes in unrotated page points.

Make marks with :class:`Ink`, :class:`Highlight` and :class:`StickyNote` (checked when made),
wrap one in an :class:`AnnotationBody`, and :func:`encode` it for the encrypted op;
:func:`decode` a peer's payload back. :func:`bounding_box` and :func:`hit_test` answer where a
mark is; :class:`ViewTransform` maps page points to the rotated, zoomed view and back.
See ``docs/annotations.md``.
"""

from furano_meet.pagespace import Point, Quad, Rect, ViewTransform

from .codec import MAX_PAYLOAD, VERSION, body_from_legacy, decode, encode
from .errors import AnnotationError, AnnotationInvalid, AnnotationTooNew
from .geometry import NOTE_ICON_SIZE, bounding_box, hit_test
from .model import (
    MAX_INK_POINTS,
    MAX_QUADS,
    MAX_TEXT,
    MAX_WIDTH,
    PAGE_BOUND,
    AnnotationBody,
    Highlight,
    Ink,
    InkPoint,
    Mark,
    StickyNote,
)

__all__ = [
    "MAX_INK_POINTS",
    "MAX_PAYLOAD",
    "MAX_QUADS",
    "MAX_TEXT",
    "MAX_WIDTH",
    "NOTE_ICON_SIZE",
    "PAGE_BOUND",
    "VERSION",
    "AnnotationBody",
    "AnnotationError",
    "AnnotationInvalid",
    "AnnotationTooNew",
    "Highlight",
    "Ink",
    "InkPoint",
    "Mark",
    "Point",
    "Quad",
    "Rect",
    "StickyNote",
    "ViewTransform",
    "body_from_legacy",
    "bounding_box",
    "decode",
    "encode",
    "hit_test",
]
