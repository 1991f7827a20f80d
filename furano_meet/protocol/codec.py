"""Encode and decode frames: strict JSON text frames for control, binary frames for blob chunks.

Theory of operation
-------------------
A text frame is one JSON object, the *envelope*::

    {"v": 1, "type": "present_page", "rid": 7, "meeting_id": "m1", ...}

``v`` is the protocol major version, ``type`` selects a dataclass in :mod:`.messages`, every other
key is a field of that dataclass.  Decoding is strict on purpose: unknown types, unknown or
missing fields, wrong JSON types, out-of-range numbers and oversize frames each raise
:class:`RemoteProtocolError` with a stable code, so a confused or hostile peer learns exactly what
was wrong and never reaches the relay's logic.  ``bytes`` fields travel as base64 strings.

The validators are compiled once per message class from its ``Annotated`` type hints (see
:mod:`.fields`), so declaring a field is all it takes to validate it, and the relay's hot path
(one decode per page turn, one encode per fan-out) stays cheap.

A binary frame carries one chunk of a blob transfer::

    offset  size  meaning
    0       1     kind: 1 = upload chunk (client→relay), 2 = download chunk (relay→client)
    1       1     protocol major version
    2       1     flags: bit 0 = a SHA-256 of the payload follows the header
    3       1     reserved, 0
    4       8     transfer id (big-endian)
    12      8     offset of the payload in the blob (big-endian)
    20      32    SHA-256 of the payload (only with flag bit 0)
    …             payload
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import math
import re
import struct
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final, Literal, get_args, get_origin

from . import messages as m
from .errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from .fields import MAX_SAFE_INT, Length, Pattern, Range, Since

PROTOCOL_MAJOR: Final = 1
PROTOCOL_MINOR: Final = 6
MAX_TEXT_FRAME: Final = 4 * 1024 * 1024
"""Default ceiling for a text frame; the relay may configure a smaller one."""
MAX_CHUNK: Final = 1024 * 1024
"""Largest payload in one binary chunk frame."""

VERIFY_ENCODE = False
"""Decode every encoded frame again and refuse it if the peer would (``LocalProtocolError``).

