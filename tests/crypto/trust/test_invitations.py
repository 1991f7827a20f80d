"""Invitations made on the administrator's device; claims the relay can check but not make."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from furano_meet.crypto import DeviceKeys, framing, verify_device_certificate
from furano_meet.crypto.authority import Expired
from furano_meet.crypto.errors import (
    BadSignature,
    KeySubstitution,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)
from furano_meet.crypto.invitations import (
    CERTIFY_GRACE_SECONDS,
    KIND,
    Claim,
    accept_claim,
    certify_claim,
    check_code_proof,
    code_key,
    create_invitation,
    make_claim,
    new_code,
    normalise_code,
    read_invitation_unverified,
    verify_invitation,
)

from .conftest import Council

NOW = 1_760_000_000
EXPIRES = NOW + 3 * 24 * 3600


def _invite(council: Council, user: str = "giin3", role: str = "member") -> tuple[bytes, str]:
    admin = council["kato-pc"]
    return create_invitation(
        admin.keys, admin.cert, user_id=user, role=role, expires_at=EXPIRES, signed_at=NOW
    )


def _claim(council: Council, invitation: bytes, code: str, keys: DeviceKeys) -> bytes:
    inv = verify_invitation(invitation, council["kato-pc"].cert_bytes, council.anchor, now=NOW)
    return make_claim(inv, code, keys, claimed_at=NOW + 60)


def _accept(
    council: Council,
    claim: bytes,
    invitation: bytes,
    *,
    now: int = NOW + 120,
    redeemed: frozenset[str] = frozenset(),
) -> Claim:
    issuer = council["kato-pc"].cert_bytes
    return accept_claim(claim, invitation, issuer, council.anchor, now=now, redeemed=redeemed)


def test_invitation_claim_and_certification(council: Council) -> None:
    invitation, code = _invite(council)
    issuer, invitation_id, stored_key = read_invitation_unverified(invitation)
    assert issuer == "kato-pc"
    assert stored_key == code_key(code) == code_key(code.lower().replace("-", " "))
    inv = verify_invitation(invitation, council["kato-pc"].cert, council.anchor, now=NOW)
    assert (inv.invitation_id, inv.org_id, inv.user_id, inv.role) == (
        invitation_id,
        "furano-city",
        "giin3",
        "member",
    )
    keys = DeviceKeys.generate()
    claim = make_claim(inv, code, keys, claimed_at=NOW + 60)
    assert check_code_proof(claim, stored_key).user_id == "giin3"  # the relay's check
    accepted = _accept(council, claim, invitation)
    cert_bytes = certify_claim(council.org.root, accepted, device_id="dev-1", issued_at=NOW)
    cert = verify_device_certificate(cert_bytes, council.org.fingerprint)
    assert (cert.user_id, cert.role, cert.device_id) == ("giin3", "member", "dev-1")
    assert cert.public_bundle == keys.public_bundle()


def test_code_is_not_in_anything_the_relay_stores(council: Council) -> None:
    invitation, code = _invite(council)
    claim = _claim(council, invitation, code, DeviceKeys.generate())
    for stored in (invitation, claim):
        assert normalise_code(code).encode() not in stored
        assert code.encode() not in stored
    assert len(normalise_code(new_code())) == 20


def test_invitation_minted_by_the_relay_is_refused(council: Council) -> None:
    """The relay's own 'admin' (its own root) invites a device of the relay's as giin1."""
    fake = council.relay.devices["kato-pc"]
    minted, code = create_invitation(
        fake.keys, fake.cert, user_id="giin1", role="clerk", expires_at=EXPIRES
    )
    with pytest.raises(KeySubstitution):
        verify_invitation(minted, fake.cert_bytes, council.anchor, now=NOW)
    inv = verify_invitation(
        minted,
        fake.cert_bytes,
        dataclasses.replace(council.anchor, root_fingerprint=council.relay.fingerprint),
        now=NOW,
    )
    claim = make_claim(inv, code, DeviceKeys.generate(), claimed_at=NOW)
    with pytest.raises(KeySubstitution):
        accept_claim(claim, minted, fake.cert_bytes, council.anchor, now=NOW, redeemed=set())
    with pytest.raises(BadSignature):  # nor passes with the genuine admin's certificate
        _accept(council, claim, minted)


def test_invitation_signed_by_a_clerk_is_refused(council: Council) -> None:
    clerk = council["sato-tablet"]
    with pytest.raises(UsageError):
        create_invitation(clerk.keys, clerk.cert, user_id="x", role="member", expires_at=EXPIRES)
    lax = dataclasses.replace(KIND, signer_roles=None)
    content = {
        "invitation_id": "00" * 16,
        "org_id": "furano-city",
        "user_id": "x",
        "role": "admin",
        "expires_at": EXPIRES,
        "code_key": "A" * 43 + "=",
    }
    with pytest.raises(UnauthorisedSigner):
        verify_invitation(
            lax.sign(content, clerk.keys, clerk.cert), clerk.cert, council.anchor, now=NOW
        )


def test_claim_without_the_code_is_refused(council: Council) -> None:
    """The relay has the invitation and its code key, but not the code."""
    invitation, _ = _invite(council)
    inv = verify_invitation(invitation, council["kato-pc"].cert, council.anchor, now=NOW)
    with pytest.raises(WrongContext, match="code"):
        make_claim(inv, new_code(), DeviceKeys.generate(), claimed_at=NOW)
    # Its own claim with some other code's proof is refused by the relay's check and the admin.
    other_invitation, other_code = _invite(council)
    other = verify_invitation(other_invitation, council["kato-pc"].cert, council.anchor, now=NOW)
    stray = make_claim(other, other_code, DeviceKeys.generate(), claimed_at=NOW)
    with pytest.raises(BadSignature):
        check_code_proof(stray, inv.code_key)
    with pytest.raises(BadSignature):
        _accept(council, stray, invitation)


def test_certification_with_a_swapped_role_is_refused(council: Council) -> None:
    """The relay edits the claim to 'clerk', or pairs it with a clerk's invitation."""
    invitation, code = _invite(council)
    claim = _claim(council, invitation, code, DeviceKeys.generate())
    body, device_sig, code_sig = framing.decode(claim, b"FMEC", 3, "claim")
    swapped = framing.encode(
        b"FMEC", body.replace(b'"role":"member"', b'"role":"clerk"'), device_sig, code_sig
    )
    assert swapped != claim
    with pytest.raises(BadSignature):
        _accept(council, swapped, invitation)
    clerk_invitation, _ = _invite(council, user="giin3", role="clerk")
    with pytest.raises(BadSignature):  # the code proof is for the other invitation's key
        _accept(council, claim, clerk_invitation)
    accepted = _accept(council, claim, invitation)
    assert accepted.role == "member"


