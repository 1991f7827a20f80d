from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from furano_meet.crypto import framing
from furano_meet.crypto.errors import MalformedData


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_round_trip(fields: list[bytes]) -> None:
    data = framing.encode(b"TEST", *fields)
    assert framing.decode(data, b"TEST", len(fields), "test object") == fields


@given(st.lists(st.binary(max_size=8), max_size=4), st.lists(st.binary(max_size=8), max_size=4))
def test_encoding_is_injective(a: list[bytes], b: list[bytes]) -> None:
    if a != b:
        assert framing.encode(b"TEST", *a) != framing.encode(b"TEST", *b)


def test_separators_cannot_be_shifted() -> None:
    assert framing.encode(b"TEST", b"ab", b"c") != framing.encode(b"TEST", b"a", b"bc")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "expected magic"),
        (b"NOPE" + framing.encode(b"TEST", b"x")[4:], "expected magic"),
        (b"TEST\x00\x00", "cut short"),
        (b"TEST\x00\x00\x00\x05abc", "runs past the end"),
        (framing.encode(b"TEST", b"x") + b"!", "trailing"),
    ],
)
def test_malformed_input_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(MalformedData, match=message):
        framing.decode(data, b"TEST", 1, "test object")


def test_wrong_field_count_is_refused() -> None:
    with pytest.raises(MalformedData):
        framing.decode(framing.encode(b"TEST", b"a", b"b"), b"TEST", 1, "test object")


def test_integers_and_text() -> None:
    assert framing.decode_u64(framing.u64(2**64 - 1), "n") == 2**64 - 1
    with pytest.raises(ValueError, match="64-bit"):
        framing.u64(-1)
    with pytest.raises(MalformedData):
        framing.decode_u64(b"\x00" * 7, "n")
    assert framing.decode_text(framing.text("議会"), "t") == "議会"
    with pytest.raises(MalformedData, match="UTF-8"):
        framing.decode_text(b"\xff", "t")


def test_u64_takes_exactly_zero_to_the_maximum() -> None:
    """Zero (a first chunk index) and 2**64 - 1 are valid; one past either end is refused."""
    assert framing.u64(0) == b"\x00" * 8
    assert framing.u64(framing.MAX_U64) == b"\xff" * 8
    assert framing.decode_u64(b"\x00" * 7 + b"\x01", "n") == 1
    for outside in (-1, framing.MAX_U64 + 1):
        with pytest.raises(ValueError, match="64-bit"):
            framing.u64(outside)
    with pytest.raises(MalformedData, match="n must be 8 bytes, got 9"):
        framing.decode_u64(b"\x00" * 9, "n")


def test_require_length_returns_the_field_or_names_it() -> None:
    assert framing.require_length(b"abc", 3, "nonce") == b"abc"
    for wrong in (b"ab", b"abcd"):
        with pytest.raises(MalformedData, match=f"nonce must be 3 bytes, got {len(wrong)}"):
            framing.require_length(wrong, 3, "nonce")
