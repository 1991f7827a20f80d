"""Meetings, presence and the presenter: joining a room, who is there, whose page everyone sees.

The rules of who may present live in :class:`server.rooms.Room`; these handlers load what a
joining member needs (one store-thread snapshot), keep :attr:`RelayState.rooms` and
:attr:`RelayState.presenters` in step, and decide whom to tell.  Page turns are coalesced per
connection (only the newest page matters) and saved lazily (:func:`save_presenters`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3

from furano_meet.protocol import encode
from furano_meet.protocol import messages as m

from ..fanout import Mailbox, fan_out
from ..rooms import Attendee, Room
from ..state import Client, RelayState
from ..store import DeviceIdentity, Store
from .keys import ask_key_holders
from .paging import fit_joined

log = logging.getLogger("furano.relay")

Snapshot = tuple[
    m.MeetingInfo,
    list[m.MemberInfo],
    list[m.DocumentInfo],
    int,
    bool,
    list[m.DeviceKeyInfo],
    m.PresenterState | None,
    tuple[bytes, bytes],
]
"""What ``meeting_joined`` needs from the database, read in one store-thread call."""


async def list_meetings(state: RelayState, client: Client, msg: m.ListMeetings) -> None:
    meetings = await state.store.run(state.store.meetings_for, client.who.user_id)
    client.outbox.send(m.MeetingsListed(rid=msg.rid, meetings=tuple(meetings)))


def _snapshot(state: RelayState, meeting_id: str, identity: DeviceIdentity) -> Snapshot:
    store = state.store
    info = store.meeting_for_member(meeting_id, identity.user_id)
    awaiting = store.devices_awaiting_key(meeting_id)
    holds = identity.device_id not in {d.device_id for d in awaiting} and any(
        e.purpose == "meeting" for e in store.envelopes_for(meeting_id, identity.device_id)
    )
    known = meeting_id in state.presenters
    return (
        info,
        store.members(meeting_id),
        store.documents(meeting_id),
        store.last_op_seq(meeting_id, identity.user_id),
        holds,
        awaiting,
        None if known else _load_presenter(store, meeting_id),
        store.roster(meeting_id),
    )


def _load_presenter(store: Store, meeting_id: str) -> m.PresenterState | None:
    """The saved state; the first time ever, a saved seq 0, so that after a crash before
    the first lazy save the restarted relay still knows to start above (store thread)."""
    saved = store.load_presenter(meeting_id)
    if saved is None:
        with contextlib.suppress(sqlite3.Error):  # a full disk must not stop the meeting
            store.save_presenter(meeting_id, m.PresenterState(seq=0))
    return saved


async def join(state: RelayState, client: Client, msg: m.JoinMeeting) -> None:
    who = client.who
    info, members, documents, last_seq, holds, awaiting, saved, roster = await state.store.run(
        _snapshot, state, msg.meeting_id, who
    )
    room = state.rooms.get(msg.meeting_id)
    if room is None:
        # The last attendee may have left while the snapshot ran: the state they left
        # behind (``presenters``) is newer than anything the database snapshot holds.
        presenter = state.presenters.get(msg.meeting_id) or saved
        room = state.rooms[msg.meeting_id] = Room(msg.meeting_id, presenter)
        state.presenters[msg.meeting_id] = room.presenter
    room.join(
        Attendee(client.conn_id, who.user_id, who.device_id, who.role, msg.following),
        client.outbox,
    )
    client.rooms.add(msg.meeting_id)
    joined = m.MeetingJoined(
        rid=msg.rid,
        meeting=info,
        members=tuple(members),
        presence=room.presence(),
        presenter=room.presenter,
        documents=tuple(documents),
        last_op_seq=last_seq,
        has_key_envelope=holds,
        awaiting_key=tuple(awaiting) if holds else (),
        roster=roster[0],
        roster_signer=roster[1],
    )
    client.outbox.deliver(fit_joined(joined, client.outbox.minor, state.max_out))
    _announce_presence(room, client, online=True, following=msg.following)
    mine = [d for d in awaiting if d.device_id == who.device_id]
    if mine:
        await ask_key_holders(state, msg.meeting_id, mine)


def _announce_presence(
    room: Room[Mailbox], client: Client, *, online: bool, following: bool
) -> None:
    who = client.who
    frame = encode(
        m.PresenceChanged(
            meeting_id=room.meeting_id,
            user_id=who.user_id,
            device_id=who.device_id,
            online=online,
            following=following,
        )
    )
    fan_out(room.outboxes_except(client.conn_id), frame)


async def leave(state: RelayState, client: Client, msg: m.LeaveMeeting) -> None:
    state.joined_room(client, msg.meeting_id)
    await leave_room(state, client, msg.meeting_id)
    client.outbox.send(m.Done(rid=msg.rid))


async def leave_room(state: RelayState, client: Client, meeting_id: str) -> None:
    """Take ``client`` out of the room (telling the others); the last one out saves the page."""
    client.rooms.discard(meeting_id)
    room = state.rooms.get(meeting_id)
    if room is None or (left := room.leave(client.conn_id)) is None:
        return
    # A device may be in the room twice for a while: it reconnected (a tablet that changed
    # networks) before the relay noticed its old connection was gone. The old one leaving
    # must not take the device out of the others' panels: they are told its newer state.
    still = room.attendee_of(left.device_id)
    if still is None:
        _announce_presence(room, client, online=False, following=False)
    else:
        _announce_presence(room, client, online=True, following=still.following)
    if room.is_empty():
        del state.rooms[meeting_id]
        state.presenters[meeting_id] = room.presenter
        if room.unsaved:
            with contextlib.suppress(Exception):
                await state.store.run(state.store.save_presenter, meeting_id, room.presenter)


async def set_following(state: RelayState, client: Client, msg: m.SetFollowing) -> None:
    room = state.joined_room(client, msg.meeting_id)
    room.set_following(client.conn_id, msg.following)
    client.outbox.send(m.Done(rid=msg.rid))
    _announce_presence(room, client, online=True, following=msg.following)


SUMMON_MINOR = 4
"""Peers from this protocol minor on know ``PresenterState.summon``."""


def _broadcast_presenter(state: RelayState, room: Room[Mailbox]) -> None:
    """One frame per protocol generation: 1.3 peers get theirs without ``summon``."""
    state.presenters[room.meeting_id] = room.presenter
    changed = m.PresenterChanged(meeting_id=room.meeting_id, state=room.presenter)
    key = f"presenter:{room.meeting_id}"
    newer = [o for o in room.outboxes.values() if o.minor >= SUMMON_MINOR]
    older = [o for o in room.outboxes.values() if o.minor < SUMMON_MINOR]
    if newer:
        fan_out(newer, encode(changed), coalesce_key=key)
    if older:
        fan_out(older, encode(changed, minor=SUMMON_MINOR - 1), coalesce_key=key)


async def present_page(state: RelayState, client: Client, msg: m.PresentPage) -> None:
    """Answered by the ``presenter_changed`` broadcast itself (the presenter receives it too)."""
    room = state.joined_room(client, msg.meeting_id)
    room.present(
        client.who.user_id,
        client.who.role,
        msg.document_id,
        msg.version,
        msg.page,
        msg.pointer,
        summon=msg.summon,
    )
    _broadcast_presenter(state, room)


async def request_presenter(state: RelayState, client: Client, msg: m.RequestPresenter) -> None:
    room = state.joined_room(client, msg.meeting_id)
    frame = encode(m.PresenterRequested(meeting_id=msg.meeting_id, user_id=client.who.user_id))
    targets = [room.outboxes[c] for c in room.moderator_connections()]
    fan_out(targets, frame)
    client.outbox.send(m.Done(rid=msg.rid))


async def grant_presenter(state: RelayState, client: Client, msg: m.GrantPresenter) -> None:
    room = state.joined_room(client, msg.meeting_id)
    members = await state.store.run(state.store.member_ids, msg.meeting_id)
    room.grant(client.who.user_id, client.who.role, msg.user_id, members)
    client.outbox.send(m.Done(rid=msg.rid))
    _broadcast_presenter(state, room)


async def take_presenter(state: RelayState, client: Client, msg: m.TakePresenter) -> None:
    room = state.joined_room(client, msg.meeting_id)
    room.take(client.who.user_id, client.who.role)
    client.outbox.send(m.Done(rid=msg.rid))
    _broadcast_presenter(state, room)


async def save_presenters(state: RelayState) -> None:
    """Write the presenter state of every room that changed since its last save."""
    for meeting_id, room in list(state.rooms.items()):
        if room.unsaved:
            room.unsaved = False
            try:
                await state.store.run(state.store.save_presenter, meeting_id, room.presenter)
            except Exception:  # noqa: BLE001 - a lost page position is not worth a crash
                room.unsaved = True
                log.warning("could not save the presenter state of %s", meeting_id)


async def save_presenters_periodically(state: RelayState) -> None:
    while True:
        await asyncio.sleep(state.config.presenter_save_interval)
        await save_presenters(state)
