"""The one binary encoding of the crypto package: a magic tag, then length-prefixed fields.

Layout of every framed object (keys, signatures, envelopes, certificates, signed manifests,
sealed payloads) and of every byte string we feed to a KDF or an AEAD as context::

    magic (4 bytes) | len(field 0) u32 big-endian | field 0 | len(field 1) u32 | field 1 | ...

Why length prefixes and not separators: the encoding is injective — two different lists of
fields can never produce the same bytes — which is exactly what a signature, an HPKE ``info``
or an AEAD associated-data string needs; otherwise ``("ab", "c")`` and ``("a", "bc")`` would
bind the same context. Why a magic tag: it says what the object is, so bytes of one kind
(a signature) can never be parsed or verified as another (a key).

Decoding is strict: wrong magic, a wrong number of fields, a length running past the end or
bytes left over all raise :class:`~.errors.MalformedData` naming the object.
"""

from __future__ import annotations

import struct

from .errors import MalformedData

Buffer = bytes | bytearray | memoryview

MAGIC_SIZE = 4
_LEN = struct.Struct(">I")
_U64 = struct.Struct(">Q")
MAX_U64 = 2**64 - 1


def encode(magic: bytes, *fields: Buffer) -> bytes:
    """Frame ``fields`` after ``magic`` (exactly 4 bytes)."""
    if len(magic) != MAGIC_SIZE:
        raise ValueError(f"magic must be {MAGIC_SIZE} bytes, got {magic!r}")
    parts: list[Buffer] = [magic]
    for field in fields:
        parts.append(_LEN.pack(len(field)))
        parts.append(field)
    return b"".join(parts)


def decode(data: Buffer, magic: bytes, count: int, what: str) -> list[bytes]:
    """Split framed ``data`` into exactly ``count`` fields, checking ``magic``.

    ``what`` names the object in error messages ("device certificate", "signature", ...).
    """
    view = memoryview(data)
    if len(view) < MAGIC_SIZE or view[:MAGIC_SIZE] != magic:
        raise MalformedData(f"not a {what}: expected magic {magic!r}")
    fields: list[bytes] = []
    pos = MAGIC_SIZE
    for index in range(count):
        if pos + _LEN.size > len(view):
            raise MalformedData(f"{what} is cut short before field {index}")
        (length,) = _LEN.unpack_from(view, pos)
        pos += _LEN.size
        if pos + length > len(view):
            raise MalformedData(f"{what} field {index} runs past the end of the data")
        fields.append(bytes(view[pos : pos + length]))
        pos += length
    if pos != len(view):
        raise MalformedData(f"{what} has {len(view) - pos} unexpected trailing bytes")
    return fields


def u64(value: int) -> bytes:
    """Encode a non-negative integer (version, epoch, chunk index) as 8 bytes big-endian."""
    if not 0 <= value <= MAX_U64:
        raise ValueError(f"{value} does not fit in an unsigned 64-bit field")
    return _U64.pack(value)


def decode_u64(field: bytes, what: str) -> int:
    """Inverse of :func:`u64`; ``what`` names the field in the error message."""
    if len(field) != _U64.size:
        raise MalformedData(f"{what} must be 8 bytes, got {len(field)}")
    value: int = _U64.unpack(field)[0]
    return value


def text(value: str) -> bytes:
    """Encode an identifier or label as UTF-8 (identifiers are compared byte for byte)."""
    return value.encode("utf-8")


def decode_text(field: bytes, what: str) -> str:
    """Inverse of :func:`text`; invalid UTF-8 is :class:`MalformedData`."""
    try:
        return field.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedData(f"{what} is not valid UTF-8") from exc


def require_length(field: bytes, length: int, what: str) -> bytes:
    """Return ``field`` if it is exactly ``length`` bytes, else raise :class:`MalformedData`."""
    if len(field) != length:
        raise MalformedData(f"{what} must be {length} bytes, got {len(field)}")
    return field
