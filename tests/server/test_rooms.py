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
    with pytest.raises(Refusal) as info:
        room.set_following(2, True)
    assert info.value.code is ErrorCode.UNEXPECTED_MESSAGE


def test_the_room_keeps_its_attendees_outboxes_in_step() -> None:
    """Fan-out reads ``outboxes`` directly, so it must follow every join and leave."""
    room = room_with_people()
    assert room.outboxes_except(2) == ["outbox-1", "outbox-3"]
    room.leave(1)
    assert list(room.outboxes.values()) == ["outbox-2", "outbox-3"]
    room.join(Attendee(4, "giin2", "dev-2", "member"), "outbox-4")
    assert room.outboxes_except(3) == ["outbox-2", "outbox-4"]


def test_a_moderator_who_is_not_presenting_may_grant_the_role() -> None:
    room = room_with_people()
    room.present("chair", "chair", "doc", 2, 5, m.Pointer(x=1.0, y=1.0))
    state = room.grant("clerk", "clerk", "giin1", {"giin1", "chair", "clerk"})
    assert state == m.PresenterState(
        seq=2, presenter_user_id="giin1", document_id="doc", version=2, page=5, pointer=None
    )


def test_a_presenting_member_may_hand_over_but_not_take() -> None:
    room = room_with_people()
    room.take("chair", "chair")
    room.grant("chair", "chair", "giin1", {"giin1", "giin2"})
    assert room.grant("giin1", "member", "giin2", {"giin1", "giin2"}).presenter_user_id == "giin2"
    with pytest.raises(Refusal) as info:
        room.grant("giin1", "member", "giin1", {"giin1", "giin2"})  # no longer presenting
    assert info.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(Refusal) as taken:
        room.take("giin2", "member")  # even the presenter cannot "take" without moderating
    assert taken.value.code is ErrorCode.FORBIDDEN


def test_an_admin_counts_as_a_moderator() -> None:
    room: Room[str] = Room("m1")
    room.join(Attendee(9, "it", "dev-it", "admin"), "outbox-9")
    assert room.present("it", "admin", "doc", 1, 0, None).presenter_user_id == "it"
    assert room.take("it", "admin").seq == 2
    assert room.moderator_connections() == [9]


def test_taking_the_role_keeps_the_page_and_drops_the_pointer() -> None:
    room = room_with_people()
    room.present("chair", "chair", "doc", 3, 9, m.Pointer(x=5.0, y=6.0))
    room.unsaved = False
    state = room.take("clerk", "clerk")
    assert state == m.PresenterState(
        seq=2, presenter_user_id="clerk", document_id="doc", version=3, page=9, pointer=None
    )
    assert room.presenter is state and room.unsaved


def test_each_change_adds_exactly_one_to_the_sequence_of_a_restored_state() -> None:
    saved = m.PresenterState(seq=41, presenter_user_id="chair", document_id="d", version=1, page=3)
    room: Room[str] = Room("m1", saved)
    assert (room.meeting_id, room.presenter, room.unsaved) == ("m1", saved, False)
    assert room.present("chair", "chair", "d", 1, 4, None).seq == 42
    assert room.present("chair", "chair", "d", 1, 5, None).seq == 43
    assert Room("m2").presenter == m.PresenterState(seq=0)


def test_moderators_and_the_presenter_hear_requests_and_connections_are_found_by_user() -> None:
    room = room_with_people()
    room.join(Attendee(4, "giin1", "dev-1b", "member"), "outbox-4")
    room.take("chair", "chair")
    room.grant("chair", "chair", "giin1", {"giin1"})
    assert sorted(room.moderator_connections()) == [1, 2, 3, 4]
    assert sorted(room.connections_of({"giin1"})) == [2, 4]
    assert room.connections_of({"chair", "clerk"}) == [1, 3]
    assert room.connections_of(set()) == []


def test_leaving_and_following_report_the_attendee() -> None:
    room = room_with_people()
    assert room.set_following(3, True).user_id == "clerk"
    assert room.attendees[3].following
    left = room.leave(2)
    assert left is not None and left.user_id == "giin1"
    assert room.leave(2) is None  # twice (a close racing a leave) is harmless
    assert not room.is_empty()
    assert room.presence() == (
        m.Presence(user_id="chair", device_id="dev-c", following=True),
        m.Presence(user_id="clerk", device_id="dev-k", following=True),
    )
