"""The administrator's manual certification: compare a device's key fingerprint, then vouch.

Why manual: automatic certification (``SyncEngine(auto_certify=True)``) trusts the relay's word
that a device was enrolled with a valid one-time code. A relay that forged an enrolment could get
its own keys certified. Here the administrator reads the fingerprint on the new device's screen
(``furano-meet whoami``) and types it in; the organisation root signs only if it matches the
keys the relay presents.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from furano_meet.crypto import normalise_fingerprint
from furano_meet.crypto.keys import DevicePublicBundle
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore

from .account import Account
from .keys import send_certificate


@dataclass(frozen=True, slots=True)
class PendingDevice:
    device_id: str
    user_id: str
    role: str
    fingerprint: str


def device_fingerprint(account: Account) -> str:
    """This device's key fingerprint, to read out to the administrator."""
    return account.keys.public_bundle().fingerprint()


async def _connect(account: Account, ssl_context: ssl.SSLContext | None) -> RelayConnection:
    conn = await RelayConnection.connect(
        account.relay_url, ssl_context=ssl_context, ca_file=account.ca_file
    )
    await conn.authenticate(account.device_id, account.token)
    return conn


async def pending_devices(
    account: Account, *, ssl_context: ssl.SSLContext | None = None
) -> list[PendingDevice]:
    """Devices of the organisation still waiting for a certificate."""
    async with await _connect(account, ssl_context) as conn:
        reply = await conn.request(m.ListUncertified())
    assert isinstance(reply, m.CertificatesNeeded)
    return [
        PendingDevice(
            d.device_id,
            d.user_id,
            d.role,
            DevicePublicBundle.from_bytes(d.public_keys).fingerprint(),
        )
        for d in reply.devices
    ]


async def certify(
    account: Account,
    store: LocalStore,
    device_id: str,
    expected_fingerprint: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> PendingDevice:
    """Certify one device if the keys the relay presents have the fingerprint the admin read."""
    root = account.org_root(store)
    if root is None:
        raise RelayError("not_admin", "This profile does not hold the organisation root key.")
    wanted = normalise_fingerprint(expected_fingerprint)
    async with await _connect(account, ssl_context) as conn:
        reply = await conn.request(m.ListUncertified())
        assert isinstance(reply, m.CertificatesNeeded)
        info = next((d for d in reply.devices if d.device_id == device_id), None)
        if info is None:
            raise RelayError("not_found", f"No device {device_id} is waiting for a certificate.")
        bundle = DevicePublicBundle.from_bytes(info.public_keys)
        if bundle.fingerprint() != wanted:
            raise RelayError(
                "key_substitution",
                "The keys the relay presents for this device do not have the fingerprint shown "
                "on the device. Do not certify it; report it to the IT department.",
            )
        await send_certificate(conn, root, account.org_id, info, bundle)
    return PendingDevice(info.device_id, info.user_id, info.role, bundle.fingerprint())
