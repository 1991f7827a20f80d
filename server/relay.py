"""The relay: the asyncio I/O pump around the protocol, the rooms and the store.

Theory of operation
-------------------
One :class:`Relay` serves every connection.  Each connection gets a :class:`Client`: its
protocol :class:`~furano_meet.protocol.Session` (which enforces *what may be sent when*), its
:class:`~server.fanout.Outbox` and writer task (so a slow reader only slows itself), a token
bucket, and its transfers.  The reader loop decodes one frame at a time and dispatches it to a
handler; handlers are short and push database work to the store thread.

Whose fault an error is decides what happens to the connection:

* the peer sent an invalid frame → a ``failed`` frame with the stable code; the connection stays
  open (a fatal code such as an unsupported version closes it);
* the request is understood but not allowed → :class:`Refusal` → ``failed`` with its code;
* the disk is full or read-only → ``failed``/``storage_unavailable``; nothing half-written is
  published and the relay keeps serving everyone else;
* anything else is our bug → logged with context (never with tokens or payloads) and answered
  with ``internal_error``.

Changes made by the admin CLI (another process) are noticed through SQLite's ``data_version``:
a revoked device is told and disconnected within ``admin_poll_interval`` (from that moment none
of its requests is served and its downloads stop), a removed member is dropped from the room.

Relay-wide state that outlives a connection: the presenter state of every meeting seen since the
start (``presenters``; a room that empties and fills again continues its ``seq``), and which
connection owns each in-flight upload (``uploading``; one writer per ``.part`` file).  The relay
never sends a text frame larger than ``welcome.max_frame``: ``ops_fetched`` stops early (with
``more``) and ``meeting_joined`` leaves entries out (with ``truncated``) rather than exceed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sqlite3
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from furano_meet import __version__
from furano_meet.protocol import (
    CHUNK_HEADER_SIZE,
    MAX_TEXT_FRAME,
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    Chunk,
    ChunkKind,
    ErrorCode,
    ProtocolError,
    RemoteProtocolError,
    Session,
    encode,
    failure,
    version_refusal,
)
from furano_meet.protocol import messages as m
from furano_meet.protocol.codec import encoded_length, peek_rid, utf8_length
from furano_meet.protocol.session import Phase

from .blobs import BlobStore, PartialUpload, transfer_key
from .config import RelayConfig
from .errors import Refusal
from .fanout import Outbox, cancel_task, fan_out
from .ratelimit import TokenBucket
from .rooms import MODERATORS, Attendee, Room
from .store import DeviceIdentity, PendingUpload, Store, storage_failure
from .transfers import DownloadStream, Transfers, Upload

log = logging.getLogger("furano.relay")

PUBLISHERS: frozenset[m.Role] = frozenset({"clerk", "admin"})


@dataclass(eq=False)
class Client:
    """One live connection."""

    conn_id: int
    ws: ServerConnection
    outbox: Outbox
    bucket: TokenBucket
    session: Session = field(default_factory=lambda: Session(role="relay"))
    identity: DeviceIdentity | None = None
    rooms: set[str] = field(default_factory=set)
    transfers: Transfers = field(default_factory=Transfers)
    writer: asyncio.Task[None] | None = None
    revoked: bool = False
    """Set the moment the device's revocation is noticed: nothing more is served."""

    @property
    def who(self) -> DeviceIdentity:
        assert self.identity is not None, "handlers run only after authentication"
        return self.identity


Handler = Callable[[Client, Any], Awaitable[None]]


@dataclass(eq=False)
class UploadClaim:
    """Which connection writes a ``.part`` file (one at a time, relay-wide)."""

    client: Client
    upload: Upload | None = None
    """``None`` while the owner is still opening the file."""
    finishing: bool = False
    """The file is being verified, renamed and published: it cannot be taken over."""


