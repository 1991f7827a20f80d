"""The Furano Meet wire protocol: sans-I/O, stdlib only, shared by the app and the relay.

* :mod:`.messages` — every message as a frozen dataclass;
* :mod:`.fields` — the field constraints those dataclasses declare;
* :mod:`.codec` — strict encode/decode of JSON text frames and binary chunk frames;
* :mod:`.session` — the connection phases and who may send what when;
* :mod:`.errors` — one exception tree with stable codes.

See ``docs/protocol.md`` for the message table and sequence diagrams.
"""

from . import messages
from .codec import (
    CHUNK_HEADER_SIZE,
    MAX_CHUNK,
    MAX_TEXT_FRAME,
    MESSAGE_TYPES,
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    Chunk,
    ChunkKind,
    chunk_header,
    decode,
    decode_chunk,
    encode,
    encode_chunk,
)
from .errors import ErrorCode, LocalProtocolError, ProtocolError, RemoteProtocolError
from .session import Phase, Session, failure, version_refusal

__all__ = [
    "CHUNK_HEADER_SIZE",
    "MAX_CHUNK",
    "MAX_TEXT_FRAME",
    "MESSAGE_TYPES",
    "PROTOCOL_MAJOR",
    "PROTOCOL_MINOR",
    "Chunk",
    "ChunkKind",
    "ErrorCode",
    "LocalProtocolError",
    "Phase",
    "ProtocolError",
    "RemoteProtocolError",
    "Session",
    "decode",
    "decode_chunk",
    "encode",
    "chunk_header",
    "encode_chunk",
    "failure",
    "messages",
    "version_refusal",
]