def test_claim_with_a_swapped_device_key_is_refused(council: Council) -> None:
    """The relay keeps the invitee's proofs but puts its own public keys in the claim."""
    invitation, code = _invite(council)
    keys = DeviceKeys.generate()
    genuine = keys.public_bundle().to_bytes()
    claim = _claim(council, invitation, code, keys)
    body, device_sig, code_sig = framing.decode(claim, b"FMEC", 3, "claim")
    relays = DeviceKeys.generate().public_bundle().to_bytes()
    swapped = body.replace(base64.b64encode(genuine), base64.b64encode(relays))
    assert swapped != body
    with pytest.raises(BadSignature):
        _accept(council, framing.encode(b"FMEC", swapped, device_sig, code_sig), invitation)


def test_expired_invitation_is_refused(council: Council) -> None:
    invitation, code = _invite(council)
    with pytest.raises(Expired):
        verify_invitation(invitation, council["kato-pc"].cert, council.anchor, now=EXPIRES + 1)
    inv = verify_invitation(invitation, council["kato-pc"].cert, council.anchor, now=NOW)
    late = make_claim(inv, code, DeviceKeys.generate(), claimed_at=EXPIRES + 1)
    with pytest.raises(Expired, match="claimed after"):
        _accept(council, late, invitation, now=EXPIRES + 2)
    in_time = make_claim(inv, code, DeviceKeys.generate(), claimed_at=EXPIRES - 1)
    _accept(council, in_time, invitation, now=EXPIRES + CERTIFY_GRACE_SECONDS)
    with pytest.raises(Expired):
        _accept(council, in_time, invitation, now=EXPIRES + CERTIFY_GRACE_SECONDS + 1)


def test_invitation_is_redeemed_once(council: Council) -> None:
    invitation, code = _invite(council)
    claim = _claim(council, invitation, code, DeviceKeys.generate())
    accepted = _accept(council, claim, invitation)
    with pytest.raises(WrongContext, match="already redeemed"):
        _accept(council, claim, invitation, redeemed=frozenset({accepted.invitation_id}))


def test_invitation_needs_a_known_role(council: Council) -> None:
    with pytest.raises(UsageError):
        _invite(council, role="mayor")
