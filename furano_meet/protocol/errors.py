"""Protocol errors: one tree, a stable code per failure, and whose fault it was.

Why two branches: when *we* are about to send something invalid it is our bug
(:class:`LocalProtocolError`, raise loudly in tests); when the *peer* sent it, the peer is at fault
(:class:`RemoteProtocolError`) and the right response is a typed ``failed`` message, never a crash.
The codes are part of the wire contract: clients switch on them and translate them for users, so
they never change meaning once released; every one is a row of :data:`furano_meet.errors.CODES`.
The tree hangs under :class:`~furano_meet.errors.FuranoError` (stdlib-only too, so the protocol
stays stdlib-only).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from furano_meet.errors import Fault, FuranoError


class ErrorCode(StrEnum):
    """Stable error codes carried in ``failed`` messages (``Failed.code``, see docs/protocol.md)."""

    # The frame itself
    MALFORMED_FRAME = "malformed_frame"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    FRAME_TOO_LARGE = "frame_too_large"
    VERSION_UNSUPPORTED = "version_unsupported"
    UNEXPECTED_MESSAGE = "unexpected_message"
    # Who you are
    NOT_AUTHENTICATED = "not_authenticated"
    BAD_CREDENTIALS = "bad_credentials"
    DEVICE_REVOKED = "device_revoked"
    ENROLMENT_CODE_INVALID = "enrolment_code_invalid"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    # How much
    RATE_LIMITED = "rate_limited"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    TOO_SLOW = "too_slow"
    # Transfers
    UPLOAD_TOO_LARGE = "upload_too_large"
    CHUNK_OUT_OF_ORDER = "chunk_out_of_order"
    CHUNK_HASH_MISMATCH = "chunk_hash_mismatch"
    UPLOAD_INCOMPLETE = "upload_incomplete"
    HASH_MISMATCH = "hash_mismatch"
    UNKNOWN_TRANSFER = "unknown_transfer"
    CONFLICT = "conflict"
    # Signed objects (1.3)
    STALE = "stale"
    # The relay's environment or our bug
    STORAGE_UNAVAILABLE = "storage_unavailable"
    INTERNAL_ERROR = "internal_error"


class ProtocolError(FuranoError):
    """Base of every protocol failure; ``code`` is stable, ``message`` is for humans and logs.

    The code is the instance's (the one that goes into the ``failed`` reply), so ``str(error)``
    reads ``code: message`` as it always has.
    """

    code: ErrorCode
    codes: ClassVar[frozenset[str]] = frozenset(ErrorCode)

    def __init__(self, code: ErrorCode, message: str, rid: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.rid = rid
        """The request id of the offending frame when it could be read, so replies correlate."""

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol does not allow (the peer's fault)."""

    fault = Fault.THEIRS


class LocalProtocolError(ProtocolError):
    """We tried to send something the protocol does not allow (our bug)."""

    fault = Fault.OURS
