"""Joining a meeting, presence, and following the presenter — real relay, real clients."""

from __future__ import annotations

import pytest

from furano_meet.net import RelayError
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID, MEETING_TITLE
from server.relay import Relay
from tests.conftest import Connect, StalledWriter


async def test_a_late_joiner_sees_the_current_page_at_once(connect_as: Connect) -> None:
    chair = await connect_as("iincho", join=True)
    for page in range(5):
        await chair.send(
            m.PresentPage(meeting_id=MEETING_ID, document_id="pack", version=1, page=page)
        )
    await chair.expect(m.PresenterChanged)  # the presenter receives the broadcast too
    late = await connect_as("giin1")
    joined = await late.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(joined, m.MeetingJoined)
    assert joined.meeting.title == MEETING_TITLE
    assert joined.presenter.page == 4 and joined.presenter.presenter_user_id == "iincho"
    assert {p.user_id for p in joined.presence} == {"iincho", "giin1"}
    assert {mem.user_id for mem in joined.members} >= {"iincho", "giin1", "jimukyoku"}


async def test_followers_receive_page_turns_and_pointer_moves(connect_as: Connect) -> None:
    chair = await connect_as("iincho", join=True)
    followers = [await connect_as(u, join=True) for u in ("giin1", "giin2", "giin3")]
    await chair.send(
        m.PresentPage(
            meeting_id=MEETING_ID,
            document_id="pack",
            version=1,
            page=3,
            pointer=m.Pointer(x=100.5, y=200.0),
        )
    )
    for follower in followers:
        changed = await follower.expect(m.PresenterChanged)
        assert (changed.state.page, changed.state.pointer) == (3, m.Pointer(x=100.5, y=200.0))
        assert changed.state.seq == 1


async def test_presence_shows_who_follows_and_who_browses(connect_as: Connect) -> None:
    chair = await connect_as("iincho", join=True)
    member = await connect_as("giin1", join=True)
    joined = await chair.expect(m.PresenceChanged)
    assert (joined.user_id, joined.online, joined.following) == ("giin1", True, True)
    await member.request(m.SetFollowing(meeting_id=MEETING_ID, following=False))
    browsing = await chair.expect(m.PresenceChanged)
    assert (browsing.user_id, browsing.following) == ("giin1", False)
    await member.close()
    left = await chair.expect(m.PresenceChanged)
    assert (left.user_id, left.online) == ("giin1", False)


async def test_presenter_hand_over_request_grant_and_take_back(connect_as: Connect) -> None:
    chair = await connect_as("iincho", join=True)
    clerk = await connect_as("jimukyoku", join=True)
    member = await connect_as("giin1", join=True)
    with pytest.raises(RelayError) as refused:
        await member.request(
            m.PresentPage(meeting_id=MEETING_ID, document_id="p", version=1, page=1)
        )
    assert refused.value.code == "forbidden"
    await member.request(m.RequestPresenter(meeting_id=MEETING_ID))
    asked = await chair.expect(m.PresenterRequested)
    assert asked.user_id == "giin1"
    assert (await clerk.expect(m.PresenterRequested)).user_id == "giin1"
    await chair.request(m.GrantPresenter(meeting_id=MEETING_ID, user_id="giin1"))
    assert (await member.expect(m.PresenterChanged)).state.presenter_user_id == "giin1"
    assert (await chair.expect(m.PresenterChanged)).state.presenter_user_id == "giin1"
    await member.send(m.PresentPage(meeting_id=MEETING_ID, document_id="p", version=1, page=9))
    turned = await chair.expect(m.PresenterChanged)
    assert (turned.state.presenter_user_id, turned.state.page) == ("giin1", 9)
    assert (await member.expect(m.PresenterChanged)).state.page == 9  # its own turn, echoed
    await clerk.request(m.TakePresenter(meeting_id=MEETING_ID))
    back = await member.expect(m.PresenterChanged)
    assert back.state.presenter_user_id == "jimukyoku"
    with pytest.raises(RelayError):
        await member.request(
            m.PresentPage(meeting_id=MEETING_ID, document_id="p", version=1, page=10)
        )


async def test_meetings_are_listed_per_member(connect_as: Connect, relay: Relay) -> None:
    await relay.store.run(relay.store.create_meeting, "other", "furano", "予算特別委員会")
    await relay.store.run(relay.store.set_members, "other", ["giin2"])
    one = await connect_as("giin1")
    two = await connect_as("giin2")
    listed_one = await one.request(m.ListMeetings())
    listed_two = await two.request(m.ListMeetings())
    assert isinstance(listed_one, m.MeetingsListed) and isinstance(listed_two, m.MeetingsListed)
    assert [x.meeting_id for x in listed_one.meetings] == [MEETING_ID]
    assert {x.meeting_id for x in listed_two.meetings} == {MEETING_ID, "other"}


async def test_a_slow_follower_gets_the_newest_page_not_every_page(
    connect_as: Connect, relay: Relay
) -> None:
    """Coalescing: a follower whose socket is backed up skips stale pages but ends on the last."""
    chair = await connect_as("iincho", join=True)
    slow = await connect_as("giin1", join=True)
    async with StalledWriter(relay, "giin1") as stalled:
        for page in range(50):
            await chair.send(
                m.PresentPage(meeting_id=MEETING_ID, document_id="p", version=1, page=page)
            )
        await chair.request(m.ListMeetings())  # a round trip: all 50 turns were processed
        assert len(stalled.client.outbox._latest) == 1  # noqa: SLF001 - one coalesced frame
    pages: list[int] = []
    while not pages or pages[-1] != 49:
        pages.append((await slow.expect(m.PresenterChanged)).state.page)
    assert len(pages) < 50
