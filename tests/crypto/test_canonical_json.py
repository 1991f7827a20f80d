from __future__ import annotations

import pytest

from furano_meet.crypto import canonical_json
from furano_meet.crypto.errors import MalformedData

KEYS = frozenset({"a", "b"})


def test_canonical_form_is_sorted_compact_utf8() -> None:
    assert canonical_json.dumps({"b": "予算", "a": 1}) == '{"a":1,"b":"予算"}'.encode()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"b":"x","a":1}',  # not sorted
        b'{"a": 1,"b":"x"}',  # whitespace
        b'{"a":1,"a":2,"b":"x"}',  # duplicate key: two parsers could disagree
        b'{"a":1,"b":"\\u4e88"}',  # escaped where canonical form has UTF-8
    ],
)
def test_non_canonical_encodings_are_refused(raw: bytes) -> None:
    with pytest.raises(MalformedData, match="canonical"):
        canonical_json.parse(raw, "test", KEYS)


@pytest.mark.parametrize("raw", [b"[1]", b'{"a":1}', b'{"a":1,"b":"x","c":0}', b"\xff", b"{"])
def test_wrong_shape_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedData):
        canonical_json.parse(raw, "test", KEYS)


def test_typed_getters() -> None:
    obj = canonical_json.parse(b'{"a":true,"b":""}', "test", KEYS)
    with pytest.raises(MalformedData, match="integer"):
        canonical_json.get_int(obj, "a", "test")  # a bool is not an int here
    with pytest.raises(MalformedData, match="non-empty"):
        canonical_json.get_str(obj, "b", "test")
    assert canonical_json.get_str(obj, "b", "test", allow_empty=True) == ""


def test_floats_that_json_cannot_state_are_refused_when_signing() -> None:
    """NaN and infinities have no canonical text (``NaN`` is not even JSON)."""
    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="not JSON compliant"):
            canonical_json.dumps({"a": value})


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_from_a_peer_are_malformed(constant: bytes) -> None:
    with pytest.raises(MalformedData):
        canonical_json.parse(b'{"a":' + constant + b',"b":"x"}', "test", KEYS)


@pytest.mark.parametrize("raw", [b"1", b'"a"', b"null", b"true", b"[]"])
def test_a_bare_scalar_or_array_is_not_an_object(raw: bytes) -> None:
    with pytest.raises(MalformedData, match="test must be a JSON object"):
        canonical_json.parse(raw, "test", KEYS)


def test_wrong_fields_are_named() -> None:
    with pytest.raises(MalformedData, match=r"missing fields \['b'\] / unexpected fields \['c'\]"):
        canonical_json.parse(b'{"a":1,"c":2}', "test", KEYS)
    with pytest.raises(MalformedData, match="test is not valid UTF-8 JSON"):
        canonical_json.parse(b"\xff", "test", KEYS)


def test_parse_returns_the_object_it_checked() -> None:
    raw = canonical_json.dumps({"a": 0, "b": "議案"})
    assert canonical_json.parse(raw, "test", KEYS) == {"a": 0, "b": "議案"}
    assert canonical_json.parse(bytearray(raw), "test", KEYS) == {"a": 0, "b": "議案"}


def test_getters_accept_zero_and_non_empty_and_refuse_the_rest() -> None:
    obj = {"zero": 0, "big": 2**63, "minus": -1, "text": "x", "number": 5, "empty": ""}
    assert canonical_json.get_int(obj, "zero", "test") == 0
    assert canonical_json.get_int(obj, "big", "test") == 2**63
    for key in ("minus", "text"):
        with pytest.raises(MalformedData, match=f"test field '{key}' must be a non-negative"):
            canonical_json.get_int(obj, key, "test")
    assert canonical_json.get_str(obj, "text", "test") == "x"
    for key in ("number", "empty"):
        with pytest.raises(MalformedData, match=f"test field '{key}' must be a non-empty string"):
            canonical_json.get_str(obj, key, "test")
    with pytest.raises(MalformedData, match="non-empty string"):
        canonical_json.get_str(obj, "number", "test", allow_empty=True)
