"""Who may sign what: the trust anchor, signed canonical-JSON objects, and their errors.

Theory of operation
-------------------
Every object of the trust layer (epoch records, rosters, annotation ops, invitations) is a
small canonical-JSON body signed by one *device* with its hybrid signing key::

    signed object = magic (4 bytes) [body (canonical JSON), hybrid signature]
    body          = {"type", "format", <the object's fields>, "signer_device_id", "signed_at"}

A signature alone proves nothing: the relay can run its own root and certify its own keys. So
every verifier here takes a :class:`TrustAnchor` — the organisation id and the root
fingerprint that came out of band with the enrolment code — and the signer's certificate, and
checks, in this order:

1. the certificate chains to the anchor's root and names the anchor's organisation
   (:class:`~.errors.KeySubstitution` / :class:`~.errors.WrongContext` otherwise);
2. both halves of the signature verify over the body for the object's purpose string
   (:class:`~.errors.BadSignature`);
3. the body parses strictly and its ``signer_device_id`` is the certificate's device
   (:class:`~.errors.UnauthorisedSigner` — a genuine signature presented with another
   device's certificate);
4. the certificate's role is one that may sign this kind of object (``clerk``/``admin`` for
   keys and rosters, ``admin`` for invitations; :class:`~.errors.UnauthorisedSigner`).

Nothing is taken from the relay's word: not the signer's role (it comes from the root-signed
certificate), not the author of an op (the certificate's user), not the organisation.

The errors this layer adds (each derives from the crypto tree, so existing handlers keep
catching them)::

    WrongContext
    ├── StaleObject      older than (or a replay of) something already accepted
    ├── Equivocation     a second, different object with a version already accepted
    └── Expired          an invitation past its expiry
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any

from . import canonical_json, framing
from .certificates import DeviceCertificate, verify_device_certificate
from .errors import KeySubstitution, MalformedData, UnauthorisedSigner, UsageError, WrongContext
from .framing import Buffer
from .keys import DeviceKeys, normalise_fingerprint

#: Roles whose devices may make meeting keys (epoch records) and rosters.
KEY_AUTHORITY_ROLES = frozenset({"clerk", "admin"})
#: Every role a certificate may carry (mirrors the protocol's ``Role``; kept here so the crypto
#: layer does not import the protocol).
ALL_ROLES = frozenset({"admin", "clerk", "chair", "member"})
#: Bound of every epoch and version number: fits a signed 32-bit integer, so no peer can push a
#: counter to where ``+ 1`` overflows a database column or another implementation.
MAX_EPOCH = 2**31 - 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FORMAT = 1
_ENVELOPE_FIELDS = frozenset({"type", "format", "signer_device_id", "signed_at"})


class StaleObject(WrongContext):
    """Authentic, but older than (or the same as) one already accepted: a replay or a rollback."""

    code = "stale"


class Equivocation(WrongContext):
    """Two different authentic objects claim the same version (epoch, roster version).

    Only an entitled signer can make either, so this is a clerk's device misbehaving or
    two clerks racing; either way neither is silently preferred: the first one seen stays.
    """

    code = "equivocation"


class Expired(WrongContext):
    """An invitation (or another time-limited object) used after its expiry."""

    code = "expired"


def require_bounded(value: int, what: str, *, low: int = 1, high: int = MAX_EPOCH) -> int:
    """Return ``value`` if ``low <= value <= high``; a peer's out-of-range number is refused.

    Raised as :class:`~.errors.WrongContext`: the value may well be authentic (an envelope
    epoch is authenticated by HPKE) but no honest peer makes it.
    """
    if isinstance(value, bool) or not low <= value <= high:
        raise WrongContext(f"{what} {value} is outside {low}..{high}")
    return value


def sha256_hex(*fields: Buffer, magic: bytes) -> str:
    """Domain-separated SHA-256 (``magic`` + length-prefixed fields), as 64 hex digits."""
    return hashlib.sha256(framing.encode(magic, *fields)).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def get_hex64(obj: dict[str, Any], key: str, what: str) -> str:
    """``obj[key]`` if it is 64 lowercase hex digits (a SHA-256)."""
    value = canonical_json.get_str(obj, key, what)
    if not _HEX64.fullmatch(value):
        raise MalformedData(f"{what} field {key!r} must be 64 lowercase hex digits")
    return value


def require_meeting(found: str, expected: str | None, what: str) -> None:
    """Raise :class:`WrongContext` unless ``found`` is the ``expected`` meeting (if any)."""
    if expected is not None and found != expected:
        raise WrongContext(f"{what} is for meeting {found!r}, expected {expected!r}")


def require_monotonic(
    what: str, new: tuple[str, int, bytes], seen: tuple[str, int, bytes] | None
) -> bool:
    """The one rule for versioned objects, each given as (meeting id, number, canonical body).

    Returns True if ``new`` is newer than ``seen`` (or nothing was seen), False if it is
    ``seen`` again (a harmless re-delivery); raises :class:`WrongContext` (another meeting),
    :class:`StaleObject` (older) or :class:`Equivocation` (same number, different body).
    """
    if seen is None:
        return True
    require_meeting(new[0], seen[0], what)
    if new[1] > seen[1]:
        return True
    if new[1] < seen[1]:
        raise StaleObject(
            f"{what} {new[1]} of meeting {new[0]!r} is older than {seen[1]} already accepted"
        )
    if new[2] != seen[2]:
        raise Equivocation(f"a second, different {what} {new[1]} of meeting {new[0]!r}")
    return False


@dataclass(frozen=True)
class TrustAnchor:
    """What a device knows without the relay: its organisation and the root fingerprint."""

    org_id: str
    root_fingerprint: str

    def certificate(self, cert: DeviceCertificate | Buffer) -> DeviceCertificate:
        """``cert`` checked against this anchor (verified if given as bytes).

        Raises :class:`KeySubstitution` (another root), :class:`WrongContext` (another
        organisation), BadSignature / MalformedData (a forged or broken certificate).
        """
        if not isinstance(cert, DeviceCertificate):
            return verify_device_certificate(
                cert, self.root_fingerprint, expected_org_id=self.org_id
            )
        if not hmac.compare_digest(
            normalise_fingerprint(cert.root_fingerprint),
            normalise_fingerprint(self.root_fingerprint),
        ):
            raise KeySubstitution(
                f"certificate of device {cert.device_id!r} chains to root"
                f" {cert.root_fingerprint}, not {self.root_fingerprint}"
            )
        if cert.org_id != self.org_id:
            raise WrongContext(
                f"certificate is for organisation {cert.org_id!r}, expected {self.org_id!r}"
            )
        return cert


def require_role(cert: DeviceCertificate, roles: frozenset[str], action: str) -> None:
    """Raise :class:`UnauthorisedSigner` unless ``cert``'s role is one of ``roles``."""
    if cert.role not in roles:
        raise UnauthorisedSigner(
            f"device {cert.device_id!r} ({cert.user_id!r}) has role {cert.role!r}, which may not"
            f" {action} (allowed: {', '.join(sorted(roles))})"
        )


