"""One websocket connection to the relay: requests with replies, pushes, and blob transfers.

Theory of operation
-------------------
:class:`RelayConnection` is the asyncio shell around the sans-I/O
:class:`~furano_meet.protocol.Session`.  A single reader task decodes every frame and routes it:

* a frame whose ``rid`` matches a request in flight resolves that request's future (``failed``
  raises :class:`RelayError` there, with the relay's stable code);
* binary chunks and ``download_finished``/``upload_progress`` go to the transfer they belong to;
* everything else (``rid == 0``) is a push and lands in :attr:`pushes`, in arrival order.

Higher layers (the sync engine, the tests, the benchmarks) use :meth:`request` and the transfer
helpers and never touch frames.  If the connection drops, every waiter fails with
:class:`RelayError` code ``connection_lost`` so nothing hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
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
    ChunkKind,
    ErrorCode,
    Session,
    encode_chunk,
)
from furano_meet.protocol import messages as m

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
class _Download:
    transfer: int
    data: bytearray
    """Received bytes not yet handed to the sink (all of them without a sink)."""
    done: asyncio.Future[None]
    start: int = 0
    """Blob offset of ``data[0]``."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class _Upload:
    transfer: int
    failed: asyncio.Future[m.Failed]
    durable: int = 0


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[m.Msg] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RelayConnection:
    def __init__(self, ws: ClientConnection, session: Session) -> None:
        self.ws = ws
        self.session = session
        self.welcome: m.Welcome | None = None
        self.identity: m.Authenticated | m.Enrolled | None = None
        self.pushes: asyncio.Queue[m.Msg | None] = asyncio.Queue()
        """Unsolicited messages in arrival order; ``None`` marks the end of the connection."""
        self._waiting: dict[int, _Waiter] = {}
        self._downloads: dict[int, _Download] = {}
        self._starting: dict[int, _Download] = {}  # by request id, until download_ready
        self._uploads: dict[int, _Upload] = {}
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

    # -- transfers ---------------------------------------------------------------------------

    async def upload(
        self,
        *,
        meeting_id: str,
        document_id: str,
        version: int,
        data: bytes | bytearray,
        manifest: bytes,
        chunk_size: int | None = None,
        attempts: int = 3,
        sha256: str | None = None,
    ) -> m.DocumentInfo:
        """Upload a blob, resuming from what the relay already holds; returns the published info.

        ``sha256`` (hex) is the blob's digest when the caller already has it (the document
        encryptor computes it for the signed manifest); otherwise it is computed here, in a
        worker thread. The caller must not change ``data`` until this returns.
        """
        sha = sha256 if sha256 is not None else await asyncio.to_thread(_sha256_hex, data)
        begin = m.BeginUpload(
            meeting_id=meeting_id,
            document_id=document_id,
            version=version,
            size=len(data),
            sha256=sha,
            manifest=manifest,
        )
        last_error: RelayError | None = None
        for _ in range(attempts):
            reply = await self.request(begin)
            if isinstance(reply, m.DocumentPublished):
                return reply.document
            assert isinstance(reply, m.UploadReady)
            failure = await self._send_chunks(reply, data, chunk_size)
            if failure is not None:
                last_error = RelayError(failure.code, failure.message, failure)
                continue
            try:
                published = await self.request(m.FinishUpload(transfer=reply.transfer))
            except RelayError as exc:
                if exc.code not in ("unknown_transfer", "upload_incomplete"):
                    raise
                last_error = exc
                continue
            assert isinstance(published, m.DocumentPublished)
            return published.document
        assert last_error is not None
        raise last_error

    async def _send_chunks(
        self, ready: m.UploadReady, data: bytes | bytearray, chunk_size: int | None
    ) -> m.Failed | None:
        """Send the chunks from ``ready.offset``; each chunk's digest (which the relay checks)
        is computed in a worker thread while the previous chunk is being sent, so the hashing
        neither blocks the event loop nor adds to the transfer's wall time."""
        size = min(chunk_size or ready.max_chunk, ready.max_chunk)
        loop = asyncio.get_running_loop()
        upload = _Upload(ready.transfer, loop.create_future())
        self._uploads[ready.transfer] = upload
        view = memoryview(data)
        offsets = range(ready.offset, len(data), size)
        pending: asyncio.Future[bytes] | None = None
        try:
            for number, offset in enumerate(offsets):
                payload = view[offset : offset + size]
                digest_future = pending or asyncio.ensure_future(
                    asyncio.to_thread(_sha256_digest, payload)
                )
                pending = None
                digest = await digest_future
                if upload.failed.done():
                    return upload.failed.result()
                if number + 1 < len(offsets):
                    ahead = offsets[number + 1]
                    pending = asyncio.ensure_future(
                        asyncio.to_thread(_sha256_digest, view[ahead : ahead + size])
                    )
                chunk = Chunk(ChunkKind.UPLOAD, ready.transfer, offset, payload, digest)
                await self.send_raw(encode_chunk(chunk))
            return upload.failed.result() if upload.failed.done() else None
        finally:
            if pending is not None:  # stopped early: nobody wants that digest any more
                pending.cancel()
            self._uploads.pop(ready.transfer, None)

    async def send_raw(self, frame: bytes | str) -> None:
        """Send a pre-encoded frame (binary chunks; tests that send malformed data)."""
        try:
            await self.ws.send(frame)
        except ConnectionClosed as exc:
            raise self._lost(exc) from exc

    async def download(
        self,
        *,
        meeting_id: str,
        document_id: str,
        version: int,
        have: bytes = b"",
        timeout: float = 300.0,
    ) -> bytearray:
        """Download a blob (continuing after ``have``) into memory and verify its SHA-256.

        The chunks accumulate in one buffer that is handed over whole at the end (no piece-wise
        flushing into a second buffer): for 30 tablets fetching a 50 MB pack at once, every
        extra copy is 1.5 GB of memory traffic.
        """
        pieces: list[bytearray] = []

        async def keep(offset: int, data: bytearray, last: bool) -> None:
            del last  # one piece anyway (``flush_every`` below); checked against ready.size
            assert offset == len(have) + sum(map(len, pieces))
            pieces.append(data)

        ready = await self.download_to(
            meeting_id=meeting_id,
            document_id=document_id,
            version=version,
            offset=len(have),
            sink=keep,
            flush_every=2**62,  # one piece, when the transfer has finished
            timeout=timeout,
        )
        if not have and len(pieces) == 1:
            data = pieces[0]
        else:
            data = bytearray(have)
            for piece in pieces:
                data += piece
        digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        if len(data) != ready.size or digest != ready.sha256:
            raise RelayError(
                "hash_mismatch",
                "The downloaded document does not match its SHA-256.",
                fault=Fault.THEIRS,
            )
        return data

    async def download_to(
        self,
        *,
        meeting_id: str,
        document_id: str,
        version: int,
        offset: int,
        sink: Callable[[int, bytearray, bool], Awaitable[None]],
        flush_every: int = 4 * 1024 * 1024,
        timeout: float = 300.0,
    ) -> m.DownloadReady:
        """Stream a blob from ``offset`` into ``sink(offset, data, last)`` in batches of
        ~``flush_every``.

        The sink runs while later chunks keep arriving, so a slow disk write overlaps the
        network. Each piece is the very buffer the chunks were collected in, handed over (not
        copied): the sink owns it. ``last`` is true when the relay has finished sending and
        ``data`` is the rest of the blob, so a sink can complete its store in the same write
        (a blob of exactly ``flush_every`` bytes may end with ``last`` never true). Verifying the whole blob's SHA-256 (``DownloadReady.sha256``)
        is the caller's job, because only the caller holds the bytes before ``offset``.
        """
        loop = asyncio.get_running_loop()
        # Registered under the request id *before* sending: the relay's chunks follow its reply
        # at once, and the reader must know where they go before this coroutine wakes up.
        state = _Download(0, bytearray(), loop.create_future(), start=offset)
        rid = self.session.next_rid()
        self._starting[rid] = state
        try:
            ready = await self.request(
                m.BeginDownload(
                    rid=rid,
                    meeting_id=meeting_id,
                    document_id=document_id,
                    version=version,
                    offset=offset,
                )
            )
        finally:
            self._starting.pop(rid, None)
        assert isinstance(ready, m.DownloadReady)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    finished = state.done.done()
                    if state.data and (finished or len(state.data) >= flush_every):
                        # Hand over what arrived, even before an error: it is valid (offsets
                        # were checked) and lets the next attempt resume after it.
                        piece, start = state.data, state.start
                        state.data = bytearray()  # the sink owns ``piece`` now: no copy
                        state.start += len(piece)
                        await sink(start, piece, finished)
                        continue  # more may have arrived while the sink ran
                    if finished:
                        state.done.result()  # raises if the transfer failed
                        return ready
                    state.arrived.clear()
                    waiter: asyncio.Future[Any] = loop.create_task(state.arrived.wait())
                    done_future: asyncio.Future[Any] = state.done
                    await asyncio.wait({waiter, done_future}, return_when="FIRST_COMPLETED")
                    waiter.cancel()
        finally:
            self._downloads.pop(ready.transfer, None)
            if state.done.done() and not state.done.cancelled():
                state.done.exception()  # retrieved: the caller sees the error raised above

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


def _sha256_hex(data: bytes | bytearray) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_digest(data: memoryview) -> bytes:
    return hashlib.sha256(data).digest()


def _with_rid(message: m.Msg, rid: int) -> Any:
    return message if message.rid == rid else dataclasses.replace(message, rid=rid)
