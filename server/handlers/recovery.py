"""Recovery boxes (protocol 1.3): keep and hand back each user's sealed private-note keys.

The relay cannot open a box (it is sealed under a code only the user knows), so what it can do
is decide who may put and get one: only the user's own certified devices, each for its own user.
A device of another user naming this user is refused (``forbidden``) — a relay bug or a hostile
client must never hand one member's box to another, even sealed. An older or equal version is
refused (``conflict``): the newest box wins, and a replay cannot roll it back.
"""

from __future__ import annotations

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from ..state import Client, RelayState


async def _own_certified(state: RelayState, client: Client, user_id: str) -> None:
    """Refuse unless the asking device belongs to ``user_id`` and is certified."""
    if user_id != client.who.user_id:
        raise Refusal(ErrorCode.FORBIDDEN, "A recovery box is only for its own user's devices.")
    if not await state.store.run(state.store.device_certified, client.who.device_id):
        raise Refusal(
            ErrorCode.FORBIDDEN,
            "This device has no certificate from the organisation yet; ask the administrator.",
        )


async def put_box(state: RelayState, client: Client, msg: m.PutRecoveryBox) -> None:
    await _own_certified(state, client, msg.user_id)
    await state.store.run(
        state.store.put_recovery_box, msg.user_id, msg.version, msg.box, client.who.device_id
    )
    client.outbox.send(m.Done(rid=msg.rid))


async def get_box(state: RelayState, client: Client, msg: m.GetRecoveryBox) -> None:
    await _own_certified(state, client, msg.user_id)
    version, box = await state.store.run(state.store.recovery_box, msg.user_id)
    client.outbox.send(m.RecoveryBox(rid=msg.rid, user_id=msg.user_id, version=version, box=box))
