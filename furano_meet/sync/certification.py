"""Is this device certified yet, and by the organisation its invitation named?

Why this exists: a device can enrol with an invitation whose root fingerprint is wrong (a typo
that still parses, an invitation from another council, or a relay substituting keys). Enrolment
cannot notice — the relay hands out no root key — so the first certificate this device sees is
where it must. Without this check the sync engine quietly refuses every certificate, reports
"Up to date." and nothing ever arrives. Likewise a device the administrator has not certified
yet looks idle; this module tells the person what they are waiting for.

It uses its own short connection, so any front end (the CLI, the app) can ask at any time
without reaching into a running :class:`~furano_meet.sync.engine.SyncEngine`.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from enum import StrEnum

from furano_meet.crypto import (
    KeySubstitution,
    OrgRootKey,
    normalise_fingerprint,
    verify_device_certificate,
)
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore

from .account import Account


class Certification(StrEnum):
    CERTIFIED = "certified"
    WAITING = "waiting"
    """No certificate yet: the administrator has to certify this device."""
    UNKNOWN = "unknown"
    """The device is in no meeting yet, so the relay shows it no certificate to check."""


class RootFingerprintMismatch(FuranoError):
    """The organisation root key differs from the fingerprint in this device's invitation."""

    code = "root_fingerprint_mismatch"
    fault = Fault.USER


def _mismatch(expected: str, held: str = "") -> RootFingerprintMismatch:
    key = (
        f"The organisation root key this profile holds ({held})"
        if held
        else "The organisation key that certified this device"
    )
    return RootFingerprintMismatch(
        f"{key} is not the one the invitation names ({expected}). Either the invitation was mistyped or "
        "belongs to another organisation, or this relay is not your organisation's; nothing "
        "from it will be trusted.",
        "Ask the clerk's office for a new invitation, then `furano-meet wipe` this profile and "
        "enrol again. Tell the IT department if the invitation was typed correctly.",
    )


def held_root_fingerprint(store: LocalStore) -> str | None:
    """The fingerprint of the organisation root key this profile holds (administrators only)."""
    raw = store.get_setting("org_root_key")
    if not raw:
        return None
    return OrgRootKey.from_private_bytes(base64.b64decode(raw)).fingerprint()


def check_invitation_against_root(store: LocalStore, invitation_fingerprint: str) -> None:
    """Before an administrator's profile enrols: its own root must be the invitation's.

    Checked *before* the one-time code is spent, because here the answer is known locally.
    """
    held = held_root_fingerprint(store)
    if held is not None and held != normalise_fingerprint(invitation_fingerprint):
        raise _mismatch(normalise_fingerprint(invitation_fingerprint), held)


async def _own_device_key(conn: RelayConnection, account: Account) -> m.DeviceKeyInfo | None:
    """This device's entry in the first meeting whose device list shows it."""
    listed = await conn.request(m.ListMeetings())
    assert isinstance(listed, m.MeetingsListed)
    for meeting in listed.meetings:
        offset = 0
        while True:
            page = await conn.request(
                m.ListDeviceKeys(meeting_id=meeting.meeting_id, offset=offset)
            )
            assert isinstance(page, m.DeviceKeysListed)
            for info in page.devices:
                if info.device_id == account.device_id:
                    return info
            if not page.more or not page.devices:
                break
            offset += len(page.devices)
    return None


async def check_certification(
    account: Account, store: LocalStore, *, ssl_context: ssl.SSLContext | None = None
) -> Certification:
    """Ask the relay whether this device has a certificate, and verify the one it has.

    Raises :class:`RootFingerprintMismatch` when the certificate chains to another root than the
    invitation's; other certificate damage raises the crypto error (never trusted either way).
    """
    held = await asyncio.to_thread(held_root_fingerprint, store)
    if held is not None and held != account.root_fingerprint:
        raise _mismatch(account.root_fingerprint, held)
    async with await RelayConnection.connect(
        account.relay_url, ssl_context=ssl_context, ca_file=account.ca_file
    ) as conn:
        await conn.authenticate(account.device_id, account.token)
        if account.role == "admin":
            waiting = await conn.request(m.ListUncertified())
            assert isinstance(waiting, m.CertificatesNeeded)
            if any(d.device_id == account.device_id for d in waiting.devices):
                return Certification.WAITING
        info = await _own_device_key(conn, account)
    if info is None:
        return Certification.CERTIFIED if account.role == "admin" else Certification.UNKNOWN
    if not info.certificate:
        return Certification.WAITING
    try:
        await asyncio.to_thread(
            verify_device_certificate, info.certificate, account.root_fingerprint
        )
    except KeySubstitution:
        raise _mismatch(account.root_fingerprint) from None
    return Certification.CERTIFIED
