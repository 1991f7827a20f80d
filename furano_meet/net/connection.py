"""One websocket connection to the relay: requests with replies, pushes, and the frame reader.

Theory of operation
-------------------
:class:`RelayConnection` is the asyncio shell around the sans-I/O
:class:`~furano_meet.protocol.Session`.  A single reader task decodes every frame and routes it:

* a frame whose ``rid`` matches a request in flight resolves that request's future (``failed``
  raises :class:`RelayError` there, with the relay's stable code);
* binary chunks and ``download_finished``/``upload_progress`` go to the transfer they belong to;
* everything else (``rid == 0``) is a push and lands in :attr:`pushes`, in arrival order.

Higher layers (the sync engine, the tests, the benchmarks) use :meth:`request` and the transfer
helpers and never touch frames. The transfers (upload, download, chunking) live in
:mod:`furano_meet.net.transfers`, a mixin of :class:`RelayConnection`; the reader here routes
their chunks and pushes into the tables they share.  If the connection drops, every waiter
fails with :class:`RelayError` code ``connection_lost`` so nothing hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from furano_meet import __version__
from furano_meet.errors import Fault, FuranoError, describe
from furano_meet.protocol import (
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    Chunk,
    ErrorCode,
    Session,
)
from furano_meet.protocol import messages as m

from .transfers import BlobTransfers, DownloadState, UploadState

if TYPE_CHECKING:
    from .tls import CaFile

M = TypeVar("M", bound=m.Msg)


class RelayError(FuranoError):
    """The relay refused something, or the connection failed. ``code`` is stable.

    The code is the instance's: the relay's ``failed`` code, or one this side chose (the relay is
    unreachable, the connection was lost, the relay sent something unreadable). The fault comes
    from that code's row of :data:`~furano_meet.errors.CODES` (as the app sees the code) unless
    the raiser knows better: a download that does not check out is the relay's fault whatever
    the code says. ``str(error)`` reads ``code: message`` as it always has.
    """

    codes: ClassVar[frozenset[str]] = frozenset(ErrorCode) | {
        # this module's
        "unreachable",
        "connection_lost",
        "protocol_error",
        # the sync engine's and the admin commands' (furano_meet.sync)
        "offline",
        "not_certified",
        "no_meeting_key",
        "not_admin",
        "key_substitution",
    }
    """Besides these the sync engine, until it stops doing so, reports local store trouble as a
    RelayError carrying the :class:`~furano_meet.store.StoreError`'s code."""

    def __init__(
        self, code: str, message: str, failed: m.Failed | None = None, *, fault: Fault | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.fault = describe(code).fault if fault is None else fault
        self.failed = failed

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[m.Msg] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RelayConnection(BlobTransfers):
    def __init__(self, ws: ClientConnection, session: Session) -> None:
        self.ws = ws
        self.session = session
        self.welcome: m.Welcome | None = None
        self.identity: m.Authenticated | m.Enrolled | None = None
        self.pushes: asyncio.Queue[m.Msg | None] = asyncio.Queue()
        """Unsolicited messages in arrival order; ``None`` marks the end of the connection."""
        self._waiting: dict[int, _Waiter] = {}
        self._downloads: dict[int, DownloadState] = {}
        self._starting: dict[int, DownloadState] = {}  # by request id, until download_ready
        self._uploads: dict[int, UploadState] = {}
        self._closed_error: RelayError | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read(), name="relay-reader")

    # -- connecting --------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        ca_file: CaFile | None = None,
        open_timeout: float = 10.0,
        major: int = PROTOCOL_MAJOR,
        minor: int = PROTOCOL_MINOR,
    ) -> RelayConnection:
        """Open a connection and complete the version handshake (``major``/``minor`` other than
        ours only to test how the relay treats other versions).

        A ``wss://`` relay is checked against the system's trust store, or only against the CA
        certificate in ``ca_file`` when given (see :mod:`furano_meet.net.tls`); an explicit
        ``ssl_context`` replaces both. A certificate that does not check out raises
        :class:`~furano_meet.net.tls.TlsUntrusted`. ``ca_file`` means nothing for ``ws://``.
        """
        from . import tls  # tls builds its errors on RelayError, defined above

        if ssl_context is None and url.lower().startswith("wss://"):
            ssl_context = tls.client_context(ca_file)
        try:
            ws = await connect(
                url,
                ssl=ssl_context,
                open_timeout=open_timeout,
                max_size=8 * 1024 * 1024,
                compression=None,
                user_agent_header=f"FuranoMeet/{__version__}",
            )
        except ssl.SSLCertVerificationError as exc:
            raise tls.untrusted(url, exc, ca_file) from exc
        except (OSError, TimeoutError) as exc:
            raise RelayError(
                "unreachable", f"The relay at {url} cannot be reached ({exc.__class__.__name__})."
            ) from exc
        except Exception as exc:  # InvalidURI, InvalidHandshake, …
            raise RelayError("unreachable", f"Could not open {url}: {exc}") from exc
        self = cls(ws, Session(role="client"))
        try:
            welcome = await self.request(
                m.Hello(major=major, minor=minor, client=f"furano-meet/{__version__}")
            )
        except BaseException:
            await self.close()
            raise
        assert isinstance(welcome, m.Welcome)
        self.welcome = welcome
        return self

    async def enrol(
        self, code: str, device_name: str, public_keys: bytes, *, claim: bytes = b""
    ) -> m.Enrolled:
        """Enrol with a relay-made ``code`` (legacy) or, 1.3, an invitation ``claim``."""
        reply = await self.request(
            m.Enrol(code=code, device_name=device_name, public_keys=public_keys, claim=claim)
        )
        assert isinstance(reply, m.Enrolled)
        self.identity = reply
        return reply

    async def authenticate(self, device_id: str, token: str) -> m.Authenticated:
        reply = await self.request(m.Authenticate(device_id=device_id, token=token))
        assert isinstance(reply, m.Authenticated)
        self.identity = reply
        return reply

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def __aenter__(self) -> RelayConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- requests and pushes -----------------------------------------------------------------

    async def send(self, message: m.Msg) -> int:
        """Send without waiting for a reply; returns the request id used."""
        if self._closed_error is not None:
            raise self._closed_error
        rid = message.rid or self.session.next_rid()
        frame = self.session.send(_with_rid(message, rid))
        try:
            await self.ws.send(frame)
        except ConnectionClosed as exc:
            raise self._lost(exc) from exc
        return rid

    async def request(self, message: m.Msg, *, timeout: float = 30.0) -> m.Msg:
        """Send a request and wait for its reply; ``failed`` raises :class:`RelayError`."""
        if self._closed_error is not None:
            raise self._closed_error
        rid = message.rid or self.session.next_rid()
        waiter = _Waiter()
        self._waiting[rid] = waiter
        try:
            await self.send(_with_rid(message, rid))
            async with asyncio.timeout(timeout):
                return await waiter.future
        finally:
            self._waiting.pop(rid, None)

    async def expect(self, kind: type[M], *, timeout: float = 10.0) -> M:
        """Wait for the next push of ``kind``, skipping (and dropping) other pushes."""
        async with asyncio.timeout(timeout):
            while True:
                push = await self._next_push()
                if isinstance(push, kind):
                    return push

    async def _next_push(self) -> m.Msg:
        push = await self.pushes.get()
        if push is None:
            self.pushes.put_nowait(None)  # every later reader learns it too
            assert self._closed_error is not None
            raise self._closed_error
        return push

    async def send_raw(self, frame: bytes | str) -> None:
        """Send a pre-encoded frame (binary chunks; tests that send malformed data)."""
        try:
            await self.ws.send(frame)
        except ConnectionClosed as exc:
            raise self._lost(exc) from exc

    # -- the reader --------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                item = self.session.receive(frame)
                if isinstance(item, Chunk):
                    self._on_chunk(item)
                else:
                    self._on_message(item)
            self._fail_all(self._closed())
        except ConnectionClosed as exc:
            self._fail_all(self._lost(exc))
        except Exception as exc:
            self._fail_all(RelayError("protocol_error", f"Unreadable frame from the relay: {exc}"))
            await self.ws.close(code=1002)

    def _on_chunk(self, chunk: Chunk) -> None:
        state = self._downloads.get(chunk.transfer)
        if state is None or state.done.done():
            return
        if chunk.offset != state.start + len(state.data):
            state.done.set_exception(
                RelayError("chunk_out_of_order", "download chunk out of order", fault=Fault.THEIRS)
            )
            return
        state.data += chunk.payload
        state.arrived.set()

    def _on_message(self, message: m.Msg) -> None:
        if isinstance(message, m.DownloadReady) and message.rid in self._starting:
            starting = self._starting.pop(message.rid)
            starting.transfer = message.transfer
            self._downloads[message.transfer] = starting
        if isinstance(message, m.DownloadFinished):
            state = self._downloads.get(message.transfer)
            if state is not None and not state.done.done():
                state.done.set_result(None)
            return
        if isinstance(message, m.UploadProgress):
            upload = self._uploads.get(message.transfer)
            if upload is not None:
                upload.durable = message.offset
            return
        if isinstance(message, m.Failed) and message.transfer and message.rid == 0:
            upload = self._uploads.get(message.transfer)
            if upload is not None and not upload.failed.done():
                upload.failed.set_result(message)
                return
        waiter = self._waiting.get(message.rid) if message.rid else None
        if waiter is None:
            self.pushes.put_nowait(message)
            return
        if waiter.future.done():
            return
        if isinstance(message, m.Failed):
            waiter.future.set_exception(RelayError(message.code, message.message, message))
        else:
            waiter.future.set_result(message)

    def _lost(self, exc: ConnectionClosed) -> RelayError:
        del exc  # the connection object knows the close code and reason
        return self._closed()

    def _closed(self) -> RelayError:
        """Why the connection ended, in the caller's terms (a revocation is not a network blip)."""
        code, reason = self.ws.close_code, self.ws.close_reason or ""
        if reason == "device revoked":
            return RelayError("device_revoked", "This device was revoked by an administrator.")
        detail = f" ({code} {reason})".replace(" )", ")") if code is not None else ""
        return RelayError("connection_lost", f"The connection to the relay was lost{detail}.")

    def _fail_all(self, error: RelayError) -> None:
        self._closed_error = error
        self.pushes.put_nowait(None)
        for waiter in self._waiting.values():
            if not waiter.future.done():
                waiter.future.set_exception(error)
        for state in self._downloads.values():
            if not state.done.done():
                state.done.set_exception(error)

    async def iter_pushes(self) -> AsyncIterator[m.Msg]:
        """Pushes as they arrive; raises :class:`RelayError` when the connection ends."""
        while True:
            yield await self._next_push()


def _with_rid(message: m.Msg, rid: int) -> Any:
    return message if message.rid == rid else dataclasses.replace(message, rid=rid)
