"""The annotation payload: one :class:`~.model.AnnotationBody` as compact canonical JSON.

Theory of operation
-------------------
This is the plaintext inside an encrypted annotation op (:mod:`furano_meet.crypto.annotations`
encrypts it). The form is canonical JSON (:func:`furano_meet.crypto.canonical_json.dumps`:
sorted keys, no spaces, UTF-8) holding only strings and integers — positions and widths in
1/100 pt, pressure in 1/1000 — so the same body always gives the same bytes and no float text
form is ever parsed::

    {"v":"1.0","kind":"ink","colour":"#1a2b3c","width":200,"points":[[x,y,p],…]}
    {"v":"1.0","kind":"highlight","colour":"#ffeb3b","quads":[[ulx,uly,urx,ury,llx,lly,lrx,lry],…],"text":"…"}
    {"v":"1.0","kind":"note","colour":"#ffd54f","at":[x,y],"text":"…"}

``text`` is optional for a highlight; ``carried_from`` (an annotation id) is optional for all.

Versioning (``v`` is ``"major.minor"``):

* a newer **major** is refused with :class:`~.errors.AnnotationTooNew` (the app keeps the op and
  shows a placeholder);
* a newer **minor** only ever *adds optional fields* an older reader may ignore without drawing
  the mark wrongly (an opacity, a pen type): they are **tolerated and dropped**. A kind this
  version does not know, under a newer minor, is also ``AnnotationTooNew``;
* at this version or older, every unknown field or kind is refused as invalid — nothing we wrote
  ever had one.

Decoding refuses, as :class:`~.errors.AnnotationInvalid` with fault ``THEIRS``: more than
:data:`MAX_PAYLOAD` bytes, invalid UTF-8 or JSON, ``NaN``/``Infinity``, floats, non-canonical
form (so one body has one encoding), missing or mistyped fields, and anything
:mod:`.model` refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from furano_meet.crypto.canonical_json import dumps
from furano_meet.errors import Fault
from furano_meet.pagespace import Point, Quad

from .errors import AnnotationInvalid, AnnotationTooNew
from .model import (
    POSITION_GRID,
    PRESSURE_GRID,
    AnnotationBody,
    Highlight,
    Ink,
    InkPoint,
    Mark,
    StickyNote,
)

__all__ = ["MAX_PAYLOAD", "VERSION", "body_from_legacy", "decode", "encode"]

VERSION = (1, 0)
"""The payload version this build writes and fully understands (major, minor)."""
MAX_PAYLOAD = 1024 * 1024
"""Largest payload decoded. The largest valid body (10,000 ink points) is ~250 KB."""

_VERSION_TEXT = f"{VERSION[0]}.{VERSION[1]}"
_VERSION_RE = re.compile(r"(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})")
_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # kind: (required fields, optional fields) besides "v", "kind" and "carried_from"
    "ink": (frozenset({"colour", "width", "points"}), frozenset()),
    "highlight": (frozenset({"colour", "quads"}), frozenset({"text"})),
    "note": (frozenset({"colour", "at", "text"}), frozenset()),
}
_COMMON = frozenset({"v", "kind", "carried_from"})


def _grid(value: float, grid: int) -> int:
    return round(value * grid)


def encode(body: AnnotationBody) -> bytes:
    """The canonical payload of ``body`` (already valid: it was checked when made)."""
    mark = body.mark
    obj: dict[str, Any] = {"v": _VERSION_TEXT, "colour": mark.colour}
    match mark:
        case Ink():
            obj["kind"] = "ink"
            obj["width"] = _grid(mark.width, POSITION_GRID)
            obj["points"] = [
                [
                    _grid(p.x, POSITION_GRID),
                    _grid(p.y, POSITION_GRID),
                    _grid(p.pressure, PRESSURE_GRID),
                ]
                for p in mark.points
            ]
        case Highlight():
            obj["kind"] = "highlight"
            obj["quads"] = [[_grid(v, POSITION_GRID) for c in q for v in c] for q in mark.quads]
            if mark.text is not None:
                obj["text"] = mark.text
        case StickyNote():
            obj["kind"] = "note"
            obj["at"] = [_grid(mark.at.x, POSITION_GRID), _grid(mark.at.y, POSITION_GRID)]
            obj["text"] = mark.text
    if body.carried_from is not None:
        obj["carried_from"] = body.carried_from
    return dumps(obj)


def _refuse(message: str) -> NoReturn:
    raise AnnotationInvalid(f"annotation payload refused: {message}", fault=Fault.THEIRS)


def _no_constants(name: str) -> NoReturn:
    _refuse(f"{name} is not a number")


def _load(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_PAYLOAD:
        _refuse(f"{len(data):,} bytes is more than {MAX_PAYLOAD:,}")
    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        _refuse(f"not UTF-8 JSON ({exc.__class__.__name__})")
    if not isinstance(obj, dict):
        _refuse("not a JSON object")
    try:
        canonical = dumps(obj) == data
    except ValueError:  # e.g. a float that cannot be re-encoded
        canonical = False
    if not canonical:
        _refuse("not in canonical form")
    return obj


def _ints(value: object, count: int, what: str) -> list[int]:
    if (
        not isinstance(value, list)
        or len(value) != count
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        _refuse(f"{what} must be a list of {count} integers")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        _refuse(f"{what} must be a list")
    return value


def _mark(kind: str, obj: dict[str, Any]) -> Mark:
    p, q = POSITION_GRID, PRESSURE_GRID
    match kind:
        case "ink":
            width = obj["width"]
            if not isinstance(width, int) or isinstance(width, bool):
                _refuse("ink width must be an integer")
            points = [_ints(v, 3, "an ink point") for v in _list(obj["points"], "points")]
            return Ink(
                tuple(InkPoint(x / p, y / p, z / q) for x, y, z in points), obj["colour"], width / p
            )
        case "highlight":
            quads = []
            for v in _list(obj["quads"], "quads"):
                n = _ints(v, 8, "a quad")
                quads.append(Quad(*(Point(n[i] / p, n[i + 1] / p) for i in range(0, 8, 2))))
            return Highlight(tuple(quads), obj["colour"], obj.get("text"))
        case _:
            x, y = _ints(obj["at"], 2, "a note anchor")
            return StickyNote(Point(x / p, y / p), obj["text"], obj["colour"])


def decode(data: bytes | bytearray | memoryview) -> AnnotationBody:
    """The body in a payload from any device; raises :class:`~.errors.AnnotationInvalid`
    (fault ``THEIRS``) or :class:`~.errors.AnnotationTooNew` — see the module docstring."""
    data = bytes(data)
    obj = _load(data)
    version = obj.get("v")
    match = _VERSION_RE.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        _refuse(f"version {version!r} is not major.minor")
    major, minor = int(match[1]), int(match[2])
    if major > VERSION[0]:
        raise AnnotationTooNew(match[0], _VERSION_TEXT, "annotation")
    if major < VERSION[0]:
        _refuse(f"version {version} is older than any this build reads")
    newer = minor > VERSION[1]
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in _FIELDS:
        if newer and isinstance(kind, str):
            raise AnnotationTooNew(match[0], _VERSION_TEXT, f"annotation of kind {kind[:40]!r}")
        _refuse(f"unknown kind {kind!r}")
    required, optional = _FIELDS[kind]
    missing = required - obj.keys()
    unknown = obj.keys() - required - optional - _COMMON
    if missing:
        _refuse(f"{kind} lacks {sorted(missing)}")
    if unknown and not newer:
        _refuse(f"{kind} has unknown fields {sorted(unknown)[:5]}")
    try:
        body = AnnotationBody(_mark(kind, obj), obj.get("carried_from"))
    except AnnotationInvalid as exc:
        raise AnnotationInvalid(
            f"annotation payload refused: {exc.message}", fault=Fault.THEIRS
        ) from exc
    except OverflowError:
        _refuse("a number is out of range")
    if not newer and encode(body) != data:
        _refuse("not in canonical form (e.g. an upper-case colour)")
    return body


def body_from_legacy(content: Mapping[str, Any]) -> AnnotationBody:
    """The typed body for a pre-model content dict, as the tests and the engine pass today.

    ``{"text": …}`` or ``{"kind": "note", "text": …}`` → a note at ``at`` (default the
    page's top-left corner); ``{"kind": "ink", "points": [[x, y(, p)], …]}`` → a black 2 pt
    stroke unless ``colour``/``width`` say otherwise; ``{"kind": "highlight", "rect": [x0, y0,
    x1, y1]}`` → a one-quad highlight. ``#rgb`` colours are widened to ``#rrggbb`` and
    ``carried_from`` is kept. A dict that fits none of these is our caller's bug
    (:class:`~.errors.AnnotationInvalid`, fault ``OURS``).
    """
    try:
        return _from_legacy(content)
    except (TypeError, ValueError) as exc:  # a point of the wrong arity, a bad number
        raise AnnotationInvalid(f"legacy content {content!r:.80} does not fit: {exc}") from exc


def _from_legacy(content: Mapping[str, Any]) -> AnnotationBody:
    kind = content.get("kind", "note")
    colour = content.get("colour")
    if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{3}", colour):
        colour = "#" + "".join(c * 2 for c in colour[1:])
    mark: Mark
    if kind == "note":
        at = content.get("at", (0, 0))
        if not isinstance(at, list | tuple) or len(at) != 2:
            raise AnnotationInvalid(f"legacy note anchor {at!r} is not [x, y]")
        mark = StickyNote(Point(*at), content.get("text", ""), colour or "#ffd54f")
    elif kind == "ink":
        points = content.get("points")
        if not isinstance(points, list | tuple):
            raise AnnotationInvalid("legacy ink needs a list of points")
        mark = Ink(
            tuple(InkPoint(*p) for p in points), colour or "#000000", content.get("width", 2.0)
        )
    elif kind == "highlight":
        rect = content.get("rect")
        if not isinstance(rect, list | tuple) or len(rect) != 4:
            raise AnnotationInvalid("legacy highlight needs rect [x0, y0, x1, y1]")
        x0, y0, x1, y1 = rect
        corners = (Point(x0, y0), Point(x1, y0), Point(x0, y1), Point(x1, y1))
        mark = Highlight((Quad(*corners),), colour or "#ffeb3b", content.get("text"))
    else:
        raise AnnotationInvalid(f"legacy content of unknown kind {kind!r}")
    return AnnotationBody(mark, content.get("carried_from"))
