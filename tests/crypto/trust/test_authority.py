"""The trust anchor, the signed-object frame every trust object shares, and the new errors."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from furano_meet.crypto import errors, issue_device_certificate, verify_device_certificate
from furano_meet.crypto.authority import (
    MAX_EPOCH,
    Equivocation,
    Expired,
    SignedKind,
    StaleObject,
    require_bounded,
)
from furano_meet.crypto.errors import (
    CryptoError,
    Fault,
    KeySubstitution,
    MalformedData,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)

from ..conftest import ORG_ID
from .conftest import Council

KIND = SignedKind(
    magic=b"FMtt",
    purpose="furano-meet test object",
    type="furano-meet/test",
    what="test object",
    fields=frozenset({"n"}),
    signer_roles=frozenset({"clerk"}),
    action="sign test objects",
)


def test_anchor_accepts_bytes_or_a_verified_certificate(council: Council) -> None:
    clerk = council["sato-tablet"]
    assert council.anchor.certificate(clerk.cert_bytes) == clerk.cert
    assert council.anchor.certificate(clerk.cert) is clerk.cert
    lower = dataclasses.replace(council.anchor, root_fingerprint=council.org.fingerprint.lower())
    assert lower.certificate(clerk.cert) is clerk.cert


def test_anchor_refuses_another_root_or_organisation(council: Council) -> None:
    fake = council.relay.devices["sato-tablet"]
    for cert in (fake.cert, fake.cert_bytes):
        with pytest.raises(KeySubstitution):
            council.anchor.certificate(cert)
    neighbour = dataclasses.replace(council.anchor, org_id="biei-town")
    for cert in (council["sato-tablet"].cert, council["sato-tablet"].cert_bytes):
        with pytest.raises(WrongContext):
            neighbour.certificate(cert)


def test_signed_object_round_trip_and_signer_checks(council: Council) -> None:
    clerk = council["sato-tablet"]
    signed = KIND.sign({"n": 1}, clerk.keys, clerk.cert, signed_at=5)
    verified = KIND.verify(signed, clerk.cert_bytes, council.anchor)
    assert verified.fields["n"] == 1
    assert verified.fields["signed_at"] == 5
    assert verified.signer.device_id == "sato-tablet"
    assert KIND.peek(signed)["signer_device_id"] == "sato-tablet"
    with pytest.raises(MalformedData):  # a signature of one kind never parses as another
        dataclasses.replace(KIND, magic=b"FMxx").verify(signed, clerk.cert, council.anchor)


def test_same_keys_certified_as_another_device_cannot_claim_the_signature(
    council: Council,
) -> None:
    """A second certificate for the clerk's keys, under another device id."""
    clerk = council["sato-tablet"]
    twin = verify_device_certificate(
        issue_device_certificate(
            council.org.root,
            org_id=ORG_ID,
            user_id="clerk-sato",
            device_id="sato-old-tablet",
            role="clerk",
            public_bundle=clerk.keys.public_bundle(),
        ),
        council.org.fingerprint,
    )
    signed = KIND.sign({"n": 1}, clerk.keys, clerk.cert)
    with pytest.raises(UnauthorisedSigner, match="names signer device"):
        KIND.verify(signed, twin, council.anchor)


def test_sign_refuses_misuse(council: Council) -> None:
    clerk, member = council["sato-tablet"], council["giin1-tablet"]
    with pytest.raises(UsageError, match="fields"):
        KIND.sign({"n": 1, "x": 2}, clerk.keys, clerk.cert)
    with pytest.raises(UsageError, match="certified"):
        KIND.sign({"n": 1}, member.keys, clerk.cert)
    with pytest.raises(UsageError, match="role"):
        KIND.sign({"n": 1}, member.keys, member.cert)


def test_verify_refuses_a_role_not_allowed(council: Council) -> None:
    member = council["giin1-tablet"]
    signed = dataclasses.replace(KIND, signer_roles=None).sign({"n": 1}, member.keys, member.cert)
    with pytest.raises(UnauthorisedSigner, match="member"):
        KIND.verify(signed, member.cert, council.anchor)


@pytest.mark.parametrize("value", [0, -1, MAX_EPOCH + 1, 2**64 - 1, True])
def test_bounds(value: int) -> None:
    with pytest.raises(WrongContext):
        require_bounded(value, "epoch")


def test_bounds_accept_the_range() -> None:
    assert require_bounded(1, "epoch") == 1
    assert require_bounded(MAX_EPOCH, "epoch") == MAX_EPOCH


def test_new_errors_are_wrong_context_with_their_own_codes() -> None:
    existing = {
        cls.code
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, CryptoError)
    }
    new = {StaleObject: "stale", Equivocation: "equivocation", Expired: "expired"}
    for cls, code in new.items():
        assert issubclass(cls, WrongContext)
        assert cls.code == code and code not in existing
        assert cls.fault is Fault.THEIRS