Off in production: the check costs about three quarters of an encode (13.6 of 18 µs per page
turn).  The test suites switch it on (``tests/protocol/conftest.py``, ``tests/server/conftest.py``)
so a message the peer would refuse is caught as our bug where the tests exercise it.
"""

_json_decoder = json.JSONDecoder()
_json_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)

Validator = Callable[[Any, str], Any]
Encoder = Callable[[Any, int], Any]
"""Turns a value into JSON for a peer of the given protocol minor (nested objects leave out
the fields that peer does not know, as the envelope does)."""


def _fail(code: ErrorCode, message: str) -> typing.NoReturn:
    raise RemoteProtocolError(code, message)


# ---------------------------------------------------------------------------------------------
# Compiling validators from type hints
# ---------------------------------------------------------------------------------------------


def _constraints(validate: Validator, constraints: tuple[object, ...]) -> Validator:
    lengths = [c for c in constraints if isinstance(c, Length)]
    ranges = [c for c in constraints if isinstance(c, Range)]
    patterns = [c for c in constraints if isinstance(c, Pattern)]

    def check(value: Any, path: str) -> Any:
        result = validate(value, path)
        for length in lengths:
            if not length.min <= len(result) <= length.max:
                _fail(
                    ErrorCode.INVALID_FIELD,
                    f"{path}: length {len(result)} is outside {length.min}..{length.max}",
                )
        for bound in ranges:
            if not bound.lo <= result <= bound.hi:
                _fail(
                    ErrorCode.INVALID_FIELD, f"{path}: {result} is outside {bound.lo}..{bound.hi}"
                )
        for pattern in patterns:
            if not pattern.regex.fullmatch(result):
                _fail(ErrorCode.INVALID_FIELD, f"{path}: does not match {pattern.regex.pattern}")
        return result

    return check


def _validate_int(value: Any, path: str) -> int:
    if type(value) is not int:  # bool is an int subclass; refuse it here
        _fail(ErrorCode.INVALID_FIELD, f"{path}: expected an integer, got {_json_type(value)}")
    return value


def _validate_float(value: Any, path: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):
        _fail(ErrorCode.INVALID_FIELD, f"{path}: expected a finite number, got {_json_type(value)}")
    return float(value)


def _validate_str(value: Any, path: str) -> str:
    if type(value) is not str:
        _fail(ErrorCode.INVALID_FIELD, f"{path}: expected a string, got {_json_type(value)}")
    if not value.isascii() and not _is_unicode_text(value):
        # JSON may escape a lone surrogate (backslash-u D800): it is not text, cannot be stored or
        # hashed as UTF-8, and would otherwise surface deep in a handler as our bug.
        _fail(ErrorCode.INVALID_FIELD, f"{path}: not valid Unicode text (a lone surrogate)")
    return value


def _is_unicode_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _validate_bool(value: Any, path: str) -> bool:
    if type(value) is not bool:
        _fail(ErrorCode.INVALID_FIELD, f"{path}: expected true or false, got {_json_type(value)}")
    return value


def _validate_bytes(value: Any, path: str) -> bytes:
    if type(value) is not str:
        _fail(ErrorCode.INVALID_FIELD, f"{path}: expected base64 text, got {_json_type(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        _fail(ErrorCode.INVALID_FIELD, f"{path}: not valid base64")


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    if value is None:
        return "null"
    return names.get(type(value), "object")


def _as_is(value: Any, _minor: int) -> Any:
    return value


_SCALARS: dict[object, tuple[Validator, Encoder]] = {
    int: (_validate_int, _as_is),
    float: (_validate_float, _as_is),
    str: (_validate_str, _as_is),
    bool: (_validate_bool, _as_is),
    bytes: (_validate_bytes, lambda v, _minor: base64.b64encode(v).decode("ascii")),
}


def _compile(hint: Any) -> tuple[Validator, Encoder]:
    origin = get_origin(hint)
    if origin is typing.Annotated:
        base, *constraints = get_args(hint)
        validate, encode = _compile(base)
        return _constraints(validate, tuple(constraints)), encode
    if hint in _SCALARS:
        return _SCALARS[hint]
    if origin is Literal:
        allowed = get_args(hint)

        def validate_literal(value: Any, path: str) -> Any:
            if type(value) is not str or value not in allowed:
                _fail(ErrorCode.INVALID_FIELD, f"{path}: expected one of {', '.join(allowed)}")
            return value

        return validate_literal, _as_is
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"unsupported union {hint!r}")
        inner_validate, inner_encode = _compile(options[0])

        def validate_optional(value: Any, path: str) -> Any:
            return None if value is None else inner_validate(value, path)

        return validate_optional, lambda v, minor: None if v is None else inner_encode(v, minor)
    if origin is tuple:
        item, ellipsis = get_args(hint)
        if ellipsis is not Ellipsis:
            raise TypeError(f"only homogeneous tuples are supported, not {hint!r}")
        item_validate, item_encode = _compile(item)

        def validate_tuple(value: Any, path: str) -> tuple[Any, ...]:
            if type(value) is not list:
                _fail(
                    ErrorCode.INVALID_FIELD, f"{path}: expected an array, got {_json_type(value)}"
                )
            return tuple(item_validate(v, f"{path}[{i}]") for i, v in enumerate(value))

        return validate_tuple, lambda v, minor: [item_encode(i, minor) for i in v]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        schema = _schema(hint)
        return schema.validate_object, schema.encode_object
    raise TypeError(f"unsupported field type {hint!r}")


@dataclass(slots=True)
class _Schema:
    cls: type
    fields: dict[str, tuple[Validator, Encoder]]
    required: frozenset[str]
    always: tuple[tuple[str, Encoder], ...] = ()
    """Fields of protocol 1.0: always written."""
    newer: tuple[tuple[str, Encoder, int, Any], ...] = ()
    """(name, encoder, minor, default) of fields marked :class:`Since`."""

    def validate_object(self, value: Any, path: str) -> Any:
        if type(value) is not dict:
            _fail(ErrorCode.INVALID_FIELD, f"{path}: expected an object, got {_json_type(value)}")
        return self.build(value, path, skip=frozenset())

    def build(self, value: dict[str, Any], path: str, skip: frozenset[str]) -> Any:
        kwargs: dict[str, Any] = {}
        for key, item in value.items():
            if key in skip:
                continue
            spec = self.fields.get(key)
            if spec is None:
                _fail(ErrorCode.UNKNOWN_FIELD, f"{path}: unknown field {key!r}")
            kwargs[key] = spec[0](item, f"{path}.{key}")
        missing = self.required - kwargs.keys()
        if missing:
            _fail(ErrorCode.MISSING_FIELD, f"{path}: missing {', '.join(sorted(missing))}")
        return self.cls(**kwargs)

    def encode_object(self, obj: Any, minor: int = PROTOCOL_MINOR) -> dict[str, Any]:
        body = {name: enc(getattr(obj, name), minor) for name, enc in self.always}
        for name, enc, since, default in self.newer:
            value = getattr(obj, name)
            if since <= minor and value != default:
                body[name] = enc(value, minor)
        return body


_schemas: dict[type, _Schema] = {}


def _schema(cls: type) -> _Schema:
    cached = _schemas.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls, include_extras=True)
    specs: dict[str, tuple[Validator, Encoder]] = {}
    required: set[str] = set()
    always: list[tuple[str, Encoder]] = []
    newer: list[tuple[str, Encoder, int, Any]] = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        specs[f.name] = _compile(hint)
        since = (
            next(
                (c for c in get_args(hint)[1:] if isinstance(c, Since)),
                None,
            )
            if get_origin(hint) is typing.Annotated
            else None
        )
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            if since is not None:
                raise TypeError(f"{cls.__name__}.{f.name}: a field marked Since needs a default")
            required.add(f.name)
        if since is None:
            always.append((f.name, specs[f.name][1]))
        else:
            newer.append((f.name, specs[f.name][1], since.minor, f.default))
    schema = _Schema(cls, specs, frozenset(required), tuple(always), tuple(newer))
    _schemas[cls] = schema
    return schema


def _all_messages() -> dict[str, type[m.Msg]]:
    registry: dict[str, type[m.Msg]] = {}
    for value in vars(m).values():
        if isinstance(value, type) and issubclass(value, m.Msg) and value.TYPE:
            if value.TYPE in registry:
                raise TypeError(f"duplicate message type {value.TYPE!r}")
            registry[value.TYPE] = value
            _schema(value)
    return registry


MESSAGE_TYPES: Final[dict[str, type[m.Msg]]] = _all_messages()
"""Wire type name → message class, for every message of the protocol."""

_ENVELOPE_KEYS = frozenset({"v", "type"})


# ---------------------------------------------------------------------------------------------
# Text frames
# ---------------------------------------------------------------------------------------------


def encode(message: m.Msg, *, minor: int = PROTOCOL_MINOR) -> str:
    """Serialise a message to a text frame.

    ``minor`` is the peer's protocol minor (from its ``hello``): fields added after it are left
    out, so an older peer's strict decoder never meets a key it does not know.  With
    :data:`VERIFY_ENCODE` on, values the peer would reject raise :class:`LocalProtocolError`.
    """
    schema = _schema(type(message))
    body = {"v": PROTOCOL_MAJOR, "type": message.TYPE}
    body.update(schema.encode_object(message, minor))
    text = _json_encoder.encode(body)
    if VERIFY_ENCODE:
        try:
            decoded = decode(text, max_size=None)
        except RemoteProtocolError as exc:
            raise LocalProtocolError(
                exc.code, f"refusing to send {message.TYPE}: {exc.message}"
            ) from exc
        if decoded != message and minor >= PROTOCOL_MINOR:  # pragma: no cover - a codec bug
            raise LocalProtocolError(
                ErrorCode.INTERNAL_ERROR, f"{message.TYPE} does not round-trip"
            )
    return text


def decode(
    data: str | bytes, *, sender: m.Sender | None = None, max_size: int | None = MAX_TEXT_FRAME
) -> m.Msg:
    """Parse and validate one text frame.

    ``sender`` names who sent the frame ("client" on the relay, "relay" on the client) so a
    message travelling the wrong way is refused. Raises :class:`RemoteProtocolError`.
    """
    if max_size is not None and len(data) > max_size // 4:  # 4 UTF-8 bytes per character at most
        size = len(data) if isinstance(data, bytes) else utf8_length(data)
        if size > max_size:
            _fail(ErrorCode.FRAME_TOO_LARGE, f"frame of {size} bytes exceeds {max_size} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value, end = _json_decoder.raw_decode(text)
        if text[end:].strip():
            raise ValueError("trailing data after the JSON object")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        _fail(ErrorCode.MALFORMED_FRAME, f"not a JSON text frame ({exc.__class__.__name__})")
    if type(value) is not dict:
        _fail(ErrorCode.MALFORMED_FRAME, "a frame must be a JSON object")
    type_name = value.get("type")
    if type(type_name) is not str:
        _fail(ErrorCode.MALFORMED_FRAME, "the frame has no string 'type'")
    cls = MESSAGE_TYPES.get(type_name)
    if cls is None:
        _fail(ErrorCode.UNKNOWN_TYPE, f"unknown message type {type_name[:64]!r}")
    version = value.get("v")
    if type(version) is not int or version != PROTOCOL_MAJOR:  # refuse true and 1.0
        if cls is m.Hello and type(version) is int:
            return _lenient_hello(value)
        _fail(
            ErrorCode.VERSION_UNSUPPORTED,
            f"protocol major version {version!r} is not supported (this side speaks "
            f"{PROTOCOL_MAJOR}.{PROTOCOL_MINOR})",
        )
    try:
        if sender is not None and sender != cls.SENDER:
            _fail(ErrorCode.UNEXPECTED_MESSAGE, f"{type_name!r} may not be sent by the {sender}")
        result: m.Msg = _schema(cls).build(value, type_name, skip=_ENVELOPE_KEYS)
    except RemoteProtocolError as exc:
        rid = value.get("rid")
        if type(rid) is int and 0 <= rid <= MAX_SAFE_INT:
            exc.rid = rid
        raise
    return result


def _lenient_hello(value: dict[str, Any]) -> m.Hello:
    """A hello from another major version: read just enough to refuse it politely."""
    major, minor, rid = value.get("major"), value.get("minor", 0), value.get("rid", 0)
    if type(rid) is not int or not 0 <= rid <= MAX_SAFE_INT:
        rid = 0
    if type(major) is not int or type(minor) is not int or not 0 <= major <= 1000:
        raise RemoteProtocolError(ErrorCode.MALFORMED_FRAME, "hello without a usable version", rid)
    return m.Hello(rid=rid, major=major, minor=max(0, min(minor, 1000)))


def utf8_length(text: str) -> int:
    """Bytes ``text`` takes on the wire (frame limits count bytes, not characters)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def encoded_length(value: Any) -> int:
    """UTF-8 bytes of a nested value (e.g. one ``LoggedOp``) inside an encoded frame.

    Lets the relay fill a reply up to the frame limit without encoding it once per item.
    """
    return utf8_length(_json_encoder.encode(_schema(type(value)).encode_object(value)))


