"""Blob transfers over a :class:`~furano_meet.net.connection.RelayConnection`: upload and download.

Theory of operation
-------------------
A blob moves in chunks. An upload asks the relay where to start (``begin_upload`` answers with
the offset it already holds, so a broken upload resumes), sends binary chunks each carrying its
own SHA-256 (hashed in a worker thread one chunk ahead of the send) and finishes; a ``failed``
push naming the transfer ends the attempt and the next attempt resumes. A download registers
where its chunks go *before* asking, because the relay's chunks follow its reply at once; the
connection's reader appends them to the :class:`DownloadState` (checking their offsets) and
:meth:`BlobTransfers.download_to` hands them on in batches while more arrive.

:class:`BlobTransfers` is a mixin of :class:`~furano_meet.net.connection.RelayConnection`: the
connection owns the socket, the reader and the transfer tables; this module owns what a transfer
does with them. Callers use ``connection.upload``/``download``/``download_to`` as before.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from furano_meet.errors import Fault
from furano_meet.protocol import Chunk, ChunkKind, Session, encode_chunk
from furano_meet.protocol import messages as m


@dataclass(eq=False)
class DownloadState:
    transfer: int
    data: bytearray
    """Received bytes not yet handed to the sink (all of them without a sink)."""
    done: asyncio.Future[None]
    start: int = 0
    """Blob offset of ``data[0]``."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class UploadState:
    transfer: int
    failed: asyncio.Future[m.Failed]
    durable: int = 0


class BlobTransfers:
    """Upload and download on top of the connection's requests and raw frames (a mixin)."""

    session: Session
    _downloads: dict[int, DownloadState]
    _starting: dict[int, DownloadState]
    """By request id, until ``download_ready`` names the transfer."""
    _uploads: dict[int, UploadState]

    if TYPE_CHECKING:  # provided by RelayConnection

        async def request(self, message: m.Msg, *, timeout: float = ...) -> m.Msg: ...

        async def send_raw(self, frame: bytes | str) -> None: ...

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
        on_progress: Callable[[int, int], None] | None = None,
    ) -> m.DocumentInfo:
        """Upload a blob, resuming from what the relay already holds; returns the published info.

        ``on_progress(sent, total)`` is called after each chunk is handed to the connection (a
        resumed upload starts at what the relay already holds).

        ``sha256`` (hex) is the blob's digest when the caller already has it (the document
        encryptor computes it for the signed manifest); otherwise it is computed here, in a
        worker thread. The caller must not change ``data`` until this returns.
        """
        from .connection import RelayError  # defined beside the connection, which imports this

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
            failure = await self._send_chunks(reply, data, chunk_size, on_progress)
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
        self,
        ready: m.UploadReady,
        data: bytes | bytearray,
        chunk_size: int | None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> m.Failed | None:
        """Send the chunks from ``ready.offset``; each chunk's digest (which the relay checks)
        is computed in a worker thread while the previous chunk is being sent, so the hashing
        neither blocks the event loop nor adds to the transfer's wall time."""
        size = min(chunk_size or ready.max_chunk, ready.max_chunk)
        loop = asyncio.get_running_loop()
        upload = UploadState(ready.transfer, loop.create_future())
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
                if on_progress is not None:
                    on_progress(min(offset + size, len(data)), len(data))
            return upload.failed.result() if upload.failed.done() else None
        finally:
            if pending is not None:  # stopped early: nobody wants that digest any more
                pending.cancel()
            self._uploads.pop(ready.transfer, None)

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
        from .connection import RelayError  # defined beside the connection, which imports this

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
        state = DownloadState(0, bytearray(), loop.create_future(), start=offset)
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


def _sha256_hex(data: bytes | bytearray) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_digest(data: memoryview) -> bytes:
    return hashlib.sha256(data).digest()
