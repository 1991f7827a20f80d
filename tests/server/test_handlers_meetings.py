"""Meetings, presence and the presenter, driven without sockets on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.errors import Refusal
from server.handlers import meetings
from server.state import Client
from server.store import PRESENTER_SEQ_MARGIN

from .handler_world import World, ask, close_world, mailbox, open_world, refused


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path)
    yield w
    close_world(w)


async def join(world: World, user_id: str, *, following: bool = True) -> Client:
    client = world.connect(user_id)
    msg = m.JoinMeeting(rid=1, meeting_id=MEETING_ID, following=following)
    await ask(world, meetings.join, client, msg)
    return client


def page(rid: int, number: int) -> m.PresentPage:
    return m.PresentPage(
        rid=rid, meeting_id=MEETING_ID, document_id="gian-12", version=1, page=number
    )


async def test_a_member_joins_with_the_snapshot_and_the_others_see_them_arrive(
    world: World,
) -> None:
    chair = await join(world, "iincho")
    mailbox(chair).take()
    member = await join(world, "giin1", following=False)
    joined = mailbox(member).only(m.MeetingJoined)
    assert joined.meeting.meeting_id == MEETING_ID and joined.meeting.my_role == "member"
    assert {p.user_id for p in joined.presence} == {"iincho", "giin1"}
    assert "admin" not in {p.user_id for p in joined.members}  # the admin is not a member
    assert joined.presenter.seq == 0 and not joined.truncated
    arrived = mailbox(chair).only(m.PresenceChanged)
    assert (arrived.user_id, arrived.online, arrived.following) == ("giin1", True, False)


async def test_someone_who_is_not_a_member_cannot_join(world: World) -> None:
    with pytest.raises(Refusal) as info:
        await join(world, "admin")
    assert info.value.code is ErrorCode.FORBIDDEN
    assert MEETING_ID not in world.state.rooms


async def test_a_member_cannot_turn_pages_but_the_chair_becomes_presenter_by_turning(
    world: World,
) -> None:
    chair, member = await join(world, "iincho"), await join(world, "giin1")
    for client in (chair, member):
        mailbox(client).take()
    assert await refused(world, meetings.present_page, member, page(2, 3)) is ErrorCode.FORBIDDEN
    await ask(world, meetings.present_page, chair, page(3, 4))
    for client in (chair, member):  # the presenter is answered by the broadcast itself
        state = mailbox(client).only(m.PresenterChanged).state
        assert (state.presenter_user_id, state.page, state.seq) == ("iincho", 4, 1)
    assert world.state.presenters[MEETING_ID].seq == 1


async def test_granting_needs_the_presenter_or_a_moderator_and_a_member_to_grant_to(
    world: World,
) -> None:
    chair, member = await join(world, "iincho"), await join(world, "giin1")
    mailbox(chair).take()
    grant = m.GrantPresenter(rid=4, meeting_id=MEETING_ID, user_id="giin2")
    assert await refused(world, meetings.grant_presenter, member, grant) is ErrorCode.FORBIDDEN
    stranger = m.GrantPresenter(rid=5, meeting_id=MEETING_ID, user_id="admin")
    assert await refused(world, meetings.grant_presenter, chair, stranger) is ErrorCode.NOT_FOUND
    mailbox(member).take()
    to_member = m.GrantPresenter(rid=6, meeting_id=MEETING_ID, user_id="giin1")
    await ask(world, meetings.grant_presenter, chair, to_member)
    done, changed = mailbox(chair).take()
    assert done == m.Done(rid=6)
    assert isinstance(changed, m.PresenterChanged) and changed.state.presenter_user_id == "giin1"
    await ask(world, meetings.present_page, member, page(7, 2))  # now they may
    assert mailbox(member).take()[-1] == m.PresenterChanged(
        meeting_id=MEETING_ID, state=world.state.presenters[MEETING_ID]
    )


async def test_a_request_for_the_role_reaches_only_moderators(world: World) -> None:
    chair, clerk = await join(world, "iincho"), await join(world, "jimukyoku")
    member, other = await join(world, "giin1"), await join(world, "giin2")
    for client in (chair, clerk, member, other):
        mailbox(client).take()
    await ask(
        world, meetings.request_presenter, member, m.RequestPresenter(rid=9, meeting_id=MEETING_ID)
    )
    assert mailbox(member).only(m.Done).rid == 9
    for moderator in (chair, clerk):
        assert mailbox(moderator).only(m.PresenterRequested).user_id == "giin1"
    assert mailbox(other).take() == []


async def test_in_room_requests_need_a_join_first(world: World) -> None:
    client = world.connect("giin1")
    for handler, msg in (
        (meetings.leave, m.LeaveMeeting(rid=1, meeting_id=MEETING_ID)),
        (meetings.set_following, m.SetFollowing(rid=2, meeting_id=MEETING_ID, following=False)),
        (meetings.take_presenter, m.TakePresenter(rid=3, meeting_id=MEETING_ID)),
    ):
        assert await refused(world, handler, client, msg) is ErrorCode.UNEXPECTED_MESSAGE


async def test_following_changes_are_announced(world: World) -> None:
    chair, member = await join(world, "iincho"), await join(world, "giin1")
    mailbox(chair).take()
    mailbox(member).take()
    msg = m.SetFollowing(rid=3, meeting_id=MEETING_ID, following=False)
    await ask(world, meetings.set_following, member, msg)
    assert mailbox(member).only(m.Done).rid == 3
    told = mailbox(chair).only(m.PresenceChanged)
    assert (told.user_id, told.online, told.following) == ("giin1", True, False)


async def test_the_last_one_out_saves_the_page_and_a_new_room_continues_its_seq(
    world: World,
) -> None:
    chair = await join(world, "iincho")
    await ask(world, meetings.take_presenter, chair, m.TakePresenter(rid=2, meeting_id=MEETING_ID))
    await ask(world, meetings.present_page, chair, page(3, 8))
    await ask(world, meetings.leave, chair, m.LeaveMeeting(rid=4, meeting_id=MEETING_ID))
    assert mailbox(chair).take()[-1] == m.Done(rid=4)
    assert MEETING_ID not in world.state.rooms and chair.rooms == set()
    saved = world.store.load_presenter(MEETING_ID)
    assert saved is not None and (saved.page, saved.seq) == (8, 2 + PRESENTER_SEQ_MARGIN)
    again = await join(world, "giin1")
    presenter = mailbox(again).only(m.MeetingJoined).presenter
    assert (presenter.page, presenter.seq) == (8, 2)  # from memory, not the lifted saved seq


async def test_save_presenters_writes_only_changed_rooms(world: World) -> None:
    chair = await join(world, "iincho")
    room = world.state.rooms[MEETING_ID]
    unsaved = [room.unsaved]
    await ask(world, meetings.present_page, chair, page(2, 5))
    unsaved.append(room.unsaved)
    await meetings.save_presenters(world.state)
    unsaved.append(room.unsaved)
    saved = world.store.load_presenter(MEETING_ID)
    assert unsaved == [False, True, False] and saved is not None and saved.page == 5


async def test_the_list_of_meetings_is_the_members_own(world: World) -> None:
    member, admin = world.connect("giin1"), world.connect("admin")
    await ask(world, meetings.list_meetings, member, m.ListMeetings(rid=1))
    assert [x.meeting_id for x in mailbox(member).only(m.MeetingsListed).meetings] == [MEETING_ID]
    await ask(world, meetings.list_meetings, admin, m.ListMeetings(rid=1))
    assert mailbox(admin).only(m.MeetingsListed).meetings == ()


async def test_bring_everyone_here_bumps_the_summons_for_1_4_peers_only(world: World) -> None:
    """A summons is a count in the presenter state; a 1.3 peer's strict decoder would refuse
    the field, so its frames (broadcast and join snapshot) leave it out."""
    chair, member = await join(world, "iincho"), await join(world, "giin1")
    old = world.connect("giin2", minor=3)
    await ask(world, meetings.join, old, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
    for client in (chair, member, old):
        mailbox(client).take()
    await ask(world, meetings.present_page, chair, page(2, 4))
    summon = m.PresentPage(
        rid=3, meeting_id=MEETING_ID, document_id="gian-12", version=1, page=6, summon=True
    )
    await ask(world, meetings.present_page, chair, summon)
    await ask(world, meetings.present_page, chair, page(4, 7))
    seen = [
        [
            (x.state.page, x.state.summon)
            for x in mailbox(c).take()
            if isinstance(x, m.PresenterChanged)
        ]
        for c in (chair, member, old)
    ]
    assert seen[0] == seen[1] == [(4, 0), (6, 1), (7, 1)]  # a plain turn keeps the count
    assert seen[2] == [(4, 0), (6, 0), (7, 0)]  # never written to a 1.3 peer
    late_old = world.connect("giin3", minor=3)
    await ask(world, meetings.join, late_old, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
    assert mailbox(late_old).only(m.MeetingJoined).presenter.summon == 0
    late = await join(world, "jimukyoku")
    assert mailbox(late).only(m.MeetingJoined).presenter.summon == 1


async def test_a_member_cannot_summon_everyone(world: World) -> None:
    chair, member = await join(world, "iincho"), await join(world, "giin1")
    await ask(world, meetings.present_page, chair, page(2, 1))
    summon = m.PresentPage(
        rid=3, meeting_id=MEETING_ID, document_id="gian-12", version=1, page=6, summon=True
    )
    assert await refused(world, meetings.present_page, member, summon) is ErrorCode.FORBIDDEN
    assert world.state.presenters[MEETING_ID].summon == 0
