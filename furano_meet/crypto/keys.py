"""Long-lived key pairs: each device's keys, the organisation's root key, and fingerprints.

* :class:`DeviceKeys` — made once when a device is enrolled: a :class:`~.envelopes.RecipientKey`
  (to receive meeting-key and annotation-key envelopes) and a :class:`~.signing.SigningKey`
  (to sign what the device publishes). Its :class:`DevicePublicBundle` is what the relay
  stores (opaque bytes; the relay keeps them as base64) and what the root certifies.
* :class:`OrgRootKey` — one hybrid signing key per organisation, kept on an admin device,
  used only to certify devices (:mod:`.certificates`).
* Fingerprints — a short, human-checkable digest of a public key, e.g.
  ``K7QX-2M4A-…`` (8 groups of 4 base32 characters). The enrolment code carries the root's
  fingerprint, so a device can tell the genuine root key from one a relay substituted.

A fingerprint is the first 160 bits of SHA-256 over the key's canonical encoding (which starts
with a magic tag and the suite id, so keys of different kinds never share a fingerprint).
160 bits is far beyond what a second-preimage search could reach; the root key is generated
by the organisation itself, so collision resistance is not needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from . import framing
from .envelopes import RecipientKey, RecipientPublicKey
from .errors import KeySubstitution, MalformedData
from .framing import Buffer
from .signing import SigningKey, VerifyKey

FINGERPRINT_BITS = 160
_FINGERPRINT_CHARS = FINGERPRINT_BITS // 5  # base32: 5 bits per character, no padding
_GROUP = 4
_BASE32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

_BUNDLE_MAGIC = b"FMPB"
_DEVICE_PRIVATE_MAGIC = b"FMDK"
_ROOT_PRIVATE_MAGIC = b"FMOR"


def fingerprint(public_bytes: Buffer) -> str:
    """Render the fingerprint of a canonical public encoding as ``XXXX-XXXX-…`` (base32)."""
    digest = hashlib.sha256(public_bytes).digest()[: FINGERPRINT_BITS // 8]
    chars = base64.b32encode(digest).decode("ascii")
    return "-".join(chars[i : i + _GROUP] for i in range(0, len(chars), _GROUP))


def normalise_fingerprint(text: str) -> str:
    """Canonical form of a fingerprint someone typed: upper case, spaces and dashes ignored.

    Raises :class:`MalformedData` if it cannot be a fingerprint (wrong length or letters), so
    a typo is reported as a typo rather than as a key substitution.
    """
    chars = "".join(c for c in text.upper() if c not in " -\t\n")
    if len(chars) != _FINGERPRINT_CHARS or not set(chars) <= _BASE32_ALPHABET:
        raise MalformedData(
            f"a fingerprint has {_FINGERPRINT_CHARS} characters A–Z and 2–7; got {text!r}"
        )
    return "-".join(chars[i : i + _GROUP] for i in range(0, len(chars), _GROUP))


def require_fingerprint(public_bytes: Buffer, expected: str, what: str) -> None:
    """Raise :class:`KeySubstitution` unless ``public_bytes`` has fingerprint ``expected``."""
    actual = fingerprint(public_bytes)
    wanted = normalise_fingerprint(expected)
    if not hmac.compare_digest(actual, wanted):
        raise KeySubstitution(
            f"{what} has fingerprint {actual}, but {wanted} was expected: the key was replaced"
            " on the way (possibly by the relay) — do not continue, contact your administrator"
        )


def trusted_root_key(root_public_bytes: Buffer, expected_fingerprint: str) -> VerifyKey:
    """Parse a root public key and check it against the fingerprint from the enrolment code."""
    require_fingerprint(root_public_bytes, expected_fingerprint, "the organisation root key")
    return VerifyKey.from_bytes(root_public_bytes)


@dataclass(frozen=True)
class DevicePublicBundle:
    """A device's public keys: where envelopes are sealed to, and what verifies its signatures."""

    recipient_key: RecipientPublicKey
    verify_key: VerifyKey

    def to_bytes(self) -> bytes:
        """Canonical encoding ``b"FMPB" [recipient public key, verify key]`` (about 3.2 KB)."""
        return framing.encode(
            _BUNDLE_MAGIC, self.recipient_key.to_bytes(), self.verify_key.to_bytes()
        )

    @classmethod
    def from_bytes(cls, data: Buffer) -> DevicePublicBundle:
        """Parse :meth:`to_bytes` output; raise MalformedData / UnknownSuite on bad input."""
        recipient, verify = framing.decode(data, _BUNDLE_MAGIC, 2, "device public key bundle")
        return cls(RecipientPublicKey.from_bytes(recipient), VerifyKey.from_bytes(verify))

    def fingerprint(self) -> str:
        """Fingerprint of the bundle, for an admin to compare device keys by eye."""
        return fingerprint(self.to_bytes())


