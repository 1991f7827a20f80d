from __future__ import annotations

import pytest

from furano_meet.crypto import envelopes, framing
from furano_meet.crypto.envelopes import EnvelopeContext, RecipientKey, RecipientPublicKey
from furano_meet.crypto.errors import MalformedData, TamperedData, UnknownSuite, WrongContext

SECRET = bytes(range(32))
CONTEXT = EnvelopeContext("meeting key", "meeting-2025-06", "suzuki-tablet", 3)
EXPECT = {
    "purpose": "meeting key",
    "scope_id": "meeting-2025-06",
    "recipient_device_id": "suzuki-tablet",
}


def _open(envelope: bytes, key: RecipientKey, **expect: object) -> tuple[EnvelopeContext, bytes]:
    """open_envelope with ``EXPECT`` as defaults (typed loosely for parametrised overrides)."""
    return envelopes.open_envelope(envelope, key, **{**EXPECT, **expect})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def mine() -> RecipientKey:
    return RecipientKey.generate()


@pytest.fixture(scope="module")
def theirs() -> RecipientKey:
    return RecipientKey.generate()


def _fields(envelope: bytes) -> list[bytes]:
    return framing.decode(envelope, b"FMEV", 6, "envelope")


def test_seal_and_open(mine: RecipientKey) -> None:
    envelope = envelopes.seal(SECRET, mine.public_key(), CONTEXT)
    context, secret = _open(envelope, mine, epoch=3)
    assert (context, secret) == (CONTEXT, SECRET)
    assert envelopes.read_context(envelope) == (mine.suite_id, CONTEXT)
    assert _fields(envelope)[0] == b"hpke-mlkem768x25519-sha256-aes256gcm/1"
    assert len(_fields(envelope)[5]) == 1120 + 32 + 16  # KEM ciphertext + secret + tag


def test_each_seal_is_fresh(mine: RecipientKey) -> None:
    a = envelopes.seal(SECRET, mine.public_key(), CONTEXT)
    b = envelopes.seal(SECRET, mine.public_key(), CONTEXT)
    assert a != b


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"recipient_device_id": "tanaka-tablet"}, "recipient device"),
        ({"scope_id": "meeting-2025-07"}, "scope"),
        ({"purpose": "annotation key"}, "purpose"),
        ({"epoch": 4}, "epoch"),
    ],
)
def test_envelope_for_another_context_is_refused(
    mine: RecipientKey, override: dict[str, object], message: str
) -> None:
    envelope = envelopes.seal(SECRET, mine.public_key(), CONTEXT)
    expect: dict[str, object] = {"epoch": 3, **override}
    with pytest.raises(WrongContext, match=message):
        _open(envelope, mine, **expect)


@pytest.mark.parametrize(
    ("index", "value"),
    [(2, b"meeting-2025-07"), (3, b"tanaka-tablet"), (4, framing.u64(4)), (1, b"annotation key")],
)
def test_relabelled_header_does_not_open(mine: RecipientKey, index: int, value: bytes) -> None:
    """The relay rewrites the clear header so the envelope looks like it is for another
    meeting/device/epoch: HPKE's info binding makes it fail."""
    fields = _fields(envelopes.seal(SECRET, mine.public_key(), CONTEXT))
    fields[index] = value
    relabelled = framing.encode(b"FMEV", *fields)
    _, context = envelopes.read_context(relabelled)
    expect = {
        "purpose": context.purpose,
        "scope_id": context.scope_id,
        "recipient_device_id": context.recipient_device_id,
    }
    with pytest.raises(TamperedData):
        _open(relabelled, mine, **expect)


def test_envelope_sealed_to_another_device_key_does_not_open(
    mine: RecipientKey, theirs: RecipientKey
) -> None:
    """Header says it is for me, but it was sealed to someone else's key."""
    envelope = envelopes.seal(SECRET, theirs.public_key(), CONTEXT)
    with pytest.raises(TamperedData, match="another device"):
        _open(envelope, mine)


def test_flipped_bit_does_not_open(mine: RecipientKey) -> None:
    fields = _fields(envelopes.seal(SECRET, mine.public_key(), CONTEXT))
    for offset in (0, 1119, 1130):  # KEM ciphertext (ML-KEM part, X25519 part), AEAD part
        damaged = bytearray(fields[5])
        damaged[offset] ^= 0x80
        with pytest.raises(TamperedData):
            _open(framing.encode(b"FMEV", *fields[:5], bytes(damaged)), mine)


def test_unknown_suite_is_refused(mine: RecipientKey) -> None:
    fields = _fields(envelopes.seal(SECRET, mine.public_key(), CONTEXT))
    fields[0] = b"hpke-x25519-sha256-aes128gcm/1"
    with pytest.raises(UnknownSuite, match="hpke-x25519"):
        _open(framing.encode(b"FMEV", *fields), mine)


def test_truncated_envelope_is_refused(mine: RecipientKey) -> None:
    envelope = envelopes.seal(SECRET, mine.public_key(), CONTEXT)
    with pytest.raises(MalformedData):
        _open(envelope[:-1], mine)
    fields = _fields(envelope)
    with pytest.raises(TamperedData):
        _open(framing.encode(b"FMEV", *fields[:5], b""), mine)


def test_keys_round_trip_through_bytes(mine: RecipientKey) -> None:
    restored = RecipientKey.from_private_bytes(mine.private_bytes())
    public = RecipientPublicKey.from_bytes(mine.public_key().to_bytes())
    assert public == mine.public_key() == restored.public_key()
    envelope = envelopes.seal(SECRET, public, CONTEXT)
    assert _open(envelope, restored)[1] == SECRET


def test_malformed_public_key_is_refused(mine: RecipientKey) -> None:
    suite, ml, x = framing.decode(mine.public_key().to_bytes(), b"FMRK", 3, "key")
    with pytest.raises(MalformedData, match="ML-KEM-768"):
        RecipientPublicKey.from_bytes(framing.encode(b"FMRK", suite, ml[:100], x))
    with pytest.raises(UnknownSuite):
        RecipientPublicKey.from_bytes(framing.encode(b"FMRK", b"hpke-rsa/1", ml, x))
