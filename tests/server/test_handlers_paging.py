"""Replies fitted to the frame limit: at least one entry, never over the limit."""

from __future__ import annotations

import logging

import pytest

from furano_meet.protocol import decode, encode
from furano_meet.protocol import messages as m
from furano_meet.protocol.codec import encoded_length, utf8_length
from server.handlers.paging import fit, fit_joined, room_beside


def document(number: int) -> m.DocumentInfo:
    return m.DocumentInfo(
        document_id=f"gian-{number}",
        version=1,
        size=1000,
        sha256="a" * 64,
        manifest=bytes(200),
        published_by="jimukyoku",
        published_at="2026-12-08T10:00:00Z",
        withdrawn=False,
    )


def device(number: int) -> m.DeviceKeyInfo:
    return m.DeviceKeyInfo(
        user_id="giin1",
        device_id=f"dev-{number}",
        public_keys=bytes(100),
        certificate=b"",
        role="member",
    )


def test_fit_keeps_what_fits_and_says_whether_it_dropped_anything() -> None:
    items = [document(n) for n in range(5)]
    each = encoded_length(items[0]) + 1
    assert fit(list(items), 5 * each) is False
    kept = list(items)
    assert fit(kept, 3 * each) is True
    assert kept == items[:3]


def test_fit_always_keeps_one_so_paging_progresses() -> None:
    kept = [document(1), document(2)]
    assert fit(kept, 0) is True
    assert kept == [document(1)]


def test_room_beside_is_the_limit_minus_the_empty_reply() -> None:
    empty = m.OpsFetched(rid=9, meeting_id="m", ops=(), last_seq=2**53 - 1, more=True)
    assert room_beside(1000, 2, empty) == 1000 - utf8_length(encode(empty))


def joined(documents: int, awaiting: int) -> m.MeetingJoined:
    return m.MeetingJoined(
        rid=1,
        meeting=m.MeetingInfo(
            meeting_id="m", title="委員会", starts_at="", expires_at="", my_role="member"
        ),
        members=(),
        presence=(),
        presenter=m.PresenterState(seq=0),
        documents=tuple(document(n) for n in range(documents)),
        last_op_seq=0,
        has_key_envelope=True,
        awaiting_key=tuple(device(n) for n in range(awaiting)),
    )


def test_a_join_that_fits_is_sent_whole() -> None:
    reply = joined(2, 2)
    assert fit_joined(reply, 2, 100_000) == encode(reply)


def test_a_join_too_large_leaves_out_awaiting_devices_first_then_the_oldest_documents(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reply = joined(10, 10)
    whole = utf8_length(encode(reply))
    without_awaiting = utf8_length(encode(joined(10, 0)))
    limit = (whole + without_awaiting) // 2  # some awaiting devices must go, no document
    with caplog.at_level(logging.WARNING, "furano.relay"):
        frame = fit_joined(reply, 2, limit)
    fitted = received(frame)
    assert utf8_length(frame) <= limit and fitted.truncated
    assert fitted.documents == reply.documents and len(fitted.awaiting_key) < 10
    assert fitted.awaiting_key == reply.awaiting_key[: len(fitted.awaiting_key)]
    tight = fit_joined(reply, 2, without_awaiting - 300)
    trimmed = received(tight)
    assert utf8_length(tight) <= without_awaiting - 300
    assert trimmed.awaiting_key == () and 0 < len(trimmed.documents) < 10
    assert trimmed.documents == reply.documents[-len(trimmed.documents) :]  # the newest stay
    assert "left out" in caplog.text


def received(frame: str) -> m.MeetingJoined:
    message = decode(frame, sender="relay")
    assert isinstance(message, m.MeetingJoined)
    return message
