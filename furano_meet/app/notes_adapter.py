"""The app speaks :class:`AnnotationBody`; main's engine still takes and stores content dicts.

This module is the whole bridge, to be deleted once ``SyncEngine.add_annotation`` takes an
``AnnotationBody`` and stores :func:`~furano_meet.annotations.encode`'s canonical bytes:
:func:`engine_content` writes the legacy dict that
:func:`~furano_meet.annotations.body_from_legacy` maps back to the same body, and
:func:`read_body` reads either form.
"""

from __future__ import annotations

import json
from typing import Any

from furano_meet.annotations import (
    AnnotationBody,
    AnnotationError,
    Highlight,
    Ink,
    StickyNote,
    body_from_legacy,
    decode,
)


def engine_content(body: AnnotationBody) -> dict[str, Any]:
    """The legacy content dict of ``body`` (ink and notes: what this increment draws)."""
    mark = body.mark
    content: dict[str, Any]
    match mark:
        case Ink():
            content = {
                "kind": "ink",
                "points": [[p.x, p.y, p.pressure] for p in mark.points],
                "colour": mark.colour,
                "width": mark.width,
            }
        case StickyNote():
            content = {"kind": "note", "text": mark.text, "at": [mark.at.x, mark.at.y]}
            content["colour"] = mark.colour
        case Highlight():
            raise NotImplementedError("highlights come with the highlighter (issue #9)")
    if body.carried_from is not None:
        content["carried_from"] = body.carried_from
    return content


def read_body(payload: bytes) -> AnnotationBody | None:
    """The body of a stored annotation in either form; ``None`` if it is neither."""
    try:
        return decode(payload)
    except AnnotationError:
        pass
    try:
        content = json.loads(payload)
        return body_from_legacy(content) if isinstance(content, dict) else None
    except (ValueError, AnnotationError):
        return None
