from __future__ import annotations

import pytest

from furano_meet.crypto import framing
from furano_meet.crypto.errors import MalformedData, TamperedData, UnknownSuite, UsageError
from furano_meet.crypto.symmetric import SecretKey, open_box, seal_box


def _key() -> SecretKey:
    return SecretKey(SecretKey._random_bytes())


def test_box_round_trip_and_context_binding() -> None:
    key = _key()
    box = seal_box(key, b"payload", b"context-a")
    assert open_box(key, box, b"context-a", "test box") == b"payload"
    assert seal_box(key, b"payload", b"context-a") != box  # random nonce
    with pytest.raises(TamperedData, match="test box"):
        open_box(key, box, b"context-b", "test box")
    with pytest.raises(TamperedData):
        open_box(_key(), box, b"context-a", "test box")


def test_box_tampering_and_garbage() -> None:
    key = _key()
    suite, nonce, ct = framing.decode(seal_box(key, b"payload", b"c"), b"FMBX", 3, "box")
    with pytest.raises(TamperedData):
        open_box(
            key, framing.encode(b"FMBX", suite, nonce, ct[:-1] + bytes([ct[-1] ^ 1])), b"c", "box"
        )
    with pytest.raises(MalformedData):
        open_box(key, framing.encode(b"FMBX", suite, nonce[:8], ct), b"c", "box")
    with pytest.raises(MalformedData, match="tag"):
        open_box(key, framing.encode(b"FMBX", suite, nonce, ct[:15]), b"c", "box")
    with pytest.raises(UnknownSuite):
        open_box(key, framing.encode(b"FMBX", b"chacha20poly1305/1", nonce, ct), b"c", "box")


def test_destroy_overwrites_our_copy_and_forbids_use() -> None:
    key = _key()
    inner = key._key
    assert inner is not None and any(inner)
    key.destroy()
    assert inner == bytearray(32)  # the bytearray we held was zeroed
    assert key.destroyed and "destroyed" in repr(key)
    with pytest.raises(UsageError, match="destroyed"):
        key.export()
    with pytest.raises(UsageError):
        seal_box(key, b"x", b"c")
    key.destroy()  # idempotent


def test_key_length_is_checked() -> None:
    with pytest.raises(MalformedData):
        SecretKey(b"short")