@dataclass(frozen=True)
class Verified:
    """A signed object that passed :meth:`SignedKind.verify`: its fields and its signer."""

    fields: dict[str, Any]
    signer: DeviceCertificate
    #: The canonical body exactly as signed (what hashes and equality checks use).
    body: bytes


@dataclass(frozen=True)
class SignedKind:
    """One kind of signed object: its magic, purpose string, JSON type, fields and signers."""

    magic: bytes
    purpose: str
    type: str
    what: str
    fields: frozenset[str]
    #: Roles that may sign it; ``None``: any certified device (e.g. annotation ops).
    signer_roles: frozenset[str] | None
    action: str
    #: Fields a later format added: a writer may leave them out (and does, for the default,
    #: so what an older build reads stays the same); a reader accepts either.
    optional: frozenset[str] = frozenset()

    def sign(
        self,
        content: dict[str, Any],
        keys: DeviceKeys,
        signer: DeviceCertificate,
        signed_at: int | None = None,
    ) -> bytes:
        """Sign ``content`` (:attr:`fields`, plus any of :attr:`optional`) as ``signer``'s device.

        Refuses (:class:`UsageError`) keys that are not the certificate's or a role that may
        not sign this kind: better our own bug report than an object every peer refuses.
        """
        if not self.fields <= set(content) <= self.fields | self.optional:
            raise UsageError(f"{self.what} needs fields {sorted(self.fields)}")
        if keys.signing_key.public_key() != signer.public_bundle.verify_key:
            raise UsageError(f"signing key is not the one certified for {signer.device_id!r}")
        if self.signer_roles is not None and signer.role not in self.signer_roles:
            raise UsageError(f"role {signer.role!r} may not {self.action}")
        body = canonical_json.dumps(
            {
                **content,
                "type": self.type,
                "format": _FORMAT,
                "signer_device_id": signer.device_id,
                "signed_at": int(time.time()) if signed_at is None else signed_at,
            }
        )
        return framing.encode(self.magic, body, keys.signing_key.sign(body, self.purpose))

    def peek(self, data: Buffer) -> dict[str, Any]:
        """The fields *without* checking the signature: to find which certificate to fetch."""
        body, _ = framing.decode(data, self.magic, 2, self.what)
        return self._parse(body)

    def signer_of(self, data: Buffer) -> str:
        """The signer device id an object names, unverified: which certificate to fetch."""
        return str(self.peek(data)["signer_device_id"])

    def split(self, data: Buffer) -> tuple[bytes, bytes]:
        """(body, signature) of a signed object of this kind, unverified."""
        body, signature = framing.decode(data, self.magic, 2, self.what)
        return body, signature

    def verify(
        self, data: Buffer, signer_cert: DeviceCertificate | Buffer, anchor: TrustAnchor
    ) -> Verified:
        """Check ``data`` against the signer's certificate and the anchor (module docstring)."""
        body, signature = self.split(data)
        cert = anchor.certificate(signer_cert)
        cert.public_bundle.verify_key.verify(signature, body, self.purpose)
        return self.vouched(body, cert)

    def vouched(self, body: bytes, signer: DeviceCertificate) -> Verified:
        """Steps 3–4 for a body whose authenticity is already established — signed directly,
        or linked by hash to one that was (:mod:`.signed_ops` chains). ``signer`` must have
        passed :meth:`TrustAnchor.certificate`."""
        fields = self._parse(body)
        if fields["signer_device_id"] != signer.device_id:
            raise UnauthorisedSigner(
                f"{self.what} names signer device {fields['signer_device_id']!r} but was checked"
                f" against the certificate of {signer.device_id!r}"
            )
        if self.signer_roles is not None:
            require_role(signer, self.signer_roles, self.action)
        return Verified(fields, signer, body)

    def _parse(self, body: bytes) -> dict[str, Any]:
        obj = canonical_json.parse(body, self.what, self.fields | _ENVELOPE_FIELDS, self.optional)
        if obj["type"] != self.type or obj["format"] != _FORMAT:
            raise MalformedData(f"not a {self.what}: type {obj['type']!r} v{obj['format']!r}")
        canonical_json.get_str(obj, "signer_device_id", self.what)
        canonical_json.get_int(obj, "signed_at", self.what)
        return obj
