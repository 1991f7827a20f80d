"""The relay's service checks on meeting-key envelopes and rosters (issue #8, finding 6)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.crypto import roster
from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.handlers import keys, meetings, trust
from server.state import Client

from .handler_world import (
    World,
    ask,
    close_world,
    mailbox,
    open_world,
    record_for,
    refused,
    unverified,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path)
    yield w
    close_world(w)


def envelope(device_id: str, epoch: int, record: bytes = b"") -> m.KeyEnvelope:
    return m.KeyEnvelope(
        device_id=device_id,
        epoch=epoch,
        envelope=b"sealed",
        epoch_record=record,
        record_signer=b"c",
    )


def put(rid: int, to: Client, epoch: int, by: Client | None = None) -> m.PutKeyEnvelopes:
    """One meeting envelope for ``to``'s device, with ``by``'s record of the epoch (if any)."""
    record = b"" if by is None else record_for(by, epoch)
    return m.PutKeyEnvelopes(
        rid=rid, meeting_id=MEETING_ID, envelopes=(envelope(to.who.device_id, epoch, record),)
    )


async def test_a_member_cannot_hand_out_meeting_keys_at_any_epoch(world: World) -> None:
    member, other, clerk = (
        world.connect("giin1"),
        world.connect("giin2"),
        world.connect("jimukyoku"),
    )
    huge = put(1, member, 2**53 - 1, member)
    assert await refused(world, keys.put_envelopes, member, huge) is ErrorCode.FORBIDDEN
    pre_seal = put(2, other, 2, member)
    assert await refused(world, keys.put_envelopes, member, pre_seal) is ErrorCode.FORBIDDEN
    assert world.store.envelopes_for(MEETING_ID, other.who.device_id) == []
    # The clerk's envelope for that slot goes through.
    real = put(3, other, 2, clerk)
    await ask(world, keys.put_envelopes, clerk, real)
    assert mailbox(clerk).only(m.Done).rid == 3
    (pushed,) = mailbox(other).only(m.KeyEnvelopesDelivered).envelopes
    assert pushed.epoch_record == record_for(clerk, 2) and pushed.record_signer == b"c"


async def test_meeting_envelopes_need_a_bounded_epoch_and_their_epochs_record(
    world: World,
) -> None:
    clerk, member = world.connect("jimukyoku"), world.connect("giin1")
    device = member.who.device_id
    for rid, bad, code in (
        (1, envelope(device, 2**31, record_for(clerk, 2**31)), ErrorCode.INVALID_FIELD),
        (2, envelope(device, 0, record_for(clerk, 0)), ErrorCode.INVALID_FIELD),
        (3, envelope(device, 1), ErrorCode.FORBIDDEN),  # no record at all
        (4, envelope(device, 1, record_for(clerk, 2)), ErrorCode.FORBIDDEN),  # another epoch
        (5, envelope(device, 1, record_for(clerk, 1, "other")), ErrorCode.FORBIDDEN),
        (6, envelope(device, 1, record_for(member, 1)), ErrorCode.FORBIDDEN),  # not the sender
    ):
        put = m.PutKeyEnvelopes(rid=rid, meeting_id=MEETING_ID, envelopes=(bad,))
        assert await refused(world, keys.put_envelopes, clerk, put) is code, rid
    assert world.store.envelopes_for(MEETING_ID, device) == []


async def test_the_first_record_of_an_epoch_names_the_slot(world: World) -> None:
    clerk, laptop, member = (
        world.connect("jimukyoku"),
        world.connect("jimukyoku"),
        world.connect("giin1"),
    )
    first = put(1, member, 1, clerk)
    await ask(world, keys.put_envelopes, clerk, first)
    rival = put(2, laptop, 1, laptop)
    assert await refused(world, keys.put_envelopes, laptop, rival) is ErrorCode.STALE
    # Without a record of its own, an envelope of a known epoch gets the kept record.
    again = put(2, laptop, 1)
    await ask(world, keys.put_envelopes, clerk, again)
    (stored,) = world.store.envelopes_for(MEETING_ID, laptop.who.device_id)
    assert stored.epoch_record == record_for(clerk, 1)


def roster_of(signer: Client, version: int, members: list[str]) -> bytes:
    return unverified(
        roster.KIND,
        signer.who.device_id,
        meeting_id=MEETING_ID,
        version=version,
        members=sorted(members),
        note_editors=[],
    )


async def test_rosters_only_grow_come_from_clerks_and_reach_the_room(world: World) -> None:
    clerk, member = world.connect("jimukyoku"), world.connect("giin1")
    await ask(world, meetings.join, member, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
    assert mailbox(member).only(m.MeetingJoined).roster == b""
    v2 = roster_of(clerk, 2, ["giin1", "jimukyoku"])
    put = m.PutRoster(rid=2, meeting_id=MEETING_ID, roster=v2, signer_certificate=b"c")
    await ask(world, trust.put_roster, clerk, put)
    assert mailbox(clerk).only(m.Done).rid == 2
    assert mailbox(member).only(m.RosterChanged).roster == v2
    stale = dataclasses.replace(put, rid=3, roster=roster_of(clerk, 1, ["giin1"]))
    assert await refused(world, trust.put_roster, clerk, stale) is ErrorCode.STALE
    forged = dataclasses.replace(put, rid=4, roster=roster_of(member, 3, ["giin1"]))
    assert await refused(world, trust.put_roster, member, forged) is ErrorCode.FORBIDDEN
    await ask(world, meetings.join, member, m.JoinMeeting(rid=5, meeting_id=MEETING_ID))
    joined = mailbox(member).only(m.MeetingJoined)
    assert (joined.roster, joined.roster_signer) == (v2, b"c")
