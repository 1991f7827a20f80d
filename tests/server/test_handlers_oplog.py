"""The annotation log's handlers, without sockets: who is told, who may fetch what."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.errors import Refusal
from server.handlers import meetings, oplog
from server.state import Client

from .handler_world import World, ask, close_world, mailbox, open_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path, max_text_frame=2000)
    yield w
    close_world(w)


def op(op_id: str, visibility: m.Visibility = "shared", payload: bytes = b"ct") -> m.NewOp:
    return m.NewOp(
        op_id=op_id,
        document_id="gian-12",
        version=1,
        page=0,
        visibility=visibility,
        kind="add",
        payload=payload,
    )


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
    ops = tuple(op(f"s{n}", payload=bytes(300)) for n in range(6)) + (op("mine", "private"),)
    await ask(world, oplog.append_ops, author, m.AppendOps(rid=1, meeting_id=MEETING_ID, ops=ops))
    seen: list[str] = []
    since, more, pages = 0, True, 0
    while more:
        pages += 1
        await ask(
            world, oplog.fetch_ops, reader, m.FetchOps(rid=2, meeting_id=MEETING_ID, since=since)
        )
        fetched = mailbox(reader).only(m.OpsFetched)
        assert fetched.ops
        seen += [o.op_id for o in fetched.ops]
        since, more = fetched.last_seq, fetched.more
    assert seen == [f"s{n}" for n in range(6)] and pages > 1


async def test_only_members_append_or_fetch(world: World) -> None:
    admin = world.connect("admin")
    with pytest.raises(Refusal) as info:
        await ask(
            world,
            oplog.append_ops,
            admin,
            m.AppendOps(rid=1, meeting_id=MEETING_ID, ops=(op("x"),)),
        )
    assert info.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(Refusal) as info:
        await ask(world, oplog.fetch_ops, admin, m.FetchOps(rid=2, meeting_id=MEETING_ID, since=0))
    assert info.value.code is ErrorCode.FORBIDDEN
