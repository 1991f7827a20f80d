"""The connection state machine, shared by the client and the relay. No sockets here.

Theory of operation
-------------------
Every connection walks the same three phases; the table below is the whole rule set::

    phase           the client may send                 leaves the phase when the relay sends
    -------------   ---------------------------------   --------------------------------------
    HANDSHAKE       hello                               welcome             → ANONYMOUS
    ANONYMOUS       enrol, authenticate,                enrolled / authenticated → READY
                    find_invitation (1.3)
    READY           everything else (not the above)     (failed with fatal=true → CLOSED)
    CLOSED          nothing                             —

Binary chunk frames are allowed only in READY.  Both sides hold a :class:`Session` with their
own ``role``; :meth:`Session.send` checks what we send (a violation is *our* bug:
:class:`LocalProtocolError`) and :meth:`Session.receive` checks what the peer sent (the peer's
fault: :class:`RemoteProtocolError`).  Because both ends run the same table, a client and a relay
session can be wired together in memory and tested without a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from . import codec
from . import messages as m
from .errors import ErrorCode, LocalProtocolError, ProtocolError, RemoteProtocolError


class Phase(Enum):
    HANDSHAKE = "handshake"
    ANONYMOUS = "anonymous"
    READY = "ready"
    CLOSED = "closed"


_HANDSHAKE_TYPES: Final = frozenset({m.Hello})
_ANONYMOUS_TYPES: Final = frozenset({m.Enrol, m.Authenticate, m.FindInvitation})

_TRANSITIONS: Final[dict[tuple[Phase, type[m.Msg]], Phase]] = {
    (Phase.HANDSHAKE, m.Welcome): Phase.ANONYMOUS,
    (Phase.ANONYMOUS, m.Enrolled): Phase.READY,
    (Phase.ANONYMOUS, m.Authenticated): Phase.READY,
}


def client_may_send(phase: Phase, cls: type[m.Msg]) -> bool:
    """The table's middle column: may a client send ``cls`` in ``phase``?"""
    if phase is Phase.HANDSHAKE:
        return cls in _HANDSHAKE_TYPES
    if phase is Phase.ANONYMOUS:
        return cls in _ANONYMOUS_TYPES
    if phase is Phase.READY:
        return cls.SENDER == "client" and cls not in _HANDSHAKE_TYPES | _ANONYMOUS_TYPES
    return False


@dataclass
class Session:
    """One end of a connection. ``role`` is "client" or "relay" (who *we* are)."""

    role: m.Sender
    phase: Phase = Phase.HANDSHAKE
    max_frame: int = codec.MAX_TEXT_FRAME
    peer_minor: int = codec.PROTOCOL_MINOR
    """The peer's protocol minor (from ``hello``/``welcome``): newer fields are not sent to it."""
    _next_rid: int = field(default=1, repr=False)

    @property
    def peer(self) -> m.Sender:
        return "relay" if self.role == "client" else "client"

    def next_rid(self) -> int:
        """A fresh request id for a client request."""
        rid = self._next_rid
        self._next_rid += 1
        return rid

    # -- outgoing -------------------------------------------------------------------------

    def send(self, message: m.Msg) -> str:
        """Check and encode an outgoing message, advancing the phase."""
        if self.role != message.SENDER:
            raise LocalProtocolError(
                ErrorCode.UNEXPECTED_MESSAGE, f"a {self.role} cannot send {message.TYPE}"
            )
        self._check(message, LocalProtocolError)
        text = codec.encode(message, minor=self.peer_minor)
        self._advance(message)
        return text

    def send_chunk(self, chunk: codec.Chunk) -> bytes:
        if self.phase is not Phase.READY:
            raise LocalProtocolError(
                ErrorCode.UNEXPECTED_MESSAGE, "chunks need an authenticated session"
            )
        return codec.encode_chunk(chunk)

    # -- incoming -------------------------------------------------------------------------

    def receive(self, data: str | bytes) -> m.Msg | codec.Chunk:
        """Decode and check a frame from the peer. Text arrives as ``str``, binary as ``bytes``."""
        if self.phase is Phase.CLOSED:
            raise RemoteProtocolError(ErrorCode.UNEXPECTED_MESSAGE, "the session is closed")
        if isinstance(data, bytes):
            if self.phase is not Phase.READY:
                raise RemoteProtocolError(
                    ErrorCode.NOT_AUTHENTICATED, "binary frames need an authenticated session"
                )
            return codec.decode_chunk(data, sender=self.peer)
        message = codec.decode(data, sender=self.peer, max_size=self.max_frame)
        self._check(message, RemoteProtocolError)
        if isinstance(message, m.Hello | m.Welcome) and message.major == codec.PROTOCOL_MAJOR:
            self.peer_minor = min(message.minor, codec.PROTOCOL_MINOR)
        self._advance(message)
        return message

    # -- the table ------------------------------------------------------------------------

    def _check(self, message: m.Msg, error: type[ProtocolError]) -> None:
        cls = type(message)
        if cls.SENDER == "relay":
            return  # the relay may answer in any phase; transitions below keep it honest
        if client_may_send(self.phase, cls):
            return
        if self.phase is Phase.ANONYMOUS and cls.SENDER == "client" and cls is not m.Hello:
            raise error(
                ErrorCode.NOT_AUTHENTICATED,
                f"{cls.TYPE} needs an authenticated device",
                message.rid,
            )
        raise error(
            ErrorCode.UNEXPECTED_MESSAGE,
            f"{cls.TYPE} is not allowed in {self.phase.value}",
            message.rid,
        )

    def _advance(self, message: m.Msg) -> None:
        nxt = _TRANSITIONS.get((self.phase, type(message)))
        if nxt is not None:
            self.phase = nxt
        elif isinstance(message, m.Failed) and message.fatal:
            self.phase = Phase.CLOSED

    def close(self) -> None:
        self.phase = Phase.CLOSED


def version_refusal(hello: m.Hello) -> m.Failed | None:
    """The relay's answer to an incompatible hello (``None`` when compatible)."""
    if hello.major == codec.PROTOCOL_MAJOR:
        return None
    newer = hello.major > codec.PROTOCOL_MAJOR
    advice = "Update the relay." if newer else "Update the app."
    return m.Failed(
        rid=hello.rid,
        code=ErrorCode.VERSION_UNSUPPORTED,
        message=(
            f"This relay speaks protocol {codec.PROTOCOL_MAJOR}.{codec.PROTOCOL_MINOR}; "
            f"the client speaks {hello.major}.{hello.minor}. {advice}"
        ),
        fatal=True,
    )


def failure(
    exc: ProtocolError, *, rid: int = 0, fatal: bool = False, meeting_id: str = ""
) -> m.Failed:
    """Turn a protocol error into the ``failed`` frame that reports it to the peer."""
    return m.Failed(
        rid=rid or exc.rid,
        code=exc.code.value,
        message=exc.message[:2000],
        fatal=fatal,
        meeting_id=meeting_id,
    )
