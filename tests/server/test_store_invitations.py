"""The relay's invitation store: it keeps what checks a code, never the code, and redeems an
invitation once, only with a claim whose code proof verifies, for the invitation's user."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from furano_meet.crypto import DeviceKeys, OrgRootKey
from furano_meet.crypto import invitations as iv
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.certificates import issue_device_certificate, verify_device_certificate
from furano_meet.protocol import ErrorCode
from server.errors import Refusal
from server.store import DeviceIdentity, Store

ADMIN = DeviceIdentity("furano", "admin", "dev-admin", "admin", "admin")


@pytest.fixture(scope="module")
def root() -> OrgRootKey:
    return OrgRootKey.generate()


@pytest.fixture(scope="module")
def admin_keys() -> DeviceKeys:
    return DeviceKeys.generate()


def invitation(
    root: OrgRootKey,
    keys: DeviceKeys,
    *,
    user_id: str = "giin1",
    role: str = "member",
    expires_in: int = 600,
    device_id: str = ADMIN.device_id,
) -> tuple[bytes, bytes, str]:
    cert = issue_device_certificate(
        root,
        org_id="furano",
        user_id="admin",
        device_id=device_id,
        role="admin",
        public_bundle=keys.public_bundle(),
    )
    verified = verify_device_certificate(cert, root.fingerprint())
    signed, code = iv.create_invitation(
        keys, verified, user_id=user_id, role=role, expires_at=int(time.time()) + expires_in
    )
    return signed, cert, code


def claim_for(root: OrgRootKey, signed: bytes, cert: bytes, code: str, device: DeviceKeys) -> bytes:
    anchor = TrustAnchor("furano", root.fingerprint())
    named = iv.verify_invitation(signed, cert, anchor, now=int(time.time()))
    return iv.make_claim(named, code, device, claimed_at=int(time.time()))


def test_an_invitation_is_found_by_its_code_key_and_redeemed_once_for_its_user(
    store: Store, root: OrgRootKey, admin_keys: DeviceKeys, tmp_path: Path
) -> None:
    signed, cert, code = invitation(root, admin_keys)
    store.put_invitation(ADMIN, signed, cert)
    assert store.find_invitation(iv.code_key(code)) == (signed, cert)
    device = DeviceKeys.generate()
    claim = claim_for(root, signed, cert, code, device)
    identity, _ = store.enrol_with_claim(claim, "tablet", device.public_bundle().to_bytes())
    assert (identity.user_id, identity.role) == ("giin1", "member")
    with pytest.raises(Refusal) as again:
        store.enrol_with_claim(claim, "tablet", device.public_bundle().to_bytes())
    assert again.value.code is ErrorCode.ENROLMENT_CODE_INVALID
    with pytest.raises(Refusal):
        store.find_invitation(iv.code_key(code))  # redeemed: no longer served
    (info,) = [d for d in store.uncertified_devices("furano") if d.device_id == identity.device_id]
    assert (info.claim, info.invitation, info.issuer_certificate) == (claim, signed, cert)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("relay.sqlite3*"))
    assert iv.normalise_code(code).encode() not in raw


def test_a_claim_without_the_code_or_with_other_keys_is_refused(
    store: Store, root: OrgRootKey, admin_keys: DeviceKeys
) -> None:
    signed, cert, code = invitation(root, admin_keys)
    store.put_invitation(ADMIN, signed, cert)
    device = DeviceKeys.generate()
    # A claim naming the invitation, proven with a code the relay (or a guesser) chose.
    named = iv.verify_invitation(
        signed, cert, TrustAnchor("furano", root.fingerprint()), now=int(time.time())
    )
    guess = iv.new_code()
    forged = iv.make_claim(
        dataclasses.replace(named, code_key=iv.code_key(guess)), guess, device, claimed_at=0
    )
    with pytest.raises(Refusal) as unproven:
        store.enrol_with_claim(forged, "tablet", device.public_bundle().to_bytes())
    assert unproven.value.code is ErrorCode.ENROLMENT_CODE_INVALID
    genuine = claim_for(root, signed, cert, code, device)
    with pytest.raises(Refusal) as swapped:
        store.enrol_with_claim(genuine, "tablet", DeviceKeys.generate().public_bundle().to_bytes())
    assert swapped.value.code is ErrorCode.INVALID_FIELD


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"role": "clerk"}, ErrorCode.CONFLICT),
        ({"user_id": "nobody"}, ErrorCode.NOT_FOUND),
        ({"expires_in": -1}, ErrorCode.INVALID_FIELD),
        ({"device_id": "dev-other-admin"}, ErrorCode.FORBIDDEN),
    ],
    ids=["role-differs-from-the-relays", "unknown-user", "expired", "signed-by-another-device"],
)
def test_put_invitation_refuses_what_the_relay_cannot_serve(
    store: Store,
    root: OrgRootKey,
    admin_keys: DeviceKeys,
    kwargs: dict[str, object],
    code: ErrorCode,
) -> None:
    signed, cert, _ = invitation(root, admin_keys, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(Refusal) as refused:
        store.put_invitation(ADMIN, signed, cert)
    assert refused.value.code is code
