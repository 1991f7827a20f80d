"""Invitations the relay cannot mint, and the enrolment claims that redeem them.

Theory of operation
-------------------
Before this module the relay's CLI made enrolment codes, so whoever ran the relay could enrol
a device of their own as any user and the administrator's automatic certification would
certify it; and the user and role a device was certified with came from the relay too.

**Invitation** — made and signed on the administrator's device (a certificate with role
``admin``)::

    b"FMIV" [body, hybrid signature]      (see :mod:`.authority`)
    body = {"type": "furano-meet/invitation", "format": 1, "invitation_id", "org_id",
            "user_id", "role", "expires_at", "code_key", "signer_device_id", "signed_at"}

The one-time **code** (20 characters, ~98 bits, read aloud or in a QR code with the root
fingerprint) is never stored anywhere but with the invitee. ``code_key`` is an Ed25519 public
key derived from it::

    seed     = SHA-256(b"FMic" [purpose, normalised code])
    code_key = Ed25519 public key of seed

The relay stores the signed invitation and its ``code_key`` — a one-way function of the code,
so it learns nothing it could type in — and **checks the code without ever seeing it**: the
new device proves it knows the code by signing its claim with the code's private key
(:func:`check_code_proof`). A plain hash of the code would have to be checked by sending the
code to the relay, which could then redeem it itself, with its own keys, before the invitee.
Guessing the code from ``code_key`` offline costs ~2^97 key derivations.

**Enrolment claim** — made on the new device::

    b"FMEC" [body, hybrid signature by the new device, Ed25519 signature by the code key]
    body = {"type": "furano-meet/enrolment-claim", "format": 1, "invitation_id",
            "invitation_sha256", "org_id", "user_id", "role", "device_public_bundle",
            "claimed_at", "device_name" (optional)}

It binds the device's public keys (proof of possession: the device signs with the key it
asks to have certified) to one exact invitation and to the user and role the invitation
names, which the device showed its user before claiming. ``device_name`` (fifth session,
written only when the member gave one; :mod:`.device_names`) is signed with the rest, so a
relay that renames a pending device breaks the device's signature and the administrator's
check refuses it; :func:`certify_claim` copies the verified name into the certificate.

**Certification** — :func:`accept_claim` on the administrator's device accepts a device only
if the invitation verifies (an admin of this organisation, under the root fingerprint), was
claimed before it expired, has not been redeemed before, and the claim's user, role,
invitation hash, device signature and code proof all check. :func:`certify_claim` then
certifies with the user and role *from the invitation* — whatever the relay reports.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Container
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from . import canonical_json, framing
from .authority import ALL_ROLES, Expired, SignedKind, TrustAnchor, get_hex64, same_digest
from .certificates import DeviceCertificate, issue_device_certificate
from .device_names import clean_device_name, read_device_name
from .errors import BadSignature, MalformedData, UsageError, WrongContext
from .framing import Buffer
from .keys import DeviceKeys, DevicePublicBundle, OrgRootKey

INVITATION_PURPOSE = "furano-meet invitation"
CLAIM_PURPOSE = "furano-meet enrolment claim"
_CODE_PURPOSE = "furano-meet invitation code key"
_CODE_MAGIC = b"FMic"
_CLAIM_MAGIC = b"FMEC"
_CODE_PROOF_MAGIC = b"FMcp"
_CLAIM_TYPE = "furano-meet/enrolment-claim"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read aloud
CODE_LENGTH = 20
#: How long after an invitation expired the administrator may still certify a claim that was
#: made before expiry (the administrator's device may have been offline).
CERTIFY_GRACE_SECONDS = 7 * 24 * 3600
_CLAIM_FIELDS = frozenset(
    {
        "type",
        "format",
        "invitation_id",
        "invitation_sha256",
        "org_id",
        "user_id",
        "role",
        "device_public_bundle",
        "claimed_at",
    }
)
_CLAIM_NAME = "device_name"

KIND = SignedKind(
    magic=b"FMIV",
    purpose=INVITATION_PURPOSE,
    type="furano-meet/invitation",
    what="invitation",
    fields=frozenset({"invitation_id", "org_id", "user_id", "role", "expires_at", "code_key"}),
    signer_roles=frozenset({"admin"}),
    action="invite devices",
)


def normalise_code(code: str) -> str:
    """Codes are read aloud and typed: ignore case, spaces and hyphens."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    """A fresh one-time code, ``XXXX-XXXX-XXXX-XXXX-XXXX``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _code_private_key(code: str) -> ed25519.Ed25519PrivateKey:
    seed = hashlib.sha256(
        framing.encode(_CODE_MAGIC, framing.text(_CODE_PURPOSE), framing.text(normalise_code(code)))
    ).digest()
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


