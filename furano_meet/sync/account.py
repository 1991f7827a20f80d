"""This device's account: enrolment with an invitation, and the credentials kept in the store.

An invitation is what the clerk's office hands a councillor on paper::

    XXXX-XXXX-XXXX-XXXX/ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567

The first part is the relay's one-time enrolment code; the second is the fingerprint of the
organisation's root key.  The relay never supplies the fingerprint, so a relay that substitutes
device keys (to read meeting keys sealed to them) is detected: every certificate this device
relies on must chain to that fingerprint.
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass
from pathlib import Path

from furano_meet.crypto import DeviceKeys, OrgRootKey, normalise_fingerprint
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayConnection
from furano_meet.net.tls import CaFile
from furano_meet.store import LocalStore
from furano_meet.store.records import DeviceIdentity

_SETTINGS = ("user_id", "org_id", "role", "display_name", "root_fingerprint")
CA_FILE_SETTING = "tls_ca_file"
"""Profile setting: the private CA certificate this profile trusts for its ``wss://`` relay."""


class InvitationError(FuranoError):
    """The invitation text is not of the form CODE/FINGERPRINT (the user's typo)."""

    code = "invitation_invalid"
    fault = Fault.USER


@dataclass(frozen=True, slots=True)
class Invitation:
    code: str
    root_fingerprint: str

    @classmethod
    def parse(cls, text: str) -> Invitation:
        code, sep, fingerprint = text.strip().partition("/")
        if not sep or not code.strip() or not fingerprint.strip():
            raise InvitationError(
                "An invitation looks like XXXX-XXXX-XXXX-XXXX/ABCD-…: the enrolment code, a "
                "slash, and the organisation's key fingerprint. Check what you typed."
            )
        try:
            normalised = normalise_fingerprint(fingerprint)
        except Exception as exc:  # the crypto layer explains what is wrong with it
            raise InvitationError(f"The fingerprint part is not valid: {exc}") from exc
        return cls(code.strip(), normalised)


@dataclass(frozen=True, slots=True)
class Account:
    """Everything this device needs to talk to the relay and open what it receives."""

    device_id: str
    relay_url: str
    token: str
    keys: DeviceKeys
    user_id: str
    org_id: str
    role: str
    display_name: str
    root_fingerprint: str
    ca_file: str | None = None
    """The private CA trusted for the relay (``None``: the system's trust store)."""

    @classmethod
    def load(cls, store: LocalStore) -> Account | None:
        device = store.device()
        if device is None or device.device_token is None:
            return None
        settings = store.settings()
        if any(key not in settings for key in _SETTINGS):
            return None
        return cls(
            device_id=device.device_id,
            relay_url=device.relay_url,
            token=device.device_token,
            keys=DeviceKeys.from_private_bytes(device.private_keys),
            ca_file=settings.get(CA_FILE_SETTING),
            **{key: settings[key] for key in _SETTINGS},
        )

    def org_root(self, store: LocalStore) -> OrgRootKey | None:
        """The organisation root key, held only by an administrator's device."""
        raw = store.get_setting("org_root_key")
        return OrgRootKey.from_private_bytes(base64.b64decode(raw)) if raw else None


def remember_ca_file(store: LocalStore, ca_file: CaFile | None) -> None:
    """Trust ``ca_file`` (kept as an absolute path) for this profile's relay from now on;
    ``None`` goes back to the system's trust store."""
    store.set_setting(CA_FILE_SETTING, str(Path(ca_file).resolve()) if ca_file else None)


def create_org_root(store: LocalStore) -> str:
    """Make this (admin) device the holder of a new organisation root; returns its fingerprint."""
    root = OrgRootKey.generate()
    store.set_setting("org_root_key", base64.b64encode(root.private_bytes()).decode("ascii"))
    return root.fingerprint()


async def enrol(
    store: LocalStore,
    relay_url: str,
    invitation: Invitation,
    device_name: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    ca_file: CaFile | None = None,
    keys: DeviceKeys | None = None,
) -> Account:
    """Create this device's keys, trade the one-time code for an identity, and save both.

    ``ca_file`` (a private CA for a ``wss://`` relay) is remembered in the profile, so every
    later connection of this device trusts the same CA.
    """
    keys = keys or DeviceKeys.generate()
    async with await RelayConnection.connect(
        relay_url, ssl_context=ssl_context, ca_file=ca_file
    ) as conn:
        enrolled = await conn.enrol(invitation.code, device_name, keys.public_bundle().to_bytes())
    with store.atomic():
        store.save_device(
            DeviceIdentity(
                device_id=enrolled.device_id,
                relay_url=relay_url,
                private_keys=keys.private_bytes(),
                device_token=enrolled.token,
            )
        )
        for key, value in (
            ("user_id", enrolled.user_id),
            ("org_id", enrolled.org_id),
            ("role", enrolled.role),
            ("display_name", enrolled.display_name),
            ("root_fingerprint", invitation.root_fingerprint),
        ):
            store.set_setting(key, value)
        if ca_file is not None:
            remember_ca_file(store, ca_file)
    account = Account.load(store)
    assert account is not None
    return account
