"""Keys: envelopes sealed to devices, the member devices' keys, and certifying new devices.

The relay never sees a meeting key.  Devices that hold one seal it to devices that need it; the
relay stores the envelopes, hands each device its own, and tells key holders who is waiting
(``key_needed``) and administrators whom to certify (``certificates_needed``).
"""

from __future__ import annotations

from furano_meet.protocol import ErrorCode, encode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from ..fanout import fan_out
from ..state import Client, RelayState
from ..store import DeviceIdentity, Store
from .paging import trim
from .trust import checked_envelopes


async def ask_key_holders(
    state: RelayState, meeting_id: str, waiting: list[m.DeviceKeyInfo]
) -> None:
    """Tell every online device that holds the meeting key that ``waiting`` needs it."""
    online = list(state.by_device)
    holders = await state.store.run(state.store.key_holders_among, meeting_id, online)
    frame = encode(m.KeyNeeded(meeting_id=meeting_id, devices=tuple(waiting)))
    fan_out(state.device_outboxes(holders), frame)


def certification_targets(
    store: Store, identity: DeviceIdentity
) -> tuple[list[str], list[m.DeviceKeyInfo]]:
    """Online-able admin devices of the org, and the new device if it lacks a certificate
    (store thread)."""
    mine = [
        d for d in store.uncertified_devices(identity.org_id) if d.device_id == identity.device_id
    ]
    return store.admin_devices(identity.org_id), mine


async def certify_device(state: RelayState, client: Client, msg: m.CertifyDevice) -> None:
    if client.who.role != "admin":
        raise Refusal(ErrorCode.FORBIDDEN, "Only an administrator's device can certify devices.")
    store = state.store
    subject = await store.run(store.identity, msg.device_id)
    if subject.org_id != client.who.org_id:
        raise Refusal(ErrorCode.NOT_FOUND, f"no device {msg.device_id!r}")
    await store.run(store.certify_device, msg.device_id, msg.certificate)
    client.outbox.send(m.Done(rid=msg.rid))
    # Key holders skip uncertified devices; now that it is certified, ask them again.
    for meeting in await store.run(store.meetings_for, subject.user_id):
        awaiting = await store.run(store.devices_awaiting_key, meeting.meeting_id)
        waiting = [d for d in awaiting if d.device_id == msg.device_id]
        if waiting:
            await ask_key_holders(state, meeting.meeting_id, waiting)


async def list_uncertified(state: RelayState, client: Client, msg: m.ListUncertified) -> None:
    if client.who.role != "admin":
        raise Refusal(ErrorCode.FORBIDDEN, "Only an administrator's device sees this list.")
    devices = await state.store.run(state.store.uncertified_devices, client.who.org_id)
    client.outbox.send(m.CertificatesNeeded(rid=msg.rid, devices=tuple(devices)))


async def list_certified(state: RelayState, client: Client, msg: m.ListCertified) -> None:
    """(1.6) The administrator's list of certified devices (names are in the certificates)."""
    if client.who.role != "admin":
        raise Refusal(ErrorCode.FORBIDDEN, "Only an administrator's device sees this list.")
    devices = await state.store.run(state.store.certified_devices, client.who.org_id)
    empty = m.CertifiedListed(rid=msg.rid, devices=(), next_offset=2**53 - 1, more=True)
    page, more = _device_page(state, client, devices[msg.offset :], empty)
    client.outbox.send(
        m.CertifiedListed(rid=msg.rid, devices=page, next_offset=msg.offset + len(page), more=more)
    )


def _device_page(
    state: RelayState, client: Client, page: list[m.DeviceKeyInfo], empty: m.Msg
) -> tuple[tuple[m.DeviceKeyInfo, ...], bool]:
    """The devices from the requested offset that fit one frame beside ``empty`` (the reply
    without them), and whether some were left for the next page."""
    # Base64 is 4/3, the rest of an entry is under 300 bytes: a council's few dozen devices
    # are never measured one by one.
    bound = sum((len(d.public_keys) + len(d.certificate)) * 4 // 3 + 300 for d in page)
    more = trim(page, empty, state.max_out, client.outbox.minor, bound=bound)
    return tuple(page), more


async def list_device_keys(state: RelayState, client: Client, msg: m.ListDeviceKeys) -> None:
    await state.membership(client, msg.meeting_id)
    devices = await state.store.run(state.store.member_device_keys, msg.meeting_id)
    if client.outbox.minor < 2:  # cannot page: everything, as before 1.2
        client.outbox.send(
            m.DeviceKeysListed(rid=msg.rid, meeting_id=msg.meeting_id, devices=tuple(devices))
        )
        return
    empty = m.DeviceKeysListed(
        rid=msg.rid, meeting_id=msg.meeting_id, devices=(), next_offset=2**53 - 1, more=True
    )
    page, more = _device_page(state, client, devices[msg.offset :], empty)
    client.outbox.send(
        m.DeviceKeysListed(
            rid=msg.rid,
            meeting_id=msg.meeting_id,
            devices=page,
            next_offset=msg.offset + len(page),
            more=more,
        )
    )


async def put_envelopes(state: RelayState, client: Client, msg: m.PutKeyEnvelopes) -> None:
    await state.membership(client, msg.meeting_id)
    envelopes = await checked_envelopes(state, client, msg)
    stored = await state.store.run(
        state.store.put_envelopes, msg.meeting_id, envelopes, client.who.device_id
    )
    client.outbox.send(m.Done(rid=msg.rid))
    # The pushes carry what was stored: ``sealed_by`` is the sending device, whatever the
    # client wrote, and envelopes skipped because another device sealed that slot are not
    # pushed at all.
    for device_id in dict.fromkeys(e.device_id for e in stored):
        mine = tuple(e for e in stored if e.device_id == device_id)
        frame = encode(m.KeyEnvelopesDelivered(meeting_id=msg.meeting_id, envelopes=mine))
        fan_out(state.device_outboxes([device_id]), frame)


async def get_envelopes(state: RelayState, client: Client, msg: m.GetKeyEnvelopes) -> None:
    await state.membership(client, msg.meeting_id)
    envelopes = await state.store.run(
        state.store.envelopes_for, msg.meeting_id, client.who.device_id
    )
    client.outbox.send(
        m.KeyEnvelopesDelivered(rid=msg.rid, meeting_id=msg.meeting_id, envelopes=tuple(envelopes))
    )