def code_key(code: str) -> bytes:
    """The 32-byte public key the relay stores to check ``code`` without knowing it."""
    return _code_private_key(code).public_key().public_bytes_raw()


@dataclass(frozen=True)
class Invitation:
    """A verified invitation. Only :func:`verify_invitation` should make these."""

    invitation_id: str
    org_id: str
    user_id: str
    role: str
    expires_at: int
    code_key: bytes
    issuer: DeviceCertificate = field(repr=False)
    #: SHA-256 of the canonical body: what a claim binds to.
    sha256: str
    encoded: bytes = field(repr=False, compare=False)


def create_invitation(
    admin_keys: DeviceKeys,
    admin: DeviceCertificate,
    *,
    user_id: str,
    role: str,
    expires_at: int,
    signed_at: int | None = None,
) -> tuple[bytes, str]:
    """Make a signed invitation on the administrator's device; returns (invitation, code).

    The invitation goes to the relay; the code goes only to the invitee (with the root
    fingerprint), never to the relay.
    """
    if role not in ALL_ROLES or not user_id:
        raise UsageError(f"an invitation needs a user id and one of {sorted(ALL_ROLES)}")
    code = new_code()
    content = {
        "invitation_id": secrets.token_hex(16),
        "org_id": admin.org_id,
        "user_id": user_id,
        "role": role,
        "expires_at": expires_at,
        "code_key": base64.b64encode(code_key(code)).decode("ascii"),
    }
    return KIND.sign(content, admin_keys, admin, signed_at), code


def read_invitation_unverified(invitation: Buffer) -> tuple[str, str, bytes]:
    """(issuer device id, invitation id, code key), unverified: for the relay's index."""
    obj = KIND.peek(invitation)
    return str(obj["signer_device_id"]), str(obj["invitation_id"]), _b64(obj, "code_key", 32)


def _b64(obj: dict[str, object], key: str, size: int | None = None) -> bytes:
    value = obj[key]
    try:
        raw = base64.b64decode(value if isinstance(value, str) else "", validate=True)
    except binascii.Error as exc:
        raise MalformedData(f"field {key!r} is not valid base64") from exc
    if not raw or (size is not None and len(raw) != size):
        raise MalformedData(f"field {key!r} must be {size or 'some'} bytes")
    return raw


def verify_invitation(
    invitation: Buffer,
    issuer_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    now: int,
) -> Invitation:
    """Verify an invitation: signed by an admin device of the anchor's organisation, for that
    organisation, not expired at ``now``. The new device shows its user and role from here."""
    verified = KIND.verify(invitation, issuer_cert, anchor)
    obj, what = verified.fields, KIND.what
    result = Invitation(
        invitation_id=canonical_json.get_str(obj, "invitation_id", what),
        org_id=canonical_json.get_str(obj, "org_id", what),
        user_id=canonical_json.get_str(obj, "user_id", what),
        role=canonical_json.get_str(obj, "role", what),
        expires_at=canonical_json.get_int(obj, "expires_at", what),
        code_key=_b64(obj, "code_key", 32),
        issuer=verified.signer,
        sha256=hashlib.sha256(verified.body).hexdigest(),
        encoded=bytes(invitation),
    )
    if result.org_id != verified.signer.org_id or result.role not in ALL_ROLES:
        raise WrongContext(f"invitation for {result.org_id!r} / role {result.role!r} is invalid")
    if now > result.expires_at:
        raise Expired(f"invitation {result.invitation_id} expired at {result.expires_at}")
    return result


def make_claim(
    invitation: Invitation,
    code: str,
    device_keys: DeviceKeys,
    *,
    claimed_at: int,
    device_name: str = "",
) -> bytes:
    """The new device's request to be certified under ``invitation`` (already verified),
    naming the device ``device_name`` (cleaned here; ``""``: no name, as older builds)."""
    private = _code_private_key(code)
    if private.public_key().public_bytes_raw() != invitation.code_key:
        raise WrongContext("this code does not belong to the invitation (mistyped?)")
    named = {_CLAIM_NAME: clean_device_name(device_name)} if device_name else {}
    body = canonical_json.dumps(
        {
            **named,
            "type": _CLAIM_TYPE,
            "format": 1,
            "invitation_id": invitation.invitation_id,
            "invitation_sha256": invitation.sha256,
            "org_id": invitation.org_id,
            "user_id": invitation.user_id,
            "role": invitation.role,
            "device_public_bundle": base64.b64encode(device_keys.public_bundle().to_bytes()).decode(
                "ascii"
            ),
            "claimed_at": claimed_at,
        }
    )
    return framing.encode(
        _CLAIM_MAGIC,
        body,
        device_keys.signing_key.sign(body, CLAIM_PURPOSE),
        private.sign(_code_proof_message(body)),
    )


def _code_proof_message(body: bytes) -> bytes:
    return framing.encode(_CODE_PROOF_MAGIC, framing.text(CLAIM_PURPOSE), body)


