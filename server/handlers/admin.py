"""Changes the admin CLI makes while the relay serves: revoked devices, removed members.

The CLI is another process writing the same database; SQLite's ``data_version`` changes when it
commits, so :func:`watch_admin_changes` polls that cheap counter every ``admin_poll_interval``
and only then asks the store what changed.  A revoked device is told and disconnected at once
(from that moment none of its requests is served and its downloads stop); a removed member is
dropped from the room and told why.
"""

from __future__ import annotations

import asyncio
import logging

from furano_meet.protocol import ErrorCode, encode
from furano_meet.protocol import messages as m

from ..state import Client, RelayState
from .meetings import leave_room
from .session import detach

log = logging.getLogger("furano.relay")


async def watch_admin_changes(state: RelayState) -> None:
    store = state.store
    version = await store.run(store.data_version)
    while True:
        await asyncio.sleep(state.config.admin_poll_interval)
        try:
            current = await store.run(store.data_version)
            if current != version:
                version = current
                await apply_admin_changes(state)
        except Exception:  # noqa: BLE001 - housekeeping must outlive a bad moment
            log.exception("could not apply administrative changes")


async def apply_admin_changes(state: RelayState) -> None:
    """Disconnect revoked devices and drop removed members from their rooms."""
    store = state.store
    revoked = await store.run(store.revoked_among, list(state.by_device))
    for device_id in revoked:
        for client in list(state.by_device.get(device_id, ())):
            await revoke(state, client, device_id)
    for meeting_id, room in list(state.rooms.items()):
        members = await store.run(store.member_ids, meeting_id)
        for conn_id, attendee in list(room.attendees.items()):
            removed = state.clients.get(conn_id)
            if attendee.user_id not in members and removed is not None:
                await leave_room(state, removed, meeting_id)
                removed.outbox.send(
                    m.Failed(
                        code=ErrorCode.FORBIDDEN,
                        message="You were removed from this meeting by the clerk's office.",
                        meeting_id=meeting_id,
                    )
                )


async def retire_device(state: RelayState, client: Client, msg: m.RetireDevice) -> None:
    """A device being wiped revokes itself: the same as an administrator's ``revoke-device``
    (its other connections are closed by the admin-change watcher within half a second)."""
    device_id = client.who.device_id
    await state.store.run(state.store.revoke_device, device_id)
    log.info("device %s retired itself", device_id)
    client.outbox.send(m.Done(rid=msg.rid))
    await revoke(state, client, device_id)


async def revoke(state: RelayState, client: Client, device_id: str) -> None:
    """Stop serving a revoked device's connection at once, tell it why, and close it.

    Nothing queued for it is sent any more (not the rest of a download, not replies to
    requests it sent before), its uploads stop, it leaves its rooms and no push reaches it;
    a frame it still sends gets ``failed``/``device_revoked`` until the close completes.
    """
    log.info("disconnecting revoked device %s", device_id)
    client.revoked = True
    await detach(state, client)
    frame = encode(m.DeviceRevoked(device_id=device_id), minor=client.outbox.minor)
    client.outbox.close_now(frame, code=1008, reason="device revoked")
