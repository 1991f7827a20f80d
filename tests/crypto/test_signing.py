from __future__ import annotations

import pytest

from furano_meet.crypto import framing
from furano_meet.crypto.errors import BadSignature, MalformedData, UnknownSuite
from furano_meet.crypto.signing import SigningKey, VerifyKey

PURPOSE = "furano-meet test"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def other() -> SigningKey:
    return SigningKey.generate()


def _halves(signature: bytes) -> list[bytes]:
    return framing.decode(signature, b"FMSG", 3, "signature")


def test_sign_and_verify(key: SigningKey) -> None:
    signature = key.sign(b"minutes", PURPOSE)
    key.public_key().verify(signature, b"minutes", PURPOSE)
    suite, ed, ml = _halves(signature)
    assert suite == b"ed25519+mldsa65/1"  # the signature names its suite
    assert (len(ed), len(ml)) == (64, 3309)


def test_other_message_purpose_or_key_fails(key: SigningKey, other: SigningKey) -> None:
    signature = key.sign(b"minutes", PURPOSE)
    with pytest.raises(BadSignature):
        key.public_key().verify(signature, b"minutes!", PURPOSE)
    with pytest.raises(BadSignature):
        key.public_key().verify(signature, b"minutes", "furano-meet other purpose")
    with pytest.raises(BadSignature):
        other.public_key().verify(signature, b"minutes", PURPOSE)


def test_ed25519_valid_but_mldsa_invalid_is_refused(key: SigningKey, other: SigningKey) -> None:
    suite, ed, _ = _halves(key.sign(b"agenda", PURPOSE))
    _, _, foreign_ml = _halves(other.sign(b"agenda", PURPOSE))
    forged = framing.encode(b"FMSG", suite, ed, foreign_ml)
    with pytest.raises(BadSignature, match="^ML-DSA-65 signature"):
        key.public_key().verify(forged, b"agenda", PURPOSE)


def test_mldsa_valid_but_ed25519_invalid_is_refused(key: SigningKey, other: SigningKey) -> None:
    suite, _, ml = _halves(key.sign(b"agenda", PURPOSE))
    _, foreign_ed, _ = _halves(other.sign(b"agenda", PURPOSE))
    forged = framing.encode(b"FMSG", suite, foreign_ed, ml)
    with pytest.raises(BadSignature, match="^Ed25519 signature"):
        key.public_key().verify(forged, b"agenda", PURPOSE)


@pytest.mark.parametrize("half", [1, 2])
def test_flipping_a_bit_in_either_half_is_refused(key: SigningKey, half: int) -> None:
    fields = _halves(key.sign(b"agenda", PURPOSE))
    damaged = bytearray(fields[half])
    damaged[len(damaged) // 2] ^= 0x01
    fields[half] = bytes(damaged)
    with pytest.raises(BadSignature):
        key.public_key().verify(framing.encode(b"FMSG", *fields), b"agenda", PURPOSE)


def test_unknown_suite_is_refused(key: SigningKey) -> None:
    _, ed, ml = _halves(key.sign(b"agenda", PURPOSE))
    relabelled = framing.encode(b"FMSG", b"ed25519-only/1", ed, ml)
    with pytest.raises(UnknownSuite, match="ed25519-only/1"):
        key.public_key().verify(relabelled, b"agenda", PURPOSE)


def test_malformed_signatures_are_refused(key: SigningKey) -> None:
    suite, ed, ml = _halves(key.sign(b"agenda", PURPOSE))
    with pytest.raises(MalformedData):
        key.public_key().verify(framing.encode(b"FMSG", suite, ed), b"agenda", PURPOSE)
    with pytest.raises(MalformedData, match="Ed25519 signature"):
        key.public_key().verify(framing.encode(b"FMSG", suite, ed[:-1], ml), b"agenda", PURPOSE)
    with pytest.raises(MalformedData):
        key.public_key().verify(b"", b"agenda", PURPOSE)


def test_keys_round_trip_through_bytes(key: SigningKey) -> None:
    restored = SigningKey.from_private_bytes(key.private_bytes())
    assert restored.public_key() == key.public_key()
    signature = restored.sign(b"x", PURPOSE)
    VerifyKey.from_bytes(key.public_key().to_bytes()).verify(signature, b"x", PURPOSE)
    assert len(key.private_bytes()) < 100  # seeds, not expanded keys


def test_malformed_public_key_is_refused(key: SigningKey) -> None:
    suite, ed, ml = framing.decode(key.public_key().to_bytes(), b"FMVK", 3, "key")
    with pytest.raises(MalformedData):
        VerifyKey.from_bytes(framing.encode(b"FMVK", suite, ed, ml[:-1]))
    with pytest.raises(UnknownSuite):
        VerifyKey.from_bytes(framing.encode(b"FMVK", b"rsa/1", ed, ml))
    with pytest.raises(MalformedData):  # a signature is not a key
        VerifyKey.from_bytes(key.sign(b"x", PURPOSE))


def test_private_key_repr_does_not_leak(key: SigningKey) -> None:
    assert "secret" in repr(key)
    assert key.private_bytes().hex() not in repr(key)


def test_purpose_must_fit_the_mldsa_context(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="purpose"):
        key.sign(b"x", "")
    with pytest.raises(ValueError, match="purpose"):
        key.sign(b"x", "p" * 256)