@dataclass(frozen=True)
class Claim:
    """A parsed claim; :func:`accept_claim` is what checks it."""

    invitation_id: str
    invitation_sha256: str
    org_id: str
    user_id: str
    role: str
    public_bundle: DevicePublicBundle
    claimed_at: int
    device_name: str = ""
    """The name the device gave itself (display only); ``""``: none (an older device)."""


def _parse_claim(claim: Buffer) -> tuple[Claim, bytes, bytes, bytes]:
    body, device_signature, code_signature = framing.decode(claim, _CLAIM_MAGIC, 3, "claim")
    what = "enrolment claim"
    obj = canonical_json.parse(body, what, _CLAIM_FIELDS, frozenset({_CLAIM_NAME}))
    if obj["type"] != _CLAIM_TYPE or obj["format"] != 1:
        raise MalformedData(f"not an {what}: type {obj['type']!r} v{obj['format']!r}")
    s = canonical_json.get_str
    parsed = Claim(
        invitation_id=s(obj, "invitation_id", what),
        invitation_sha256=get_hex64(obj, "invitation_sha256", what),
        org_id=s(obj, "org_id", what),
        user_id=s(obj, "user_id", what),
        role=s(obj, "role", what),
        public_bundle=DevicePublicBundle.from_bytes(_b64(obj, "device_public_bundle")),
        claimed_at=canonical_json.get_int(obj, "claimed_at", what),
        device_name=read_device_name(obj[_CLAIM_NAME], what) if _CLAIM_NAME in obj else "",
    )
    return parsed, body, device_signature, code_signature


def _verify_code_proof(body: bytes, code_signature: bytes, code_key: bytes) -> None:
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(code_key).verify(
            code_signature, _code_proof_message(body)
        )
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("the claim was not made with this invitation's code") from exc


def read_claim_unverified(claim: Buffer) -> Claim:
    """The claim's fields, unverified: which invitation the relay should check it against
    (:func:`check_code_proof` is the check) and what an administrator is shown."""
    return _parse_claim(claim)[0]


def check_code_proof(claim: Buffer, stored_code_key: bytes) -> Claim:
    """The relay's check at enrolment: the claim was made by someone who knows the code whose
    ``code_key`` it stored with the invitation. Raises BadSignature / MalformedData."""
    parsed, body, _, code_signature = _parse_claim(claim)
    _verify_code_proof(body, code_signature, stored_code_key)
    return parsed


def accept_claim(
    claim: Buffer,
    invitation: Buffer,
    issuer_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    now: int,
    redeemed: Container[str],
) -> Claim:
    """The administrator's check before certifying (module docstring).

    ``redeemed`` holds the invitation ids this administrator already certified a device for.
    Raises Expired, WrongContext (another invitation, user or role; redeemed twice),
    BadSignature (device or code proof), UnauthorisedSigner / KeySubstitution (an invitation
    the relay minted itself), MalformedData.
    """
    inv = verify_invitation(invitation, issuer_cert, anchor, now=now - CERTIFY_GRACE_SECONDS)
    parsed, body, device_signature, code_signature = _parse_claim(claim)
    try:  # first: a relay that edits a claim (its device name, say) breaks this signature
        parsed.public_bundle.verify_key.verify(device_signature, body, CLAIM_PURPOSE)
    except BadSignature as exc:
        raise BadSignature(
            "the device's signature does not cover this claim: it was altered after the "
            "device made it (its name, user, role or keys)"
        ) from exc
    _verify_code_proof(body, code_signature, inv.code_key)
    if parsed.invitation_id != inv.invitation_id or not same_digest(
        parsed.invitation_sha256, inv.sha256
    ):
        raise WrongContext(f"claim is for invitation {parsed.invitation_id}, not this one")
    claimed = (parsed.org_id, parsed.user_id, parsed.role)
    if claimed != (inv.org_id, inv.user_id, inv.role):
        raise WrongContext(f"claim for {claimed} does not match the invitation")
    if parsed.claimed_at > inv.expires_at:
        raise Expired(f"invitation {inv.invitation_id} was claimed after it expired")
    if inv.invitation_id in redeemed:
        raise WrongContext(f"invitation {inv.invitation_id} was already redeemed")
    return parsed


def certify_claim(
    root: OrgRootKey, claim: Claim, *, device_id: str, issued_at: int | None = None
) -> bytes:
    """Certify an accepted claim's keys as ``device_id``, with the invitation's user and role
    and the name the device signed in its claim."""
    return issue_device_certificate(
        root,
        org_id=claim.org_id,
        user_id=claim.user_id,
        device_id=device_id,
        role=claim.role,
        public_bundle=claim.public_bundle,
        issued_at=issued_at,
        device_name=claim.device_name,
    )
