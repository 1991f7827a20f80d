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