class DeviceKeys:
    """A device's private keys, created at enrolment and kept in the encrypted local store."""

    __slots__ = ("recipient_key", "signing_key")

    def __init__(self, recipient_key: RecipientKey, signing_key: SigningKey) -> None:
        self.recipient_key = recipient_key
        self.signing_key = signing_key

    @classmethod
    def generate(cls) -> DeviceKeys:
        """Fresh envelope and signing key pairs."""
        return cls(RecipientKey.generate(), SigningKey.generate())

    def public_bundle(self) -> DevicePublicBundle:
        """The public half, to send to the admin for certification and to the relay."""
        return DevicePublicBundle(self.recipient_key.public_key(), self.signing_key.public_key())

    def private_bytes(self) -> bytes:
        """Both private keys (seeds), for the encrypted local store only.

        ``bytes`` are immutable; Python cannot guarantee that copies are erased from memory.
        """
        return framing.encode(
            _DEVICE_PRIVATE_MAGIC,
            self.recipient_key.private_bytes(),
            self.signing_key.private_bytes(),
        )

    @classmethod
    def from_private_bytes(cls, data: Buffer) -> DeviceKeys:
        """Inverse of :meth:`private_bytes`."""
        recipient, signing = framing.decode(data, _DEVICE_PRIVATE_MAGIC, 2, "device private keys")
        return cls(
            RecipientKey.from_private_bytes(recipient), SigningKey.from_private_bytes(signing)
        )

    def __repr__(self) -> str:
        return "DeviceKeys(<secret>)"


class OrgRootKey:
    """The organisation's root signing key; it does nothing but certify device keys."""

    __slots__ = ("signing_key",)

    def __init__(self, signing_key: SigningKey) -> None:
        self.signing_key = signing_key

    @classmethod
    def generate(cls) -> OrgRootKey:
        """A fresh root key (done once, on the admin device, when the organisation is set up)."""
        return cls(SigningKey.generate())

    def public_key(self) -> VerifyKey:
        """The root's public key (its ``to_bytes()`` is what devices fetch from the relay)."""
        return self.signing_key.public_key()

    def fingerprint(self) -> str:
        """The fingerprint that goes into every enrolment code."""
        return fingerprint(self.public_key().to_bytes())

    def private_bytes(self) -> bytes:
        """The root's private seeds, for the admin device's encrypted store (and its backup)."""
        return framing.encode(_ROOT_PRIVATE_MAGIC, self.signing_key.private_bytes())

    @classmethod
    def from_private_bytes(cls, data: Buffer) -> OrgRootKey:
        """Inverse of :meth:`private_bytes`."""
        (signing,) = framing.decode(data, _ROOT_PRIVATE_MAGIC, 1, "organisation root key")
        return cls(SigningKey.from_private_bytes(signing))

    def __repr__(self) -> str:
        return f"OrgRootKey(fingerprint={self.fingerprint()!r}, <secret>)"
