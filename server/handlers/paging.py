"""Replies that fit one frame: the relay never sends a text frame over ``welcome.max_frame``.

A paged reply (``documents_listed``, ``ops_fetched``, ``device_keys_listed``) drops the tail of
its list and says ``more``; ``meeting_joined`` leaves entries out and says ``truncated``.  At
least one entry is always kept, so a client paging through a list always progresses.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from furano_meet.protocol import encode
from furano_meet.protocol import messages as m
from furano_meet.protocol.codec import encoded_length, utf8_length

log = logging.getLogger("furano.relay")


def room_beside(max_out: int, minor: int, empty: m.Msg) -> int:
    """Bytes left for a paged reply's entries: the frame limit minus the reply without them
    (``empty`` carries the largest values its other fields can take)."""
    return max_out - utf8_length(encode(empty, minor=minor))


def trim(
    page: list[Any], empty: m.Msg, max_out: int, minor: int, *, bound: int | None = None
) -> bool:
    """Fit ``page`` into the reply ``empty`` stands for (see :func:`room_beside`) by dropping
    its tail; returns whether anything was dropped.  ``bound`` is a cheap upper estimate of the
    entries' size: when it fits, no entry is measured one by one (the usual small page)."""
    room = room_beside(max_out, minor, empty)
    if bound is not None and bound <= room:
        return False
    return fit(page, room)


def fit(items: list[Any], room: int) -> bool:
    """Drop the tail of ``items`` that would not fit ``room`` bytes of a reply's list (each
    item costs its encoded length plus a comma); keep at least one, so paging progresses.
    Returns whether anything was dropped."""
    for count, item in enumerate(items):
        room -= encoded_length(item) + 1
        if room < 0 and count > 0:
            del items[count:]
            return True
    return False


def fit_joined(joined: m.MeetingJoined, minor: int, max_out: int) -> str:
    """Encode ``meeting_joined`` within ``max_out`` bytes, leaving entries out if it must.

    ``awaiting_key`` goes first (it is advisory: ``list_device_keys`` lists every device,
    and ``key_needed`` names newcomers), then the oldest ``documents``; ``truncated`` says
    so.  Only a room of thousands, or hundreds of documents with large manifests, gets here.
    """
    frame = encode(joined, minor=minor)
    excess = utf8_length(frame) - max_out
    if excess <= 0:
        return frame
    awaiting, documents = list(joined.awaiting_key), list(joined.documents)
    margin = 64  # the "truncated" key, and commas
    while excess + margin > 0 and awaiting:
        excess -= encoded_length(awaiting.pop()) + 1
    while excess + margin > 0 and documents:
        excess -= encoded_length(documents.pop(0)) + 1
    fitted = replace(
        joined, awaiting_key=tuple(awaiting), documents=tuple(documents), truncated=True
    )
    log.warning(
        "meeting_joined for %s left out %d awaiting devices and %d documents to fit %d bytes",
        joined.meeting.meeting_id,
        len(joined.awaiting_key) - len(awaiting),
        len(joined.documents) - len(documents),
        max_out,
    )
    return encode(fitted, minor=minor)
