"""A connection's session: the handshake (``hello``, ``enrol``, ``authenticate``) and its end.

What may be sent when is the protocol :class:`~furano_meet.protocol.Session`'s business; these
handlers answer the handshake, admit an authenticated device (within the per-device connection
limit) and, when a connection ends or its device is revoked, undo everything it held.
"""

from __future__ import annotations

import logging

from furano_meet import __version__
from furano_meet.protocol import PROTOCOL_MAJOR, PROTOCOL_MINOR, version_refusal
from furano_meet.protocol import messages as m

from ..state import Client, RelayState
from ..store import DeviceIdentity
from .keys import certification_targets
from .meetings import leave_room
from .uploads import stop_transfers

log = logging.getLogger("furano.relay")


async def hello(state: RelayState, client: Client, msg: m.Hello) -> None:
    refusal = version_refusal(msg)
    if refusal is not None:
        client.outbox.send(refusal)
        client.session.close()
        return
    client.outbox.minor = client.session.peer_minor
    config = state.config
    client.outbox.deliver(
        client.session.send(
            m.Welcome(
                rid=msg.rid,
                major=PROTOCOL_MAJOR,
                minor=PROTOCOL_MINOR,
                server=f"furano-relay/{__version__}",
                max_frame=config.max_text_frame,
                max_chunk=config.max_chunk,
                max_document=config.max_document,
            )
        )
    )


async def enrol(state: RelayState, client: Client, msg: m.Enrol) -> None:
    """Redeem an admin-made invitation (1.3 ``claim``) or, legacy, a relay-made code."""
    store = state.store
    if msg.claim:
        identity, token = await store.run(
            store.enrol_with_claim, msg.claim, msg.device_name, msg.public_keys
        )
    else:
        identity, token = await store.run(store.enrol, msg.code, msg.device_name, msg.public_keys)
    state.admit(client, identity)
    log.info("device %s enrolled for user %s", identity.device_id, identity.user_id)
    admins, uncertified = await store.run(certification_targets, store, identity)
    if uncertified:
        # Each admin connection gets the fields its protocol minor knows (the claim is 1.3).
        for outbox in state.device_outboxes(admins):
            outbox.send(m.CertificatesNeeded(devices=tuple(uncertified)))
    _welcome_device(client, m.Enrolled, msg.rid, identity, token=token)


async def authenticate(state: RelayState, client: Client, msg: m.Authenticate) -> None:
    identity = await state.store.run(state.store.authenticate, msg.device_id, msg.token)
    state.admit(client, identity)
    _welcome_device(client, m.Authenticated, msg.rid, identity)


def _welcome_device(
    client: Client,
    reply: type[m.Enrolled] | type[m.Authenticated],
    rid: int,
    identity: DeviceIdentity,
    **extra: str,
) -> None:
    """Answer a successful ``enrol``/``authenticate`` with who the device is, through the
    session (which moves to the authenticated phase)."""
    client.outbox.deliver(
        client.session.send(
            reply(
                rid=rid,
                org_id=identity.org_id,
                user_id=identity.user_id,
                device_id=identity.device_id,
                role=identity.role,
                display_name=identity.display_name,
                **extra,
            )
        )
    )


async def detach(state: RelayState, client: Client) -> None:
    """Undo what ``client`` held: its transfers, its device's slot, its rooms."""
    stop_transfers(state, client)
    state.forget_device(client)
    for meeting_id in list(client.rooms):
        await leave_room(state, client, meeting_id)
