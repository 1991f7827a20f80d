"""Payloads: canonical, round-tripping, versioned; every malformed payload refused as the peer's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furano_meet.annotations import (
    MAX_INK_POINTS,
    MAX_PAYLOAD,
    AnnotationBody,
    AnnotationError,
    AnnotationInvalid,
    AnnotationTooNew,
    Highlight,
    Ink,
    InkPoint,
    Point,
    Quad,
    StickyNote,
    body_from_legacy,
    decode,
    encode,
)
from furano_meet.crypto import canonical_json
from furano_meet.errors import Fault, SchemaTooNew

from .strategies import bodies

NOTE = AnnotationBody(StickyNote(Point(10, 20.5), "要確認：補正額の根拠", "#ffd54f"))
NOTE_BYTES = (
    '{"at":[1000,2050],"colour":"#ffd54f","kind":"note","text":"要確認：補正額の根拠","v":"1.0"}'
).encode()


def test_the_wire_form_is_compact_canonical_json_of_integers() -> None:
    assert encode(NOTE) == NOTE_BYTES
    ink = AnnotationBody(Ink((InkPoint(1.5, 2, 0.25),), "#112233", 2.5), "a-1")
    assert encode(ink) == (
        b'{"carried_from":"a-1","colour":"#112233","kind":"ink",'
        b'"points":[[150,200,250]],"v":"1.0","width":250}'
    )
    quad = Quad(Point(1, 2), Point(3, 2), Point(1, 4), Point(3, 4))
    assert json.loads(encode(AnnotationBody(Highlight((quad,), "#ffeb3b", "予算")))) == {
        "v": "1.0",
        "kind": "highlight",
        "colour": "#ffeb3b",
        "quads": [[100, 200, 300, 200, 100, 400, 300, 400]],
        "text": "予算",
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_decode_inverts_encode_exactly(body: AnnotationBody) -> None:
    data = encode(body)
    assert decode(data) == body
    assert encode(decode(data)) == data
    assert canonical_json.dumps(json.loads(data)) == data


def test_the_largest_body_fits_the_payload_limit() -> None:
    far = 29_999.99
    body = AnnotationBody(Ink(tuple(InkPoint(-far, -far, 0.999) for _ in range(MAX_INK_POINTS))))
    data = encode(body)
    assert len(data) < MAX_PAYLOAD
    assert decode(data) == body


def _refused(data: bytes) -> AnnotationInvalid:
    with pytest.raises(AnnotationInvalid) as caught:
        decode(data)
    assert caught.value.fault is Fault.THEIRS
    return caught.value


def _with(**changes: Any) -> bytes:
    obj = json.loads(NOTE_BYTES)
    for key, value in changes.items():
        if value is ...:
            del obj[key]
        else:
            obj[key] = value
    return canonical_json.dumps(obj)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'"note"',
        b"{",
        NOTE_BYTES.replace(b":", b": "),  # not compact
        NOTE_BYTES.replace(b'"at":[1000,2050],', b"") + b"",  # missing field
        b'{"v":"1.0","v":"1.0"}',  # duplicate key
        NOTE_BYTES.replace("要".encode(), b"\\u8981"),  # escaped where UTF-8 is canonical
        NOTE_BYTES.replace(b"[1000,2050]", b"[1000.0,2050]"),  # a float
        NOTE_BYTES.replace(b"[1000,2050]", b"[NaN,2050]"),
        NOTE_BYTES.replace(b"[1000,2050]", b"[Infinity,2050]"),
        NOTE_BYTES.replace(b"[1000,2050]", b"[1" + b"0" * 400 + b",2050]"),  # out of range
        NOTE_BYTES.replace(b"#ffd54f", b"#FFD54F"),  # one body, one encoding
        _with(v="1"),
        _with(v="01.0"),
        _with(v="0.9"),
        _with(v=1),
        _with(v=...),
        _with(kind="circle"),
        _with(kind=...),
        _with(extra=1),  # unknown field at our own version
        _with(at=[1, 2, 3]),
        _with(at=[True, 2]),
        _with(at=[3_000_001, 0]),  # beyond the page bound
        _with(text=5),
        _with(text="\x00"),
        _with(colour="#fff"),
        _with(carried_from="bad id"),
        b'{"colour":"#000000","kind":"ink","points":[],"v":"1.0","width":200}',
        b'{"colour":"#000000","kind":"ink","points":[[0,0,1001]],"v":"1.0","width":200}',
        b'{"colour":"#000000","kind":"ink","points":[[0,0]],"v":"1.0","width":200}',
        b'{"colour":"#000000","kind":"ink","points":[[0,0,0]],"v":"1.0","width":0}',
        b'{"colour":"#000000","kind":"ink","points":[[0,0,0]],"v":"1.0","width":1.5}',
        b'{"colour":"#000000","kind":"ink","points":{},"v":"1.0","width":100}',
        b'{"colour":"#000000","kind":"highlight","quads":[[0,0,0,0,0,0,0]],"v":"1.0"}',
        b'{"colour":"#000000","kind":"highlight","quads":"x","v":"1.0"}',
        b"[" * 100_000,  # nesting deep enough to break a recursive parser
    ],
)
def test_malformed_payloads_are_refused_as_the_peers_fault(data: bytes) -> None:
    _refused(data)


def test_oversized_payloads_are_refused_before_parsing() -> None:
    assert "bytes" in _refused(b" " * (MAX_PAYLOAD + 1)).message


def test_a_newer_major_is_too_new_not_invalid() -> None:
    with pytest.raises(AnnotationTooNew) as caught:
        decode(_with(v="2.0", shape="star"))
    assert caught.value.found == "2.0" and caught.value.supported == "1.0"
    assert isinstance(caught.value, SchemaTooNew)  # one idea: a newer version wrote it
    assert caught.value.fault is Fault.ENVIRONMENT and caught.value.code == "annotation_too_new"


def test_a_newer_minor_adds_optional_fields_that_are_dropped() -> None:
    body = decode(_with(v="1.7", opacity=40, pen={"kind": "brush"}))
    assert body == NOTE
    assert encode(body) == NOTE_BYTES  # re-encoded at our version, the unknown fields gone


def test_a_newer_minor_with_an_unknown_kind_is_too_new() -> None:
    with pytest.raises(AnnotationTooNew, match="kind"):
        decode(_with(v="1.1", kind="stamp"))
    _refused(_with(v="1.1", kind=7))


def test_a_newer_minor_still_needs_the_fields_we_know_and_valid_values() -> None:
    _refused(_with(v="1.1", at=...))
    _refused(_with(v="1.1", colour="blue"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["at", "text", "colour", "kind", "v", "carried_from", "points", "quads"]),
    json_values,
)
def test_any_value_in_any_field_is_read_or_refused_never_crashes(key: str, value: Any) -> None:
    try:
        data = canonical_json.dumps({**json.loads(NOTE_BYTES), key: value})
    except ValueError:
        return  # NaN: not JSON at all
    try:
        body = decode(data)
    except AnnotationError as exc:
        assert isinstance(exc, AnnotationTooNew) or exc.fault is Fault.THEIRS
    else:
        assert encode(body) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    with pytest.raises(AnnotationError):
        decode(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies, st.integers(0, 10_000), st.integers(1, 255))
def test_a_flipped_byte_is_refused_or_reads_as_another_valid_body(
    body: AnnotationBody, where: int, flip: int
) -> None:
    data = bytearray(encode(body))
    data[where % len(data)] ^= flip
    try:
        other = decode(bytes(data))
    except AnnotationError:
        return
    # e.g. a digit changed: a different, valid body; or the minor version became a newer one,
    # whose unknown fields would be dropped: the same body, written at this version
    assert encode(other) == bytes(data) or (other == body and b'"v":"1.' in data)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"text": "自分だけのメモ"}, StickyNote(Point(0, 0), "自分だけのメモ")),
        ({"kind": "note", "text": "要確認", "at": [5, 6]}, StickyNote(Point(5, 6), "要確認")),
        (
            {"kind": "ink", "points": [[10, 10], [90, 40]]},
            Ink((InkPoint(10, 10), InkPoint(90, 40))),
        ),
        (
            {"kind": "ink", "points": [[1, 2, 0.5]], "width": 4},
            Ink((InkPoint(1, 2, 0.5),), width=4),
        ),
        (
            {"kind": "highlight", "rect": [10, 20, 200, 40], "colour": "#ff0"},
            Highlight(
                (Quad(Point(10, 20), Point(200, 20), Point(10, 40), Point(200, 40)),), "#ffff00"
            ),
        ),
    ],
)
def test_legacy_dicts_become_typed_bodies(content: dict[str, Any], expected: Any) -> None:
    assert body_from_legacy(content) == AnnotationBody(expected)
    carried = body_from_legacy({**content, "carried_from": "a-42"})
    assert carried.carried_from == "a-42" and decode(encode(carried)) == carried


@pytest.mark.parametrize(
    "content",
    [
        {"kind": "circle"},
        {"kind": "ink"},
        {"kind": "ink", "points": [[1, 2, 3, 4]]},
        {"kind": "highlight", "rect": [1, 2]},
        {"kind": "note", "at": "here"},
        {"text": 5},
    ],
)
def test_legacy_dicts_that_fit_nothing_are_our_bug(content: dict[str, Any]) -> None:
    with pytest.raises(AnnotationInvalid) as caught:
        body_from_legacy(content)
    assert caught.value.fault is Fault.OURS
