"""The annotation log's handlers, without sockets: who is told, who may fetch what."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.handlers import meetings, oplog
from server.state import Client

from .handler_world import World, ask, close_world, mailbox, op, open_world, pages, refused


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path, max_text_frame=2000)
    yield w
    close_world(w)


async def joined(world: World, user_id: str) -> Client:
    client = world.connect(user_id)
    await ask(world, meetings.join, client, m.JoinMeeting(rid=1, meeting_id=MEETING_ID))
    return client


async def test_shared_ops_reach_the_room_and_private_ones_only_the_authors_devices(
    world: World,
) -> None:
    author, laptop, other = (
        await joined(world, "giin1"),
        await joined(world, "giin1"),
        await joined(world, "giin2"),
    )
    for client in (author, laptop, other):
        mailbox(client).take()
    append = m.AppendOps(rid=5, meeting_id=MEETING_ID, ops=(op("a"), op("p", "private")))
    await ask(world, oplog.append_ops, author, append)
    results = mailbox(author).only(m.OpsAppended).results
    assert [(r.op_id, r.duplicate) for r in results] == [("a", False), ("p", False)]
    shared, private = mailbox(laptop).take()
    assert isinstance(shared, m.OpsAdded) and [o.op_id for o in shared.ops] == ["a"]
    assert isinstance(private, m.OpsAdded) and [o.op_id for o in private.ops] == ["p"]
    assert [o.op_id for o in mailbox(other).only(m.OpsAdded).ops] == ["a"]


async def test_a_replayed_op_is_acknowledged_with_its_first_seq_and_not_pushed(
    world: World,
) -> None:
    author, other = await joined(world, "giin1"), await joined(world, "giin2")
    append = m.AppendOps(rid=1, meeting_id=MEETING_ID, ops=(op("a"),))
    await ask(world, oplog.append_ops, author, append)
    first = mailbox(author).take()[-1]
    mailbox(other).take()
    await ask(world, oplog.append_ops, author, append)
    (again,) = mailbox(author).only(m.OpsAppended).results
    assert isinstance(first, m.OpsAppended) and again.seq == first.results[0].seq
    assert again.duplicate and mailbox(other).take() == []


async def test_fetching_pages_within_the_frame_and_hides_others_private_ops(
    world: World,
) -> None:
    author, reader = world.connect("giin1"), world.connect("giin2")
    ops = tuple(replace(op(f"s{n}"), payload=bytes(300)) for n in range(6)) + (
        op("mine", "private"),
    )
    await ask(world, oplog.append_ops, author, m.AppendOps(rid=1, meeting_id=MEETING_ID, ops=ops))
    fetched = await pages(
        world,
        reader,
        oplog.fetch_ops,
        lambda at: m.FetchOps(rid=2, meeting_id=MEETING_ID, since=at),
        m.OpsFetched,
        lambda reply: (reply.last_seq, reply.more),
    )
    assert len(fetched) > 1 and all(reply.ops for reply in fetched)
    assert [o.op_id for reply in fetched for o in reply.ops] == [f"s{n}" for n in range(6)]


async def test_only_members_append_or_fetch(world: World) -> None:
    admin = world.connect("admin")
    append = m.AppendOps(rid=1, meeting_id=MEETING_ID, ops=(op("x"),))
    assert await refused(world, oplog.append_ops, admin, append) is ErrorCode.FORBIDDEN
    fetch = m.FetchOps(rid=2, meeting_id=MEETING_ID, since=0)
    assert await refused(world, oplog.fetch_ops, admin, fetch) is ErrorCode.FORBIDDEN
