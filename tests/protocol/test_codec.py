"""The codec: round-trips for every message, and strict, typed refusals of bad frames."""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, Literal, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furano_meet.protocol import (
    MAX_CHUNK,
    MESSAGE_TYPES,
    Chunk,
    ChunkKind,
    ErrorCode,
    LocalProtocolError,
    RemoteProtocolError,
    decode,
    decode_chunk,
    encode,
    encode_chunk,
)
from furano_meet.protocol import messages as m
from furano_meet.protocol.fields import Length, Pattern, Range


def strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    """A Hypothesis strategy that respects the same Annotated constraints the codec enforces."""
    if get_origin(hint) is typing.Annotated:
        base, *constraints = get_args(hint)
        length = next((c for c in constraints if isinstance(c, Length)), None)
        bounds = next((c for c in constraints if isinstance(c, Range)), None)
        pattern = next((c for c in constraints if isinstance(c, Pattern)), None)
        if base is str and pattern is not None:
            regex = pattern.regex.pattern
            strat = st.from_regex(f"\\A(?:{regex})\\Z")
            if length is not None:
                strat = strat.filter(lambda s: length.min <= len(s) <= length.max)
            return strat
        if base is str:
            return (
                st.text(min_size=length.min, max_size=min(length.max, 50)) if length else st.text()
            )
        if base is bytes:
            return st.binary(
                min_size=length.min if length else 0, max_size=min(length.max, 64) if length else 64
            )
        if base is int:
            return st.integers(int(bounds.lo), int(bounds.hi)) if bounds else st.integers(0, 10)
        if base is float:
            return st.floats(bounds.lo, bounds.hi, allow_nan=False) if bounds else st.floats(0, 1)
        if get_origin(base) is tuple:
            item = strategy_for(get_args(base)[0])
            lo = length.min if length else 0
            return st.lists(item, min_size=lo, max_size=max(lo, 3)).map(tuple)
        return strategy_for(base)
    if hint is bool:
        return st.booleans()
    if hint is str:
        return st.text(max_size=40)
    if hint is int:
        return st.integers(0, 2**31)
    if get_origin(hint) is Literal:
        return st.sampled_from(get_args(hint))
    if get_origin(hint) in (typing.Union, __import__("types").UnionType):
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return st.none() | strategy_for(inner)
    if dataclasses.is_dataclass(hint):
        return message_strategy(hint)  # type: ignore[arg-type]
    raise AssertionError(f"no strategy for {hint!r}")


def message_strategy(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(cls)}
    return st.builds(cls, **fields)


any_message = st.sampled_from(sorted(MESSAGE_TYPES.values(), key=lambda c: c.TYPE)).flatmap(
    message_strategy
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(any_message)
def test_every_message_round_trips(message: m.Msg) -> None:
    assert decode(encode(message)) == message


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_text_decoder(data: bytes) -> None:
    try:
        decode(data)
    except RemoteProtocolError as exc:
        assert exc.code in ErrorCode


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(MESSAGE_TYPES)),
    st.dictionaries(
        st.sampled_from(["rid", "meeting_id", "page", "ops", "x", "major"]), json_values
    ),
)
def test_random_json_objects_get_typed_errors(type_name: str, fields: dict[str, Any]) -> None:
    frame = json.dumps({"v": 1, "type": type_name, **fields})
    try:
        decode(frame)
    except RemoteProtocolError as exc:
        assert exc.code in ErrorCode


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash_the_chunk_decoder(data: bytes) -> None:
    try:
        chunk = decode_chunk(data)
    except RemoteProtocolError:
        return
    assert encode_chunk(chunk) == data


@given(
    st.sampled_from(list(ChunkKind)),
    st.integers(0, 2**63),
    st.integers(0, 2**63),
    st.binary(max_size=2048),
    st.booleans(),
)
def test_chunks_round_trip(
    kind: ChunkKind, transfer: int, offset: int, payload: bytes, digest: bool
) -> None:
    import hashlib

    chunk = Chunk(
        kind, transfer, offset, payload, hashlib.sha256(payload).digest() if digest else None
    )
    back = decode_chunk(encode_chunk(chunk))
    assert (back.kind, back.transfer, back.offset, bytes(back.payload), back.digest) == (
        kind,
        transfer,
        offset,
        payload,
        chunk.digest,
    )
    assert back.digest_matches()


def _code(frame: str | bytes, **kwargs: Any) -> ErrorCode:
    with pytest.raises(RemoteProtocolError) as info:
        decode(frame, **kwargs)
    return info.value.code


