"""The annotation log: idempotent appends, private routing, resume from a sequence number."""

from __future__ import annotations

import pytest

from furano_meet.net import RelayError
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.relay import Relay
from tests.conftest import Connect, StalledWriter


def op(op_id: str, visibility: m.Visibility = "shared", kind: m.OpKind = "add") -> m.NewOp:
    return m.NewOp(
        op_id=op_id,
        document_id="pack",
        version=1,
        page=2,
        visibility=visibility,
        kind=kind,
        payload=b"ciphertext of " + op_id.encode(),
    )


async def test_a_replayed_op_is_acknowledged_not_duplicated(connect_as: Connect) -> None:
    author = await connect_as("giin1", join=True)
    other = await connect_as("giin2", join=True)
    first = await author.request(m.AppendOps(meeting_id=MEETING_ID, ops=(op("ink-1"),)))
    replay = await author.request(
        m.AppendOps(meeting_id=MEETING_ID, ops=(op("ink-1"), op("ink-2")))
    )
    assert isinstance(first, m.OpsAppended) and isinstance(replay, m.OpsAppended)
    assert replay.results[0].seq == first.results[0].seq and replay.results[0].duplicate
    assert not replay.results[1].duplicate
    seen = [(await other.expect(m.OpsAdded)).ops for _ in range(2)]
    assert [o.op_id for batch in seen for o in batch] == ["ink-1", "ink-2"]
    fetched = await other.request(m.FetchOps(meeting_id=MEETING_ID, since=0))
    assert isinstance(fetched, m.OpsFetched)
    assert [o.op_id for o in fetched.ops] == ["ink-1", "ink-2"] and not fetched.more


async def test_private_ops_reach_only_the_authors_own_devices(connect_as: Connect) -> None:
    tablet = await connect_as("giin1", join=True)
    laptop = await connect_as("giin1", join=True)  # the same councillor's second device
    colleague = await connect_as("giin2", join=True)
    await tablet.request(m.AppendOps(meeting_id=MEETING_ID, ops=(op("note-1", "private"),)))
    await tablet.request(m.AppendOps(meeting_id=MEETING_ID, ops=(op("hl-1", "shared"),)))
    mine = await laptop.expect(m.OpsAdded)
    assert [o.op_id for o in mine.ops] == ["note-1"] and mine.ops[0].author_user_id == "giin1"
    theirs = await colleague.expect(m.OpsAdded)
    assert [o.op_id for o in theirs.ops] == ["hl-1"]
    fetched = await colleague.request(m.FetchOps(meeting_id=MEETING_ID, since=0))
    assert isinstance(fetched, m.OpsFetched) and [o.op_id for o in fetched.ops] == ["hl-1"]
    own = await laptop.request(m.FetchOps(meeting_id=MEETING_ID, since=0))
    assert isinstance(own, m.OpsFetched) and [o.op_id for o in own.ops] == ["note-1", "hl-1"]


async def test_resume_from_the_last_sequence_number_in_pages(connect_as: Connect) -> None:
    author = await connect_as("giin1")
    for start in range(0, 1000, 250):
        batch = tuple(op(f"op-{i:04d}") for i in range(start, start + 250))
        await author.request(m.AppendOps(meeting_id=MEETING_ID, ops=batch))
    reader = await connect_as("giin2")
    since, seen, pages = 0, [], 0
    while True:
        page = await reader.request(m.FetchOps(meeting_id=MEETING_ID, since=since, limit=300))
        assert isinstance(page, m.OpsFetched)
        seen += [o.op_id for o in page.ops]
        since, pages = page.last_seq, pages + 1
        if not page.more:
            break
    assert seen == [f"op-{i:04d}" for i in range(1000)] and pages == 4


async def test_a_member_cannot_read_or_write_another_meetings_log(
    connect_as: Connect, relay: Relay
) -> None:
    await relay.store.run(relay.store.create_meeting, "closed", "furano", "秘密会")
    await relay.store.run(relay.store.set_members, "closed", ["iincho"])
    chair = await connect_as("iincho")
    await chair.request(m.AppendOps(meeting_id="closed", ops=(op("secret"),)))
    member = await connect_as("giin1")
    for request in (
        m.FetchOps(meeting_id="closed", since=0),
        m.AppendOps(meeting_id="closed", ops=(op("intrude"),)),
        m.JoinMeeting(meeting_id="closed"),
        m.BeginDownload(meeting_id="closed", document_id="x", version=1),
        m.GetKeyEnvelopes(meeting_id="closed"),
    ):
        with pytest.raises(RelayError) as refused:
            await member.request(request)
        assert refused.value.code == "forbidden"


async def test_a_connection_that_falls_behind_is_told_to_resync(
    connect_as: Connect, relay: Relay
) -> None:
    author = await connect_as("giin1", join=True)
    lagging = await connect_as("giin2", join=True)
    async with StalledWriter(relay, "giin2") as stalled:
        stalled.client.outbox.max_bytes = 4000
        for i in range(40):
            await author.request(m.AppendOps(meeting_id=MEETING_ID, ops=(op(f"burst-{i}"),)))
        assert stalled.client.outbox.shed_count > 0
        assert stalled.client.outbox.queued_bytes <= 4000
    resync = await lagging.expect(m.ResyncNeeded)
    assert resync.meeting_id == MEETING_ID
    fetched = await lagging.request(m.FetchOps(meeting_id=MEETING_ID, since=0))
    assert isinstance(fetched, m.OpsFetched) and len(fetched.ops) == 40  # nothing was lost
