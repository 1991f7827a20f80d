"""The sync engine: keeps the encrypted local store and the relay in step, online or not.

Theory of operation
-------------------
:meth:`SyncEngine.run` is one long-lived task (hosted by qasync in the app, by plain asyncio in
tests and benchmarks).  It loops: connect → authenticate → *catch up* → *stay live* → on any
network failure go offline, wait an exponentially growing, jittered delay, and try again.
Nothing the user does waits for the network:

* **Writes go to the outbox first.**  An annotation is stored locally and its op queued in the
  same SQLCipher transaction; the sender drains the outbox whenever a connection exists.  Each
  op has a client-made id, so an op re-sent after a lost acknowledgement is recognised by the
  relay and acknowledged, not duplicated: delivered exactly once.
* **Catching up** lists the meetings, joins each (the snapshot carries the presenter's page,
  the documents and the newest op sequence number), fetches key envelopes and every op after the
  stored cursor, and queues downloads of documents not yet complete.
* **Staying live** handles pushes (page turns, new or replaced documents, ops, keys) until the
  connection drops.

Keys: a device opens meeting keys sealed to it; a device that holds a key seals it for member
devices that are still waiting, but only after their certificate verifies against the root
fingerprint from the invitation — a relay that substitutes a device key gets nothing.

Failure classes: network trouble is expected (offline, retry); a refusal by the relay is
reported and the loop goes on; a revoked device wipes its store and stops; a document or
envelope that fails verification is refused and reported, never shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from furano_meet.crypto import (
    CryptoError,
    DeviceCertificate,
    MeetingKey,
    PrivateAnnotationKey,
    decrypt_annotation,
    encrypt_annotation,
    issue_device_certificate,
    open_annotation_key,
    open_meeting_key,
    read_annotation_header,
    seal_annotation_key,
    seal_meeting_key,
    verify_device_certificate,
)
from furano_meet.crypto.keys import DevicePublicBundle
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore, StoreError
from furano_meet.store.records import (
    Annotation,
    Document,
    DocumentInfo,
    DocumentState,
    Visibility,
)

from . import documents as docs
from . import private_keys
from .account import Account
from .backoff import Backoff
from .carryover import match_pages
from .events import (
    AnnotationsCarried,
    AnnotationsChanged,
    Connectivity,
    DeviceWiped,
    DocumentIndexed,
    DocumentReady,
    DocumentRefused,
    DocumentWithdrawn,
    DownloadProgress,
    KeyWaiting,
    MeetingAccessLost,
    MeetingShredded,
    Observer,
    PresenceUpdated,
    PresenterMoved,
    StatusChanged,
    SyncEvent,
    SyncStatus,
)
from .follow import FollowState, PageRef
from .receiving import (
    DocumentRefusal,
    Incoming,
    ReceivedDocument,
    document_key,
    look_up,
    receive_document,
    stored_meeting_key,
    verify_stored,
)

log = logging.getLogger("furano.sync")
T = TypeVar("T")

OPS_STREAM = "ops"


class DeviceRevokedError(Exception):
    """The relay says this device was revoked; the local store has been wiped."""


@dataclass(frozen=True, slots=True)
class _PendingOp:
    """The plaintext form of an outbox entry (the outbox lives in the encrypted store)."""

    op_id: str
    annotation_id: str
    meeting_id: str
    document_id: str
    version: int
    page: int
    visibility: str
    kind: str
    content: dict[str, Any]

    def to_bytes(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> _PendingOp:
        return cls(**json.loads(data))


class SyncEngine:
    def __init__(
        self,
        store: LocalStore,
        *,
        ssl_context: ssl.SSLContext | None = None,
        ca_file: str | None = None,
        backoff: Backoff | None = None,
        auto_certify: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        account = Account.load(store)
        if account is None:
            raise ValueError("this profile has no enrolled device yet")
        self.store = store
        self.account = account
        self.ssl_context = ssl_context
        self.ca_file = ca_file or account.ca_file  # a private CA for wss:// (net/tls.py)
        self.backoff = backoff or Backoff()
        self.auto_certify = auto_certify
        self.clock = clock
        self.status = SyncStatus(Connectivity.OFFLINE, "Not connected yet.")
        self.follow: dict[str, FollowState] = {}
        self._observers: list[Observer] = []
        self._conn: RelayConnection | None = None
        self._outbox_wake = asyncio.Event()
        self._private_key_made = asyncio.Lock()
        self._downloads: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()
        self._certificates: dict[str, DeviceCertificate] = {}
        self._sizes: dict[tuple[str, int], int] = {}
        self._stopped = asyncio.Event()
        self._connected = asyncio.Event()
        self._live_tasks: list[asyncio.Task[None]] = []
        self._closing: asyncio.Future[None] | None = None

    # -- observing ---------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def _emit(self, event: SyncEvent) -> None:
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:  # noqa: BLE001 - a broken observer must not stop syncing
                log.exception("sync observer failed on %s", type(event).__name__)

    def _set_status(self, connectivity: Connectivity, message: str, **extra: Any) -> None:
        self.status = SyncStatus(connectivity, message, **extra)
        self._emit(StatusChanged(self.status))

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Store calls leave the event loop: SQLCipher and fsync must never block it."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Sync until :meth:`stop`; survives any number of network failures."""
        await self.enforce_expiry()
        while not self._stopped.is_set():
            self._set_status(Connectivity.CONNECTING, "Connecting to the relay …")
            try:
                conn = await RelayConnection.connect(
                    self.account.relay_url, ssl_context=self.ssl_context, ca_file=self.ca_file
                )
            except RelayError as exc:
                await self._offline(exc)
                continue
            try:
                await self._session(conn)
            except DeviceRevokedError:
                return
            except RelayError as exc:
                if exc.code == "device_revoked":
                    await self.wipe("This device was revoked by an administrator.")
                    return
                await self._offline(exc)
            except StoreError as exc:  # the environment: a full disk, a read-only folder …
                log.warning("local store problem while syncing: %s", exc.code)
                await self._offline(
                    RelayError(exc.code, f"{exc.message} {exc.next_step}".strip()),
                    message=f"{exc.message} {exc.next_step} Retrying in {{delay:.0f}} s.",
                )
            except Exception:  # our bug: log it with context, keep the app syncing
                log.exception("sync session failed")
                await self._offline(RelayError("internal_error", "sync session failed"))
            finally:
                self._connected.clear()
                self._conn = None
                for task in self._live_tasks:
                    task.cancel()
                for task in self._live_tasks:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                self._live_tasks.clear()
                await conn.close()

    async def stop(self) -> None:
        self._stopped.set()
        if self._conn is not None:
            await self._conn.close()

    async def wait_online(self, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def _offline(self, exc: RelayError, *, message: str = "") -> None:
        try:
            pending = await self._db(self.store.outbox_size)
        except StoreError:
            pending = self.status.pending_ops
        delay = self.backoff.next_delay()
        template = message or (
            "The relay cannot be reached — you are working offline. Retrying in {delay:.0f} s."
        )
        self._set_status(Connectivity.OFFLINE, template.format(delay=delay), pending_ops=pending)
        log.info("offline (%s); retrying in %.1f s", exc.code, delay)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stopped.wait()

    async def _session(self, conn: RelayConnection) -> None:
        try:
            await conn.authenticate(self.account.device_id, self.account.token)
        except RelayError as exc:
            if exc.code == "device_revoked":
                await self.wipe("This device was revoked by an administrator.")
                raise DeviceRevokedError from exc
            raise
        self._conn = conn
        self._set_status(Connectivity.SYNCING, "Catching up …", progress=0.0)
        await self._catch_up(conn)
        self.backoff.reset()
        self._connected.set()
        self._live_tasks = [
            asyncio.create_task(self._send_outbox(conn), name="sync-outbox"),
            asyncio.create_task(self._download_worker(conn), name="sync-downloads"),
        ]
        for task in self._live_tasks:
            task.add_done_callback(functools.partial(self._live_task_ended, conn))
        await self._refresh_status()
        async for push in conn.iter_pushes():
            await self._on_push(conn, push)

    def _live_task_ended(self, conn: RelayConnection, task: asyncio.Task[None]) -> None:
        """A sender or downloader that dies ends the session, so the next one restarts it."""
        if task.cancelled() or task.exception() is None:
            return
        log.warning("%s stopped: %r; reconnecting", task.get_name(), task.exception())
        self._closing = asyncio.ensure_future(conn.close())

    async def _refresh_status(self) -> None:
        pending = await self._db(self.store.outbox_size)
        meetings = await self._db(self.store.meetings)
        waiting = tuple(mt.meeting_id for mt in meetings if not mt.has_key and not mt.shredded_at)
        self._set_status(
            Connectivity.ONLINE,
            "Up to date." if not pending else f"Sending {pending} change(s) …",
            pending_ops=pending,
            waiting_for_key=waiting,
        )

    # -- catching up -------------------------------------------------------------------------

    async def _catch_up(self, conn: RelayConnection) -> None:
        listed = await conn.request(m.ListMeetings())
        assert isinstance(listed, m.MeetingsListed)
        for info in listed.meetings:
            await self._db(
                self.store.upsert_meeting,
                info.meeting_id,
                title=info.title,
                starts_at=_parse_time(info.starts_at) or self.clock(),
                expires_at=_parse_time(info.expires_at),
            )
        await self.enforce_expiry()
        for index, info in enumerate(listed.meetings):
            meeting = await self._db(self.store.meeting, info.meeting_id)
            if meeting is None or meeting.shredded_at is not None:
                continue
            await self._join(conn, info.meeting_id)
            self._set_status(
                Connectivity.SYNCING,
                "Catching up …",
                progress=(index + 1) / max(1, len(listed.meetings)),
            )
        if self.account.role == "admin" and self.auto_certify:
            needed = await conn.request(m.ListUncertified())
            assert isinstance(needed, m.CertificatesNeeded)
            await self._certify(conn, needed.devices)

    async def _join(self, conn: RelayConnection, meeting_id: str) -> None:
        follow = self.follow.setdefault(meeting_id, FollowState())
        joined = await conn.request(
            m.JoinMeeting(meeting_id=meeting_id, following=follow.mode.value == "following")
        )
        assert isinstance(joined, m.MeetingJoined)
        self._emit(PresenterMoved(meeting_id, follow.reset(joined.presenter)))
        devices = await self._load_certificates(conn, meeting_id)
        await self._receive_envelopes(conn, meeting_id)
        if joined.awaiting_key:
            await self._seal_for(conn, meeting_id, joined.awaiting_key)
        await self._share_private_key(conn, meeting_id, devices)
        for document in joined.documents:
            await self._on_document(meeting_id, document)
        if joined.truncated and conn.session.peer_minor >= 2:
            await self._list_all_documents(conn, meeting_id)
        await self._fetch_ops(conn, meeting_id)
        for doc in await self._db(self.store.documents, meeting_id):
            if doc.state is DocumentState.DOWNLOADING or _stored_unaccepted(doc):
                self._downloads.put_nowait((meeting_id, doc.doc_id, doc.version))

    async def _list_all_documents(self, conn: RelayConnection, meeting_id: str) -> None:
        """Page through every document of a meeting whose snapshot had to leave some out (it
        keeps the newest); a relay older than protocol 1.2 cannot list them, and only the
        documents in the snapshot are known then."""
        offset = 0
        while True:
            page = await conn.request(m.ListDocuments(meeting_id=meeting_id, offset=offset))
            assert isinstance(page, m.DocumentsListed)
            for document in page.documents:
                await self._on_document(meeting_id, document)
            if not page.more or page.next_offset <= offset:
                return
            offset = page.next_offset

    # -- certificates and keys ---------------------------------------------------------------

    def _verify_certificate(self, info: m.DeviceKeyInfo) -> DeviceCertificate | None:
        """The device's verified certificate, or ``None`` (uncertified, forged or substituted)."""
        if not info.certificate:
            return None
        known = self._certificates.get(info.device_id)
        if (
            known is not None
            and known.encoded == info.certificate
            and known.public_bundle.to_bytes() == info.public_keys
        ):
            return known  # verified before: same certificate, same keys
        try:
            cert = verify_device_certificate(
                info.certificate,
                self.account.root_fingerprint,
                expected_org_id=self.account.org_id,
            )
        except CryptoError as exc:
            log.warning("refusing the certificate of device %s: %s", info.device_id, exc.code)
            return None
        if (cert.device_id, cert.user_id) != (info.device_id, info.user_id):
            log.warning("certificate of %s names another device", info.device_id)
            return None
        if cert.public_bundle.to_bytes() != info.public_keys:
            log.warning("device %s presents keys its certificate does not cover", info.device_id)
            return None
        self._certificates[cert.device_id] = cert
        return cert

    async def _load_certificates(
        self, conn: RelayConnection, meeting_id: str
    ) -> tuple[m.DeviceKeyInfo, ...]:
        """Fetch and verify the member devices' certificates (signature checks off the loop)."""
        devices = await self._device_keys(conn, meeting_id)
        await asyncio.to_thread(lambda: [self._verify_certificate(i) for i in devices])
        return devices

    async def _device_keys(
        self, conn: RelayConnection, meeting_id: str
    ) -> tuple[m.DeviceKeyInfo, ...]:
        """Every member device's keys, in as many pages as the relay's frame limit needs
        (one request to a relay older than protocol 1.2, which cannot page)."""
        devices: list[m.DeviceKeyInfo] = []
        while True:
            listed = await conn.request(
                m.ListDeviceKeys(meeting_id=meeting_id, offset=len(devices))
            )
            assert isinstance(listed, m.DeviceKeysListed)
            devices += listed.devices
            if not listed.more or not listed.devices or conn.session.peer_minor < 2:
                return tuple(devices)

    def _seal_envelopes(
        self,
        devices: tuple[m.DeviceKeyInfo, ...],
        keys: list[MeetingKey],
        private: list[PrivateAnnotationKey],
    ) -> list[m.KeyEnvelope]:
        """Envelopes of the keys we hold for each device whose certificate verifies.

        CPU-bound (HPKE with ML-KEM, certificate signatures): run it in a worker thread.
        A device without a valid certificate gets nothing — that is what stops a relay that
        substitutes device keys.
        """
        envelopes: list[m.KeyEnvelope] = []
        for info in devices:
            cert = self._verify_certificate(info)
            if cert is None or info.device_id == self.account.device_id:
                continue
            envelopes.extend(
                m.KeyEnvelope(
                    device_id=cert.device_id, epoch=key.epoch, envelope=seal_meeting_key(key, cert)
                )
                for key in keys
            )
            if cert.user_id == self.account.user_id:
                envelopes.extend(
                    m.KeyEnvelope(
                        device_id=cert.device_id,
                        epoch=key.epoch,
                        envelope=seal_annotation_key(key, cert),
                        purpose="private",
                    )
                    for key in private
                )
        return envelopes

    async def _meeting_key(self, meeting_id: str, epoch: int | None = None) -> MeetingKey | None:
        """The newest key of a meeting, or the key of one ``epoch`` (older documents need it)."""
        return await self._db(stored_meeting_key, self.store, meeting_id, epoch)

    async def _all_meeting_keys(self, meeting_id: str) -> list[MeetingKey]:
        return [
            MeetingKey(raw, meeting_id=meeting_id, epoch=epoch)
            for epoch, raw in await self._db(self.store.meeting_key_epochs, meeting_id)
        ]

    async def _document_key(self, meeting_id: str, sealed_manifest: bytes) -> MeetingKey | None:
        """The key of the epoch a document was published under (named in its manifest)."""
        return await self._db(document_key, self.store, meeting_id, sealed_manifest)

    async def _private_keys(self, meeting_id: str) -> dict[int, PrivateAnnotationKey]:
        """Every private-annotation key of this member for a meeting (see :mod:`.private_keys`)."""
        return await self._db(private_keys.load, self.store, meeting_id, self.account.user_id)

    async def _receive_envelopes(self, conn: RelayConnection, meeting_id: str) -> None:
        reply = await conn.request(m.GetKeyEnvelopes(meeting_id=meeting_id))
        assert isinstance(reply, m.KeyEnvelopesDelivered)
        await self._open_envelopes(meeting_id, reply.envelopes)
        if await self._meeting_key(meeting_id) is None:
            self._emit(KeyWaiting(meeting_id))

    async def _open_envelopes(self, meeting_id: str, envelopes: tuple[m.KeyEnvelope, ...]) -> None:
        opened_meeting_key = opened_private = False
        for envelope in envelopes:
            if envelope.device_id != self.account.device_id:
                continue
            try:
                if envelope.purpose == "meeting":
                    key = await asyncio.to_thread(
                        open_meeting_key,
                        envelope.envelope,
                        self.account.keys,
                        meeting_id=meeting_id,
                        device_id=self.account.device_id,
                    )
                    stored = await self._db(
                        self.store.set_meeting_key, meeting_id, key.export(), key.epoch
                    )
                    opened_meeting_key = opened_meeting_key or stored
                else:
                    private = await asyncio.to_thread(
                        open_annotation_key,
                        envelope.envelope,
                        self.account.keys,
                        user_id=self.account.user_id,
                        device_id=self.account.device_id,
                    )
                    added = await self._db(private_keys.add, self.store, meeting_id, private)
                    opened_private = opened_private or added
            except CryptoError as exc:
                log.warning("refusing a key envelope for %s: %s", meeting_id, exc.code)
        if opened_meeting_key:
            for doc in await self._db(self.store.documents, meeting_id):
                if doc.state is DocumentState.DOWNLOADING:
                    self._downloads.put_nowait((meeting_id, doc.doc_id, doc.version))
        if (opened_meeting_key or opened_private) and self._conn is not None:
            await self._fetch_ops(self._conn, meeting_id, from_start=True)
            self._outbox_wake.set()  # ops written while the key was missing can go now

    async def _share_private_key(
        self, conn: RelayConnection, meeting_id: str, devices: tuple[m.DeviceKeyInfo, ...]
    ) -> None:
        """Seal this member's private-annotation key to their other certified devices.

        ``key_needed`` only covers devices waiting for the *meeting* key; a member's second
        device that got the meeting key while this one was offline would otherwise never see
        its owner's private notes. Re-sealing on every join is cheap and harmless: the relay
        keeps the first envelope for a slot.
        """
        if not await self._private_keys(meeting_id):
            return
        mine = tuple(
            d
            for d in devices
            if d.user_id == self.account.user_id and d.device_id != self.account.device_id
        )
        if mine:
            await self._seal_for(conn, meeting_id, mine)

    async def _seal_for(
        self, conn: RelayConnection, meeting_id: str, devices: tuple[m.DeviceKeyInfo, ...]
    ) -> None:
        """Seal the keys we hold (every epoch) for waiting devices whose certificates verify."""
        keys = await self._all_meeting_keys(meeting_id)
        private = list((await self._private_keys(meeting_id)).values())
        envelopes = await asyncio.to_thread(self._seal_envelopes, devices, keys, private)
        if envelopes:
            await conn.request(m.PutKeyEnvelopes(meeting_id=meeting_id, envelopes=tuple(envelopes)))

    async def create_meeting_key(self, meeting_id: str) -> None:
        """(Clerk) Make the meeting key and seal it to every certified member device."""
        await self._new_meeting_key(meeting_id, epoch=1)

    async def rotate_meeting_key(self, meeting_id: str) -> int:
        """(Clerk) Start a new key epoch sealed only to the *current* members' active devices.

        Run it after removing a member or revoking a device: whatever is published from now on
        is sealed under a key the removed device never receives. Older documents keep their
        epoch's key, which remaining devices hold (and seal to newcomers).
        """
        current = await self._meeting_key(meeting_id)
        epoch = 1 if current is None else current.epoch + 1
        await self._new_meeting_key(meeting_id, epoch=epoch)
        return epoch

    async def _new_meeting_key(self, meeting_id: str, *, epoch: int) -> None:
        conn = self._require_connection()
        devices = await self._load_certificates(conn, meeting_id)
        if self.account.device_id not in self._certificates:
            raise RelayError(
                "not_certified",
                "This device has no certificate from the organisation yet; ask the administrator.",
            )
        key = MeetingKey.generate(meeting_id, epoch)
        await self._db(self.store.set_meeting_key, meeting_id, key.export(), key.epoch)
        own = m.KeyEnvelope(
            device_id=self.account.device_id,
            epoch=key.epoch,
            envelope=seal_meeting_key(key, self._certificates[self.account.device_id]),
        )
        others = await asyncio.to_thread(self._seal_envelopes, devices, [key], [])
        await conn.request(m.PutKeyEnvelopes(meeting_id=meeting_id, envelopes=(own, *others)))
        await self._refresh_status()

    async def _certify(self, conn: RelayConnection, devices: tuple[m.DeviceKeyInfo, ...]) -> None:
        """(Admin, with ``auto_certify``) certify devices enrolled with a valid one-time code."""
        root = self.account.org_root(self.store)
        if root is None:
            return
        for info in devices:
            if info.certificate:
                continue
            cert = await asyncio.to_thread(
                issue_device_certificate,
                root,
                org_id=self.account.org_id,
                user_id=info.user_id,
                device_id=info.device_id,
                role=info.role,
                public_bundle=DevicePublicBundle.from_bytes(info.public_keys),
            )
            await conn.request(m.CertifyDevice(device_id=info.device_id, certificate=cert))

    # -- pushes ------------------------------------------------------------------------------

    async def _on_push(self, conn: RelayConnection, push: m.Msg) -> None:
        try:
            await self._dispatch(conn, push)
        except RelayError:
            raise
        except CryptoError as exc:
            log.warning("refused %s: %s", push.TYPE, exc.code)
        except Exception:  # noqa: BLE001 - one bad push must not end the session
            log.exception("could not apply %s", push.TYPE)

    async def _dispatch(self, conn: RelayConnection, push: m.Msg) -> None:
        match push:
            case m.PresenterChanged(meeting_id=meeting_id, state=state):
                follow = self.follow.setdefault(meeting_id, FollowState())
                view = follow.on_presenter(state)
                if view is not None:
                    self._emit(PresenterMoved(meeting_id, view))
            case m.PresenceChanged():
                self._emit(
                    PresenceUpdated(
                        push.meeting_id, push.user_id, push.device_id, push.online, push.following
                    )
                )
            case m.DocumentPublished(meeting_id=meeting_id, document=document):
                await self._on_document(meeting_id, document)
                self._downloads.put_nowait((meeting_id, document.document_id, document.version))
            case m.DocumentWithdrawn(meeting_id=meeting_id, document_id=document_id):
                for doc in await self._db(self.store.documents, meeting_id):
                    if doc.doc_id == document_id and doc.state is not DocumentState.WITHDRAWN:
                        await self._db(self.store.withdraw_document, doc.doc_id, doc.version)
                self._emit(DocumentWithdrawn(meeting_id, document_id))
            case m.OpsAdded(meeting_id=meeting_id, ops=ops):
                await self._apply_ops(meeting_id, ops)
            case m.ResyncNeeded(meeting_id=meeting_id):
                await self._fetch_ops(conn, meeting_id)
            case m.KeyNeeded(meeting_id=meeting_id, devices=devices):
                await self._load_certificates(conn, meeting_id)
                await self._seal_for(conn, meeting_id, devices)
            case m.KeyEnvelopesDelivered(meeting_id=meeting_id, envelopes=envelopes):
                await self._open_envelopes(meeting_id, envelopes)
                await self._refresh_status()
            case m.CertificatesNeeded(devices=devices):
                if self.auto_certify:
                    await self._certify(conn, devices)
            case m.DeviceRevoked():
                await self.wipe("This device was revoked by an administrator.")
                raise DeviceRevokedError
            case m.Failed(code="forbidden", meeting_id=meeting_id, message=message) if meeting_id:
                log.warning("no longer a member of %s", meeting_id)
                self._emit(MeetingAccessLost(meeting_id, message))
            case m.Failed(code=code, message=message):
                log.warning("relay reported %s: %s", code, message)
            case _:
                pass

    # -- documents ---------------------------------------------------------------------------

    async def _on_document(self, meeting_id: str, document: m.DocumentInfo) -> None:
        self._sizes[(document.document_id, document.version)] = document.size
        existing = await self._db(self.store.document, document.document_id, document.version)
        if existing is None:
            await self._db(
                self.store.upsert_document,
                DocumentInfo(
                    meeting_id=meeting_id,
                    doc_id=document.document_id,
                    version=document.version,
                    title="",
                    manifest=document.manifest,
                    ciphertext_sha256=bytes.fromhex(document.sha256),
                ),
            )
        if document.withdrawn and (
            existing is None or existing.state is not DocumentState.WITHDRAWN
        ):
            await self._db(self.store.withdraw_document, document.document_id, document.version)

    async def _download_worker(self, conn: RelayConnection) -> None:
        while True:
            meeting_id, doc_id, version = await self._downloads.get()
            try:
                await self._download(conn, meeting_id, doc_id, version)
            except RelayError as exc:
                if exc.code in ("connection_lost", "device_revoked"):
                    raise
                log.warning("download of %s v%d failed: %s", doc_id, version, exc.code)
            except Exception:  # noqa: BLE001 - keep downloading the others
                log.exception("download of %s v%d failed", doc_id, version)

    async def _download(
        self, conn: RelayConnection, meeting_id: str, doc_id: str, version: int
    ) -> None:
        incoming = await self._db(look_up, self.store, doc_id, version)
        if incoming is None:
            return
        doc, key = incoming.doc, incoming.meeting_key
        if not (doc.state is DocumentState.DOWNLOADING or _stored_unaccepted(doc)):
            return
        if key is None:
            return  # retried when the key arrives
        total = self._sizes.get((doc_id, version), 0)

        def progress(received: int) -> None:
            self._emit(DownloadProgress(meeting_id, doc_id, version, received, total))

        log.info("downloading %s v%d from %d", doc_id, version, doc.received_bytes)
        try:
            publisher = await self._publisher(conn, meeting_id, incoming)
            if doc.state is DocumentState.COMPLETE:
                received = await verify_stored(
                    self.store, doc, meeting_key=key, publisher=publisher
                )
            else:
                received = await receive_document(
                    self.store,
                    conn,
                    doc,
                    meeting_key=key,
                    publisher=publisher,
                    opened=incoming.opened,
                    on_progress=progress,
                )
        except DocumentRefusal as exc:
            self._emit(DocumentRefused(meeting_id, doc_id, version, exc.code, exc.message))
            log.warning("refused document %s v%d: %s", doc_id, version, exc.code)
            if doc.state is DocumentState.COMPLETE:
                # The local copy was bad (it has been discarded), not necessarily the relay's:
                # fetch it afresh once now; a refused download waits for the next catch-up.
                self._downloads.put_nowait((meeting_id, doc_id, version))
            return
        await self._accept(meeting_id, doc_id, version, doc.manifest, received)

    async def _publisher(
        self, conn: RelayConnection, meeting_id: str, incoming: Incoming
    ) -> DeviceCertificate:
        """The verified certificate of the device that signed a manifest (fetched if new)."""
        if incoming.publisher_id is None:
            assert incoming.unreadable is not None
            raise DocumentRefusal(incoming.unreadable.code, str(incoming.unreadable))
        publisher_id = incoming.publisher_id
        publisher = self._certificates.get(publisher_id)
        if publisher is None:
            await self._load_certificates(conn, meeting_id)
            publisher = self._certificates.get(publisher_id)
        if publisher is None:
            raise DocumentRefusal(
                "publisher_unverified",
                "The publishing device has no valid certificate from the organisation.",
            )
        return publisher

    async def _accept(
        self,
        meeting_id: str,
        doc_id: str,
        version: int,
        sealed_manifest: bytes,
        received: ReceivedDocument,
    ) -> None:
        """A verified document: describe it, confirm receipt, announce it, then index it."""
        manifest, pdf = received.manifest, received.pdf
        await self._db(
            self.store.upsert_document,
            DocumentInfo(
                meeting_id=meeting_id,
                doc_id=doc_id,
                version=version,
                title=manifest.title,
                manifest=sealed_manifest,
                agenda_item=manifest.agenda_item or None,
                page_count=manifest.page_count,
            ),
        )
        if self._conn is not None:
            with contextlib.suppress(RelayError):
                await self._conn.request(
                    m.ConfirmReceipt(meeting_id=meeting_id, document_id=doc_id, version=version)
                )
        # Ready to open now: text extraction and indexing (~1 ms per page, 0.6 s for a 612-page
        # budget book) come after, still in this download worker, and DocumentIndexed says
        # when search covers the document.
        self._emit(DocumentReady(meeting_id, doc_id, version, manifest.title))
        texts = await asyncio.to_thread(docs.page_texts, pdf)
        del pdf, received  # plaintext lives only in memory, and only as long as needed
        pages = await self._db(self.store.index_pages, doc_id, version, texts)
        self._emit(DocumentIndexed(meeting_id, doc_id, version, pages))
        if version > 1:
            await self._carry_over(meeting_id, doc_id, version)

    async def _carry_over(self, meeting_id: str, doc_id: str, version: int) -> None:
        """Move this user's notes from the newest older version onto unchanged pages."""

        def plan() -> tuple[int, list[Annotation], dict[int, int]] | None:
            older = [
                d.version
                for d in self.store.documents(meeting_id)
                if d.doc_id == doc_id and d.version < version
            ]
            for previous in sorted(older, reverse=True):
                mine = [
                    a
                    for a in self.store.annotations(doc_id, previous)
                    if a.author == self.account.user_id and not a.deleted
                ]
                if mine:
                    pages = match_pages(
                        self.store.page_texts(doc_id, previous),
                        self.store.page_texts(doc_id, version),
                    )
                    return previous, mine, pages
            return None

        found = await self._db(plan)
        if found is None:
            return
        previous, mine, pages = found
        already = {
            json.loads(a.payload).get("carried_from")
            for a in await self._db(self.store.annotations, doc_id, version)
        }
        carried: list[tuple[str, str]] = []
        review: list[str] = []
        for note in mine:
            if note.annotation_id in already:
                continue  # carried before (e.g. the app restarted half-way)
            if note.page_no not in pages:
                review.append(note.annotation_id)
                continue
            content = {**json.loads(note.payload), "carried_from": note.annotation_id}
            new_id = await self.add_annotation(
                meeting_id,
                doc_id,
                version,
                pages[note.page_no],
                content,
                visibility=note.visibility,
            )
            carried.append((note.annotation_id, new_id))
        if carried or review:
            self._emit(
                AnnotationsCarried(
                    meeting_id, doc_id, previous, version, tuple(carried), tuple(review)
                )
            )

    async def open_document(self, doc_id: str, version: int) -> bytearray:
        """The plaintext PDF of a complete cached document (decrypted off the event loop)."""
        doc = await self._db(self.store.document, doc_id, version)
        if doc is None or doc.state is not DocumentState.COMPLETE:
            raise LookupError(f"document {doc_id} v{version} is not available offline")
        key = await self._document_key(doc.meeting_id, doc.manifest)
        if key is None:
            raise LookupError("the meeting key is not available on this device")
        blob = await self._db(self.store.read_blob, doc_id, version)
        return await asyncio.to_thread(
            docs.decrypt_cached, blob, doc.manifest, meeting_key=key, doc_id=doc_id, version=version
        )

    async def publish_document(
        self,
        meeting_id: str,
        pdf: bytes,
        *,
        title: str,
        agenda_item: str = "",
        document_id: str | None = None,
        version: int = 1,
    ) -> m.DocumentInfo:
        """(Clerk) Encrypt, sign and upload a document or a new version of one (差し替え)."""
        conn = self._require_connection()
        key = await self._meeting_key(meeting_id)
        if key is None:
            raise RelayError("no_meeting_key", "Create or receive the meeting key first.")
        prepared = await asyncio.to_thread(
            docs.prepare_upload,
            pdf,
            meeting_key=key,
            keys=self.account.keys,
            device_id=self.account.device_id,
            document_id=document_id or f"doc-{uuid.uuid4().hex[:16]}",
            version=version,
            title=title,
            agenda_item=agenda_item,
        )
        return await conn.upload(
            meeting_id=meeting_id,
            document_id=prepared.manifest.doc_id,
            version=version,
            data=prepared.blob,
            manifest=prepared.sealed_manifest,
            sha256=prepared.manifest.ciphertext_sha256,  # the encryptor's digest: no second pass
        )

    # -- annotations -------------------------------------------------------------------------

    async def add_annotation(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        content: dict[str, Any],
        *,
        visibility: Visibility = Visibility.PRIVATE,
    ) -> str:
        """Store an annotation now and queue it for the relay; works offline."""
        annotation_id = f"a-{uuid.uuid4().hex}"
        op = _PendingOp(
            op_id=annotation_id,
            annotation_id=annotation_id,
            meeting_id=meeting_id,
            document_id=document_id,
            version=version,
            page=page,
            visibility=visibility.value,
            kind="add",
            content=content,
        )
        now = self.clock()
        annotation = Annotation(
            annotation_id=annotation_id,
            meeting_id=meeting_id,
            doc_id=document_id,
            version=version,
            page_no=page,
            visibility=visibility,
            author=self.account.user_id,
            payload=json.dumps(content, ensure_ascii=False).encode(),
            created_at=now,
            updated_at=now,
        )

        def write() -> None:
            with self.store.atomic():
                self.store.put_annotation(annotation)
                self.store.enqueue(op.op_id, "op", op.to_bytes(), meeting_id=meeting_id)

        await self._db(write)
        self._outbox_wake.set()
        self._emit(AnnotationsChanged(meeting_id, (annotation_id,)))
        return annotation_id

    async def delete_annotation(self, annotation_id: str) -> None:
        annotation = await self._db(self.store.annotation, annotation_id)
        if annotation is None:
            raise LookupError(annotation_id)
        op = _PendingOp(
            op_id=f"{annotation_id}.del",
            annotation_id=annotation_id,
            meeting_id=annotation.meeting_id,
            document_id=annotation.doc_id,
            version=annotation.version,
            page=annotation.page_no,
            visibility=annotation.visibility.value,
            kind="delete",
            content={},
        )

        def write() -> None:
            with self.store.atomic():
                self.store.delete_annotation(annotation_id, self.clock())
                self.store.enqueue(op.op_id, "op", op.to_bytes(), meeting_id=op.meeting_id)

        await self._db(write)
        self._outbox_wake.set()
        self._emit(AnnotationsChanged(annotation.meeting_id, (annotation_id,)))

    async def _encrypt_op(self, op: _PendingOp) -> m.NewOp | None:
        """Encrypt at send time: the key may have arrived after the note was written offline."""
        payload = json.dumps(
            {"annotation_id": op.annotation_id, "content": op.content}, ensure_ascii=False
        ).encode()
        if op.visibility == "shared":
            key: MeetingKey | PrivateAnnotationKey | None = await self._meeting_key(op.meeting_id)
        else:
            key = await self._ensure_private_key(op.meeting_id)
        if key is None:
            return None
        return m.NewOp(
            op_id=op.op_id,
            document_id=op.document_id,
            version=op.version,
            page=op.page,
            visibility="shared" if op.visibility == "shared" else "private",
            kind="delete" if op.kind == "delete" else "add",
            payload=encrypt_annotation(
                payload, key, meeting_id=op.meeting_id, annotation_id=op.op_id
            ),
        )

    async def _ensure_private_key(self, meeting_id: str) -> PrivateAnnotationKey | None:
        async with self._private_key_made:  # two callers at once must not make two keys
            held = await self._private_keys(meeting_id)
            if held:
                return private_keys.writing_key(held)
            # None yet: another device of this member may have made one while we were apart;
            # both are kept once they meet (see .private_keys), so no note becomes unreadable.
            key = private_keys.new_key(self.account.user_id, set(held))
            await self._db(private_keys.add, self.store, meeting_id, key)
        if self._conn is not None:  # share it with this member's other devices
            # Best effort: the key is stored, and every join shares it again.
            with contextlib.suppress(RelayError):
                listed = await self._device_keys(self._conn, meeting_id)
                mine = tuple(d for d in listed if d.user_id == self.account.user_id)
                await self._seal_for(self._conn, meeting_id, mine)
        return key

    async def _send_outbox(self, conn: RelayConnection) -> None:
        while True:
            entries = await self._db(self.store.peek, 200)
            if not entries:
                await self._refresh_status()
                self._outbox_wake.clear()
                await self._outbox_wake.wait()
                continue
            by_meeting: dict[str, list[m.NewOp]] = {}
            blocked: set[str] = set()
            for entry in entries:
                op = _PendingOp.from_bytes(entry.payload)
                if op.meeting_id in blocked:
                    continue  # keep per-meeting order: nothing overtakes a blocked op
                new_op = await self._encrypt_op(op)
                if new_op is None:
                    blocked.add(op.meeting_id)
                    continue
                by_meeting.setdefault(op.meeting_id, []).append(new_op)
            if not by_meeting:
                self._outbox_wake.clear()
                await self._outbox_wake.wait()  # woken when a key arrives or a new op is added
                continue
            for meeting_id, ops in by_meeting.items():
                reply = await conn.request(m.AppendOps(meeting_id=meeting_id, ops=tuple(ops)))
                assert isinstance(reply, m.OpsAppended)

                def acknowledge(results: tuple[m.OpResult, ...] = reply.results) -> None:
                    with self.store.atomic():
                        for result in results:
                            annotation_id = result.op_id.removesuffix(".del")
                            if self.store.annotation(annotation_id) is not None:
                                self.store.set_annotation_seq(annotation_id, result.seq)
                        self.store.ack([r.op_id for r in results])

                await self._db(acknowledge)

    async def _fetch_ops(
        self, conn: RelayConnection, meeting_id: str, *, from_start: bool = False
    ) -> None:
        cursor: int | None = await self._db(self.store.sync_cursor, meeting_id, OPS_STREAM)
        since = 0 if from_start or cursor is None else cursor
        while True:
            page = await conn.request(m.FetchOps(meeting_id=meeting_id, since=since, limit=500))
            assert isinstance(page, m.OpsFetched)
            await self._apply_ops(meeting_id, page.ops)
            since = page.last_seq
            if not page.more:
                return

    async def _apply_ops(self, meeting_id: str, ops: tuple[m.LoggedOp, ...]) -> None:
        """Decrypt and store ops from the log.

        The cursor advances only up to the first op whose key this device does not hold yet, so
        that op is fetched again once the key arrives; ops after it that can be opened are
        applied now (storing one twice is harmless). An op that fails to decrypt *with* the
        right key is refused and skipped: waiting will not fix it.
        """
        if not ops:
            return
        keys_by_visibility: dict[str, dict[int, MeetingKey | PrivateAnnotationKey]] = {
            "shared": {k.epoch: k for k in await self._all_meeting_keys(meeting_id)},
            "private": dict(await self._private_keys(meeting_id)),
        }
        records: list[tuple[m.LoggedOp, dict[str, Any]]] = []
        cursor, blocked = 0, False
        for op in ops:
            held = keys_by_visibility["shared" if op.visibility == "shared" else "private"]
            key: MeetingKey | PrivateAnnotationKey | None
            try:
                key = held.get(read_annotation_header(op.payload)[2])
            except CryptoError:
                key = next(reversed(held.values()), None)  # refused below
            if key is None:
                blocked = True  # fetched again from here once the key arrives
                continue
            if not blocked:
                cursor = op.seq  # later ops are applied now anyway; applying twice is harmless
            try:
                plain = decrypt_annotation(
                    op.payload, key, meeting_id=meeting_id, annotation_id=op.op_id
                )
                records.append((op, json.loads(plain)))
            except (CryptoError, ValueError) as exc:
                log.warning("refusing op %s: %s", op.op_id, getattr(exc, "code", exc))

        def write() -> list[str]:
            changed: list[str] = []
            with self.store.atomic():
                for op, body in records:
                    annotation_id = str(body.get("annotation_id", op.op_id))
                    logged = _parse_time(op.logged_at) or self.clock()
                    if op.kind == "delete":
                        if self.store.annotation(annotation_id) is not None:
                            self.store.delete_annotation(annotation_id, logged)
                    else:
                        self.store.put_annotation(
                            Annotation(
                                annotation_id=annotation_id,
                                meeting_id=meeting_id,
                                doc_id=op.document_id,
                                version=op.version,
                                page_no=op.page,
                                visibility=Visibility(op.visibility),
                                author=op.author_user_id,
                                payload=json.dumps(
                                    body.get("content", {}), ensure_ascii=False
                                ).encode(),
                                created_at=logged,
                                updated_at=logged,
                                server_seq=op.seq,
                            )
                        )
                    changed.append(annotation_id)
                if cursor:
                    self.store.advance_cursor(meeting_id, OPS_STREAM, cursor)
            return changed

        changed = await self._db(write)
        if changed:
            self._emit(AnnotationsChanged(meeting_id, tuple(changed)))

    # -- presenting and following ------------------------------------------------------------

    async def present_page(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        pointer: m.Pointer | None = None,
    ) -> None:
        conn = self._require_connection()
        await conn.send(
            m.PresentPage(
                meeting_id=meeting_id,
                document_id=document_id,
                version=version,
                page=page,
                pointer=pointer,
            )
        )

    async def browse(self, meeting_id: str, page: PageRef) -> None:
        follow = self.follow.setdefault(meeting_id, FollowState())
        was_following = follow.mode.value == "following"
        self._emit(PresenterMoved(meeting_id, follow.browse(page)))
        if was_following and self._conn is not None:
            with contextlib.suppress(RelayError):
                await self._conn.request(m.SetFollowing(meeting_id=meeting_id, following=False))

    async def follow_presenter(self, meeting_id: str) -> None:
        follow = self.follow.setdefault(meeting_id, FollowState())
        self._emit(PresenterMoved(meeting_id, follow.follow()))
        if self._conn is not None:
            with contextlib.suppress(RelayError):
                await self._conn.request(m.SetFollowing(meeting_id=meeting_id, following=True))

    # -- expiry and wiping -------------------------------------------------------------------

    async def enforce_expiry(self) -> list[str]:
        """閲覧期限: destroy the keys and cached documents of expired meetings (works offline)."""
        expired = await self._db(self.store.expired_meetings, self.clock())
        for meeting_id in expired:
            await self._db(self.store.shred_meeting, meeting_id)
            await self._db(private_keys.forget, self.store, meeting_id)
            self._emit(MeetingShredded(meeting_id))
        return expired

    async def wipe(self, reason: str) -> None:
        """Remove the database, its key and every cached file of this profile."""
        log.warning("wiping this device: %s", reason)
        self._stopped.set()
        await self._db(self.store.wipe)
        self._set_status(Connectivity.WIPED, reason)
        self._emit(DeviceWiped(reason))

    def _require_connection(self) -> RelayConnection:
        if self._conn is None:
            raise RelayError("offline", "This needs a connection to the relay; you are offline.")
        return self._conn


def _stored_unaccepted(doc: Document) -> bool:
    """Downloaded, but the app stopped before the document was verified, described and indexed
    (only a verified manifest gives the page count, and a published PDF has at least one page):
    finish that from the stored blob."""
    return doc.state is DocumentState.COMPLETE and doc.page_count == 0


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
