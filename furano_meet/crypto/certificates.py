"""Device certificates: the organisation root vouches for a device's public keys.

Theory of operation
-------------------
Enrolment gives a new device two things out of band (the enrolment code, e.g. a QR code the
admin shows): the organisation id and the **root fingerprint**. Everything else — the root's
public key, the certificates of all devices — arrives through the relay, which we do not trust.

A certificate is::

    b"FMCT" [root public key, body (canonical JSON), hybrid signature by the root]

    body = {"type": "furano-meet/device-certificate", "version": 1, "org_id", "user_id",
            "device_id", "role", "device_public_bundle" (base64), "issued_at" (Unix seconds),
            "device_name" (optional)}

``device_name`` (issue #9, fifth session) is the name the member gave the device
(「会議室タブレット 12」), display only (:mod:`.device_names`). It is written only when the device
has one — a nameless certificate has no such key, never ``""`` — so every certificate still has
exactly one encoding, and certificates issued before the field verify as before (shown by their
device id). Signed by the root like the rest of the body: after certification no relay can
rename a device. Builds before the field refuse a certificate carrying it (as with the roster's
optional fields), so update every device before certifying named ones.

:func:`verify_device_certificate` checks, in this order:

1. the embedded root public key has the expected fingerprint — otherwise the relay (or someone
   on the network) substituted its own root: :class:`~.errors.KeySubstitution`;
2. both halves of the root's signature verify over the body, for the purpose
   ``"furano-meet device certificate"`` — otherwise the body (e.g. the device key) was
   changed: :class:`~.errors.BadSignature`;
3. the body parses and, if asked, names the expected organisation.

So a relay that swaps a device's public key to read that device's envelopes is caught at 1
(its own root) or 2 (the genuine root never signed the swapped key).

Not here: revocation. A certificate has no expiry; removing a member means the clients stop
sealing new meeting keys to that device (a signed revocation list is future work).
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field

from . import canonical_json, framing
from .device_names import clean_device_name, read_device_name
from .errors import MalformedData, WrongContext
from .framing import Buffer
from .keys import DevicePublicBundle, OrgRootKey, fingerprint, require_fingerprint
from .signing import VerifyKey

PURPOSE = "furano-meet device certificate"
_TYPE = "furano-meet/device-certificate"
_VERSION = 1
_MAGIC = b"FMCT"
_KEYS = frozenset(
    {
        "type",
        "version",
        "org_id",
        "user_id",
        "device_id",
        "role",
        "device_public_bundle",
        "issued_at",
    }
)
_NAME = "device_name"


@dataclass(frozen=True)
class DeviceCertificate:
    """A verified certificate. Only :func:`verify_device_certificate` should make these."""

    org_id: str
    user_id: str
    device_id: str
    role: str
    public_bundle: DevicePublicBundle
    issued_at: int
    root_fingerprint: str
    #: The certificate exactly as signed, for storing or passing on.
    encoded: bytes = field(repr=False, compare=False)
    device_name: str = ""
    """The member's name for the device (display only); ``""``: none (an older certificate)."""


def issue_device_certificate(
    root: OrgRootKey,
    *,
    org_id: str,
    user_id: str,
    device_id: str,
    role: str,
    public_bundle: DevicePublicBundle,
    issued_at: int | None = None,
    device_name: str = "",
) -> bytes:
    """Certify ``public_bundle`` as device ``device_id`` of ``user_id`` in ``org_id``.

    Runs on the admin device. ``issued_at`` defaults to now (Unix seconds, UTC).
    ``device_name`` (``""``: none) is signed as given, so it must already be clean (a verified
    claim's is): a bad name raises :class:`~.device_names.DeviceNameInvalid`, an uncleaned one
    ``ValueError``.
    """
    for name, value in (
        ("org_id", org_id),
        ("user_id", user_id),
        ("device_id", device_id),
        ("role", role),
    ):
        if not value:
            raise ValueError(f"{name} must be a non-empty string")
    if device_name and clean_device_name(device_name) != device_name:
        raise ValueError("device_name must be clean (NFC, trimmed) before it is certified")
    named = {_NAME: device_name} if device_name else {}
    body = canonical_json.dumps(
        {
            **named,
            "type": _TYPE,
            "version": _VERSION,
            "org_id": org_id,
            "user_id": user_id,
            "device_id": device_id,
            "role": role,
            "device_public_bundle": base64.b64encode(public_bundle.to_bytes()).decode("ascii"),
            "issued_at": int(time.time()) if issued_at is None else issued_at,
        }
    )
    signature = root.signing_key.sign(body, PURPOSE)
    return framing.encode(_MAGIC, root.public_key().to_bytes(), body, signature)


def verify_device_certificate(
    cert_bytes: Buffer, expected_root_fingerprint: str, *, expected_org_id: str | None = None
) -> DeviceCertificate:
    """Verify a certificate against the root fingerprint from the enrolment code.

    Raises :class:`~.errors.KeySubstitution` (wrong root), :class:`~.errors.BadSignature`
    (altered certificate), :class:`WrongContext` (another organisation), MalformedData or
    UnknownSuite (garbage).
    """
    encoded = bytes(cert_bytes)
    root_raw, body, signature = framing.decode(encoded, _MAGIC, 3, "device certificate")
    require_fingerprint(root_raw, expected_root_fingerprint, "the certificate's root key")
    VerifyKey.from_bytes(root_raw).verify(signature, body, PURPOSE)
    what = "device certificate"
    obj = canonical_json.parse(body, what, _KEYS, frozenset({_NAME}))
    if obj["type"] != _TYPE or obj["version"] != _VERSION:
        raise MalformedData(f"unsupported certificate type {obj['type']!r} v{obj['version']!r}")
    try:
        bundle_raw = base64.b64decode(
            canonical_json.get_str(obj, "device_public_bundle", what), validate=True
        )
    except binascii.Error as exc:
        raise MalformedData("certificate device key bundle is not valid base64") from exc
    cert = DeviceCertificate(
        org_id=canonical_json.get_str(obj, "org_id", what),
        user_id=canonical_json.get_str(obj, "user_id", what),
        device_id=canonical_json.get_str(obj, "device_id", what),
        role=canonical_json.get_str(obj, "role", what),
        public_bundle=DevicePublicBundle.from_bytes(bundle_raw),
        issued_at=canonical_json.get_int(obj, "issued_at", what),
        root_fingerprint=fingerprint(root_raw),
        encoded=encoded,
        device_name=read_device_name(obj[_NAME], what) if _NAME in obj else "",
    )
    if expected_org_id is not None and cert.org_id != expected_org_id:
        raise WrongContext(
            f"certificate is for organisation {cert.org_id!r}, expected {expected_org_id!r}"
        )
    return cert
