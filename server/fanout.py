"""Per-connection outbound queues that a slow or stalled client cannot use to hold others back.

Theory of operation
-------------------
Every connection owns an :class:`Outbox` and one writer task.  Frames reach a connection in one
of three ways, and the outbox treats each by what its reader needs:

* **ordered** frames (replies, annotation-op pushes, presence): must arrive, in order.  They are
  queued up to ``max_bytes``; past that, the connection is falling behind, so queued op pushes
  are *shed* and replaced by one ``resync_needed`` per meeting — nothing is lost, because the
  ops are durable in the log and the client fetches them from its last sequence number.  If the
  queue is still over budget (the client does not even read its replies) it is closed.
* **coalesced** frames (presenter page and pointer): only the newest matters, so each key holds
  one frame and a newer one replaces it.  A tablet on a bad link jumps to the current page.
* **streams** (blob downloads): pulled one chunk at a time only when nothing above is waiting,
  so a 50 MB download never delays a page turn on the same connection.

The fast path is what keeps fan-out close to a bare ``websockets.broadcast``: when a connection's
outbox is empty and its socket buffer is below ``low_water``, :func:`fan_out` hands the encoded
frame to ``broadcast`` for all such connections at once — no task switch, no copy per client.
Only connections that are already behind take the queued path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from typing import Protocol

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.exceptions import ConnectionClosed

from furano_meet.protocol import PROTOCOL_MINOR, ErrorCode, encode
from furano_meet.protocol import messages as m

log = logging.getLogger(__name__)

Frame = str | bytes | memoryview
"""A text or binary frame; a stream's memoryview frames are valid only until the next
``next_frame`` (the writer sends each before asking for another)."""


class Stream(Protocol):
    """A pull-based source of frames (a download). ``None`` means it is finished."""

    transfer: int

    def next_frame(self) -> Frame | None: ...

    def close(self) -> None: ...


class Mailbox(Protocol):
    """Where one connection's frames go, as the relay's handlers see it.

    The relay's is an :class:`Outbox`; the handlers' unit tests use a recorder, so a handler
    can be driven without a socket.  :meth:`ready_connection` returns ``None`` for anything
    that is not a live socket, so :func:`fan_out` then queues through :meth:`deliver` or
    :meth:`replace`.
    """

    minor: int

    def ready_connection(self) -> ServerConnection | None: ...

    def send(self, message: m.Msg, *, even_if_closing: bool = False) -> None: ...

    def deliver(
        self, frame: Frame, *, sheddable_for: str | None = None, even_if_closing: bool = False
    ) -> None: ...

    def replace(self, key: str, frame: Frame) -> None: ...

    def add_stream(self, stream: Stream) -> None: ...

    def cancel_stream(self, transfer: int) -> bool: ...

    def close_streams(self) -> None: ...

    def close_soon(self, *, code: int, reason: str) -> bool: ...

    def close_now(self, frame: Frame, *, code: int, reason: str) -> None: ...

    @property
    def streaming(self) -> int: ...


class Outbox:
    def __init__(self, conn: ServerConnection, *, max_bytes: int, low_water: int) -> None:
        self.conn = conn
        self.max_bytes = max_bytes
        self.low_water = low_water
        self._ordered: deque[tuple[Frame, str | None]] = deque()
        self._ordered_bytes = 0
        self._latest: dict[str, Frame] = {}
        self._streams: deque[Stream] = deque()
        self._resync_pending: set[str] = set()
        self._wake = asyncio.Event()
        self._writing = False
        self._busy = False
        """True while anything is queued, being written, or a close is scheduled: the one flag
        :meth:`idle` tests on the fan-out hot path (kept in step by every method below)."""
        self.shed_count = 0
        self._closing: tuple[int, str] | None = None
        self.minor = PROTOCOL_MINOR
        """The peer's protocol minor: :meth:`send` leaves out fields it does not know."""

    # -- state -------------------------------------------------------------------------------

    @property
    def _sending(self) -> bool:
        return self._writing

    @_sending.setter
    def _sending(self, value: bool) -> None:
        self._writing = value
        self._update_busy()

    def _update_busy(self) -> None:
        self._busy = bool(
            self._writing or self._closing or self._ordered or self._latest or self._streams
        )

    def ready_connection(self) -> ServerConnection | None:
        """The socket when a frame may be written straight to it without overtaking queued
        ones (:func:`fan_out` broadcasts to these at once), else ``None``."""
        if self._busy:
            return None
        transport = self.conn.transport
        if transport is not None and transport.get_write_buffer_size() <= self.low_water:
            return self.conn
        return None

    def idle(self) -> bool:
        """May a frame be written straight to the socket without overtaking queued ones?"""
        return self.ready_connection() is not None

    @property
    def closing(self) -> bool:
        return self._closing is not None

    def _held_bytes(self) -> int:
        """Bytes this connection holds in memory for a reader that has not taken them: the
        queued replies *and* what sits in the socket's write buffer (a download chunk or a
        broadcast written there), so a client that reads nothing is cut off by what it costs,
        not by how many small replies it has piled up."""
        transport = self.conn.transport
        buffered = transport.get_write_buffer_size() if transport is not None else 0
        return self._ordered_bytes + buffered

    @property
    def queued_bytes(self) -> int:
        return self._ordered_bytes + sum(len(f) for f in self._latest.values())

    # -- enqueueing --------------------------------------------------------------------------

    def send(self, message: m.Msg, *, even_if_closing: bool = False) -> None:
        """Queue a reply or push for this connection only (ordered, never shed)."""
        self.deliver(encode(message, minor=self.minor), even_if_closing=even_if_closing)

    def deliver(
        self, frame: Frame, *, sheddable_for: str | None = None, even_if_closing: bool = False
    ) -> None:
        """An ordered frame. ``sheddable_for`` marks an op push that a resync can replace.

        Once a close is scheduled nothing new is queued (``even_if_closing`` is for the frames
        that explain the close), so a closing connection is not served any further.
        """
        if self._closing is not None and not even_if_closing:
            return
        if self.idle():
            broadcast((self.conn,), frame)
            return
        self._ordered.append((frame, sheddable_for))
        self._ordered_bytes += len(frame)
        self._busy = True
        if self._held_bytes() > self.max_bytes:
            self._shed()
        self._wake.set()

    def replace(self, key: str, frame: Frame) -> None:
        """A coalesced frame: supersedes any queued frame with the same key."""
        if self._closing is not None:
            return
        if self.idle():
            broadcast((self.conn,), frame)
            return
        self._latest.pop(key, None)
        self._latest[key] = frame
        self._busy = True
        self._wake.set()

    def add_stream(self, stream: Stream) -> None:
        if self._closing is not None:
            stream.close()
            return
        self._streams.append(stream)
        self._busy = True
        self._wake.set()

    def cancel_stream(self, transfer: int) -> bool:
        for stream in self._streams:
            if stream.transfer == transfer:
                self._streams.remove(stream)
                stream.close()
                self._update_busy()
                return True
        return False

    def _shed(self) -> None:
        kept: deque[tuple[Frame, str | None]] = deque()
        for frame, meeting in self._ordered:
            if meeting is None:
                kept.append((frame, None))
            else:
                self.shed_count += 1
                if meeting not in self._resync_pending:
                    self._resync_pending.add(meeting)
                    kept.append((encode(m.ResyncNeeded(meeting_id=meeting)), None))
        self._ordered = kept
        self._ordered_bytes = sum(len(f) for f, _ in kept)
        if self._held_bytes() > self.max_bytes:
            log.warning("closing a connection that does not read its replies")
            self._drop_queued()
            if self._writing and self.conn.transport is not None:
                self.conn.transport.abort()  # stuck writing: the peer reads nothing at all
            else:
                # The socket drains but the queue grows faster: say why before closing.
                too_slow = m.Failed(
                    code=ErrorCode.TOO_SLOW,
                    message="This connection reads too slowly to keep up; reconnect.",
                    fatal=True,
                )
                self._ordered.append((encode(too_slow, minor=self.minor), None))
                self._ordered_bytes = len(self._ordered[0][0])
                self.close_soon(code=1008, reason="too slow: not reading")

    def _drop_queued(self) -> None:
        self._ordered.clear()
        self._ordered_bytes = 0
        self._latest.clear()
        self.close_streams()
        self._update_busy()

    def close_soon(self, *, code: int, reason: str) -> bool:
        """Close after the frames already queued (e.g. ``device_revoked``) have been written.

        Returns False if a close was already scheduled.
        """
        if self._closing is not None:
            return False
        self._closing = (code, reason)
        self._busy = True
        self._wake.set()
        return True

    def close_now(self, frame: Frame, *, code: int, reason: str) -> None:
        """Drop everything queued (downloads included), send ``frame``, then close.

        For a revoked device: nothing more of the meeting may reach it, not even the rest of a
        download or replies to requests it sent before the revocation.
        """
        self._drop_queued()
        self._ordered.append((frame, None))
        self._ordered_bytes = len(frame)
        self._busy = True
        self._closing = None
        self.close_soon(code=code, reason=reason)

    # -- the writer --------------------------------------------------------------------------

    def _next(self) -> Frame | None:
        if self._ordered:
            frame, meeting = self._ordered.popleft()
            self._ordered_bytes -= len(frame)
            if meeting is None and self._resync_pending:
                self._resync_pending.clear()  # the resync frames are out; shed again if needed
            return frame
        if self._latest:
            key = next(iter(self._latest))
            return self._latest.pop(key)
        while self._streams:
            chunk = self._streams[0].next_frame()
            if chunk is not None:
                self._streams.rotate(-1)  # round-robin between concurrent downloads
                return chunk
            self._streams.popleft().close()
        return None

    async def run(self) -> None:
        """Drain the queues into the socket; ``send`` waits while the socket buffer is full."""
        try:
            while True:
                frame = self._next()
                if frame is None and self._closing is not None:
                    await self.conn.close(*self._closing)
                    return
                if frame is None:
                    self._busy = False  # nothing queued, not writing, not closing
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                self._writing = self._busy = True
                try:
                    await self.conn.send(frame)
                finally:
                    self._writing = False
        except ConnectionClosed:
            pass
        finally:
            self.close_streams()

    def close_streams(self) -> None:
        while self._streams:
            self._streams.popleft().close()

    @property
    def streaming(self) -> int:
        """Downloads still being sent on this connection."""
        return len(self._streams)


def fan_out(
    outboxes: Iterable[Mailbox],
    frame: Frame,
    *,
    coalesce_key: str | None = None,
    sheddable_for: str | None = None,
) -> None:
    """Deliver one encoded frame to many connections; the idle ones in a single broadcast."""
    direct: list[ServerConnection] = []
    for outbox in outboxes:
        conn = outbox.ready_connection()
        if conn is not None:
            direct.append(conn)
        elif coalesce_key is not None:
            outbox.replace(coalesce_key, frame)
        else:
            outbox.deliver(frame, sheddable_for=sheddable_for)
    if direct:
        broadcast(direct, frame)


async def cancel_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
