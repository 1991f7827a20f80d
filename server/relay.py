"""The relay: the asyncio I/O pump around the protocol, the handlers and the store.

Theory of operation
-------------------
One :class:`Relay` serves every connection.  Each connection gets a :class:`Connection`: its
protocol :class:`~furano_meet.protocol.Session` (which enforces *what may be sent when*), its
:class:`~server.fanout.Outbox` and writer task (so a slow reader only slows itself), a token
bucket, and its transfers.  The reader loop decodes one frame at a time and dispatches it
through :data:`HANDLERS` to a handler in :mod:`server.handlers` (one module per idea, all
sharing one :class:`~server.state.RelayState`); handlers are short and push database work to
the store thread.

Whose fault an error is decides what happens to the connection:

* the peer sent an invalid frame → a ``failed`` frame with the stable code; the connection stays
  open (a fatal code such as an unsupported version closes it);
* the request is understood but not allowed → :class:`Refusal` → ``failed`` with its code;
* the disk is full or read-only → ``failed``/``storage_unavailable``; nothing half-written is
  published and the relay keeps serving everyone else;
* anything else is our bug → logged with context (never with tokens or payloads) and answered
  with ``internal_error``.

Housekeeping runs beside the connections: changes made by the admin CLI (another process) are
noticed through SQLite's ``data_version`` (:mod:`server.handlers.admin`), and the presenter
state is saved lazily (:func:`server.handlers.meetings.save_presenters`).  The relay never sends
a text frame larger than ``welcome.max_frame`` (:mod:`server.handlers.paging`).

Hostile or careless clients are bounded per connection: who may connect at all and the
``/healthz`` answer are :mod:`server.admission`'s; until it logs in a connection has
``login_timeout`` seconds and ``max_login_frame`` bytes per frame; text frames spend a token or
are refused; binary frames are paced by frames and by bytes (the reader waits, so TCP slows the
sender); downloads and uploads in flight are capped per connection and per device (handlers).

On SIGTERM (or Ctrl+C) :func:`run_relay` shuts down gracefully (:meth:`Relay.shutdown`): no new
connections, the request each connection has in hand is finished and answered, then every
client is told with close code 1001 and a reason, and the store is closed cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from furano_meet import __version__
from furano_meet.protocol import (
    CHUNK_HEADER_SIZE,
    Chunk,
    ErrorCode,
    ProtocolError,
    RemoteProtocolError,
    failure,
)
from furano_meet.protocol import messages as m
from furano_meet.protocol.codec import peek_rid
from furano_meet.protocol.session import Phase

from .admission import Admission, peer_address, raise_open_file_limit
from .blobs import BlobStore
from .config import RelayConfig
from .errors import Refusal
from .fanout import Mailbox, Outbox, cancel_task
from .handlers import (
    admin,
    documents,
    invitations,
    keys,
    meetings,
    oplog,
    recovery,
    session,
    trust,
    uploads,
)
from .ratelimit import TokenBucket
from .rooms import Room
from .state import Client, RelayState
from .store import Store, storage_failure

log = logging.getLogger("furano.relay")

Handler = Callable[[RelayState, Client, Any], Awaitable[None]]

HANDLERS: dict[type[m.Msg], Handler] = {
    m.Hello: session.hello,
    m.Enrol: session.enrol,
    m.FindInvitation: invitations.find_invitation,
    m.PutInvitation: invitations.put_invitation,
    m.RetireDevice: admin.retire_device,
    m.Authenticate: session.authenticate,
    m.CertifyDevice: keys.certify_device,
    m.ListMeetings: meetings.list_meetings,
    m.JoinMeeting: meetings.join,
    m.ListDocuments: documents.list_documents,
    m.LeaveMeeting: meetings.leave,
    m.SetFollowing: meetings.set_following,
    m.PresentPage: meetings.present_page,
    m.RequestPresenter: meetings.request_presenter,
    m.GrantPresenter: meetings.grant_presenter,
    m.TakePresenter: meetings.take_presenter,
    m.BeginUpload: uploads.begin_upload,
    m.FinishUpload: uploads.finish_upload,
    m.BeginDownload: documents.begin_download,
    m.CancelTransfer: documents.cancel_transfer,
    m.WithdrawDocument: documents.withdraw,
    m.ConfirmReceipt: documents.confirm_receipt,
    m.ListReceipts: documents.list_receipts,
    m.PutKeyEnvelopes: keys.put_envelopes,
    m.GetKeyEnvelopes: keys.get_envelopes,
    m.ListDeviceKeys: keys.list_device_keys,
    m.ListUncertified: keys.list_uncertified,
    m.ListCertified: keys.list_certified,
    m.AppendOps: oplog.append_ops,
    m.FetchOps: oplog.fetch_ops,
    m.PutRoster: trust.put_roster,
    m.PutRecoveryBox: recovery.put_box,
    m.GetRecoveryBox: recovery.get_box,
}
"""Which handler answers each client message (every client message has one)."""


@dataclass(eq=False, kw_only=True)
class Connection(Client):
    """One live connection: the handlers' :class:`Client` plus what only the pump touches."""

    ws: ServerConnection
    outbox: Outbox
    bucket: TokenBucket
    binary_frames: TokenBucket
    binary_bytes: TokenBucket
    writer: asyncio.Task[None] | None = None
    login_timer: asyncio.TimerHandle | None = None
    """Closes the connection if it has not logged in by then; ``None`` once it has."""
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while no frame is being handled (a graceful shutdown waits for it)."""


_LOGIN = (m.Enrol, m.Authenticate)


class Relay:
    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.store = Store(config.database_path)
        self.blobs = BlobStore(config.data_dir, min_free_bytes=config.min_free_bytes)
        self.clients: dict[int, Connection] = {}
        self.state = RelayState(config, self.store, self.blobs, self.clients)
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self._housekeeping: list[asyncio.Task[None]] = []
        self.stopping = False
        self._closed = False
        self.admission = Admission(config, lambda: self.stopping)

    @property
    def rooms(self) -> dict[str, Room[Mailbox]]:
        """The meetings with anyone in them (see :class:`~server.state.RelayState`)."""
        return self.state.rooms

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        raise_open_file_limit()
        await asyncio.to_thread(self.store.open)
        await uploads.clean_stale_uploads(self.state)
        ssl_context = None
        if self.config.tls_cert is not None:
            ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ssl_context.minimum_version = ssl.TLSVersion.TLSv1_2
            ssl_context.load_cert_chain(self.config.tls_cert, self.config.tls_key)
        self._server = await serve(
            self._serve_connection,
            self.config.host,
            self.config.port,
            ssl=ssl_context,
            max_size=self._max_size,
            max_queue=16,
            compression=None,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
            close_timeout=self.config.close_timeout,
            server_header=f"FuranoMeetRelay/{__version__}",
            process_request=self.admission.process_request,
        )
        self._housekeeping = [
            asyncio.create_task(admin.watch_admin_changes(self.state), name="relay-admin-watch"),
            asyncio.create_task(
                meetings.save_presenters_periodically(self.state), name="relay-presenter-save"
            ),
        ]
        log.info("relay listening on %s://%s:%d", self.config.scheme, self.config.host, self.port)

    @property
    def port(self) -> int:
        assert self._server is not None
        sockets = list(self._server.sockets)
        return int(sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"{self.config.scheme}://{self.config.host}:{self.port}"

    async def shutdown(self, reason: str = "the relay is restarting; reconnect shortly") -> None:
        """Stop gracefully: refuse new connections, let each connection finish the request it
        has in hand (its reply is sent), tell every client why with close code 1001, then
        close the store.  Connections still open after ``shutdown_timeout`` are closed hard."""
        self.stopping = True
        if self._server is None:
            return
        self._server.close(close_connections=False)  # stop listening; open ones stay for now
        timeout = self.config.shutdown_timeout
        clients = list(self.clients.values())
        idle = [asyncio.create_task(c.idle.wait()) for c in clients]
        if idle:
            await asyncio.wait(idle, timeout=timeout / 2)
            for task in idle:
                task.cancel()
        for client in clients:
            client.outbox.close_soon(code=1001, reason=reason)
        try:
            async with asyncio.timeout(timeout / 2):
                await self._server.wait_closed()
        except TimeoutError:
            log.warning("closing %d connection(s) that did not say goodbye", len(self.clients))
        for claim in list(self.state.uploading.values()):
            if claim.upload is not None:  # what was received is kept for the resume
                await asyncio.to_thread(claim.upload.partial.sync)
        await self.close()
        log.info("relay stopped cleanly")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in self._housekeeping:
            await cancel_task(task)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await meetings.save_presenters(self.state)
        await asyncio.to_thread(self.store.close)

    async def __aenter__(self) -> Relay:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def apply_admin_changes(self) -> None:
        """Apply the admin CLI's changes now (the watcher does it within a poll interval)."""
        await admin.apply_admin_changes(self.state)

    # -- one connection ----------------------------------------------------------------------

    async def _serve_connection(self, ws: ServerConnection) -> None:
        conn_id = next(self._ids)
        config = self.config
        client = Connection(
            conn_id=conn_id,
            ws=ws,
            outbox=Outbox(ws, max_bytes=config.outbox_max_bytes, low_water=config.low_water),
            bucket=TokenBucket(config.rate_per_second, config.rate_burst),
            binary_frames=TokenBucket(
                config.binary_frames_per_second, config.binary_frames_per_second
            ),
            binary_bytes=TokenBucket(config.binary_bytes_per_second, config.binary_bytes_burst),
            address=peer_address(ws, ws.request, config.trusted_proxies),
        )
        client.session.max_frame = config.max_text_frame
        ws.protocol.max_message_size = min(config.max_login_frame, config.max_text_frame)
        client.login_timer = asyncio.get_running_loop().call_later(
            config.login_timeout, self._login_expired, client
        )
        client.idle.set()
        self.clients[conn_id] = client
        self.admission.opened(client.address)
        client.writer = asyncio.create_task(client.outbox.run(), name=f"relay-writer-{conn_id}")
        try:
            async for data in ws:
                client.idle.clear()
                try:
                    await self._receive(client, data)
                finally:
                    client.idle.set()
                if client.session.phase is Phase.CLOSED:
                    await ws.close(code=1002, reason="protocol error")
                    break
        except ConnectionClosed:
            pass
        finally:
            if client.login_timer is not None:
                client.login_timer.cancel()
            self.clients.pop(client.conn_id, None)
            self.admission.closed(client.address)
            await session.detach(self.state, client)
            await cancel_task(client.writer)

    def _login_expired(self, client: Connection) -> None:
        """A connection that has not logged in within ``login_timeout`` is told and closed."""
        client.login_timer = None
        if client.identity is None:
            client.outbox.send(
                m.Failed(
                    code=ErrorCode.NOT_AUTHENTICATED,
                    message="Log in (enrol or authenticate) sooner after connecting.",
                    fatal=True,
                ),
                even_if_closing=True,
            )
            client.outbox.close_soon(code=1008, reason="login timeout")

    def _logged_in(self, client: Connection) -> None:
        """Lift the pre-login limits once the device is known."""
        if client.identity is None:
            return
        if client.login_timer is not None:
            client.login_timer.cancel()
            client.login_timer = None
        client.ws.protocol.max_message_size = self._max_size

    @property
    def _max_size(self) -> int:
        """The socket's frame limit after login: a text frame or a chunk with its header."""
        return max(self.config.max_text_frame, self.config.max_chunk + CHUNK_HEADER_SIZE + 32)

    async def _receive(self, client: Connection, data: str | bytes) -> None:
        if self.stopping:
            return  # not processed, not acknowledged: the client sends it again after reconnect
        if client.revoked:
            if isinstance(data, str):
                client.outbox.send(
                    m.Failed(
                        rid=peek_rid(data),
                        code=ErrorCode.DEVICE_REVOKED,
                        message="This device was revoked by an administrator.",
                        fatal=True,
                    ),
                    even_if_closing=True,
                )
            return
        if isinstance(data, str):
            if not client.bucket.take():
                self._rate_limited(client, data)
                return
        elif not await self._paced(client, data):
            return
        try:
            message = client.session.receive(data)
        except RemoteProtocolError as exc:
            fatal = exc.code is ErrorCode.VERSION_UNSUPPORTED
            client.outbox.send(failure(exc, fatal=fatal))
            if fatal:
                client.session.close()
            return
        if isinstance(message, Chunk):
            await self._guard(client, 0, uploads.upload_chunk(self.state, client, message))
            return
        handler = HANDLERS.get(type(message))
        if handler is None:  # pragma: no cover - every client message has a handler
            client.outbox.send(
                m.Failed(rid=message.rid, code=ErrorCode.UNKNOWN_TYPE, message="not handled")
            )
            return
        meeting_id = getattr(message, "meeting_id", "")
        await self._guard(client, message.rid, handler(self.state, client, message), meeting_id)
        if type(message) in _LOGIN:
            self._logged_in(client)

    async def _paced(self, client: Connection, data: bytes) -> bool:
        """Wait until a binary frame is within the connection's frame and byte rates; False if
        the connection closed meanwhile (the frames it had already sent are dropped, not
        paced one by one)."""
        ws = client.ws
        if ws.state is not State.OPEN:
            return False
        wait = max(client.binary_frames.delay(1), client.binary_bytes.delay(len(data)))
        if wait > 0:  # pace, not refuse: an honest upload loses nothing
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await ws.wait_closed()
            return ws.state is State.OPEN
        return True

    def _rate_limited(self, client: Connection, data: str) -> None:
        """A text frame without a token is dropped unprocessed; say so, with its ``rid``.

        Each dropped frame whose ``rid`` can be read cheaply (:func:`peek_rid`) gets its own
        ``failed``/``rate_limited`` reply, so a client never waits for a reply that will not
        come.  Frames without a readable ``rid`` share one notice (rid 0) per second.  Past
        ``flood_close_after`` refusals in the bucket's window the connection is closed.
        """
        bucket = client.bucket
        if bucket.refused_in_window > self.config.flood_close_after:
            if client.outbox.close_soon(code=1008, reason="rate limit exceeded"):
                log.warning("closing connection %d: message flood", client.conn_id)
            return
        rid = peek_rid(data)
        if rid or bucket.should_notify():
            client.outbox.send(
                m.Failed(
                    rid=rid,
                    code=ErrorCode.RATE_LIMITED,
                    message="Too many messages; slow down. This request was not processed.",
                    retry_after=round(bucket.retry_after() + 0.0005, 3),
                )
            )

    async def _guard(
        self, client: Client, rid: int, work: Awaitable[None], meeting_id: str = ""
    ) -> None:
        """Run a handler and turn each kind of failure into the right ``failed`` frame."""
        try:
            await work
        except Refusal as exc:
            client.outbox.send(
                m.Failed(rid=rid, code=exc.code, message=exc.message, meeting_id=meeting_id)
            )
        except ProtocolError as exc:
            client.outbox.send(failure(exc, rid=rid, meeting_id=meeting_id))
        except (OSError, Exception) as exc:  # noqa: BLE001 - classified below, never swallowed silently
            reason = storage_failure(exc)
            if reason is not None:
                log.error("storage failure on connection %d: %s", client.conn_id, exc)
                client.outbox.send(
                    m.Failed(
                        rid=rid,
                        code=ErrorCode.STORAGE_UNAVAILABLE,
                        message=reason,
                        meeting_id=meeting_id,
                    )
                )
            else:
                log.exception("internal error handling a request on connection %d", client.conn_id)
                client.outbox.send(
                    m.Failed(
                        rid=rid,
                        code=ErrorCode.INTERNAL_ERROR,
                        message="The relay hit an internal error.",
                        meeting_id=meeting_id,
                    )
                )


async def run_relay(config: RelayConfig, ready: Callable[[Relay], None] | None = None) -> None:
    """Serve until SIGTERM or Ctrl+C (then shut down gracefully), or until cancelled."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows, other threads
            pass
    try:
        relay = Relay(config)
        await relay.start()
        try:
            if ready is not None:
                ready(relay)
            await stop.wait()
            log.info("shutting down: finishing requests in hand, then telling clients")
            await relay.shutdown()
        finally:
            await relay.close()  # after a shutdown a no-op; if cancelled, without the goodbyes
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
