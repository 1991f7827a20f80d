"""Presenting through the sync engine against the real relay: every presenter intent is an
awaited request, a refusal is a typed error (never "you were removed"), and each device's
:meth:`SyncEngine.view` of the room follows what happens."""

from __future__ import annotations

import asyncio

import pytest

from furano_meet.protocol import messages as m
from furano_meet.sync.engine import PresenterRefused
from furano_meet.sync.events import (
    AnnotationsChanged,
    MeetingAccessLost,
    PresenceUpdated,
    PresenterMoved,
    PresenterRequested,
    SyncEvent,
)
from furano_meet.sync.follow import Mode, PageRef
from server.demo import MEETING_ID
from tests.e2e.council import Council, Device, note, wait_until


async def shows(device: Device, page: int, presenter: str = "iincho") -> None:
    """Wait until ``device`` has been told the presenter shows ``page``."""
    await device.wait_for(
        PresenterMoved,
        lambda e: (
            e.view.presenter_page is not None
            and e.view.presenter_page.page == page
            and e.view.presenter_user_id == presenter
        ),
    )


async def test_a_member_pressing_next_page_is_refused_and_stays_in_the_meeting(
    council: Council,
) -> None:
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await council.hold_pack(chair, member)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 3)
    await shows(member, 3)
    with pytest.raises(PresenterRefused) as refused:
        await member.engine.present_page(MEETING_ID, "pack", 1, 4)
    assert (refused.value.code, refused.value.fault.value) == ("not_presenter", "user")
    # Still in the meeting: the chair's next page reaches the member, and no event before it
    # (they are delivered in order) told the member they had lost access.
    await chair.engine.present_page(MEETING_ID, "pack", 1, 5)
    await shows(member, 5)
    assert not any(isinstance(e, MeetingAccessLost) for e in member.events)
    view = member.engine.view(MEETING_ID)
    assert view.joined and not view.presenting
    assert view.view.presenter_page == PageRef("pack", 1, 5)


async def test_asking_for_granting_and_taking_back_the_presenter_role(council: Council) -> None:
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await council.hold_pack(chair, member)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 1)
    await member.engine.request_presenter(MEETING_ID)
    asked = await chair.wait_for(PresenterRequested)
    assert (asked.meeting_id, asked.user_id) == (MEETING_ID, "giin1")
    with pytest.raises(PresenterRefused):  # a member cannot hand the role to anyone
        await member.engine.grant_presenter(MEETING_ID, "giin1")
    await chair.engine.grant_presenter(MEETING_ID, "giin1")
    await member.wait_for(PresenterMoved, lambda e: e.view.presenter_user_id == "giin1")
    assert member.engine.view(MEETING_ID).presenting
    await member.engine.present_page(MEETING_ID, "pack", 1, 7)  # now allowed, and confirmed
    await shows(chair, 7, presenter="giin1")
    with pytest.raises(PresenterRefused):  # a member cannot take the role
        await member.engine.take_presenter(MEETING_ID)
    await chair.engine.take_presenter(MEETING_ID)
    await member.wait_for(PresenterMoved, lambda e: e.view.presenter_user_id == "iincho")
    with pytest.raises(PresenterRefused):
        await member.engine.present_page(MEETING_ID, "pack", 1, 8)
    assert chair.engine.view(MEETING_ID).view.presenter_page == PageRef("pack", 1, 7)


async def test_the_pointer_and_bringing_everyone_to_the_chairs_page(council: Council) -> None:
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await council.hold_pack(chair, member)
    with pytest.raises(PresenterRefused):  # nothing presented yet: nothing to point at
        await chair.engine.set_pointer(MEETING_ID, m.Pointer(x=1.0, y=2.0))
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    await chair.engine.set_pointer(MEETING_ID, m.Pointer(x=120.5, y=300.0))
    pointed = await member.wait_for(PresenterMoved, lambda e: e.view.pointer is not None)
    assert pointed.view.pointer == m.Pointer(x=120.5, y=300.0)
    # The chair looks ahead on their own, then brings the room there.
    await chair.engine.browse(MEETING_ID, PageRef("pack", 1, 9))
    assert chair.engine.view(MEETING_ID).view.mode is Mode.BROWSING
    await chair.engine.bring_everyone_here(MEETING_ID)
    await shows(member, 9)
    chair_view = chair.engine.view(MEETING_ID)
    assert chair_view.following and chair_view.view.page == PageRef("pack", 1, 9)
    assert member.engine.view(MEETING_ID).view.page == PageRef("pack", 1, 9)


