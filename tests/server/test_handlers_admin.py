"""The admin CLI's changes applied to live connections, without sockets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID, PEOPLE
from server.handlers import admin, documents, meetings

from .handler_world import World, ask, close_world, mailbox, open_world, publish


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path)
    yield w
    close_world(w)


async def test_a_revoked_device_is_told_cut_off_and_closed(world: World) -> None:
    await publish(world, world.connect("jimukyoku"), b"ciphertext" * 100)
    revoked, other = world.connect("giin1"), world.connect("giin2")
    for client in (revoked, other):
        await ask(world, meetings.join, client, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
    start = m.BeginDownload(rid=2, meeting_id=MEETING_ID, document_id="gian-12", version=1)
    await ask(world, documents.begin_download, revoked, start)
    mailbox(revoked).take()
    mailbox(other).take()
    world.store.revoke_device(revoked.who.device_id)
    await admin.apply_admin_changes(world.state)
    assert revoked.revoked and revoked.rooms == set()
    assert mailbox(revoked).take() == [m.DeviceRevoked(device_id=revoked.who.device_id)]
    assert mailbox(revoked).closed == (1008, "device revoked")
    assert mailbox(revoked).streams == []  # the rest of the download is not sent
    assert revoked.who.device_id not in world.state.by_device
    gone = mailbox(other).only(m.PresenceChanged)
    assert (gone.user_id, gone.online) == ("giin1", False)


async def test_a_removed_member_leaves_the_room_and_is_told_why(world: World) -> None:
    removed, staying = world.connect("giin1"), world.connect("giin2")
    for client in (removed, staying):
        await ask(world, meetings.join, client, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
    for client in (removed, staying):
        mailbox(client).take()
    keep = [user_id for user_id, _, role in PEOPLE if role != "admin" and user_id != "giin1"]
    world.store.set_members(MEETING_ID, keep)
    await admin.apply_admin_changes(world.state)
    told = mailbox(removed).only(m.Failed)
    assert told.code == ErrorCode.FORBIDDEN and told.meeting_id == MEETING_ID
    assert not removed.revoked and removed.rooms == set()
    assert mailbox(staying).only(m.PresenceChanged).online is False
    await admin.apply_admin_changes(world.state)  # nothing changed since: nobody is told again
    assert mailbox(removed).take() == [] and mailbox(staying).take() == []
