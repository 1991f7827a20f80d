"""Presenter and presence rules, without sockets or a database."""

from __future__ import annotations

import pytest

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.errors import Refusal
from server.rooms import Attendee, Room


def room_with_people() -> Room[str]:
    room: Room[str] = Room("m1")
    room.join(Attendee(1, "chair", "dev-c", "chair"), "outbox-1")
    room.join(Attendee(2, "giin1", "dev-1", "member"), "outbox-2")
    room.join(Attendee(3, "clerk", "dev-k", "clerk", following=False), "outbox-3")
    return room


def test_a_moderator_becomes_presenter_by_turning_the_first_page() -> None:
    room = room_with_people()
    state = room.present("chair", "chair", "doc", 1, 4, m.Pointer(x=10.0, y=20.0))
    assert state == m.PresenterState(
        seq=1,
        presenter_user_id="chair",
        document_id="doc",
        version=1,
        page=4,
        pointer=m.Pointer(x=10.0, y=20.0),
    )
    assert room.unsaved


def test_a_member_cannot_turn_pages_unless_granted() -> None:
    room = room_with_people()
    with pytest.raises(Refusal) as info:
        room.present("giin1", "member", "doc", 1, 0, None)
    assert info.value.code is ErrorCode.FORBIDDEN
    room.present("chair", "chair", "doc", 1, 0, None)
    with pytest.raises(Refusal):
        room.grant("giin1", "member", "giin1", {"giin1", "chair"})
    room.grant("chair", "chair", "giin1", {"giin1", "chair"})
    assert room.present("giin1", "member", "doc", 1, 7, None).page == 7
    with pytest.raises(Refusal):
        room.present("chair", "chair", "doc", 1, 1, None)  # the chair must take it back first
    assert room.take("chair", "chair").presenter_user_id == "chair"
    with pytest.raises(Refusal):
        room.present("giin1", "member", "doc", 1, 8, None)


def test_the_presenter_hands_over_and_strangers_cannot_receive_it() -> None:
    room = room_with_people()
    room.take("clerk", "clerk")
    with pytest.raises(Refusal) as info:
        room.grant("clerk", "clerk", "outsider", {"chair", "giin1", "clerk"})
    assert info.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(Refusal):
        room.take("giin1", "member")


def test_sequence_numbers_grow_with_every_change() -> None:
    room = room_with_people()
    seqs = [room.present("chair", "chair", "doc", 1, p, None).seq for p in range(5)]
    seqs.append(room.take("clerk", "clerk").seq)
    assert seqs == sorted(seqs) and len(set(seqs)) == 6


def test_presence_and_following() -> None:
    room = room_with_people()
    assert {p.user_id: p.following for p in room.presence()} == {
        "chair": True,
        "giin1": True,
        "clerk": False,
    }
    room.set_following(2, False)
    assert not next(p for p in room.presence() if p.user_id == "giin1").following
    assert sorted(room.moderator_connections()) == [1, 3]
    room.leave(1)
    room.leave(2)
    room.leave(3)
    assert room.is_empty()
    with pytest.raises(Refusal):
        room.set_following(2, True)


def test_the_room_keeps_its_attendees_outboxes_in_step() -> None:
    """Fan-out reads ``outboxes`` directly, so it must follow every join and leave."""
    room = room_with_people()
    assert room.outboxes_except(2) == ["outbox-1", "outbox-3"]
    room.leave(1)
    assert list(room.outboxes.values()) == ["outbox-2", "outbox-3"]
    room.join(Attendee(4, "giin2", "dev-2", "member"), "outbox-4")
    assert room.outboxes_except(3) == ["outbox-2", "outbox-4"]
