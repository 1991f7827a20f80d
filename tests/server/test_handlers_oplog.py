"""The annotation log's handlers, without sockets: who is told, who may fetch what."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from furano_meet.crypto.keys import OrgRootKey
from furano_meet.crypto.signed_ops import OpHeader, sign_op, signed_op_hash
from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.handlers import meetings, oplog
from server.state import Client

from ..crypto.conftest import Org
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


# -- signed ops (protocol 1.3): the relay's service checks ------------------------------------


def signed_op(
    org: Org, device_id: str, n: int, prev: str = "", *, name: str = "", page: int = 0
) -> m.NewOp:
    """Op ``name`` (default ``a-n``) signed by ``device_id`` (a device of ``org``) with counter
    ``n``; ``page`` is what the frame says (the header always says page 0)."""
    device = org.devices.get(device_id) or org.enrol("giin1", device_id, "member")
    op_id = name or f"a-{n}"
    header = OpHeader(op_id, op_id, MEETING_ID, "d", 1, 0, "add", "shared", n, prev)
    signed = sign_op(header, b"ct", device.keys, device.cert)
    return replace(op(op_id), signed=signed, page=page)


@pytest.fixture(scope="module")
def org() -> Org:
    return Org(OrgRootKey.generate())


async def test_signed_ops_must_come_from_the_sender_and_continue_its_chain(
    tmp_path: Path, org: Org
) -> None:
    world = open_world(tmp_path)  # a frame that holds signed ops
    try:
        await _signed_ops_checked(world, org)
    finally:
        close_world(world)


async def _signed_ops_checked(world: World, org: Org) -> None:
    author = await joined(world, "giin1")
    mailbox(author).take()
    me = author.who.device_id
    first = signed_op(org, me, 1)
    await ask(world, oplog.append_ops, author, m.AppendOps(meeting_id=MEETING_ID, ops=(first,)))
    assert not mailbox(author).only(m.OpsAppended).results[0].duplicate
    after_first = signed_op_hash(first.signed)
    cases = {
        ErrorCode.STALE: signed_op(org, me, 1, name="a-7"),  # its counter again, a new id
        ErrorCode.FORBIDDEN: signed_op(org, "someone-else", 2, after_first),
        ErrorCode.INVALID_FIELD: signed_op(org, me, 2, after_first, page=5),
    }
    for code, new in cases.items():
        append = m.AppendOps(meeting_id=MEETING_ID, ops=(new,))
        assert await refused(world, oplog.append_ops, author, append) is code
    unchained = signed_op(org, me, 2, "0" * 64)  # does not name the last op's hash
    append = m.AppendOps(meeting_id=MEETING_ID, ops=(unchained,))
    assert await refused(world, oplog.append_ops, author, append) is ErrorCode.STALE
    chained = signed_op(org, me, 2, after_first)
    await ask(world, oplog.append_ops, author, m.AppendOps(meeting_id=MEETING_ID, ops=(chained,)))
    mailbox(author).take()
    fetch = m.FetchOps(meeting_id=MEETING_ID, since=0, signatures="heads")
    await ask(world, oplog.fetch_ops, author, fetch)
    logged = mailbox(author).only(m.OpsFetched).ops
    assert [(o.op_id, bool(o.header), bool(o.signature)) for o in logged] == [
        ("a-1", True, False),  # vouched for by a-2's hash chain
        ("a-2", True, True),
    ]
    small = replace(fetch, limit=1)  # a page that ends at a-1: a-1 is its stream's head there
    await ask(world, oplog.fetch_ops, author, small)
    assert [bool(o.signature) for o in mailbox(author).only(m.OpsFetched).ops] == [True]
