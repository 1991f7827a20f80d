"""Device names: signed by the device in its claim, by the root in its certificate; display only.

The relay stands between the member and the administrator, so these tests play it: they edit
the name in a pending claim and in a certificate, and check that each edit is refused.
"""

from __future__ import annotations

import json
import unicodedata

import pytest

from furano_meet.crypto import DeviceKeys, canonical_json, framing, verify_device_certificate
from furano_meet.crypto.certificates import PURPOSE, issue_device_certificate
from furano_meet.crypto.device_names import (
    EMPTY,
    HIDDEN_CHARACTER,
    MAX_LENGTH,
    TOO_LONG,
    DeviceNameInvalid,
    clean_device_name,
    default_device_name,
)
from furano_meet.crypto.errors import BadSignature, MalformedData
from furano_meet.crypto.invitations import (
    Claim,
    accept_claim,
    certify_claim,
    create_invitation,
    make_claim,
    read_claim_unverified,
    verify_invitation,
)

from .conftest import Council

NOW = 1_760_000_000
NAME = "会議室タブレット 12"


def _claim(council: Council, name: str) -> tuple[bytes, bytes, DeviceKeys]:
    admin = council["kato-pc"]
    invitation, code = create_invitation(
        admin.keys, admin.cert, user_id="giin3", role="member", expires_at=NOW + 3600
    )
    inv = verify_invitation(invitation, admin.cert, council.anchor, now=NOW)
    keys = DeviceKeys.generate()
    return make_claim(inv, code, keys, claimed_at=NOW, device_name=name), invitation, keys


def _accept(council: Council, claim: bytes, invitation: bytes) -> Claim:
    issuer = council["kato-pc"].cert_bytes
    return accept_claim(claim, invitation, issuer, council.anchor, now=NOW + 60, redeemed=set())


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("  山田の自宅PC　", "山田の自宅PC"),  # ASCII and ideographic spaces trimmed
        ("か\u3099いき", "がいき"),  # NFC: one spelling per name
        ("x" * MAX_LENGTH, "x" * MAX_LENGTH),
        ("Ａ👍", "Ａ👍"),  # full-width letters and emoji are visible characters
    ],
)
def test_names_are_trimmed_and_nfc(typed: str, clean: str) -> None:
    assert clean_device_name(typed) == clean
    assert unicodedata.is_normalized("NFC", clean_device_name(typed))


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", EMPTY),
        (" \u3000 ", EMPTY),
        ("x" * 500, TOO_LONG),
        ("x" * (MAX_LENGTH + 1), TOO_LONG),
        ("議長\u202egnp.exe", HIDDEN_CHARACTER),  # right-to-left override
        ("山田\u200bの端末", HIDDEN_CHARACTER),  # zero-width space
        ("a\u2066b", HIDDEN_CHARACTER),  # left-to-right isolate
        ("two\nlines", HIDDEN_CHARACTER),
        ("a\u2028b", HIDDEN_CHARACTER),  # line separator
        ("\ue000", HIDDEN_CHARACTER),  # private use
    ],
)
def test_bad_names_are_refused_with_a_clear_code(typed: str, problem: str) -> None:
    with pytest.raises(DeviceNameInvalid) as caught:
        clean_device_name(typed)
    assert caught.value.code == "device_name_invalid"
    assert caught.value.problem == problem
    assert caught.value.next_step


def test_the_default_is_the_host_name_or_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platform.node", lambda: "kaigishitsu-07")
    assert default_device_name("このタブレット") == "kaigishitsu-07"
    monkeypatch.setattr("platform.node", lambda: "")
    assert default_device_name("このタブレット") == "このタブレット"


