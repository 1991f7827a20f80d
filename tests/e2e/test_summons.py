"""「全員をこのページへ」 moves browsers too (protocol 1.4 summons), and never locks a screen.

Real relay, real engines. A browsing councillor is brought to the chair's page and may turn
away again at once; a peer that speaks 1.3 is simply not summoned; a hostile relay that sends
summonses over and over moves the view each time and nothing more — the reader still browses.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from furano_meet.protocol import messages as m
from furano_meet.sync.events import PresenceUpdated, PresenterMoved
from furano_meet.sync.follow import Mode, PageRef
from furano_meet.sync.presenting import PresenterRefused
from server.demo import MEETING_ID
from tests.e2e.council import Council, Device
from tests.e2e.hostile import TO_CLIENT, TO_RELAY, HostileRelay


async def moved_to(device: Device, page: int, mode: Mode) -> None:
    await device.wait_for(
        PresenterMoved,
        lambda e: e.view.page == PageRef("pack", 1, page) and e.view.mode is mode,
    )


async def bring_a_browser(chair: Device, member: Device) -> None:
    """The member reads page 7 on their own, the chair looks ahead to page 5 and brings
    everyone there; returns once the member has been told the chair's page (moved or not)."""
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    await moved_to(member, 2, Mode.FOLLOWING)
    await member.engine.browse(MEETING_ID, PageRef("pack", 1, 6))
    await chair.engine.browse(MEETING_ID, PageRef("pack", 1, 4))
    await chair.engine.bring_everyone_here(MEETING_ID)
    await member.wait_for(PresenterMoved, lambda e: e.view.presenter_page == PageRef("pack", 1, 4))


async def test_bring_everyone_here_moves_a_browser_who_may_turn_away_again(
    council: Council,
) -> None:
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await council.hold_pack(chair, member)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    await moved_to(member, 2, Mode.FOLLOWING)
    await member.engine.browse(MEETING_ID, PageRef("pack", 1, 6))
    await chair.wait_for(PresenceUpdated, lambda e: e.user_id == "giin1" and not e.following)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 3)  # a plain turn: they stay
    await member.wait_for(PresenterMoved, lambda e: e.view.presenter_page == PageRef("pack", 1, 3))
    assert member.engine.view(MEETING_ID).view.page == PageRef("pack", 1, 6)
    await chair.engine.browse(MEETING_ID, PageRef("pack", 1, 4))
    await chair.engine.bring_everyone_here(MEETING_ID)
    await moved_to(member, 4, Mode.FOLLOWING)
    # The others see the councillor following again (the engine told the relay).
    await chair.wait_for(
        PresenceUpdated,
        lambda e: e.user_id == "giin1" and e.following,
    )
    await member.engine.browse(MEETING_ID, PageRef("pack", 1, 0))  # no lock
    view = member.engine.view(MEETING_ID)
    assert (view.view.mode, view.view.page) == (Mode.BROWSING, PageRef("pack", 1, 0))


async def test_a_bring_right_after_a_turn_brings_every_reader_to_the_new_page(
    council: Council,
) -> None:
    """The chair turns and brings at once, each its own task as the app sends them: the
    summons names the turned-to page although the relay has not echoed the turn yet, so the
    browser and the follower both end there (before 1.7's engine: on the page before)."""
    chair = await council.device("iincho")
    member = await council.device("giin1")
    follower = await council.device("giin2")
    await council.hold_pack(chair, member, follower)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    for reader in (member, follower):
        await moved_to(reader, 2, Mode.FOLLOWING)
    await member.engine.browse(MEETING_ID, PageRef("pack", 1, 6))
    await chair.wait_for(PresenceUpdated, lambda e: e.user_id == "giin1" and not e.following)

    turned = asyncio.ensure_future(chair.engine.present_page(MEETING_ID, "pack", 1, 4))
    brought = asyncio.ensure_future(chair.engine.bring_everyone_here(MEETING_ID))
    await asyncio.gather(turned, brought)

    shown = chair.engine.view(MEETING_ID).view.presenter_page  # the bring's echo, or the turn's
    await member.wait_for(
        PresenterMoved, lambda e: e.view.mode is Mode.FOLLOWING and e.view.presenter_page == shown
    )
    await follower.wait_for(PresenterMoved, lambda e: e.view.presenter_page == shown)
    for device in (member, follower, chair):
        view = device.engine.view(MEETING_ID).view
        assert (device.name, view.mode, view.page) == (
            device.name,
            Mode.FOLLOWING,
            PageRef("pack", 1, 4),
        )


