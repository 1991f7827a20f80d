from __future__ import annotations

import re

import pytest

from furano_meet.crypto import framing
from furano_meet.crypto.errors import KeySubstitution, MalformedData
from furano_meet.crypto.keys import (
    DeviceKeys,
    DevicePublicBundle,
    OrgRootKey,
    fingerprint,
    normalise_fingerprint,
    trusted_root_key,
)

FINGERPRINT = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){7}")


@pytest.fixture(scope="module")
def root() -> OrgRootKey:
    return OrgRootKey.generate()


def test_device_keys_round_trip() -> None:
    keys = DeviceKeys.generate()
    restored = DeviceKeys.from_private_bytes(keys.private_bytes())
    assert restored.public_bundle() == keys.public_bundle()
    bundle_bytes = keys.public_bundle().to_bytes()
    assert DevicePublicBundle.from_bytes(bundle_bytes) == keys.public_bundle()
    assert 3000 < len(bundle_bytes) < 3300  # ML-KEM 1184 + X25519 32 + Ed25519 32 + ML-DSA 1952
    assert "secret" in repr(keys)


def test_root_key_round_trip(root: OrgRootKey) -> None:
    restored = OrgRootKey.from_private_bytes(root.private_bytes())
    assert restored.fingerprint() == root.fingerprint()
    assert root.fingerprint() in repr(root)


def test_fingerprint_is_short_and_checkable_by_eye(root: OrgRootKey) -> None:
    fp = root.fingerprint()
    assert FINGERPRINT.fullmatch(fp), fp
    assert fp == fingerprint(root.public_key().to_bytes())
    assert fp != OrgRootKey.generate().fingerprint()


def test_typed_fingerprints_are_normalised(root: OrgRootKey) -> None:
    fp = root.fingerprint()
    assert normalise_fingerprint(fp.lower().replace("-", " ")) == fp
    assert normalise_fingerprint(fp.replace("-", "")) == fp
    for typo in (fp[:-1], fp + "A", fp.replace(fp[0], "1"), ""):
        with pytest.raises(MalformedData, match="fingerprint"):
            normalise_fingerprint(typo)


def test_trusted_root_key_detects_substitution(root: OrgRootKey) -> None:
    genuine = root.public_key().to_bytes()
    assert trusted_root_key(genuine, root.fingerprint()) == root.public_key()
    impostor = OrgRootKey.generate().public_key().to_bytes()
    with pytest.raises(KeySubstitution, match="replaced"):
        trusted_root_key(impostor, root.fingerprint())


def test_bundle_parts_cannot_be_swapped() -> None:
    """A verify key where the envelope key belongs is a malformed bundle, not a key."""
    bundle = DeviceKeys.generate().public_bundle()
    swapped = framing.encode(b"FMPB", bundle.verify_key.to_bytes(), bundle.recipient_key.to_bytes())
    with pytest.raises(MalformedData):
        DevicePublicBundle.from_bytes(swapped)


def test_device_bundle_fingerprint_differs_from_root(root: OrgRootKey) -> None:
    bundle = DeviceKeys.generate().public_bundle()
    assert FINGERPRINT.fullmatch(bundle.fingerprint())