def test_a_named_claim_is_certified_with_its_name(council: Council) -> None:
    claim, invitation, keys = _claim(council, "  " + NAME + " ")
    accepted = _accept(council, claim, invitation)
    assert read_claim_unverified(claim).device_name == NAME
    cert_bytes = certify_claim(council.org.root, accepted, device_id="dev-9")
    cert = verify_device_certificate(cert_bytes, council.org.fingerprint)
    assert (cert.device_name, cert.user_id, cert.public_bundle) == (
        NAME,
        "giin3",
        keys.public_bundle(),
    )


def test_a_nameless_claim_and_certificate_stay_as_before(council: Council) -> None:
    claim, invitation, _ = _claim(council, "")
    body = json.loads(framing.decode(claim, b"FMEC", 3, "claim")[0])
    assert "device_name" not in body  # what an older device sends, byte for byte
    cert_bytes = certify_claim(council.org.root, _accept(council, claim, invitation), device_id="d")
    assert "device_name" not in json.loads(framing.decode(cert_bytes, b"FMCT", 3, "c")[1])
    assert verify_device_certificate(cert_bytes, council.org.fingerprint).device_name == ""


def test_the_relay_renaming_a_pending_device_breaks_the_devices_signature(
    council: Council,
) -> None:
    claim, invitation, _ = _claim(council, NAME)
    body, device_sig, code_sig = framing.decode(claim, b"FMEC", 3, "claim")
    renamed = canonical_json.dumps({**json.loads(body), "device_name": "議長の端末"})
    forged = framing.encode(b"FMEC", renamed, device_sig, code_sig)
    assert read_claim_unverified(forged).device_name == "議長の端末"  # shown only unverified
    with pytest.raises(BadSignature, match="altered after the device made it"):
        _accept(council, forged, invitation)


def _edited(cert_bytes: bytes, **changes: object) -> bytes:
    root_raw, body, signature = framing.decode(cert_bytes, b"FMCT", 3, "certificate")
    edited = canonical_json.dumps({**json.loads(body), **changes})
    return framing.encode(b"FMCT", root_raw, edited, signature)


def test_the_relay_renaming_a_certified_device_breaks_the_roots_signature(
    council: Council,
) -> None:
    claim, invitation, _ = _claim(council, NAME)
    cert_bytes = certify_claim(council.org.root, _accept(council, claim, invitation), device_id="d")
    for forged in (
        _edited(cert_bytes, device_name="議長の端末"),
        _edited(council["kato-pc"].cert_bytes, device_name="議長の端末"),
    ):
        with pytest.raises(BadSignature):
            verify_device_certificate(forged, council.org.fingerprint)


@pytest.mark.parametrize("name", ["", " 会議室", "か\u3099", "a\u202eb", "x" * 41, 12], ids=repr)
def test_a_root_signed_certificate_with_a_bad_name_is_malformed(
    council: Council, name: object
) -> None:
    """One encoding per certificate: ``""`` (not the absent key), untrimmed or decomposed
    names are refused even under a valid root signature."""
    root_raw, body, _ = framing.decode(council["kato-pc"].cert_bytes, b"FMCT", 3, "c")
    edited = canonical_json.dumps({**json.loads(body), "device_name": name})
    signed = framing.encode(
        b"FMCT", root_raw, edited, council.org.root.signing_key.sign(edited, PURPOSE)
    )
    with pytest.raises(MalformedData):
        verify_device_certificate(signed, council.org.fingerprint)


def test_issuing_refuses_a_name_not_yet_cleaned(council: Council) -> None:
    keys = DeviceKeys.generate()

    def issue(name: str) -> bytes:
        return issue_device_certificate(
            council.org.root,
            org_id="furano-city",
            user_id="giin3",
            device_id="d",
            role="member",
            public_bundle=keys.public_bundle(),
            device_name=name,
        )

    with pytest.raises(ValueError, match="clean"):
        issue(" 会議室 ")
    with pytest.raises(DeviceNameInvalid):
        issue("a\u200bb")
    assert (
        verify_device_certificate(issue("会議室"), council.org.fingerprint).device_name == "会議室"
    )
