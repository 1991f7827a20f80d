"""The administrator's device: invitations it signs, and the certifier that vouches for devices.

Why the certifier checks claims: the relay enrols devices and reports who they are, so before
protocol 1.3 a relay could enrol a device of its own (with a code it minted) as any user and
role, and automatic certification (``SyncEngine(auto_certify=True)``) would vouch for it. Now:

* an **invitation** is made and signed here (:func:`invite`), for one user and role; the code
  goes to the invitee only, the relay gets the signed invitation and a key derived from the
  code (see :mod:`furano_meet.crypto.invitations`);
* a device enrols with a **claim** binding its keys to that invitation;
* the certifier (:func:`check_claim`) certifies automatically **only** a device whose claim
  passes :func:`~furano_meet.crypto.invitations.accept_claim` (an invitation an admin of our root
  signed, not expired, not redeemed before, the code proof, the device's own signature), whose
  keys are the ones the relay presents, and whose user and role are the ones the relay reports;
  the certificate takes user and role from the invitation. A device enrolled with a relay-made
  code is never certified automatically; by hand (:func:`certify`) the administrator compares
  its key fingerprint (``furano-meet whoami`` on that device) first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from dataclasses import dataclass

from furano_meet.crypto import CryptoError, OrgRootKey, normalise_fingerprint
from furano_meet.crypto import invitations as iv
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.certificates import issue_device_certificate, verify_device_certificate
from furano_meet.crypto.keys import DevicePublicBundle
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore

from .account import Account, Invitation
from .context import SyncContext

log = logging.getLogger("furano.sync")

REDEEMED_SETTING = "redeemed_invitations"
"""Profile setting (JSON list): invitation ids this administrator already certified a device
for, so a second device redeeming one invitation is refused."""
DEFAULT_INVITATION_HOURS = 72
NO_INVITATION = "enrolled without an invitation — certify by hand only after checking"


class CertificationRefused(FuranoError):
    """The certifier will not vouch for a device (see the module docstring)."""

    code = "certification_refused"
    fault = Fault.THEIRS

    def __init__(
        self,
        message: str,
        next_step: str = "Do not certify this device. If the user really enrolled it, make a "
        "new invitation (`furano-meet invite`); otherwise report it to the IT department.",
    ) -> None:
        super().__init__(message, next_step)


@dataclass(frozen=True, slots=True)
class PendingDevice:
    """A device waiting for a certificate, as the administrator is shown it."""

    device_id: str
    user_id: str
    role: str
    fingerprint: str
    claimed_user_id: str = ""
    """The user named in the device's own claim (empty: no invitation)."""
    claimed_role: str = ""
    problem: str = ""
    """Why it would not be certified automatically (empty: its claim checks out)."""
    device_name: str = ""
    """The name the device signed into its claim, shown only when the claim checks out (the
    certificate will carry it); ``""``: no name, no invitation, or a claim that failed."""


def device_fingerprint(account: Account) -> str:
    """This device's key fingerprint, to read out to the administrator."""
    return account.keys.public_bundle().fingerprint()


def _root(account: Account, store: LocalStore) -> OrgRootKey:
    root = account.org_root(store)
    if root is None:
        raise RelayError("not_admin", "This profile does not hold the organisation root key.")
    return root


def issuer_certificate(account: Account, root: OrgRootKey) -> bytes:
    """This admin device's certificate, issued on the spot by the root it holds (the relay's
    copy is not needed, nor trusted)."""
    return issue_device_certificate(
        root,
        org_id=account.org_id,
        user_id=account.user_id,
        device_id=account.device_id,
        role="admin",
        public_bundle=account.keys.public_bundle(),
    )


def _redeemed(store: LocalStore) -> set[str]:
    return set(json.loads(store.get_setting(REDEEMED_SETTING) or "[]"))


def _remember_redeemed(store: LocalStore, invitation_id: str) -> None:
    with store.atomic():
        ids = _redeemed(store) | {invitation_id}
        store.set_setting(REDEEMED_SETTING, json.dumps(sorted(ids)))


async def _connect(account: Account, ssl_context: ssl.SSLContext | None) -> RelayConnection:
    conn = await RelayConnection.connect(
        account.relay_url, ssl_context=ssl_context, ca_file=account.ca_file
    )
    await conn.authenticate(account.device_id, account.token)
    return conn


