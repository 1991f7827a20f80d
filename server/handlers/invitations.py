"""Invitations made on the administrator's device (protocol 1.3): stored, then found by code key.

The relay only keeps and serves them (:mod:`server.store.invitations` says why it can neither
mint nor redeem one); redeeming is part of ``enrol`` (:mod:`.session`).
"""

from __future__ import annotations

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from ..state import Client, RelayState


async def put_invitation(state: RelayState, client: Client, msg: m.PutInvitation) -> None:
    if client.who.role != "admin":
        raise Refusal(ErrorCode.FORBIDDEN, "Only an administrator's device can invite devices.")
    store = state.store
    await store.run(store.put_invitation, client.who, msg.invitation, msg.issuer_certificate)
    client.outbox.send(m.Done(rid=msg.rid))


async def find_invitation(state: RelayState, client: Client, msg: m.FindInvitation) -> None:
    """Anonymous (before enrolment): the bucket rate-limits it like ``enrol``; a code key is a
    2^97-guess secret, so listing invitations this way is out of reach."""
    store = state.store
    invitation, issuer = await store.run(store.find_invitation, msg.code_key)
    client.outbox.send(
        m.InvitationFound(rid=msg.rid, invitation=invitation, issuer_certificate=issuer)
    )