async def test_pointing_right_after_a_turn_points_on_the_new_page(council: Council) -> None:
    """The pointer goes with the page this device last asked to show, not the last echo: a
    point made before the turn's echo must not take the room back to the page before."""
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await council.hold_pack(chair, member)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    await shows(member, 2)
    spot = m.Pointer(x=50.0, y=60.0)
    turned = asyncio.ensure_future(chair.engine.present_page(MEETING_ID, "pack", 1, 4))
    pointed = asyncio.ensure_future(chair.engine.set_pointer(MEETING_ID, spot))
    await asyncio.gather(turned, pointed)
    moved = await member.wait_for(PresenterMoved, lambda e: e.view.pointer == spot)
    assert moved.view.page == PageRef("pack", 1, 4)


async def test_a_clerk_who_is_not_presenting_takes_the_role_to_bring_everyone(
    council: Council,
) -> None:
    chair = await council.device("iincho")
    clerk = await council.device("jimukyoku")
    member = await council.device("giin1")
    await council.hold_pack(chair, clerk, member)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    await clerk.engine.browse(MEETING_ID, PageRef("pack", 1, 6))
    await clerk.engine.bring_everyone_here(MEETING_ID)
    await shows(member, 6, presenter="jimukyoku")
    await member.engine.browse(MEETING_ID, PageRef("pack", 1, 1))
    with pytest.raises(PresenterRefused):  # a member browsing cannot bring anyone anywhere
        await member.engine.bring_everyone_here(MEETING_ID)


async def test_the_view_keeps_members_and_presence_up_to_date(council: Council) -> None:
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await chair.wait_for(PresenceUpdated, lambda e: e.user_id == "giin1" and e.online)
    view = chair.engine.view(MEETING_ID)
    assert view.my_role == "chair" and view.may_moderate
    assert {p.user_id for p in view.presence} == {"iincho", "giin1"}
    assert {mem.user_id for mem in view.members} >= {"iincho", "giin1", "jimukyoku"}
    await member.engine.browse(MEETING_ID, PageRef("pack", 1, 4))
    await chair.wait_for(PresenceUpdated, lambda e: e.user_id == "giin1" and not e.following)
    (browsing,) = [p for p in chair.engine.view(MEETING_ID).presence if p.user_id == "giin1"]
    assert not browsing.following
    await member.stop()
    await chair.wait_for(PresenceUpdated, lambda e: e.user_id == "giin1" and not e.online)
    assert {p.user_id for p in chair.engine.view(MEETING_ID).presence} == {"iincho"}
    offline = member.engine.view(MEETING_ID)
    assert not offline.joined and offline.presence == ()
    assert offline.view.page == PageRef("pack", 1, 4)  # the reader's own page is kept


async def test_a_stalled_observer_does_not_hold_up_sync(council: Council) -> None:
    """An observer stuck on its first event: the engine still applies page turns, stores notes
    and reports its state; the observer then receives everything, in order."""
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await council.hold_pack(chair, member)
    release = asyncio.Event()
    seen: list[SyncEvent] = []

    async def stalled(event: SyncEvent) -> None:
        await release.wait()
        seen.append(event)

    member.engine.subscribe(stalled)
    for page in (1, 2, 3):
        await chair.engine.present_page(MEETING_ID, "pack", 1, page)
    await wait_until(lambda: member.engine.view(MEETING_ID).view.page == PageRef("pack", 1, 3))
    note_id = await member.engine.add_annotation(MEETING_ID, "pack", 1, 3, note("メモ"))
    assert [a.annotation_id for a in await member.engine.annotations("pack", 1, 3)] == [note_id]
    assert seen == []  # the observer has not got past its first event
    release.set()
    await member.engine.events_delivered()
    assert seen == member.events[len(member.events) - len(seen) :]  # the same, in order
    pages = [e.view.page.page for e in seen if isinstance(e, PresenterMoved) and e.view.page]
    assert pages[-1] == 3
    assert any(isinstance(e, AnnotationsChanged) and note_id in e.annotation_ids for e in seen)