def test_refusals_carry_stable_codes_and_readable_messages() -> None:
    ok = {"v": 1, "type": "join_meeting", "rid": 1, "meeting_id": "m1"}
    assert decode(json.dumps(ok)) == m.JoinMeeting(rid=1, meeting_id="m1")
    assert _code("{not json") is ErrorCode.MALFORMED_FRAME
    assert _code("[1, 2]") is ErrorCode.MALFORMED_FRAME
    assert _code(b"\xff\xfe") is ErrorCode.MALFORMED_FRAME
    assert _code(json.dumps(ok) + " {}") is ErrorCode.MALFORMED_FRAME
    assert _code(json.dumps({**ok, "type": "launch_rockets"})) is ErrorCode.UNKNOWN_TYPE
    assert _code(json.dumps({**ok, "colour": "red"})) is ErrorCode.UNKNOWN_FIELD
    assert _code(json.dumps({"v": 1, "type": "join_meeting"})) is ErrorCode.MISSING_FIELD
    assert _code(json.dumps({**ok, "meeting_id": 5})) is ErrorCode.INVALID_FIELD
    assert _code(json.dumps({**ok, "following": 1})) is ErrorCode.INVALID_FIELD
    assert _code(json.dumps({**ok, "rid": True})) is ErrorCode.INVALID_FIELD
    assert _code(json.dumps({**ok, "rid": -1})) is ErrorCode.INVALID_FIELD
    assert _code(json.dumps({**ok, "meeting_id": "../etc"})) is ErrorCode.INVALID_FIELD
    assert _code(json.dumps({**ok, "meeting_id": "x" * 65})) is ErrorCode.INVALID_FIELD
    assert _code(json.dumps({**ok, "v": 2})) is ErrorCode.VERSION_UNSUPPORTED
    assert _code(json.dumps(ok), max_size=10) is ErrorCode.FRAME_TOO_LARGE
    assert _code(json.dumps(ok), sender="relay") is ErrorCode.UNEXPECTED_MESSAGE
    bad_b64 = {
        "v": 1,
        "type": "enrol",
        "code": "ABCD-EFGH",
        "device_name": "t",
        "public_keys": "%%",
    }
    assert _code(json.dumps(bad_b64)) is ErrorCode.INVALID_FIELD
    nan = '{"v":1,"type":"present_page","meeting_id":"m","document_id":"d","version":1,"page":0,"pointer":{"x":NaN,"y":0}}'
    assert _code(nan) is ErrorCode.INVALID_FIELD
    with pytest.raises(RemoteProtocolError) as info:
        decode(json.dumps({**ok, "page": "three"}))
    assert "join_meeting" in info.value.message and "page" in info.value.message


def test_a_hello_from_another_major_is_read_leniently_so_it_can_be_refused() -> None:
    hello = decode(json.dumps({"v": 7, "type": "hello", "major": 7, "minor": 3, "shiny": True}))
    assert hello == m.Hello(major=7, minor=3)


def test_encode_refuses_values_the_peer_would_reject() -> None:
    with pytest.raises(LocalProtocolError) as info:
        encode(m.JoinMeeting(meeting_id="no spaces allowed"))
    assert info.value.code is ErrorCode.INVALID_FIELD


def test_chunk_refusals() -> None:
    header_only = encode_chunk(Chunk(ChunkKind.UPLOAD, 1, 0, b""))
    with pytest.raises(RemoteProtocolError) as info:
        decode_chunk(header_only[:10])
    assert info.value.code is ErrorCode.MALFORMED_FRAME
    with pytest.raises(RemoteProtocolError) as info:
        decode_chunk(header_only, sender="relay")
    assert info.value.code is ErrorCode.UNEXPECTED_MESSAGE
    wrong_version = bytes([1, 9]) + header_only[2:]
    with pytest.raises(RemoteProtocolError) as info:
        decode_chunk(wrong_version)
    assert info.value.code is ErrorCode.VERSION_UNSUPPORTED
    with pytest.raises(RemoteProtocolError) as info:
        decode_chunk(header_only + b"\0" * (MAX_CHUNK + 1))
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE
    with_digest_flag = header_only[:2] + b"\x01" + header_only[3:] + b"short"
    with pytest.raises(RemoteProtocolError) as info:
        decode_chunk(with_digest_flag)
    assert info.value.code is ErrorCode.MALFORMED_FRAME
    tampered = Chunk(ChunkKind.UPLOAD, 1, 0, b"payload", b"\0" * 32)
    assert not decode_chunk(encode_chunk(tampered)).digest_matches()


