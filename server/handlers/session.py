"""A connection's session: the handshake (``hello``, ``enrol``, ``authenticate``) and its end.

What may be sent when is the protocol :class:`~furano_meet.protocol.Session`'s business; these
handlers answer the handshake, admit an authenticated device (within the per-device connection
limit) and, when a connection ends or its device is revoked, undo everything it held.
"""

from __future__ import annotations

import logging

from furano_meet import __version__
from furano_meet.protocol import (
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    ErrorCode,
    version_refusal,
)
from furano_meet.protocol import messages as m

from ..admission import counted
from ..errors import Refusal
from ..state import Client, RelayState
from ..store import CODE_REFUSED, DeviceIdentity, plausible_code
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
    store, guesses = state.store, state.enrol_guesses
    if counted(client.address) and not guesses.allowed(client.address):
        wait = guesses.retry_after(client.address)
        raise Refusal(
            ErrorCode.RATE_LIMITED,
            f"Too many wrong enrolment codes from this network; try again in {wait / 60:.0f} "
            "minutes, or ask the clerk's office.",
        )
    try:
        if msg.claim:
            identity, token = await store.run(
                store.enrol_with_claim, msg.claim, msg.device_name, msg.public_keys
            )
        else:
            if not plausible_code(msg.code):  # no database work for what cannot be a code
                raise Refusal(ErrorCode.ENROLMENT_CODE_INVALID, CODE_REFUSED)
            identity, token = await store.run(
                store.enrol, msg.code, msg.device_name, msg.public_keys
            )
    except Refusal as exc:
        if exc.code is ErrorCode.ENROLMENT_CODE_INVALID:
            _wrong_code(state, client, msg.rid, exc)
        raise
    state.admit(client, identity)
    log.info("device %s enrolled for user %s", identity.device_id, identity.user_id)
    admins, uncertified = await store.run(certification_targets, store, identity)
    if uncertified:
        # Each admin connection gets the fields its protocol minor knows (the claim is 1.3).
        for outbox in state.device_outboxes(admins):
            outbox.send(m.CertificatesNeeded(devices=tuple(uncertified)))
    _welcome_device(client, m.Enrolled, msg.rid, identity, token=token)


def _wrong_code(state: RelayState, client: Client, rid: int, exc: Refusal) -> None:
    """Count a wrong code; past the per-connection limit, answer and close the connection
    (a guesser must then reconnect, and the per-address limit counts every connection)."""
    if counted(client.address):
        state.enrol_guesses.failed(client.address)
    client.enrol_failures += 1
    if client.enrol_failures >= state.config.enrol_attempts_per_connection:
        client.outbox.send(m.Failed(rid=rid, code=exc.code, message=exc.message, fatal=True))
        client.outbox.close_soon(code=1008, reason="too many wrong enrolment codes")


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
