"""The sync loop: connect, authenticate, catch up, stay live, and go offline calmly.

Theory of operation
-------------------
:meth:`SyncLoop.run` is one long-lived task (hosted by qasync in the app, by plain asyncio in
tests and benchmarks). It loops: connect → authenticate → *catch up* → *stay live* → on any
network failure go offline, wait an exponentially growing, jittered delay, and try again.
Nothing the user does waits for the network (annotations go to the outbox first, see
:mod:`.notes`).

* **Catching up** lists the meetings, joins each (the snapshot carries members, presence, the
  presenter's page, the documents and the newest op sequence number), fetches key envelopes
  and every op after the stored cursor, and queues downloads of documents not yet received.
* **Staying live** runs the outbox sender and the download worker beside the push handler
  (page turns, new or replaced documents, ops, keys) until the connection drops. The session
  is over — its live tasks stopped, the connection gone — before the status says offline, so
  nothing runs against a dead connection while the loop waits to retry.

The loop is the one place that composes the parts: when keys arrive (:class:`.keys.Opened`)
it is the loop that queues the downloads they unlock and fetches the ops again.

Failure classes: network trouble is expected (offline, retry); a refusal by the relay is
reported and the loop goes on; store trouble (a full disk) is the environment's and says so
in the status; a revoked device wipes its store and stops (:class:`DeviceRevokedError`); a
document or envelope that fails verification is refused and reported, never shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl

from furano_meet.crypto import CryptoError
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store import StoreError

from . import private_keys
from .backoff import Backoff
from .context import SyncContext, parse_time
from .events import Connectivity, DeviceWiped, MeetingAccessLost, MeetingShredded
from .keys import Keys, Opened
from .library import Library
from .notes import Notes
from .presenting import Presenting
from .recovery import Recovery

log = logging.getLogger("furano.sync")

REVOKED = "This device was revoked by an administrator."


class DeviceRevokedError(FuranoError):
    """The relay says this device was revoked; the local store has been wiped.

    The environment's fault: nothing is wrong with the program, the person or the data — an
    administrator took the device out of service, and the way on is outside the app.
    """

    code = "device_revoked"
    fault = Fault.ENVIRONMENT

    def __init__(self) -> None:
        super().__init__(REVOKED, "Ask the administrator for a new invitation for this device.")


class SyncLoop:
    def __init__(
        self,
        ctx: SyncContext,
        *,
        keys: Keys,
        notes: Notes,
        library: Library,
        presenting: Presenting,
        recovery: Recovery,
        backoff: Backoff,
        auto_certify: bool,
        ssl_context: ssl.SSLContext | None,
        ca_file: str | None = None,
    ) -> None:
        self._ctx = ctx
        self._keys = keys
        self._notes = notes
        self._library = library
        self._presenting = presenting
        self._recovery = recovery
        self.backoff = backoff
        self.auto_certify = auto_certify
        self.ssl_context = ssl_context
        self.ca_file = ca_file
        self._stopped = asyncio.Event()
        self._connected = asyncio.Event()
        self._live_tasks: list[asyncio.Task[None]] = []
        self._closing: asyncio.Future[None] | None = None

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Sync until :meth:`stop`; survives any number of network failures."""
        await self.enforce_expiry()
        while not self._stopped.is_set():
            self._ctx.set_status(Connectivity.CONNECTING, "Connecting to the relay …")
            try:
                conn = await RelayConnection.connect(
                    self._ctx.account.relay_url, ssl_context=self.ssl_context, ca_file=self.ca_file
                )
            except RelayError as exc:
                await self._offline(exc.code)
                continue
            try:
                failure = await self._session_until_it_fails(conn)
            finally:
                await self._end_session(conn)
            if failure is None:
                return
            await self._offline(*failure)

    async def _session_until_it_fails(self, conn: RelayConnection) -> tuple[str, str] | None:
        """Run a session; say why it ended (a code, and a status message or ``""`` for the
        usual one), or ``None`` when this device was revoked and wiped."""
        try:
            await self._session(conn)
        except DeviceRevokedError:
            return None
        except RelayError as exc:
            if exc.code == "device_revoked":
                await self.wipe(REVOKED)
                return None
            return exc.code, ""
        except StoreError as exc:  # the environment: a full disk, a read-only folder …
            log.warning("local store problem while syncing: %s", exc.code)
            return exc.code, f"{exc.message} {exc.next_step} Retrying in {{delay:.0f}} s."
        except Exception:  # our bug: log it with context, keep the app syncing
            log.exception("sync session failed")
            return "internal_error", ""
        return "connection_lost", ""

    async def stop(self) -> None:
        self._stopped.set()
        if self._ctx.conn is not None:
            await self._ctx.conn.close()

    async def wait_online(self, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def _offline(self, code: str, message: str = "") -> None:
        try:
            pending = await self._ctx.db(self._ctx.store.outbox_size)
        except StoreError:
            pending = self._ctx.status.pending_ops
        delay = self.backoff.next_delay()
        template = message or (
            "The relay cannot be reached — you are working offline. Retrying in {delay:.0f} s."
        )
        self._ctx.set_status(
            Connectivity.OFFLINE, template.format(delay=delay), pending_ops=pending
        )
        log.info("offline (%s); retrying in %.1f s", code, delay)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stopped.wait()

    async def _session(self, conn: RelayConnection) -> None:
        try:
            await conn.authenticate(self._ctx.account.device_id, self._ctx.account.token)
        except RelayError as exc:
            if exc.code == "device_revoked":
                await self.wipe(REVOKED)
                raise DeviceRevokedError from exc
            raise
        self._ctx.conn = conn
        self._ctx.set_status(Connectivity.SYNCING, "Catching up …", progress=0.0)
        await self._catch_up(conn)
        self.backoff.reset()
        self._connected.set()
        self._live_tasks = [
            asyncio.create_task(self._notes.send_outbox(conn), name="sync-outbox"),
            asyncio.create_task(self._library.download_worker(conn), name="sync-downloads"),
            asyncio.create_task(self._recovery.keep_current(conn), name="sync-recovery"),
        ]
        for task in self._live_tasks:
            task.add_done_callback(functools.partial(self._live_task_ended, conn))
        await self._ctx.refresh_status()
        async for push in conn.iter_pushes():
            await self._on_push(conn, push)

    def _live_task_ended(self, conn: RelayConnection, task: asyncio.Task[None]) -> None:
        """A sender or downloader that dies ends the session, so the next one restarts it."""
        if task.cancelled() or task.exception() is None:
            return
        log.warning("%s stopped: %r; reconnecting", task.get_name(), task.exception())
        self._closing = asyncio.ensure_future(conn.close())

    async def _end_session(self, conn: RelayConnection) -> None:
        self._connected.clear()
        self._ctx.conn = None
        self._presenting.left_all()
        for task in self._live_tasks:
            task.cancel()
        for task in self._live_tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._live_tasks.clear()
        await conn.close()

    # -- catching up -------------------------------------------------------------------------

    async def _catch_up(self, conn: RelayConnection) -> None:
        ctx = self._ctx
        listed = await conn.request(m.ListMeetings())
        assert isinstance(listed, m.MeetingsListed)
        for info in listed.meetings:
            await ctx.db(
                ctx.store.upsert_meeting,
                info.meeting_id,
                title=info.title,
                starts_at=parse_time(info.starts_at) or ctx.clock(),
                expires_at=parse_time(info.expires_at),
            )
        await self.enforce_expiry()
        for index, info in enumerate(listed.meetings):
            meeting = await ctx.db(ctx.store.meeting, info.meeting_id)
            if meeting is None or meeting.shredded_at is not None:
                continue
            await self._join(conn, info.meeting_id)
            ctx.set_status(
                Connectivity.SYNCING,
                "Catching up …",
                progress=(index + 1) / max(1, len(listed.meetings)),
            )
        if ctx.account.role == "admin" and self.auto_certify:
            needed = await conn.request(m.ListUncertified())
            assert isinstance(needed, m.CertificatesNeeded)
            await self._keys.certify(conn, needed.devices)

    async def _join(self, conn: RelayConnection, meeting_id: str) -> None:
        following = self._presenting.is_following(meeting_id)
        joined = await conn.request(m.JoinMeeting(meeting_id=meeting_id, following=following))
        assert isinstance(joined, m.MeetingJoined)
        await self._presenting.joined(joined, following=following)
        self._keys.joined(joined)
        await self._keys.trust.roster_received(meeting_id, joined.roster, joined.roster_signer)
        devices = await self._keys.load_certificates(conn, meeting_id)
        opened = await self._keys.receive_envelopes(conn, meeting_id)
        await self._keys_arrived(conn, meeting_id, opened)
        if joined.awaiting_key:
            await self._keys.seal_for(conn, meeting_id, joined.awaiting_key)
        await self._keys.share_private_key(conn, meeting_id, devices)
        for document in joined.documents:
            await self._library.announce(meeting_id, document)
        if joined.truncated and conn.session.peer_minor >= 2:
            await self._library.announce_all(conn, meeting_id)
        await self._notes.fetch(conn, meeting_id)
        await self._library.queue_unfinished(meeting_id)

    async def _keys_arrived(self, conn: RelayConnection, meeting_id: str, opened: Opened) -> None:
        """A new meeting key unlocks waiting downloads; any new key, ops that could not be
        opened (fetched again from the start) and ops written while it was missing."""
        if opened.meeting_key:
            await self._library.queue_unfinished(meeting_id)
        if opened:
            await self._notes.fetch(conn, meeting_id, from_start=True)
            self._notes.wake_outbox()

    async def private_keys_restored(self, meeting_ids: list[str]) -> None:
        """Keys from the recovery box: fetch those meetings' ops again, as for any new key."""
        conn = self._ctx.conn
        if conn is None:
            return  # the next catch-up fetches every op its cursor has not passed
        for meeting_id in meeting_ids:
            await self._keys_arrived(conn, meeting_id, Opened(private_key=True))

    # -- pushes ------------------------------------------------------------------------------

    async def _on_push(self, conn: RelayConnection, push: m.Msg) -> None:
        try:
            await self._dispatch(conn, push)
        except (RelayError, DeviceRevokedError):
            raise
        except CryptoError as exc:
            log.warning("refused %s: %s", push.TYPE, exc.code)
        except Exception:  # noqa: BLE001 - one bad push must not end the session
            log.exception("could not apply %s", push.TYPE)

    async def _dispatch(self, conn: RelayConnection, push: m.Msg) -> None:
        match push:
            case m.PresenterChanged(meeting_id=meeting_id, state=state):
                await self._presenting.presenter_changed(meeting_id, state)
            case m.PresenceChanged():
                self._presenting.presence_changed(push)
            case m.PresenterRequested():
                self._presenting.presenter_requested(push)
            case m.DocumentPublished(meeting_id=meeting_id, document=document):
                await self._library.published(meeting_id, document)
            case m.DocumentWithdrawn(meeting_id=meeting_id, document_id=document_id):
                await self._library.withdrawn(meeting_id, document_id)
            case m.OpsAdded(meeting_id=meeting_id, ops=ops):
                await self._notes.apply(meeting_id, ops)
            case m.ResyncNeeded(meeting_id=meeting_id):
                await self._notes.fetch(conn, meeting_id)
            case m.RosterChanged(meeting_id=meeting_id, roster=roster, signer_certificate=signer):
                await self._keys.trust.roster_received(meeting_id, roster, signer)
            case m.KeyNeeded(meeting_id=meeting_id, devices=devices):
                await self._keys.load_certificates(conn, meeting_id)
                await self._keys.seal_for(conn, meeting_id, devices)
            case m.KeyEnvelopesDelivered(meeting_id=meeting_id, envelopes=envelopes):
                opened = await self._keys.open_envelopes(meeting_id, envelopes)
                await self._keys_arrived(conn, meeting_id, opened)
                await self._ctx.refresh_status()
            case m.CertificatesNeeded(devices=devices):
                if self.auto_certify:
                    await self._keys.certify(conn, devices)
            case m.DeviceRevoked():
                await self.wipe(REVOKED)
                raise DeviceRevokedError
            case m.Failed(code="forbidden", meeting_id=meeting_id, message=message) if meeting_id:
                # Only a push (rid 0) gets here: the relay removed this user from the meeting.
                # A refused request, a page turn included, is its caller's to handle.
                log.warning("no longer a member of %s", meeting_id)
                self._ctx.emit(MeetingAccessLost(meeting_id, message))
            case m.Failed(code=code, message=message):
                log.warning("relay reported %s: %s", code, message)
            case _:
                pass

    # -- expiry and wiping -------------------------------------------------------------------

    async def enforce_expiry(self) -> list[str]:
        """閲覧期限: destroy the keys and cached documents of expired meetings (works offline)."""
        ctx = self._ctx
        expired = await ctx.db(ctx.store.expired_meetings, ctx.clock())
        for meeting_id in expired:
            await ctx.db(ctx.store.shred_meeting, meeting_id)
            await ctx.db(private_keys.forget, ctx.store, meeting_id)
            ctx.emit(MeetingShredded(meeting_id))
        return expired

    async def wipe(self, reason: str) -> None:
        """Remove the database, its key and every cached file of this profile."""
        log.warning("wiping this device: %s", reason)
        self._stopped.set()
        await self._ctx.db(self._ctx.store.wipe)
        self._ctx.set_status(Connectivity.WIPED, reason)
        self._ctx.emit(DeviceWiped(reason))
