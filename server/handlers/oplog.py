"""The annotation log: members append encrypted ops and fetch what they may see.

Shared ops are pushed to everyone else in the room, private ones only to the author's other
connections; both pushes may be shed for a slow reader (``resync_needed``), since the log is
durable and the client fetches from its last sequence number.
"""

from __future__ import annotations

import dataclasses

from furano_meet.protocol import encode
from furano_meet.protocol import messages as m

from ..fanout import fan_out
from ..signed_ops import check_signed
from ..state import Client, RelayState
from ..store import DeviceIdentity, Store
from .paging import trim


def _append(
    store: Store, meeting_id: str, who: DeviceIdentity, ops: tuple[m.NewOp, ...]
) -> tuple[list[m.OpResult], list[m.LoggedOp]]:
    store.meeting_for_member(meeting_id, who.user_id)
    signed = [check_signed(meeting_id, who, op) for op in ops]
    return store.append_ops(meeting_id, who, ops, signed)


def heads_only(ops: list[m.LoggedOp]) -> list[m.LoggedOp]:
    """Each op's signature left out unless it is the last of its stream (author device,
    visibility) in the page: the reader checks the rest by their hash chain
    (:func:`furano_meet.crypto.signed_ops.verify_op_chain`), which saves ~4.4 KB an op."""
    last: dict[tuple[str, str], int] = {}
    for index, op in enumerate(ops):
        last[(op.author_device_id, op.visibility)] = index
    heads = set(last.values())
    return [
        op if index in heads or not op.signature else dataclasses.replace(op, signature=b"")
        for index, op in enumerate(ops)
    ]


async def append_ops(state: RelayState, client: Client, msg: m.AppendOps) -> None:
    results, logged = await state.store.run(
        _append, state.store, msg.meeting_id, client.who, msg.ops
    )
    client.outbox.send(
        m.OpsAppended(rid=msg.rid, meeting_id=msg.meeting_id, results=tuple(results))
    )
    room = state.rooms.get(msg.meeting_id)
    if room is None or not logged:
        return
    shared = tuple(op for op in logged if op.visibility == "shared")
    private = tuple(op for op in logged if op.visibility == "private")
    if shared:
        frame = encode(m.OpsAdded(meeting_id=msg.meeting_id, ops=shared))
        fan_out(room.outboxes_except(client.conn_id), frame, sheddable_for=msg.meeting_id)
    if private:
        own = [
            room.outboxes[c]
            for c in room.connections_of({client.who.user_id})
            if c != client.conn_id
        ]
        frame = encode(m.OpsAdded(meeting_id=msg.meeting_id, ops=private))
        fan_out(own, frame, sheddable_for=msg.meeting_id)


def _fetch(
    store: Store, meeting_id: str, user_id: str, since: int, limit: int
) -> tuple[list[m.LoggedOp], bool]:
    store.meeting_for_member(meeting_id, user_id)
    return store.fetch_ops(meeting_id, user_id, since, limit)


async def fetch_ops(state: RelayState, client: Client, msg: m.FetchOps) -> None:
    """Reply with as many ops as fit one frame (``more`` if some did not).

    Op payloads may be 64 KiB each, so ``limit`` ops can be far more than one frame holds.
    At least one op is always sent, so a client paging with ``since`` always progresses.
    """
    ops, more = await state.store.run(
        _fetch, state.store, msg.meeting_id, client.who.user_id, msg.since, msg.limit
    )
    empty = m.OpsFetched(
        rid=msg.rid, meeting_id=msg.meeting_id, ops=(), last_seq=2**53 - 1, more=True
    )
    full, reserve = ops, 0
    if msg.signatures == "heads":
        ops = heads_only(full)
        # Trimming may cut a stream's last op; its predecessor then needs its signature back.
        reserve = sum((len(op.signature) * 4 // 3 + 32) for op in ops if op.signature)
    # Base64 is 4/3, the rest of an op is ASCII and under 600 bytes.
    bound = sum((len(op.payload) + len(op.header) + len(op.signature)) * 4 // 3 + 600 for op in ops)
    more = trim(ops, empty, state.max_out - reserve, client.outbox.minor, bound=bound) or more
    if msg.signatures == "heads":
        ops = heads_only(full[: len(ops)])
    client.outbox.send(
        m.OpsFetched(
            rid=msg.rid,
            meeting_id=msg.meeting_id,
            ops=tuple(ops),
            last_seq=ops[-1].seq if ops else msg.since,
            more=more,
        )
    )