def test_the_refusal_of_another_major_echoes_the_hellos_rid() -> None:
    hello = decode(json.dumps({"v": 2, "type": "hello", "rid": 7, "major": 2, "minor": 0}))
    assert isinstance(hello, m.Hello) and hello.rid == 7
    with pytest.raises(RemoteProtocolError) as info:
        decode(json.dumps({"v": 2, "type": "hello", "rid": 8, "major": "two"}))
    assert (info.value.code, info.value.rid) == (ErrorCode.MALFORMED_FRAME, 8)


def test_the_envelope_version_must_be_the_integer_1() -> None:
    ok = {"type": "list_meetings", "rid": 1}
    assert decode(json.dumps({**ok, "v": 1})) == m.ListMeetings(rid=1)
    for version in (True, 1.0, "1", None):
        assert _code(json.dumps({**ok, "v": version})) is ErrorCode.VERSION_UNSUPPORTED


def test_the_frame_limit_counts_utf8_bytes() -> None:
    frame = encode(m.JoinMeeting(rid=1, meeting_id="m1"))
    japanese = json.dumps(
        {"v": 1, "type": "hello", "major": 1, "minor": 0, "client": "会議" * 40},
        ensure_ascii=False,
    )
    limit = len(japanese) + 20  # enough characters, too few bytes (3 bytes per kanji)
    with pytest.raises(RemoteProtocolError) as info:
        decode(japanese, max_size=limit)
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE and "bytes" in info.value.message
    assert decode(japanese, max_size=len(japanese.encode())) == m.Hello(
        major=1, minor=0, client="会議" * 40
    )
    assert decode(frame, max_size=len(frame)) == m.JoinMeeting(rid=1, meeting_id="m1")


def test_the_round_trip_check_is_a_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off (the production default) an encode never decodes; on (the tests) it refuses."""
    from furano_meet.protocol import codec

    assert codec.VERIFY_ENCODE  # tests/protocol/conftest.py
    monkeypatch.setattr(codec, "VERIFY_ENCODE", False)
    calls: list[object] = []
    real_decode = codec.decode

    def counting_decode(data: str | bytes, **options: Any) -> m.Msg:
        calls.append((data,))
        return real_decode(data, **options)

    monkeypatch.setattr(codec, "decode", counting_decode)
    encode(m.JoinMeeting(meeting_id="no spaces allowed"))  # not checked: cheap path
    assert calls == []
    monkeypatch.setattr(codec, "VERIFY_ENCODE", True)
    with pytest.raises(LocalProtocolError):
        encode(m.JoinMeeting(meeting_id="no spaces allowed"))
    assert len(calls) == 1


def test_fields_of_a_newer_minor_are_left_out_for_older_peers() -> None:
    """A 1.0 peer's strict decoder would refuse ``meeting_id`` in ``failed`` (unknown_field)."""
    plain = json.loads(encode(m.Failed(code="forbidden", message="no")))
    assert "meeting_id" not in plain  # at its default: not written at all
    about = m.Failed(code="forbidden", message="no", meeting_id="m1")
    assert json.loads(encode(about))["meeting_id"] == "m1"
    assert decode(encode(about)) == about
    assert "meeting_id" not in json.loads(encode(about, minor=0))
    assert "truncated" not in json.loads(
        encode(
            m.MeetingJoined(
                meeting=m.MeetingInfo(meeting_id="m1", title="t"),
                members=(),
                presence=(),
                presenter=m.PresenterState(seq=0),
                documents=(),
                last_op_seq=0,
                has_key_envelope=False,
            )
        )
    )


def test_a_lone_surrogate_is_refused_as_invalid_text_but_a_pair_is_a_character() -> None:
    for field in ("token", "device_id"):
        frame = {"v": 1, "type": "authenticate", "rid": 3, "device_id": "d", "token": "t"}
        frame[field] = "\ud800"
        with pytest.raises(RemoteProtocolError) as info:
            decode(json.dumps(frame))
        assert info.value.code is ErrorCode.INVALID_FIELD and info.value.rid == 3
        assert "surrogate" in info.value.message
    pair = {
        "v": 1,
        "type": "enrol",
        "code": "ABCD-EFGH",
        "device_name": "\ud83d\ude00",
        "public_keys": "",
    }
    enrol = decode(json.dumps(pair))
    assert isinstance(enrol, m.Enrol) and enrol.device_name == "\N{GRINNING FACE}"