async def test_the_echo_of_the_turn_before_it_does_not_pass_for_a_refused_bring(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """Turn and bring name the same page, so only an echo that shows the summons counted may
    confirm the bring: here the clerk takes the role between the two, the relay refuses the
    bring, and the chair is told so — not that everyone was brought."""
    chair = await hostile_council.device("iincho")
    clerk = await hostile_council.device("jimukyoku")
    await hostile_council.hold_pack(chair, clerk)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    held = hostile.hold(
        TO_RELAY,
        m.PresentPage,
        lambda _conn, x: isinstance(x, m.PresentPage) and x.summon,
        device=chair.engine.account.device_id,
    )
    turned = asyncio.ensure_future(chair.engine.present_page(MEETING_ID, "pack", 1, 4))
    brought = asyncio.ensure_future(chair.engine.bring_everyone_here(MEETING_ID))
    await turned
    await held.wait()  # the bring waits in the proxy while the clerk takes the role
    await clerk.engine.take_presenter(MEETING_ID)
    await held.release()
    with pytest.raises(PresenterRefused):
        await brought
    await chair.wait_for(PresenterMoved, lambda e: e.view.presenter_user_id == "jimukyoku")
    assert chair.engine.view(MEETING_ID).view.presenter_page == PageRef("pack", 1, 4)


async def test_a_peer_that_speaks_1_3_is_not_summoned_but_sees_the_page(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """The councillor's hello says 1.3: the relay leaves ``summon`` out of its frames."""
    old = hostile.replace(TO_RELAY, m.Hello, lambda msg: replace(msg, minor=3))
    member = await hostile_council.device("giin1")
    old.remove()
    chair = await hostile_council.device("iincho")
    await hostile_council.hold_pack(member, chair)
    await bring_a_browser(chair, member)
    summoned = await hostile.wait_seen(TO_CLIENT, m.PresenterChanged, lambda x: x.state.summon == 1)
    assert summoned.state.presenter_user_id == "iincho"  # the chair (1.4) was told the count
    assert member.engine.view(MEETING_ID).view.mode is Mode.BROWSING


async def test_a_relay_summoning_over_and_over_never_locks_the_reader(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """A forged summons is harmless: it shows a page (which the relay can always do) and the
    reader's next own turn wins, every time."""
    member = await hostile_council.device("giin1")
    await hostile_council.hold_pack(member)
    await member.wait_for(PresenterMoved)  # joined
    device_id = member.engine.account.device_id
    mine = PageRef("pack", 1, 5)
    for round_ in range(1, 6):
        await member.engine.browse(MEETING_ID, mine)
        forged = m.PresenterState(
            seq=10_000 + round_,
            presenter_user_id="iincho",
            document_id="pack",
            version=1,
            page=round_,
            summon=round_,
        )
        await hostile.inject(
            TO_CLIENT, device_id, m.PresenterChanged(meeting_id=MEETING_ID, state=forged)
        )
        await moved_to(member, round_, Mode.FOLLOWING)
        await member.engine.browse(MEETING_ID, mine)
        view = member.engine.view(MEETING_ID).view
        assert (view.mode, view.page) == (Mode.BROWSING, mine)


async def test_a_client_talking_to_a_1_3_relay_does_not_send_a_summons(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """The chair's engine is told the relay speaks 1.3: its bring-everyone-here leaves
    ``summon`` out, so the relay just presents the page and the browser stays browsing."""
    member = await hostile_council.device("giin1")
    old = hostile.replace(TO_CLIENT, m.Welcome, lambda msg: replace(msg, minor=3))
    chair = await hostile_council.device("iincho")
    old.remove()
    await hostile_council.hold_pack(member, chair)
    await bring_a_browser(chair, member)
    asked = hostile.seen(TO_RELAY, m.PresentPage)
    assert [x.page for x in asked] == [2, 4] and not any(x.summon for x in asked)
    assert member.engine.view(MEETING_ID).view.page == PageRef("pack", 1, 6)
