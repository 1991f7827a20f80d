"""The handshake handlers without sockets: hello, enrol, authenticate, and a connection's end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import PROTOCOL_MAJOR, ErrorCode
from furano_meet.protocol import messages as m
from furano_meet.protocol.session import Phase
from server.demo import MEETING_ID
from server.errors import Refusal
from server.handlers import meetings, session

from .handler_world import World, ask, close_world, mailbox, open_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path, max_connections_per_device=2, max_text_frame=300_000)
    yield w
    close_world(w)


async def test_hello_is_welcomed_with_this_relays_limits(world: World) -> None:
    client = world.anonymous()
    await ask(world, session.hello, client, m.Hello(rid=1, major=PROTOCOL_MAJOR, minor=1))
    welcome = mailbox(client).only(m.Welcome)
    assert (welcome.rid, welcome.max_frame) == (1, 300_000)
    assert welcome.max_chunk == world.state.config.max_chunk
    assert client.session.phase is Phase.ANONYMOUS
    assert client.outbox.minor == 1  # later replies leave out what a 1.1 client cannot read


async def test_an_unsupported_major_is_refused_and_closes_the_session(world: World) -> None:
    client = world.anonymous()
    await ask(world, session.hello, client, m.Hello(rid=1, major=PROTOCOL_MAJOR + 1, minor=0))
    refused = mailbox(client).only(m.Failed)
    assert refused.code == ErrorCode.VERSION_UNSUPPORTED and refused.fatal
    assert client.session.phase is Phase.CLOSED


def hello() -> m.Hello:
    return m.Hello(rid=1, major=PROTOCOL_MAJOR, minor=2)


async def test_enrolment_admits_the_device_and_asks_online_admins_to_certify_it(
    world: World,
) -> None:
    admin = world.connect("admin")
    client = world.anonymous()
    await ask(world, session.hello, client, hello())
    mailbox(client).take()
    code = world.store.issue_enrolment_code("giin1")
    await ask(
        world, session.enrol, client, m.Enrol(rid=2, code=code, device_name="tab", public_keys=b"k")
    )
    enrolled = mailbox(client).only(m.Enrolled)
    assert (enrolled.user_id, enrolled.role, enrolled.rid) == ("giin1", "member", 2)
    assert enrolled.token and client.who.device_id == enrolled.device_id
    assert client in world.state.by_device[enrolled.device_id]
    asked = mailbox(admin).only(m.CertificatesNeeded)
    assert [d.device_id for d in asked.devices] == [enrolled.device_id]
    # and the token it was given authenticates a second connection of the same device
    again = world.anonymous()
    await ask(world, session.hello, again, hello())
    await ask(
        world,
        session.authenticate,
        again,
        m.Authenticate(rid=3, device_id=enrolled.device_id, token=enrolled.token),
    )
    mailbox(again).take()
    assert again.who == client.who and again.session.phase is Phase.READY


async def test_a_wrong_token_is_refused(world: World) -> None:
    tablet = world.connect("giin1")
    client = world.anonymous()
    await ask(world, session.hello, client, hello())
    with pytest.raises(Refusal) as info:
        await ask(
            world,
            session.authenticate,
            client,
            m.Authenticate(rid=2, device_id=tablet.who.device_id, token="not the token"),
        )
    assert info.value.code is ErrorCode.BAD_CREDENTIALS and client.identity is None


async def test_a_device_gets_no_more_connections_than_the_limit(world: World) -> None:
    first = world.connect("giin1")
    world.state.admit(world.anonymous(), first.who)  # the second of two allowed
    with pytest.raises(Refusal) as info:
        world.state.admit(world.anonymous(), first.who)
    assert info.value.code is ErrorCode.TOO_MANY_CONNECTIONS
    assert len(world.state.by_device[first.who.device_id]) == 2


async def test_detach_leaves_every_room_and_frees_the_device_slot(world: World) -> None:
    leaving, staying = world.connect("giin1"), world.connect("giin2")
    for client in (leaving, staying):
        await ask(world, meetings.join, client, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
        mailbox(client).take()
    mailbox(staying).take()
    await session.detach(world.state, leaving)
    gone = mailbox(staying).only(m.PresenceChanged)
    assert (gone.user_id, gone.online) == ("giin1", False)
    assert leaving.rooms == set() and leaving.who.device_id not in world.state.by_device
    assert [a.user_id for a in world.state.rooms[MEETING_ID].attendees.values()] == ["giin2"]
