"""「戻る」 is never lost: the chair's panel ends up showing the councillor following.

The engine tells the relay whether its reader follows or browses; the relay tells the chair's
panel. Here that message is lost in each way it can be — its connection cut right after it was
sent, cut on the councillor's side only (the relay still holds the old connection, as when a
tablet changes networks), or simply never answered — and each time the chair's engine ends up
showing the councillor following, without the councillor doing anything else. Real relay (in
process) behind the proxy of ``tests/e2e/hostile.py``, real engines.
"""

from __future__ import annotations

import asyncio

import pytest

from furano_meet.protocol import messages as m
from furano_meet.sync import presenting
from furano_meet.sync.events import PresenceUpdated
from furano_meet.sync.follow import Mode, PageRef
from server.demo import MEETING_ID
from tests.e2e.council import Council, Device, wait_until
from tests.e2e.hostile import TO_RELAY, HostileRelay


def shown_following(chair: Device, member: Device) -> bool | None:
    """What the chair's engine shows of the councillor's device: following (True), browsing
    (False), or not present (None)."""
    device_id = member.engine.account.device_id
    view = chair.engine.view(MEETING_ID)
    return next((p.following for p in view.presence if p.device_id == device_id), None)


async def browsing_before_the_chair(council: Council) -> tuple[Device, Device]:
    """The councillor browses on their own, and the chair's panel shows it."""
    chair = await council.device("iincho")
    member = await council.device("giin1")
    await council.hold_pack(chair, member)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 2)
    await member.engine.browse(MEETING_ID, PageRef("pack", 1, 6))
    await wait_until(lambda: shown_following(chair, member) is False)
    return chair, member


async def test_following_again_survives_the_connection_dropping_right_after(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """戻る, and the connection drops with the message: the reconnect's join carries it."""
    chair, member = await browsing_before_the_chair(hostile_council)
    device_id = member.engine.account.device_id
    lost = hostile.hold(TO_RELAY, m.SetFollowing, device=device_id)
    back = asyncio.ensure_future(member.engine.follow_presenter(MEETING_ID))
    await lost.wait()
    lost.rule.remove()  # never released: it went down with its connection
    for conn in hostile.of(device_id):
        await conn.client.close()
    await back  # returns (the screen moved at once), never raises for the relay's sake
    assert member.engine.view(MEETING_ID).view.mode is Mode.FOLLOWING
    await wait_until(lambda: shown_following(chair, member) is True)


async def test_following_again_survives_a_half_open_connection(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """戻る, then the councillor's side of the connection dies while the relay still holds
    it: they reconnect and join (following), and only then does the relay drop the old
    connection — which must not take the councillor out of the chair's panel."""
    chair, member = await browsing_before_the_chair(hostile_council)
    device_id = member.engine.account.device_id
    lost = hostile.hold(TO_RELAY, m.SetFollowing, device=device_id)
    back = asyncio.ensure_future(member.engine.follow_presenter(MEETING_ID))
    await lost.wait()
    lost.rule.remove()
    joins = len(hostile.seen(TO_RELAY, m.JoinMeeting, device_id))
    old_side = await hostile.sever(device_id)
    await back
    await wait_until(lambda: len(hostile.seen(TO_RELAY, m.JoinMeeting, device_id)) > joins)
    await wait_until(lambda: shown_following(chair, member) is True)
    start = len(chair.events)
    old_side.set()  # the relay notices the old connection is gone
    await wait_until(
        lambda: any(
            isinstance(e, PresenceUpdated) and e.device_id == device_id
            for e in chair.events[start:]
        )
    )
    assert shown_following(chair, member) is True


async def test_an_unanswered_following_is_sent_again(
    hostile: HostileRelay, hostile_council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection stays up but the message goes unanswered (lost on the way): it is sent
    again until the relay has it, and the newest state wins — a browse made meanwhile too."""
    monkeypatch.setattr(presenting, "FOLLOWING_TIMEOUT", 0.3)
    chair, member = await browsing_before_the_chair(hostile_council)
    device_id = member.engine.account.device_id
    once = hostile.drop(TO_RELAY, m.SetFollowing, device=device_id)
    back = asyncio.ensure_future(member.engine.follow_presenter(MEETING_ID))
    await wait_until(lambda: once.hits == 1)
    once.remove()  # the next one gets through
    await back
    await wait_until(lambda: shown_following(chair, member) is True)
    # Browse while a following is unanswered: the relay ends with "browsing", the newest.
    once = hostile.drop(TO_RELAY, m.SetFollowing, device=device_id)
    turned = asyncio.ensure_future(member.engine.browse(MEETING_ID, PageRef("pack", 1, 8)))
    await wait_until(lambda: once.hits == 1)
    back = asyncio.ensure_future(member.engine.follow_presenter(MEETING_ID))
    again = asyncio.ensure_future(member.engine.browse(MEETING_ID, PageRef("pack", 1, 9)))
    once.remove()
    await asyncio.gather(turned, back, again)
    await wait_until(lambda: shown_following(chair, member) is False)
    sent = hostile.seen(TO_RELAY, m.SetFollowing, device_id)
    assert sent[-1].following is False
