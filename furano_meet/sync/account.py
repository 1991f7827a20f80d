"""This device's account: enrolment with an invitation, and the credentials kept in the store.

An invitation is what the clerk's office hands a councillor on paper. Since protocol 1.3 it is
made and signed on the administrator's device (``furano-meet invite``) and reads::

    XXXX-XXXX-XXXX-XXXX-XXXX/ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567/furano

the one-time code, the fingerprint of the organisation's root key and the organisation id; or,
as a link that may also name the relay,
``furano-meet://invite?v=1&org=furano&code=…&root=…&relay=wss%3A%2F%2Frelay.example``.
The relay stores only the signed invitation and a public key derived from the code: this device
finds the invitation by that key, verifies it against the root fingerprint (never supplied by
the relay), shows the user and role it names, and enrols with a claim binding its keys to them
(:func:`furano_meet.crypto.invitations.make_claim`), signed with the code's key, which the relay
checks without ever learning the code.

The legacy shape ``XXXX-XXXX-XXXX-XXXX/FINGERPRINT`` (a code the relay's CLI made) still
enrols, but such a device is never certified automatically: the administrator compares its key
fingerprint by hand (:mod:`.admin`).
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from furano_meet.crypto import CryptoError, DeviceKeys, OrgRootKey, normalise_fingerprint
from furano_meet.crypto import invitations as iv
from furano_meet.crypto.authority import Expired, TrustAnchor
from furano_meet.crypto.device_names import clean_device_name
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayConnection, RelayError
from furano_meet.net.tls import CaFile
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.store.records import DeviceIdentity

_SETTINGS = ("user_id", "org_id", "role", "display_name", "root_fingerprint")
DEVICE_NAME_SETTING = "device_name"
"""Profile setting: the name this device gave itself at enrolment (absent: enrolled before
devices had names)."""
CA_FILE_SETTING = "tls_ca_file"
"""Profile setting: the private CA certificate this profile trusts for its ``wss://`` relay."""


LINK_PREFIX = "furano-meet://invite?"


class InvitationError(FuranoError):
    """The invitation text is not of a shape this app reads (the user's typo)."""

    code = "invitation_invalid"
    fault = Fault.USER


class InvitationUntrusted(FuranoError):
    """The relay served an invitation that does not verify against the root fingerprint the
    user was handed, or enrolled the device as someone the invitation does not name."""

    code = "invitation_untrusted"
    fault = Fault.THEIRS

    def __init__(
        self,
        message: str,
        next_step: str = "Do not enrol with it; report it to the IT department.",
    ) -> None:
        super().__init__(message, next_step)


@dataclass(frozen=True, slots=True)
class Invitation:
    """What the user pastes: the code, the root fingerprint and (1.3) the organisation.

    ``org_id`` empty means the legacy relay-made code (see the module docstring)."""

    code: str
    root_fingerprint: str
    org_id: str = ""
    relay_url: str = ""

    @classmethod
    def parse(cls, text: str) -> Invitation:
        text = text.strip()
        if text.startswith(LINK_PREFIX):
            query = {k: v[-1] for k, v in parse_qs(urlsplit(text).query).items()}
            if query.get("v") != "1":
                raise InvitationError("This invitation link is of a newer kind: update the app.")
            parts = [query.get("code", ""), query.get("root", ""), query.get("org", "")]
            relay = query.get("relay", "")
        else:
            parts, relay = text.split("/"), ""
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            raise InvitationError(
                "An invitation looks like XXXX-XXXX-XXXX-XXXX-XXXX/ABCD-…/ORG: the code, a "
                "slash, the organisation's key fingerprint, a slash and the organisation. "
                "Check what you typed."
            )
        try:
            normalised = normalise_fingerprint(parts[1])
        except Exception as exc:  # the crypto layer explains what is wrong with it
            raise InvitationError(f"The fingerprint part is not valid: {exc}") from exc
        org = parts[2].strip() if len(parts) == 3 else ""
        return cls(parts[0].strip(), normalised, org, relay)

    def text(self) -> str:
        """The short form to read out or print (without the relay)."""
        return "/".join(p for p in (self.code, self.root_fingerprint, self.org_id) if p)

    def link(self) -> str:
        """The link form (carries the relay's address when known)."""
        query = {"v": "1", "org": self.org_id, "code": self.code, "root": self.root_fingerprint}
        if self.relay_url:
            query["relay"] = self.relay_url
        return LINK_PREFIX + urlencode(query)


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
    device_name: str = ""
    """The name this device signed into its enrolment claim (``""``: enrolled before names)."""

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
            device_name=settings.get(DEVICE_NAME_SETTING, ""),
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

    ``device_name`` (「会議室タブレット 12」) is checked before anything is sent
    (:class:`~furano_meet.crypto.device_names.DeviceNameInvalid`) and signed into the claim, so
    the administrator sees the name the member gave and the certificate carries it. ``ca_file``
    (a private CA for a ``wss://`` relay) is remembered in the profile, so every later
    connection of this device trusts the same CA.
    """
    device_name = clean_device_name(device_name)
    keys = keys or DeviceKeys.generate()
    named: iv.Invitation | None = None
    async with await RelayConnection.connect(
        relay_url, ssl_context=ssl_context, ca_file=ca_file
    ) as conn:
        bundle = keys.public_bundle().to_bytes()
        if invitation.org_id:
            named, claim = await _claim(conn, invitation, keys, device_name)
            enrolled = await conn.enrol("", device_name, bundle, claim=claim)
            if (enrolled.org_id, enrolled.user_id, enrolled.role) != (
                named.org_id,
                named.user_id,
                named.role,
            ):
                raise InvitationUntrusted(
                    f"The relay enrolled this device as {enrolled.user_id} ({enrolled.role}), "
                    f"but the invitation names {named.user_id} ({named.role})."
                )
        else:
            enrolled = await conn.enrol(invitation.code, device_name, bundle)
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
            (DEVICE_NAME_SETTING, device_name),
        ):
            store.set_setting(key, value)
        if ca_file is not None:
            remember_ca_file(store, ca_file)
    account = Account.load(store)
    assert account is not None
    return account


async def _claim(
    conn: RelayConnection, invitation: Invitation, keys: DeviceKeys, device_name: str
) -> tuple[iv.Invitation, bytes]:
    """Find the invitation by the code's key, verify it against the root fingerprint the user
    was handed (the relay's word counts for nothing), and make the claim that redeems it."""
    if conn.welcome is None or conn.welcome.minor < 3:
        raise RelayError(
            "version_unsupported",
            "This relay is too old for invitations made on the administrator's device "
            "(it needs protocol 1.3).",
        )
    found = await conn.request(m.FindInvitation(code_key=iv.code_key(invitation.code)))
    assert isinstance(found, m.InvitationFound)
    anchor = TrustAnchor(invitation.org_id, invitation.root_fingerprint)

    def verify_and_claim() -> tuple[iv.Invitation, bytes]:
        now = int(time.time())
        named = iv.verify_invitation(found.invitation, found.issuer_certificate, anchor, now=now)
        claim = iv.make_claim(named, invitation.code, keys, claimed_at=now, device_name=device_name)
        return named, claim

    try:  # ML-DSA verify and sign: off the event loop
        return await asyncio.to_thread(verify_and_claim)
    except Expired as exc:
        raise InvitationError(
            "This invitation has expired. Ask the clerk's office for a new one."
        ) from exc
    except CryptoError as exc:
        raise InvitationUntrusted(
            "The invitation the relay presents is not one signed by your organisation's "
            f"administrator under the root fingerprint you were given ({exc.code}: {exc})."
        ) from exc