def peek_rid(text: str | bytes) -> int:
    """The ``rid`` of a text frame read without decoding it (0 when there is none to read).

    For refusing a frame that will not be processed (rate limiting): a regular expression costs
    far less than a JSON parse.  A wrong answer only misleads the sender of a misleading frame.
    """
    if isinstance(text, bytes):
        return 0
    found = _RID.search(text)
    if found is None:
        return 0
    rid = int(found.group(1))
    return rid if rid <= MAX_SAFE_INT else 0


_RID = re.compile(r'"rid"\s*:\s*([0-9]{1,16})\b')


# ---------------------------------------------------------------------------------------------
# Binary chunk frames
# ---------------------------------------------------------------------------------------------


class ChunkKind(IntEnum):
    UPLOAD = 1
    DOWNLOAD = 2


_CHUNK_HEADER = struct.Struct(">BBBBQQ")
CHUNK_HEADER_SIZE: Final = _CHUNK_HEADER.size
_FLAG_DIGEST = 0x01


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a blob transfer. ``digest`` (SHA-256 of ``payload``) is optional."""

    kind: ChunkKind
    transfer: int
    offset: int
    payload: bytes | memoryview
    digest: bytes | None = None

    def digest_matches(self) -> bool:
        """True when there is no digest or it matches the payload."""
        return self.digest is None or hashlib.sha256(self.payload).digest() == self.digest


def encode_chunk(chunk: Chunk) -> bytes:
    """Serialise a chunk frame (header, optional digest, payload) into one bytes object."""
    if len(chunk.payload) > MAX_CHUNK:
        raise LocalProtocolError(ErrorCode.FRAME_TOO_LARGE, "chunk payload exceeds MAX_CHUNK")
    header = chunk_header(chunk.kind, chunk.transfer, chunk.offset, digest=chunk.digest is not None)
    return b"".join((header, chunk.digest or b"", chunk.payload))


def chunk_header(kind: ChunkKind, transfer: int, offset: int, *, digest: bool = False) -> bytes:
    """The fixed header of a chunk frame; the 32-byte digest (if ``digest``) and the payload
    follow it. For a sender that reads the payload straight into a buffer behind the header
    (the relay's downloads) instead of joining the pieces."""
    flags = _FLAG_DIGEST if digest else 0
    return _CHUNK_HEADER.pack(kind, PROTOCOL_MAJOR, flags, 0, transfer, offset)


def decode_chunk(data: bytes, *, sender: m.Sender | None = None) -> Chunk:
    """Parse a binary frame. The payload is a zero-copy view into ``data``."""
    if len(data) < CHUNK_HEADER_SIZE:
        _fail(
            ErrorCode.MALFORMED_FRAME, f"binary frame of {len(data)} bytes is shorter than a header"
        )
    kind, major, flags, reserved, transfer, offset = _CHUNK_HEADER.unpack_from(data)
    if kind not in (ChunkKind.UPLOAD, ChunkKind.DOWNLOAD) or reserved or flags & ~_FLAG_DIGEST:
        _fail(ErrorCode.MALFORMED_FRAME, "unknown chunk kind or flags")
    if major != PROTOCOL_MAJOR:
        _fail(ErrorCode.VERSION_UNSUPPORTED, f"chunk of protocol version {major}")
    expected_kind = {"client": ChunkKind.UPLOAD, "relay": ChunkKind.DOWNLOAD}
    if sender is not None and kind != expected_kind[sender]:
        _fail(ErrorCode.UNEXPECTED_MESSAGE, f"the {sender} may not send chunk kind {kind}")
    view = memoryview(data)
    start = CHUNK_HEADER_SIZE
    digest = None
    if flags & _FLAG_DIGEST:
        start += 32
        if len(data) < start:
            _fail(ErrorCode.MALFORMED_FRAME, "binary frame truncated inside its digest")
        digest = bytes(view[CHUNK_HEADER_SIZE:start])
    payload = view[start:]
    if len(payload) > MAX_CHUNK:
        _fail(
            ErrorCode.FRAME_TOO_LARGE, f"chunk payload of {len(payload)} bytes exceeds {MAX_CHUNK}"
        )
    return Chunk(ChunkKind(kind), transfer, offset, payload, digest)
