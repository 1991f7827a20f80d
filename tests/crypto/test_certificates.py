from __future__ import annotations

import base64
import json

import pytest

from furano_meet.crypto import canonical_json, framing
from furano_meet.crypto.certificates import (
    PURPOSE,
    issue_device_certificate,
    verify_device_certificate,
)
from furano_meet.crypto.errors import (
    BadSignature,
    KeySubstitution,
    MalformedData,
    UnknownSuite,
    WrongContext,
)
from furano_meet.crypto.keys import DeviceKeys

from .conftest import ORG_ID, Org


def _fields(cert_bytes: bytes) -> list[bytes]:
    return framing.decode(cert_bytes, b"FMCT", 3, "certificate")


def test_certificate_binds_who_and_which_keys(org: Org) -> None:
    device = org.devices["suzuki-tablet"]
    cert = verify_device_certificate(device.cert_bytes, org.fingerprint, expected_org_id=ORG_ID)
    assert (cert.org_id, cert.user_id, cert.device_id, cert.role) == (
        ORG_ID,
        "cllr-suzuki",
        "suzuki-tablet",
        "member",
    )
    assert cert.public_bundle == device.keys.public_bundle()
    assert cert.issued_at == 1_760_000_000
    assert cert.root_fingerprint == org.fingerprint
    assert cert.encoded == device.cert_bytes
    body = json.loads(_fields(device.cert_bytes)[1])
    assert set(body) == {
        "type",
        "version",
        "org_id",
        "user_id",
        "device_id",
        "role",
        "device_public_bundle",
        "issued_at",
    }


def test_relay_substituting_its_own_root_is_detected(org: Org, other_org: Org) -> None:
    """The relay runs its own root and certifies its own key for 'sato-tablet'."""
    forged = other_org.devices["sato-tablet"].cert_bytes
    with pytest.raises(KeySubstitution, match=org.fingerprint):
        verify_device_certificate(forged, org.fingerprint)


def test_substituted_device_key_under_the_genuine_root_is_detected(org: Org) -> None:
    """The relay keeps the genuine root key but swaps the device key inside the body."""
    root_raw, body, signature = _fields(org.devices["sato-tablet"].cert_bytes)
    obj = json.loads(body)
    obj["device_public_bundle"] = base64.b64encode(
        DeviceKeys.generate().public_bundle().to_bytes()
    ).decode()
    forged = framing.encode(b"FMCT", root_raw, canonical_json.dumps(obj), signature)
    with pytest.raises(BadSignature):
        verify_device_certificate(forged, org.fingerprint)


@pytest.mark.parametrize(
    ("field", "value"),
    [("role", "clerk"), ("user_id", "clerk-sato"), ("org_id", "biei-town"), ("issued_at", 1)],
)
def test_any_edited_field_breaks_the_signature(org: Org, field: str, value: object) -> None:
    root_raw, body, signature = _fields(org.devices["tanaka-tablet"].cert_bytes)
    obj = json.loads(body)
    obj[field] = value
    forged = framing.encode(b"FMCT", root_raw, canonical_json.dumps(obj), signature)
    with pytest.raises(BadSignature):
        verify_device_certificate(forged, org.fingerprint)


def test_a_root_signature_for_another_purpose_is_not_a_certificate(org: Org) -> None:
    root_raw, body, _ = _fields(org.devices["tanaka-tablet"].cert_bytes)
    other_purpose = org.root.signing_key.sign(body, "furano-meet document manifest")
    with pytest.raises(BadSignature):
        verify_device_certificate(
            framing.encode(b"FMCT", root_raw, body, other_purpose), org.fingerprint
        )


def test_other_organisation_is_refused(org: Org) -> None:
    with pytest.raises(WrongContext, match="organisation"):
        verify_device_certificate(
            org.devices["sato-tablet"].cert_bytes, org.fingerprint, expected_org_id="biei-town"
        )


def test_garbage_is_malformed(org: Org) -> None:
    cert_bytes = org.devices["sato-tablet"].cert_bytes
    with pytest.raises(MalformedData):
        verify_device_certificate(cert_bytes[:-10], org.fingerprint)
    with pytest.raises(MalformedData):
        verify_device_certificate(b"", org.fingerprint)
    with pytest.raises(MalformedData, match="fingerprint"):
        verify_device_certificate(cert_bytes, "not a fingerprint")


def test_validly_signed_but_malformed_body_is_refused(org: Org) -> None:
    root_raw = org.root.public_key().to_bytes()
    for body in (
        b'{"type":"furano-meet/device-certificate"}',
        b"not json",
        canonical_json.dumps(
            {
                "type": "x",
                "version": 1,
                "org_id": ORG_ID,
                "user_id": "u",
                "device_id": "d",
                "role": "member",
                "device_public_bundle": "AAAA",
                "issued_at": 0,
            }
        ),
    ):
        signed = framing.encode(b"FMCT", root_raw, body, org.root.signing_key.sign(body, PURPOSE))
        with pytest.raises(MalformedData):
            verify_device_certificate(signed, org.fingerprint)


def test_unknown_signature_suite_is_refused(org: Org) -> None:
    root_raw, body, signature = _fields(org.devices["sato-tablet"].cert_bytes)
    _, ed, ml = framing.decode(signature, b"FMSG", 3, "signature")
    relabelled = framing.encode(b"FMSG", b"ed25519+slhdsa/1", ed, ml)
    with pytest.raises(UnknownSuite):
        verify_device_certificate(
            framing.encode(b"FMCT", root_raw, body, relabelled), org.fingerprint
        )


def test_issuing_requires_identities(org: Org) -> None:
    with pytest.raises(ValueError, match="device_id"):
        issue_device_certificate(
            org.root,
            org_id=ORG_ID,
            user_id="u",
            device_id="",
            role="member",
            public_bundle=DeviceKeys.generate().public_bundle(),
        )