async def retire(account: Account, *, timeout: float = 10.0) -> None:
    """Revoke this device on the relay before its data is wiped (``furano-meet wipe``): a token
    that survives in a backup or a copy of the disk is then useless. Raises if the relay cannot
    be reached or is older than 1.3; the caller then tells the user to ask the administrator."""
    async with asyncio.timeout(timeout):
        async with await _connect(account, None) as conn:
            if conn.session.peer_minor < 3:
                raise RelayError(
                    "version_unsupported", "This relay cannot revoke a device at its request."
                )
            await conn.request(m.RetireDevice())


async def invite(
    account: Account,
    store: LocalStore,
    user_id: str,
    role: str,
    *,
    expires_at: int | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Invitation:
    """Sign an invitation for ``user_id`` as ``role`` (one of ``messages.ROLES``) here and
    hand it to the relay; returns what the invitee pastes (the code is nowhere else)."""
    root = _root(account, store)
    expires = expires_at or int(time.time()) + DEFAULT_INVITATION_HOURS * 3600

    def sign() -> tuple[bytes, bytes, str]:
        issuer = issuer_certificate(account, root)
        cert = verify_device_certificate(
            issuer, account.root_fingerprint, expected_org_id=account.org_id
        )
        signed, code = iv.create_invitation(
            account.keys, cert, user_id=user_id, role=role, expires_at=expires
        )
        return signed, issuer, code

    signed, issuer, code = await asyncio.to_thread(sign)
    async with await _connect(account, ssl_context) as conn:
        if conn.welcome is None or conn.welcome.minor < 3:
            raise RelayError("version_unsupported", "The relay is too old for invitations (1.3).")
        await conn.request(m.PutInvitation(invitation=signed, issuer_certificate=issuer))
    return Invitation(code, account.root_fingerprint, account.org_id, account.relay_url)


def check_claim(
    info: m.DeviceKeyInfo, account: Account, *, redeemed: set[str], now: int | None = None
) -> iv.Claim:
    """The certifier's decision for one device (module docstring); raises
    CertificationRefused or the crypto error that explains the refusal."""
    if not info.claim:
        raise CertificationRefused(f"Device {info.device_id}: {NO_INVITATION}.")
    anchor = TrustAnchor(account.org_id, account.root_fingerprint)
    claim = iv.accept_claim(
        info.claim,
        info.invitation,
        info.issuer_certificate,
        anchor,
        now=int(time.time()) if now is None else now,
        redeemed=redeemed,
    )
    if claim.public_bundle.to_bytes() != info.public_keys:
        raise CertificationRefused(
            f"The relay presents other keys for device {info.device_id} than the device claimed."
        )
    if (claim.user_id, claim.role) != (info.user_id, info.role):
        raise CertificationRefused(
            f"The relay reports device {info.device_id} as {info.user_id} ({info.role}), but "
            f"the device claimed {claim.user_id} ({claim.role})."
        )
    return claim


def _pending(info: m.DeviceKeyInfo, account: Account, redeemed: set[str]) -> PendingDevice:
    fingerprint = DevicePublicBundle.from_bytes(info.public_keys).fingerprint()
    claimed = ("", "")
    problem = name = ""
    try:
        parsed = iv.read_claim_unverified(info.claim) if info.claim else None
        claimed = (parsed.user_id, parsed.role) if parsed else claimed
        name = check_claim(info, account, redeemed=redeemed).device_name
    except (CertificationRefused, CryptoError) as exc:
        problem = NO_INVITATION if not info.claim else exc.message
    return PendingDevice(
        info.device_id, info.user_id, info.role, fingerprint, *claimed, problem, name
    )


async def _certify_one(
    conn: RelayConnection,
    root: OrgRootKey,
    info: m.DeviceKeyInfo,
    claim: iv.Claim | None,
    org_id: str,
    own_name: str = "",
) -> None:
    """Issue the certificate (ML-DSA: in a worker thread) and hand it to the relay. With a
    claim, user, role, keys and name come from it (so from the admin-signed invitation and the
    device's own signature); without one (this device itself, named ``own_name`` from its
    profile, or by hand after comparing fingerprints: no name) from the relay's report."""
    if claim is not None:
        certificate = await asyncio.to_thread(
            iv.certify_claim, root, claim, device_id=info.device_id
        )
    else:
        certificate = await asyncio.to_thread(
            issue_device_certificate,
            root,
            org_id=org_id,
            user_id=info.user_id,
            device_id=info.device_id,
            role=info.role,
            public_bundle=DevicePublicBundle.from_bytes(info.public_keys),
            device_name=own_name,
        )
    await conn.request(m.CertifyDevice(device_id=info.device_id, certificate=certificate))


async def certify_enrolled(
    conn: RelayConnection, ctx: SyncContext, devices: tuple[m.DeviceKeyInfo, ...]
) -> None:
    """(Admin engine, ``auto_certify``) certify the devices whose claim checks out, and this
    device itself (its own keys); log every other one for certification by hand."""
    account = ctx.account
    root = await ctx.db(account.org_root, ctx.store)
    if root is None:
        return
    own_keys = account.keys.public_bundle().to_bytes()
    for info in devices:
        if info.certificate:
            continue
        if info.device_id == account.device_id and info.public_keys == own_keys:
            await _certify_one(conn, root, info, None, account.org_id, account.device_name)
            continue
        redeemed = await ctx.db(_redeemed, ctx.store)
        try:
            claim = await asyncio.to_thread(check_claim, info, account, redeemed=redeemed)
        except (CertificationRefused, CryptoError) as exc:
            log.warning("not certifying device %s automatically: %s", info.device_id, exc.message)
            continue
        await _certify_one(conn, root, info, claim, account.org_id)
        await ctx.db(_remember_redeemed, ctx.store, claim.invitation_id)


async def pending_devices(
    account: Account,
    store: LocalStore | None = None,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> list[PendingDevice]:
    """Devices of the organisation still waiting for a certificate, with the user and role
    each device claimed itself and why it would not be certified automatically."""
    async with await _connect(account, ssl_context) as conn:
        reply = await conn.request(m.ListUncertified())
    assert isinstance(reply, m.CertificatesNeeded)
    redeemed = _redeemed(store) if store is not None else set()
    return await asyncio.to_thread(lambda: [_pending(d, account, redeemed) for d in reply.devices])


@dataclass(frozen=True, slots=True)
class CertifiedDevice:
    """A device the organisation root certified, as the administrator's list shows it; every
    field comes from the certificate, verified on this device (never from the relay's word)."""

    device_id: str
    user_id: str
    role: str
    device_name: str
    """From the root-signed certificate; ``""`` for a device certified before names."""
    fingerprint: str
    issued_at: int


def _certified(infos: list[m.DeviceKeyInfo], account: Account) -> list[CertifiedDevice]:
    """(Worker thread) The certificates that verify under our root and organisation; any other
    is left out and logged (the relay showed a device our root never certified)."""
    shown = []
    for info in infos:
        try:
            cert = verify_device_certificate(
                info.certificate, account.root_fingerprint, expected_org_id=account.org_id
            )
        except CryptoError as exc:
            log.warning("device %s: certificate refused (%s)", info.device_id, exc.code)
            continue
        if cert.device_id != info.device_id:
            log.warning("device %s: the relay shows another device's certificate", info.device_id)
            continue
        shown.append(
            CertifiedDevice(
                cert.device_id,
                cert.user_id,
                cert.role,
                cert.device_name,
                cert.public_bundle.fingerprint(),
                cert.issued_at,
            )
        )
    return shown


async def certified_devices(
    account: Account, *, ssl_context: ssl.SSLContext | None = None
) -> list[CertifiedDevice]:
    """(Admin, relay 1.6) The organisation's active certified devices, each certificate checked
    here; raises RelayError ``version_unsupported`` for an older relay."""
    infos: list[m.DeviceKeyInfo] = []
    async with await _connect(account, ssl_context) as conn:
        if conn.session.peer_minor < 6:
            raise RelayError(
                "version_unsupported", "This relay cannot list certified devices (it needs 1.6)."
            )
        while True:
            page = await conn.request(m.ListCertified(offset=len(infos)))
            assert isinstance(page, m.CertifiedListed)
            infos += page.devices
            if not page.more or not page.devices:
                break
    return await asyncio.to_thread(_certified, infos, account)


async def certify(
    account: Account,
    store: LocalStore,
    device_id: str,
    expected_fingerprint: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> PendingDevice:
    """Certify one device if the keys the relay presents have the fingerprint the admin read.

    A device that enrolled with an invitation must also pass the claim check (its user and role
    are the invitation's, whatever the relay reports); one enrolled with a relay-made code is
    certified as the relay reports it — which is why the administrator checks first."""
    root = _root(account, store)
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
        claim = None
        if info.claim:
            claim = await asyncio.to_thread(check_claim, info, account, redeemed=_redeemed(store))
        await _certify_one(conn, root, info, claim, account.org_id)
    if claim is None:
        return PendingDevice(device_id, info.user_id, info.role, bundle.fingerprint())
    _remember_redeemed(store, claim.invitation_id)
    return PendingDevice(
        device_id,
        claim.user_id,
        claim.role,
        bundle.fingerprint(),
        claim.user_id,
        claim.role,
        device_name=claim.device_name,
    )