class Relay:
    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.store = Store(config.database_path)
        self.blobs = BlobStore(config.data_dir, min_free_bytes=config.min_free_bytes)
        self.rooms: dict[str, Room[Outbox]] = {}
        self.presenters: dict[str, m.PresenterState] = {}
        """The newest presenter state of every meeting with a room since the start.  A room that
        empties and is rebuilt continues from here, never from an older database snapshot."""
        self.uploading: dict[str, UploadClaim] = {}
        """Transfer key → the connection uploading it."""
        self.max_out = min(config.max_text_frame, MAX_TEXT_FRAME)
        """Largest text frame the relay sends: what it accepts itself (``welcome.max_frame``)
        and never more than a client accepts."""
        self.clients: dict[int, Client] = {}
        self.by_device: dict[str, set[Client]] = {}
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self._housekeeping: list[asyncio.Task[None]] = []
        self._handlers: dict[type[m.Msg], Handler] = {
            m.Hello: self._hello,
            m.Enrol: self._enrol,
            m.Authenticate: self._authenticate,
            m.CertifyDevice: self._certify_device,
            m.ListMeetings: self._list_meetings,
            m.JoinMeeting: self._join,
            m.ListDocuments: self._list_documents,
            m.LeaveMeeting: self._leave,
            m.SetFollowing: self._set_following,
            m.PresentPage: self._present_page,
            m.RequestPresenter: self._request_presenter,
            m.GrantPresenter: self._grant_presenter,
            m.TakePresenter: self._take_presenter,
            m.BeginUpload: self._begin_upload,
            m.FinishUpload: self._finish_upload,
            m.BeginDownload: self._begin_download,
            m.CancelTransfer: self._cancel_transfer,
            m.WithdrawDocument: self._withdraw,
            m.ConfirmReceipt: self._confirm_receipt,
            m.ListReceipts: self._list_receipts,
            m.PutKeyEnvelopes: self._put_envelopes,
            m.GetKeyEnvelopes: self._get_envelopes,
            m.ListDeviceKeys: self._list_device_keys,
            m.ListUncertified: self._list_uncertified,
            m.AppendOps: self._append_ops,
            m.FetchOps: self._fetch_ops,
        }

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.store.open)
        await self._clean_stale_uploads()
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
            max_size=max(
                self.config.max_text_frame, self.config.max_chunk + CHUNK_HEADER_SIZE + 32
            ),
            max_queue=16,
            compression=None,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
            close_timeout=self.config.close_timeout,
            server_header=f"FuranoMeetRelay/{__version__}",
        )
        self._housekeeping = [
            asyncio.create_task(self._watch_admin_changes(), name="relay-admin-watch"),
            asyncio.create_task(self._save_presenters_periodically(), name="relay-presenter-save"),
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

    async def close(self) -> None:
        for task in self._housekeeping:
            await cancel_task(task)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self._save_presenters()
        await asyncio.to_thread(self.store.close)

    async def __aenter__(self) -> Relay:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _clean_stale_uploads(self) -> None:
        """Remove abandoned uploads: the ``.part`` file and its ``uploads`` row together.

        An upload is stale when neither a chunk (the file's mtime) nor a ``begin_upload`` (the
        row's ``created_at``) touched it for ``partial_upload_ttl``; a row without a file, or a
        file without a row, is left over from a crash and goes as well once it is that old.
        """
        now = time.time()
        cutoff = now - self.config.partial_upload_ttl
        cutoff_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cutoff))
        rows = await self.store.run(self.store.upload_keys)
        files = {p.stem: p for p in self.blobs.uploads.glob("*.part")}
        stale: list[str] = []
        for key in rows.keys() | files.keys():
            touched = rows.get(key, "") >= cutoff_text
            with contextlib.suppress(OSError):
                if key in files and files[key].stat().st_mtime >= cutoff:
                    touched = True
            if touched:
                continue
            stale.append(key)
            if key in files:
                with contextlib.suppress(OSError):
                    files[key].unlink()
        if stale:
            await self.store.run(self.store.forget_uploads, [k for k in stale if k in rows])
            log.info("removed %d abandoned partial upload(s)", len(stale))

    # -- one connection ----------------------------------------------------------------------

    async def _serve_connection(self, ws: ServerConnection) -> None:
        conn_id = next(self._ids)
        client = Client(
            conn_id=conn_id,
            ws=ws,
            outbox=Outbox(
                ws, max_bytes=self.config.outbox_max_bytes, low_water=self.config.low_water
            ),
            bucket=TokenBucket(self.config.rate_per_second, self.config.rate_burst),
        )
        client.session.max_frame = self.config.max_text_frame
        self.clients[conn_id] = client
        client.writer = asyncio.create_task(client.outbox.run(), name=f"relay-writer-{conn_id}")
        try:
            async for data in ws:
                await self._receive(client, data)
                if client.session.phase is Phase.CLOSED:
                    await ws.close(code=1002, reason="protocol error")
                    break
        except ConnectionClosed:
            pass
        finally:
            await self._disconnect(client)
            await cancel_task(client.writer)

    async def _receive(self, client: Client, data: str | bytes) -> None:
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
        if isinstance(data, str) and not client.bucket.take():
            self._rate_limited(client, data)
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
            await self._guard(client, 0, self._upload_chunk(client, message))
            return
        handler = self._handlers.get(type(message))
        if handler is None:  # pragma: no cover - every client message has a handler
            client.outbox.send(
                m.Failed(rid=message.rid, code=ErrorCode.UNKNOWN_TYPE, message="not handled")
            )
            return
        meeting_id = getattr(message, "meeting_id", "")
        await self._guard(client, message.rid, handler(client, message), meeting_id)

    def _rate_limited(self, client: Client, data: str) -> None:
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

    async def _disconnect(self, client: Client) -> None:
        self.clients.pop(client.conn_id, None)
        self._stop_transfers(client)
        self._forget_device(client)
        for meeting_id in list(client.rooms):
            await self._leave_room(client, meeting_id)

    def _stop_transfers(self, client: Client) -> None:
        for upload in list(client.transfers.uploads.values()):
            self._drop_upload(client, upload)
        client.transfers.close()
        client.outbox.close_streams()

    def _forget_device(self, client: Client) -> None:
        if client.identity is not None:
            devices = self.by_device.get(client.identity.device_id)
            if devices is not None:
                devices.discard(client)
                if not devices:
                    del self.by_device[client.identity.device_id]

    # -- helpers -----------------------------------------------------------------------------

    def _joined_room(self, client: Client, meeting_id: str) -> Room[Outbox]:
        room = self.rooms.get(meeting_id)
        if room is None or client.conn_id not in room.attendees:
            raise Refusal(ErrorCode.UNEXPECTED_MESSAGE, "Join the meeting first.")
        return room

    async def _membership(self, client: Client, meeting_id: str) -> m.MeetingInfo:
        return await self.store.run(self.store.meeting_for_member, meeting_id, client.who.user_id)

    def _device_outboxes(self, device_ids: Iterable[str]) -> list[Outbox]:
        return [c.outbox for d in device_ids for c in self.by_device.get(d, ())]

    # -- session -----------------------------------------------------------------------------

    async def _hello(self, client: Client, msg: m.Hello) -> None:
        refusal = version_refusal(msg)
        if refusal is not None:
            client.outbox.send(refusal)
            client.session.close()
            return
        client.outbox.minor = client.session.peer_minor
        client.outbox.deliver(
            client.session.send(
                m.Welcome(
                    rid=msg.rid,
                    major=PROTOCOL_MAJOR,
                    minor=PROTOCOL_MINOR,
                    server=f"furano-relay/{__version__}",
                    max_frame=self.config.max_text_frame,
                    max_chunk=self.config.max_chunk,
                    max_document=self.config.max_document,
                )
            )
        )

    def _admit(self, client: Client, identity: DeviceIdentity) -> None:
        peers = self.by_device.setdefault(identity.device_id, set())
        if len(peers) >= self.config.max_connections_per_device:
            raise Refusal(
                ErrorCode.TOO_MANY_CONNECTIONS,
                f"This device already has {len(peers)} connections open; close one first.",
            )
        peers.add(client)
        client.identity = identity

    async def _enrol(self, client: Client, msg: m.Enrol) -> None:
        identity, token = await self.store.run(
            self.store.enrol, msg.code, msg.device_name, msg.public_keys
        )
        self._admit(client, identity)
        log.info("device %s enrolled for user %s", identity.device_id, identity.user_id)
        admins, uncertified = await self.store.run(self._certification_targets, identity)
        if uncertified:
            frame = encode(m.CertificatesNeeded(devices=tuple(uncertified)))
            fan_out(self._device_outboxes(admins), frame)
        client.outbox.deliver(
            client.session.send(
                m.Enrolled(
                    rid=msg.rid,
                    org_id=identity.org_id,
                    user_id=identity.user_id,
                    device_id=identity.device_id,
                    role=identity.role,
                    display_name=identity.display_name,
                    token=token,
                )
            )
        )

    async def _authenticate(self, client: Client, msg: m.Authenticate) -> None:
        identity = await self.store.run(self.store.authenticate, msg.device_id, msg.token)
        self._admit(client, identity)
        client.outbox.deliver(
            client.session.send(
                m.Authenticated(
                    rid=msg.rid,
                    org_id=identity.org_id,
                    user_id=identity.user_id,
                    device_id=identity.device_id,
                    role=identity.role,
                    display_name=identity.display_name,
                )
            )
        )

    def _certification_targets(
        self, identity: DeviceIdentity
    ) -> tuple[list[str], list[m.DeviceKeyInfo]]:
        """Online-able admin devices of the org, and the new device if it lacks a certificate."""
        mine = [
            d
            for d in self.store.uncertified_devices(identity.org_id)
            if d.device_id == identity.device_id
        ]
        return self.store.admin_devices(identity.org_id), mine

    async def _certify_device(self, client: Client, msg: m.CertifyDevice) -> None:
        if client.who.role != "admin":
            raise Refusal(
                ErrorCode.FORBIDDEN, "Only an administrator's device can certify devices."
            )
        subject = await self.store.run(self.store.identity, msg.device_id)
        if subject.org_id != client.who.org_id:
            raise Refusal(ErrorCode.NOT_FOUND, f"no device {msg.device_id!r}")
        await self.store.run(self.store.certify_device, msg.device_id, msg.certificate)
        client.outbox.send(m.Done(rid=msg.rid))
        # Key holders skip uncertified devices; now that it is certified, ask them again.
        for meeting in await self.store.run(self.store.meetings_for, subject.user_id):
            awaiting = await self.store.run(self.store.devices_awaiting_key, meeting.meeting_id)
            waiting = [d for d in awaiting if d.device_id == msg.device_id]
            if waiting:
                await self._ask_key_holders(meeting.meeting_id, waiting)

    async def _list_uncertified(self, client: Client, msg: m.ListUncertified) -> None:
        if client.who.role != "admin":
            raise Refusal(ErrorCode.FORBIDDEN, "Only an administrator's device sees this list.")
        devices = await self.store.run(self.store.uncertified_devices, client.who.org_id)
        client.outbox.send(m.CertificatesNeeded(rid=msg.rid, devices=tuple(devices)))

    async def _list_device_keys(self, client: Client, msg: m.ListDeviceKeys) -> None:
        await self._membership(client, msg.meeting_id)
        devices = await self.store.run(self.store.member_device_keys, msg.meeting_id)
        if client.outbox.minor < 2:  # cannot page: everything, as before 1.2
            client.outbox.send(
                m.DeviceKeysListed(rid=msg.rid, meeting_id=msg.meeting_id, devices=tuple(devices))
            )
            return
        page = devices[msg.offset :]
        empty = m.DeviceKeysListed(
            rid=msg.rid, meeting_id=msg.meeting_id, devices=(), next_offset=2**53 - 1, more=True
        )
        room = self._room_beside(client, empty)
        # Cheap bound first (base64 is 4/3, the rest of an entry is under 300 bytes): a council's
        # few dozen devices are never measured one by one.
        bound = sum((len(d.public_keys) + len(d.certificate)) * 4 // 3 + 300 for d in page)
        more = bound > room and _fit(page, room)
        client.outbox.send(
            m.DeviceKeysListed(
                rid=msg.rid,
                meeting_id=msg.meeting_id,
                devices=tuple(page),
                next_offset=msg.offset + len(page),
                more=more,
            )
        )

    # -- meetings, presence, presenter -------------------------------------------------------

    async def _list_meetings(self, client: Client, msg: m.ListMeetings) -> None:
        meetings = await self.store.run(self.store.meetings_for, client.who.user_id)
        client.outbox.send(m.MeetingsListed(rid=msg.rid, meetings=tuple(meetings)))

    def _snapshot(
        self, meeting_id: str, identity: DeviceIdentity
    ) -> tuple[
        m.MeetingInfo,
        list[m.MemberInfo],
        list[m.DocumentInfo],
        int,
        bool,
        list[m.DeviceKeyInfo],
        m.PresenterState | None,
    ]:
        store = self.store
        info = store.meeting_for_member(meeting_id, identity.user_id)
        awaiting = store.devices_awaiting_key(meeting_id)
        holds = identity.device_id not in {d.device_id for d in awaiting} and any(
            e.purpose == "meeting" for e in store.envelopes_for(meeting_id, identity.device_id)
        )
        known = meeting_id in self.presenters
        return (
            info,
            store.members(meeting_id),
            store.documents(meeting_id),
            store.last_op_seq(meeting_id, identity.user_id),
            holds,
            awaiting,
            None if known else self._load_presenter(meeting_id),
        )

    def _load_presenter(self, meeting_id: str) -> m.PresenterState | None:
        """The saved state; the first time ever, a saved seq 0, so that after a crash before
        the first lazy save the restarted relay still knows to start above (store thread)."""
        saved = self.store.load_presenter(meeting_id)
        if saved is None:
            with contextlib.suppress(sqlite3.Error):  # a full disk must not stop the meeting
                self.store.save_presenter(meeting_id, m.PresenterState(seq=0))
        return saved

    async def _join(self, client: Client, msg: m.JoinMeeting) -> None:
        who = client.who
        info, members, documents, last_seq, holds, awaiting, saved = await self.store.run(
            self._snapshot, msg.meeting_id, who
        )
        room = self.rooms.get(msg.meeting_id)
        if room is None:
            # The last attendee may have left while the snapshot ran: the state they left
            # behind (``presenters``) is newer than anything the database snapshot holds.
            state = self.presenters.get(msg.meeting_id) or saved
            room = self.rooms[msg.meeting_id] = Room(msg.meeting_id, state)
            self.presenters[msg.meeting_id] = room.presenter
        room.join(
            Attendee(client.conn_id, who.user_id, who.device_id, who.role, msg.following),
            client.outbox,
        )
        client.rooms.add(msg.meeting_id)
        joined = m.MeetingJoined(
            rid=msg.rid,
            meeting=info,
            members=tuple(members),
            presence=room.presence(),
            presenter=room.presenter,
            documents=tuple(documents),
            last_op_seq=last_seq,
            has_key_envelope=holds,
            awaiting_key=tuple(awaiting) if holds else (),
        )
        client.outbox.deliver(self._fit_joined(joined, client.outbox.minor))
        self._announce_presence(room, client, online=True, following=msg.following)
        mine = [d for d in awaiting if d.device_id == who.device_id]
        if mine:
            await self._ask_key_holders(msg.meeting_id, mine)

    def _fit_joined(self, joined: m.MeetingJoined, minor: int) -> str:
        """Encode ``meeting_joined`` within :attr:`max_out`, leaving entries out if it must.

        ``awaiting_key`` goes first (it is advisory: ``list_device_keys`` lists every device,
        and ``key_needed`` names newcomers), then the oldest ``documents``; ``truncated`` says
        so.  Only a room of thousands, or hundreds of documents with large manifests, gets here.
        """
        frame = encode(joined, minor=minor)
        excess = utf8_length(frame) - self.max_out
        if excess <= 0:
            return frame
        awaiting, documents = list(joined.awaiting_key), list(joined.documents)
        margin = 64  # the "truncated" key, and commas
        while excess + margin > 0 and awaiting:
            excess -= encoded_length(awaiting.pop()) + 1
        while excess + margin > 0 and documents:
            excess -= encoded_length(documents.pop(0)) + 1
        fitted = replace(
            joined, awaiting_key=tuple(awaiting), documents=tuple(documents), truncated=True
        )
        log.warning(
            "meeting_joined for %s left out %d awaiting devices and %d documents to fit %d bytes",
            joined.meeting.meeting_id,
            len(joined.awaiting_key) - len(awaiting),
            len(joined.documents) - len(documents),
            self.max_out,
        )
        return encode(fitted, minor=minor)

    async def _ask_key_holders(self, meeting_id: str, waiting: list[m.DeviceKeyInfo]) -> None:
        """Tell every online device that holds the meeting key that ``waiting`` needs it."""
        online = list(self.by_device)
        holders = await self.store.run(self.store.key_holders_among, meeting_id, online)
        frame = encode(m.KeyNeeded(meeting_id=meeting_id, devices=tuple(waiting)))
        fan_out(self._device_outboxes(holders), frame)

    def _announce_presence(
        self, room: Room[Outbox], client: Client, *, online: bool, following: bool
    ) -> None:
        who = client.who
        frame = encode(
            m.PresenceChanged(
                meeting_id=room.meeting_id,
                user_id=who.user_id,
                device_id=who.device_id,
                online=online,
                following=following,
            )
        )
        fan_out(room.outboxes_except(client.conn_id), frame)

    async def _leave(self, client: Client, msg: m.LeaveMeeting) -> None:
        self._joined_room(client, msg.meeting_id)
        await self._leave_room(client, msg.meeting_id)
        client.outbox.send(m.Done(rid=msg.rid))

    async def _leave_room(self, client: Client, meeting_id: str) -> None:
        client.rooms.discard(meeting_id)
        room = self.rooms.get(meeting_id)
        if room is None or room.leave(client.conn_id) is None:
            return
        self._announce_presence(room, client, online=False, following=False)
        if room.is_empty():
            del self.rooms[meeting_id]
            self.presenters[meeting_id] = room.presenter
            if room.unsaved:
                with contextlib.suppress(Exception):
                    await self.store.run(self.store.save_presenter, meeting_id, room.presenter)

    async def _set_following(self, client: Client, msg: m.SetFollowing) -> None:
        room = self._joined_room(client, msg.meeting_id)
        room.set_following(client.conn_id, msg.following)
        client.outbox.send(m.Done(rid=msg.rid))
        self._announce_presence(room, client, online=True, following=msg.following)

    def _broadcast_presenter(self, room: Room[Outbox]) -> None:
        self.presenters[room.meeting_id] = room.presenter
        frame = encode(m.PresenterChanged(meeting_id=room.meeting_id, state=room.presenter))
        fan_out(room.outboxes.values(), frame, coalesce_key=f"presenter:{room.meeting_id}")

    async def _present_page(self, client: Client, msg: m.PresentPage) -> None:
        """Answered by the ``presenter_changed`` broadcast itself (the presenter receives it too)."""
        room = self._joined_room(client, msg.meeting_id)
        room.present(
            client.who.user_id, client.who.role, msg.document_id, msg.version, msg.page, msg.pointer
        )
        self._broadcast_presenter(room)

    async def _request_presenter(self, client: Client, msg: m.RequestPresenter) -> None:
        room = self._joined_room(client, msg.meeting_id)
        frame = encode(m.PresenterRequested(meeting_id=msg.meeting_id, user_id=client.who.user_id))
        targets = [room.outboxes[c] for c in room.moderator_connections()]
        fan_out(targets, frame)
        client.outbox.send(m.Done(rid=msg.rid))

    async def _grant_presenter(self, client: Client, msg: m.GrantPresenter) -> None:
        room = self._joined_room(client, msg.meeting_id)
        members = await self.store.run(self.store.member_ids, msg.meeting_id)
        room.grant(client.who.user_id, client.who.role, msg.user_id, members)
        client.outbox.send(m.Done(rid=msg.rid))
        self._broadcast_presenter(room)

    async def _take_presenter(self, client: Client, msg: m.TakePresenter) -> None:
        room = self._joined_room(client, msg.meeting_id)
        room.take(client.who.user_id, client.who.role)
        client.outbox.send(m.Done(rid=msg.rid))
        self._broadcast_presenter(room)

    # -- documents ---------------------------------------------------------------------------

    async def _begin_upload(self, client: Client, msg: m.BeginUpload) -> None:
        await self._membership(client, msg.meeting_id)
        if client.who.role not in PUBLISHERS:
            raise Refusal(ErrorCode.FORBIDDEN, "Only the clerk's office can publish documents.")
        if msg.size > self.config.max_document:
            raise Refusal(
                ErrorCode.UPLOAD_TOO_LARGE,
                f"The document is {msg.size:,} bytes; this relay accepts up to "
                f"{self.config.max_document:,}.",
            )
        already = await self.store.run(
            self.store.check_publishable, msg.meeting_id, msg.document_id, msg.version, msg.sha256
        )
        if already:
            document = await self.store.run(
                self.store.document, msg.meeting_id, msg.document_id, msg.version
            )
            client.outbox.send(
                m.DocumentPublished(rid=msg.rid, meeting_id=msg.meeting_id, document=document)
            )
            return
        key = transfer_key(msg.meeting_id, msg.document_id, msg.version, msg.sha256)
        claim = self._claim_upload(client, key)
        try:
            partial = await asyncio.to_thread(self.blobs.open_partial, key)
            try:
                if partial.size > msg.size:
                    partial.close()
                    self.blobs.discard(key)
                    partial = await asyncio.to_thread(self.blobs.open_partial, key)
                self.blobs.ensure_space(msg.size - partial.size)
                pending = PendingUpload(
                    key,
                    msg.meeting_id,
                    msg.document_id,
                    msg.version,
                    msg.size,
                    msg.sha256,
                    msg.manifest,
                    client.who.device_id,
                )
                await self.store.run(self.store.save_upload, pending)
            except BaseException:
                partial.close()
                raise
        except BaseException:
            self._release_claim(key, claim)
            raise
        transfer = client.transfers.new_id()
        upload = Upload(transfer, pending, partial, synced=partial.size)
        client.transfers.uploads[transfer] = upload
        claim.upload = upload
        client.outbox.send(
            m.UploadReady(
                rid=msg.rid, transfer=transfer, offset=partial.size, max_chunk=self.config.max_chunk
            )
        )

    def _claim_upload(self, client: Client, key: str) -> UploadClaim:
        """Make ``client`` the one writer of ``key``'s ``.part`` file.

        A newer ``begin_upload`` takes the upload over: the usual reason for two is a clerk
        whose old connection has not timed out yet.  The old transfer stops (its owner gets
        ``failed``/``conflict`` with the transfer id) before the new one opens the file, so
        the file and the running hash of its one writer always agree.
        """
        claim = self.uploading.get(key)
        if claim is not None:
            if claim.upload is None or claim.finishing:
                raise Refusal(
                    ErrorCode.CONFLICT,
                    "This document version is being uploaded or published from another "
                    "connection right now; try again in a moment.",
                )
            owner, taken = claim.client, claim.upload
            self._drop_upload(owner, taken)
            if owner is not client:
                log.info("connection %d takes over an upload", client.conn_id)
                owner.outbox.send(
                    m.Failed(
                        code=ErrorCode.CONFLICT,
                        message="This upload was taken over by another connection.",
                        transfer=taken.transfer,
                        resume_offset=taken.partial.size,
                        meeting_id=taken.pending.meeting_id,
                    )
                )
        claim = self.uploading[key] = UploadClaim(client)
        return claim

    def _release_claim(self, key: str, claim: UploadClaim) -> None:
        if self.uploading.get(key) is claim:
            del self.uploading[key]

    def _drop_upload(self, client: Client, upload: Upload) -> None:
        """Stop a transfer: close its file, ignore chunks still in flight, free its key."""
        upload.partial.close()
        client.transfers.uploads.pop(upload.transfer, None)
        client.transfers.dead.add(upload.transfer)
        claim = self.uploading.get(upload.pending.transfer_key)
        if claim is not None and claim.upload is upload:
            del self.uploading[upload.pending.transfer_key]

    def _fail_upload(self, client: Client, upload: Upload, code: ErrorCode, message: str) -> None:
        """Stop accepting chunks for this transfer; the client resumes with ``begin_upload``."""
        self._drop_upload(client, upload)
        client.outbox.send(
            m.Failed(
                code=code,
                message=message,
                transfer=upload.transfer,
                resume_offset=upload.partial.size,
                meeting_id=upload.pending.meeting_id,
            )
        )

    async def _upload_chunk(self, client: Client, chunk: Chunk) -> None:
        if chunk.kind is not ChunkKind.UPLOAD:  # pragma: no cover - the session refuses these
            raise RemoteProtocolError(
                ErrorCode.UNEXPECTED_MESSAGE, "relay-bound chunks are uploads"
            )
        upload = client.transfers.uploads.get(chunk.transfer)
        if upload is None:
            if chunk.transfer not in client.transfers.dead:
                client.outbox.send(
                    m.Failed(
                        code=ErrorCode.UNKNOWN_TRANSFER,
                        message=f"no upload {chunk.transfer} in progress",
                        transfer=chunk.transfer,
                    )
                )
            return
        partial = upload.partial
        if chunk.offset != partial.size:
            self._fail_upload(
                client,
                upload,
                ErrorCode.CHUNK_OUT_OF_ORDER,
                f"expected the chunk at offset {partial.size}, got {chunk.offset}",
            )
            return
        if not chunk.digest_matches():
            self._fail_upload(
                client,
                upload,
                ErrorCode.CHUNK_HASH_MISMATCH,
                f"the chunk at offset {chunk.offset} does not match its SHA-256",
            )
            return
        if partial.size + len(chunk.payload) > upload.pending.size:
            self._fail_upload(
                client,
                upload,
                ErrorCode.UPLOAD_TOO_LARGE,
                f"more bytes than the announced {upload.pending.size}",
            )
            return
        try:
            partial.append(chunk.payload)
        except OSError as exc:
            reason = storage_failure(exc) or "The relay could not store the chunk."
            log.error("upload write failed: %s", exc)
            self._fail_upload(client, upload, ErrorCode.STORAGE_UNAVAILABLE, reason)
            return
        if partial.size - upload.synced >= self.config.progress_every:
            size = partial.size
            await asyncio.to_thread(partial.sync)
            if client.transfers.uploads.get(upload.transfer) is not upload:
                return  # taken over or cancelled while syncing: nothing to acknowledge
            upload.synced = size
            client.outbox.send(m.UploadProgress(transfer=upload.transfer, offset=size))

    async def _finish_upload(self, client: Client, msg: m.FinishUpload) -> None:
        upload = client.transfers.uploads.get(msg.transfer)
        if upload is None:
            raise Refusal(ErrorCode.UNKNOWN_TRANSFER, f"no upload {msg.transfer} in progress")
        pending, partial = upload.pending, upload.partial
        if partial.size != pending.size:
            raise ProtocolError(
                ErrorCode.UPLOAD_INCOMPLETE,
                f"received {partial.size} of {pending.size} bytes; resume from {partial.size}",
            )
        del client.transfers.uploads[msg.transfer]
        claim = self.uploading.get(pending.transfer_key)
        if claim is not None and claim.upload is upload:
            claim.finishing = True  # nobody may open the file while it is renamed
        else:  # pragma: no cover - a live upload always owns its key
            claim = None
        try:
            document = await self._publish(client, pending, partial)
        finally:
            partial.close()
            if claim is not None:
                self._release_claim(pending.transfer_key, claim)
        log.info(
            "published %s v%d in %s", document.document_id, document.version, pending.meeting_id
        )
        client.outbox.send(
            m.DocumentPublished(rid=msg.rid, meeting_id=pending.meeting_id, document=document)
        )
        room = self.rooms.get(pending.meeting_id)
        if room is not None:
            frame = encode(m.DocumentPublished(meeting_id=pending.meeting_id, document=document))
            fan_out(room.outboxes_except(client.conn_id), frame)

    async def _publish(
        self, client: Client, pending: PendingUpload, partial: PartialUpload
    ) -> m.DocumentInfo:
        """Verify, move into place and record one finished upload."""
        if partial.hexdigest() != pending.sha256:
            partial.close()
            self.blobs.discard(pending.transfer_key)
            await self.store.run(self.store.forget_upload, pending.transfer_key)
            raise Refusal(
                ErrorCode.HASH_MISMATCH,
                "The uploaded bytes do not match the announced SHA-256; nothing was published.",
            )
        # Refuse early what ``publish`` would refuse (another clerk was faster), so no blob is
        # moved into place for nothing; ``publish`` checks again inside its transaction.
        already = await self.store.run(
            self.store.check_publishable,
            pending.meeting_id,
            pending.document_id,
            pending.version,
            pending.sha256,
        )
        if already:  # the same bytes were published meanwhile: nothing to move into place
            partial.close()
            self.blobs.discard(pending.transfer_key)
        else:
            await asyncio.to_thread(self.blobs.commit, partial, pending.sha256)
        return await self.store.run(self.store.publish, pending, client.who.user_id)

    async def _begin_download(self, client: Client, msg: m.BeginDownload) -> None:
        await self._membership(client, msg.meeting_id)
        document = await self.store.run(
            self.store.document, msg.meeting_id, msg.document_id, msg.version
        )
        if document.withdrawn:
            raise Refusal(ErrorCode.NOT_FOUND, "This document was withdrawn by the clerk's office.")
        if msg.offset > document.size:
            raise Refusal(ErrorCode.INVALID_FIELD, "offset is beyond the end of the document")
        transfer = client.transfers.new_id()
        stream = DownloadStream(
            transfer,
            self.blobs.path(document.sha256),
            msg.offset,
            document.size,
            self.config.download_chunk,
        )
        client.outbox.send(
            m.DownloadReady(
                rid=msg.rid,
                transfer=transfer,
                size=document.size,
                sha256=document.sha256,
                offset=msg.offset,
            )
        )
        client.outbox.add_stream(stream)

    async def _cancel_transfer(self, client: Client, msg: m.CancelTransfer) -> None:
        upload = client.transfers.uploads.get(msg.transfer)
        if upload is not None:
            self._drop_upload(client, upload)  # the partial file stays: the upload can resume
        elif not client.outbox.cancel_stream(msg.transfer):
            raise Refusal(ErrorCode.UNKNOWN_TRANSFER, f"no transfer {msg.transfer}")
        client.outbox.send(m.Done(rid=msg.rid))

    async def _withdraw(self, client: Client, msg: m.WithdrawDocument) -> None:
        await self._membership(client, msg.meeting_id)
        if client.who.role not in PUBLISHERS:
            raise Refusal(ErrorCode.FORBIDDEN, "Only the clerk's office can withdraw documents.")
        await self.store.run(self.store.withdraw, msg.meeting_id, msg.document_id)
        client.outbox.send(m.Done(rid=msg.rid))
        room = self.rooms.get(msg.meeting_id)
        if room is not None:
            frame = encode(
                m.DocumentWithdrawn(meeting_id=msg.meeting_id, document_id=msg.document_id)
            )
            fan_out(room.outboxes_except(client.conn_id), frame)

    async def _confirm_receipt(self, client: Client, msg: m.ConfirmReceipt) -> None:
        await self._membership(client, msg.meeting_id)
        await self.store.run(
            self.store.record_receipt, client.who, msg.meeting_id, msg.document_id, msg.version
        )
        client.outbox.send(m.Done(rid=msg.rid))

    async def _list_receipts(self, client: Client, msg: m.ListReceipts) -> None:
        await self._membership(client, msg.meeting_id)
        if client.who.role not in MODERATORS:
            raise Refusal(
                ErrorCode.FORBIDDEN, "Only the chair and the clerk's office see receipts."
            )
        receipts = await self.store.run(self.store.receipts, msg.meeting_id)
        client.outbox.send(
            m.ReceiptsListed(rid=msg.rid, meeting_id=msg.meeting_id, receipts=tuple(receipts))
        )

    # -- key envelopes -----------------------------------------------------------------------

    async def _put_envelopes(self, client: Client, msg: m.PutKeyEnvelopes) -> None:
        await self._membership(client, msg.meeting_id)
        stored = await self.store.run(
            self.store.put_envelopes, msg.meeting_id, msg.envelopes, client.who.device_id
        )
        client.outbox.send(m.Done(rid=msg.rid))
        # The pushes carry what was stored: ``sealed_by`` is the sending device, whatever the
        # client wrote, and envelopes skipped because another device sealed that slot are not
        # pushed at all.
        for device_id in dict.fromkeys(e.device_id for e in stored):
            mine = tuple(e for e in stored if e.device_id == device_id)
            frame = encode(m.KeyEnvelopesDelivered(meeting_id=msg.meeting_id, envelopes=mine))
            fan_out(self._device_outboxes([device_id]), frame)

    async def _get_envelopes(self, client: Client, msg: m.GetKeyEnvelopes) -> None:
        await self._membership(client, msg.meeting_id)
        envelopes = await self.store.run(
            self.store.envelopes_for, msg.meeting_id, client.who.device_id
        )
        client.outbox.send(
            m.KeyEnvelopesDelivered(
                rid=msg.rid, meeting_id=msg.meeting_id, envelopes=tuple(envelopes)
            )
        )

    # -- annotation log ----------------------------------------------------------------------

    def _append(
        self, meeting_id: str, who: DeviceIdentity, ops: tuple[m.NewOp, ...]
    ) -> tuple[list[m.OpResult], list[m.LoggedOp]]:
        self.store.meeting_for_member(meeting_id, who.user_id)
        return self.store.append_ops(meeting_id, who, ops)

    async def _append_ops(self, client: Client, msg: m.AppendOps) -> None:
        results, logged = await self.store.run(self._append, msg.meeting_id, client.who, msg.ops)
        client.outbox.send(
            m.OpsAppended(rid=msg.rid, meeting_id=msg.meeting_id, results=tuple(results))
        )
        room = self.rooms.get(msg.meeting_id)
        if room is None or not logged:
            return
        shared = tuple(op for op in logged if op.visibility == "shared")
        private = tuple(op for op in logged if op.visibility == "private")
        if shared:
            frame = encode(m.OpsAdded(meeting_id=msg.meeting_id, ops=shared))
            fan_out(room.outboxes_except(client.conn_id), frame, sheddable_for=msg.meeting_id)
        if private:
            own = [
                room.outboxes[c]
                for c in room.connections_of({client.who.user_id})
                if c != client.conn_id
            ]
            frame = encode(m.OpsAdded(meeting_id=msg.meeting_id, ops=private))
            fan_out(own, frame, sheddable_for=msg.meeting_id)

    def _fetch(
        self, meeting_id: str, user_id: str, since: int, limit: int
    ) -> tuple[list[m.LoggedOp], bool]:
        self.store.meeting_for_member(meeting_id, user_id)
        return self.store.fetch_ops(meeting_id, user_id, since, limit)

    def _room_beside(self, client: Client, empty: m.Msg) -> int:
        """Bytes left for a paged reply's entries: the frame limit minus the reply without them
        (``empty`` carries the largest values its other fields can take)."""
        return self.max_out - utf8_length(encode(empty, minor=client.outbox.minor))

    async def _list_documents(self, client: Client, msg: m.ListDocuments) -> None:
        """A page of the meeting's documents, oldest first, within :attr:`max_out`.

        For members whose ``meeting_joined`` had to leave documents out; at least one document
        is sent while any remain, so paging with ``next_offset`` always progresses.
        """
        await self._membership(client, msg.meeting_id)
        documents = await self.store.run(self.store.documents, msg.meeting_id)
        page = documents[msg.offset : msg.offset + msg.limit]
        more = msg.offset + len(page) < len(documents)
        empty = m.DocumentsListed(
            rid=msg.rid, meeting_id=msg.meeting_id, documents=(), next_offset=2**53 - 1, more=True
        )
        room = self._room_beside(client, empty)
        more = _fit(page, room) or more
        client.outbox.send(
            m.DocumentsListed(
                rid=msg.rid,
                meeting_id=msg.meeting_id,
                documents=tuple(page),
                next_offset=msg.offset + len(page),
                more=more,
            )
        )

    async def _fetch_ops(self, client: Client, msg: m.FetchOps) -> None:
        """Reply with as many ops as fit one frame of :attr:`max_out` (``more`` if some did not).

        Op payloads may be 64 KiB each, so ``limit`` ops can be far more than one frame holds.
        At least one op is always sent, so a client paging with ``since`` always progresses.
        """
        ops, more = await self.store.run(
            self._fetch, msg.meeting_id, client.who.user_id, msg.since, msg.limit
        )
        empty = m.OpsFetched(
            rid=msg.rid, meeting_id=msg.meeting_id, ops=(), last_seq=2**53 - 1, more=True
        )
        room = self._room_beside(client, empty)
        # Cheap bound first (base64 is 4/3, the rest of an op is ASCII and under 600 bytes):
        # the usual small page is never measured op by op.
        bound = sum(len(op.payload) * 4 // 3 + 600 for op in ops)
        if bound > room:
            more = _fit(ops, room) or more
        client.outbox.send(
            m.OpsFetched(
                rid=msg.rid,
                meeting_id=msg.meeting_id,
                ops=tuple(ops),
                last_seq=ops[-1].seq if ops else msg.since,
                more=more,
            )
        )

    # -- housekeeping ------------------------------------------------------------------------

    async def _watch_admin_changes(self) -> None:
        version = await self.store.run(self.store.data_version)
        while True:
            await asyncio.sleep(self.config.admin_poll_interval)
            try:
                current = await self.store.run(self.store.data_version)
                if current != version:
                    version = current
                    await self.apply_admin_changes()
            except Exception:  # noqa: BLE001 - housekeeping must outlive a bad moment
                log.exception("could not apply administrative changes")

    async def apply_admin_changes(self) -> None:
        """Disconnect revoked devices and drop removed members from their rooms."""
        revoked = await self.store.run(self.store.revoked_among, list(self.by_device))
        for device_id in revoked:
            for client in list(self.by_device.get(device_id, ())):
                await self._revoke(client, device_id)
        for meeting_id, room in list(self.rooms.items()):
            members = await self.store.run(self.store.member_ids, meeting_id)
            for conn_id, attendee in list(room.attendees.items()):
                removed = self.clients.get(conn_id)
                if attendee.user_id not in members and removed is not None:
                    await self._leave_room(removed, meeting_id)
                    removed.outbox.send(
                        m.Failed(
                            code=ErrorCode.FORBIDDEN,
                            message="You were removed from this meeting by the clerk's office.",
                            meeting_id=meeting_id,
                        )
                    )

    async def _revoke(self, client: Client, device_id: str) -> None:
        """Stop serving a revoked device's connection at once, tell it why, and close it.

        Nothing queued for it is sent any more (not the rest of a download, not replies to
        requests it sent before), its uploads stop, it leaves its rooms and no push reaches it;
        a frame it still sends gets ``failed``/``device_revoked`` until the close completes.
        """
        log.info("disconnecting revoked device %s", device_id)
        client.revoked = True
        self._stop_transfers(client)
        self._forget_device(client)
        for meeting_id in list(client.rooms):
            await self._leave_room(client, meeting_id)
        frame = encode(m.DeviceRevoked(device_id=device_id), minor=client.outbox.minor)
        client.outbox.close_now(frame, code=1008, reason="device revoked")

    async def _save_presenters(self) -> None:
        for meeting_id, room in list(self.rooms.items()):
            if room.unsaved:
                room.unsaved = False
                try:
                    await self.store.run(self.store.save_presenter, meeting_id, room.presenter)
                except Exception:  # noqa: BLE001 - a lost page position is not worth a crash
                    room.unsaved = True
                    log.warning("could not save the presenter state of %s", meeting_id)

    async def _save_presenters_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.config.presenter_save_interval)
            await self._save_presenters()


async def run_relay(config: RelayConfig, ready: Callable[[Relay], None] | None = None) -> None:
    """Serve until cancelled (Ctrl+C)."""
    async with Relay(config) as relay:
        if ready is not None:
            ready(relay)
        await asyncio.Future()


def _fit(items: list[Any], room: int) -> bool:
    """Drop the tail of ``items`` that would not fit ``room`` bytes of a reply's list (each
    item costs its encoded length plus a comma); keep at least one, so paging progresses.
    Returns whether anything was dropped."""
    for count, item in enumerate(items):
        room -= encoded_length(item) + 1
        if room < 0 and count > 0:
            del items[count:]
            return True
    return False
