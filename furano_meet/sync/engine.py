"""The sync engine: keeps the encrypted local store and the relay in step, online or not.

:class:`SyncEngine` is what the app (and the CLI, the demo and the benchmarks) holds. It is a
thin facade over the engine's parts, each a module of its own, composed here and by the loop:

===================  ========================================================================
:mod:`.context`      the store hop, events, the status and the connection every part shares
:mod:`.observers`    event delivery through one queue per observer: observers never stall sync
:mod:`.keys`         certificates, meeting keys and private-annotation keys
:mod:`.notes`        annotations: the outbox, the op log, carrying notes over (差し替え)
:mod:`.receiving`    the receiving pipeline of one document version (also run by the benchmark)
:mod:`.library`      documents: announce, download, accept, open, publish
:mod:`.delivery`     the clerk's desk: withdraw a document, who holds which version (受領確認)
:mod:`.presenting`   the room: presenter, following, members, presence, presenter intents
:mod:`.queries`      immutable read models of the store for screens
:mod:`.recovery`     the recovery code: private-note keys kept in a box the relay cannot open
:mod:`.loop`         connect, catch up, stay live, go offline; the one place that composes
===================  ========================================================================

Everything here is called on the event loop and never blocks it: store calls, cryptography
and PDF work run in worker threads. Events reach observers through :meth:`subscribe`; state a
screen shows comes from :meth:`view` and the async queries, never from the store directly.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from furano_meet.annotations import AnnotationBody
from furano_meet.crypto import UsageError
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore, SearchHit
from furano_meet.store.records import Visibility
from furano_meet.store.seen_marks import ReviewNote

from . import admin, queries
from .account import Account
from .admin import PendingDevice
from .backoff import Backoff
from .context import SyncContext
from .delivery import Delivery, DeliveryReport
from .documents import CheckedPdf
from .events import SyncStatus
from .follow import PageRef
from .keys import Keys
from .library import Library
from .loop import DeviceRevokedError, SyncLoop
from .notes import Notes
from .observers import Observer
from .policy import ExportRule, export_rule
from .presenting import MeetingView, PresenterRefused, Presenting
from .queries import AnnotationView, DocumentSummary, MeetingSummary
from .recovery import Recovery

__all__ = [
    "AnnotationView",
    "DeviceRevokedError",
    "DocumentSummary",
    "MeetingSummary",
    "MeetingView",
    "PresenterRefused",
    "SyncEngine",
]


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
        self.account = account
        self.ca_file = ca_file or account.ca_file
        """The private CA a ``wss://`` relay is checked against (``None``: the system's store)."""
        self._ctx = SyncContext(store, account, clock)
        self._keys = Keys(self._ctx)
        self._notes = Notes(self._ctx, self._keys)
        self._library = Library(self._ctx, self._keys, self._notes)
        self._presenting = Presenting(self._ctx)
        self._recovery = Recovery(self._ctx)
        self._delivery = Delivery(self._ctx, self._keys, self._library, self._presenting)
        self._loop = SyncLoop(
            self._ctx,
            keys=self._keys,
            notes=self._notes,
            library=self._library,
            presenting=self._presenting,
            recovery=self._recovery,
            backoff=backoff or Backoff(),
            auto_certify=auto_certify,
            ssl_context=ssl_context,
            ca_file=self.ca_file,
        )

    # -- state and events --------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._ctx.status

    @property
    def auto_certify(self) -> bool:
        return self._loop.auto_certify

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._ctx.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self._ctx.clock = clock

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Receive every later event (a plain callable or a coroutine function); returns the
        function that unsubscribes. See :mod:`.observers` for the delivery contract."""
        return self._ctx.events.subscribe(observer)

    async def events_delivered(self) -> None:
        """Wait until every event emitted so far has reached every observer."""
        await self._ctx.events.drained()

    def view(self, meeting_id: str) -> MeetingView:
        """An immutable snapshot of a meeting's room (presenter, page, following, people)."""
        return self._presenting.view(meeting_id)

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Sync until :meth:`stop`; survives any number of network failures."""
        await self._loop.run()

    async def stop(self) -> None:
        await self._loop.stop()

    async def wait_online(self, timeout: float = 30.0) -> None:
        await self._loop.wait_online(timeout)

    async def enforce_expiry(self) -> list[str]:
        """閲覧期限: destroy the keys and cached documents of expired meetings (works offline)."""
        return await self._loop.enforce_expiry()

    async def wipe(self, reason: str) -> None:
        """Remove the database, its key and every cached file of this profile."""
        await self._loop.wipe(reason)

    # -- reading the store -------------------------------------------------------------------

    async def meetings(self) -> tuple[MeetingSummary, ...]:
        return await self._ctx.db(queries.meetings, self._ctx.store)

    async def documents(self, meeting_id: str) -> tuple[DocumentSummary, ...]:
        return await self._ctx.db(queries.documents, self._ctx.store, meeting_id)

    async def seen_marks(self, meeting_id: str) -> frozenset[tuple[str, int, str]]:
        """(doc id, version, mark) this reader has looked at (see ``store.seen_marks``)."""
        return await self._ctx.db(self._ctx.store.seen_marks, meeting_id)

    async def mark_seen(self, meeting_id: str, document_id: str, version: int, mark: str) -> None:
        """Remember that the reader looked at a new version or a note to review."""
        await self._ctx.db(self._ctx.store.mark_seen, meeting_id, document_id, version, mark)

    async def needs_review(self, meeting_id: str) -> tuple[ReviewNote, ...]:
        """The notes a replacement (差し替え) left for review that the reader has not looked at
        yet (``mark_seen`` of their ``note_mark``): kept in the store, so a restart keeps them."""
        return await self._ctx.db(self._ctx.store.needs_review, meeting_id)

    async def export_rule(self, meeting_id: str) -> ExportRule:
        """May a member save an annotated copy of this meeting's documents (see
        :mod:`.policy`: the clerk's rule in the verified roster)?"""
        meetings = await self.meetings()
        meeting = next((mt for mt in meetings if mt.meeting_id == meeting_id), None)
        return export_rule(meeting, await self._keys.trust.roster(meeting_id))

    async def annotations(
        self, document_id: str, version: int, page: int | None = None
    ) -> tuple[AnnotationView, ...]:
        """The live notes on a document version (or one page), typed, oldest first."""
        return await self._ctx.db(
            queries.page_annotations, self._ctx.store, document_id, version, page
        )

    async def search(
        self, query: str, *, limit: int = 50, meeting_id: str | None = None
    ) -> tuple[SearchHit, ...]:
        """Pages of the cached documents containing ``query`` (see :mod:`furano_meet.store.search`)."""
        return tuple(await self._ctx.db(self._ctx.store.search, query, limit, meeting_id))

    # -- the room ----------------------------------------------------------------------------

    async def present_page(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        pointer: m.Pointer | None = None,
    ) -> None:
        """Show a page to everyone following; raises :class:`PresenterRefused` unless this
        user presents (or, when nobody does, chairs or clerks)."""
        await self._presenting.present_page(meeting_id, document_id, version, page, pointer)

    async def set_pointer(self, meeting_id: str, pointer: m.Pointer | None) -> None:
        await self._presenting.set_pointer(meeting_id, pointer)

    async def bring_everyone_here(self, meeting_id: str, page: PageRef | None = None) -> None:
        """全員をこのページへ: ``page`` is the page on the caller's screen (see
        :meth:`Presenting.bring_everyone_here` for the default)."""
        await self._presenting.bring_everyone_here(meeting_id, page)

    async def request_presenter(self, meeting_id: str) -> None:
        await self._presenting.request_role(meeting_id)

    async def grant_presenter(self, meeting_id: str, user_id: str) -> None:
        await self._presenting.grant_role(meeting_id, user_id)

    async def take_presenter(self, meeting_id: str) -> None:
        await self._presenting.take_role(meeting_id)

    async def browse(self, meeting_id: str, page: PageRef) -> None:
        await self._presenting.browse(meeting_id, page)

    async def follow_presenter(self, meeting_id: str) -> None:
        await self._presenting.follow(meeting_id)

    # -- keys and documents ------------------------------------------------------------------

    async def set_roster(
        self,
        meeting_id: str,
        user_ids: Iterable[str],
        *,
        note_editors: Iterable[str] = (),
        export_allowed: bool | None = None,
        committee: str | None = None,
    ) -> int:
        """(Clerk/admin) Sign who the meeting's members are; returns the roster's version.

        Keys are sealed only to devices whose certificate binds them to a user on the newest
        roster (the relay's member list decides only who may join). After *removing* someone,
        rotate the key (:meth:`rotate_meeting_key`) so what follows is closed to them.
        ``note_editors``: roles that may edit or delete another member's shared note.
        ``export_allowed``: members may save annotated copies (``None``: as the held roster
        says; a first roster allows it). ``committee``: the 会議体 the meeting belongs to
        (「総務文教委員会」), signed so members' apps need not guess it from the title
        (``None``: as the held roster says; ``""``: none).
        """
        roster = await self._keys.set_roster(
            meeting_id, user_ids, note_editors, export_allowed, committee
        )
        return roster.version

    async def committee(self, meeting_id: str) -> str | None:
        """The committee (会議体) of a meeting as the clerk signed it in the roster this device
        verified; ``None`` when none was signed (a screen then falls back to the title)."""
        roster = await self._keys.trust.roster(meeting_id)
        return None if roster is None else roster.committee

    async def set_export_allowed(self, meeting_id: str, allowed: bool) -> int:
        """(Clerk/admin) Allow or forbid members' annotated copies (「書き込み入りで保存」):
        signs the next roster with the same members and note editors; returns its version."""
        return await self._resign_roster(meeting_id, export_allowed=allowed)

    async def set_committee(self, meeting_id: str, committee: str) -> int:
        """(Clerk/admin) Set or change the meeting's committee (会議体; ``""`` removes it): signs
        the next roster with the same members, note editors and rule; returns its version."""
        return await self._resign_roster(meeting_id, committee=committee)

    async def _resign_roster(
        self, meeting_id: str, *, export_allowed: bool | None = None, committee: str | None = None
    ) -> int:
        """The held roster signed again with one rule changed (the desk changes rules, not
        members; a meeting needs a first roster, signed with its key, before that)."""
        held = await self._keys.trust.roster(meeting_id)
        if held is None:
            raise UsageError(f"meeting {meeting_id!r} has no roster yet: sign one first")
        return await self.set_roster(
            meeting_id,
            held.members,
            note_editors=held.note_editors,
            export_allowed=export_allowed,
            committee=committee,
        )

    # -- the administrator's certifying (its own short connections) ---------------------------

    async def pending_devices(self) -> list[PendingDevice]:
        """(Admin) Devices waiting for a certificate, with what each claims and why it was not
        certified automatically. The certifier reads the store between network awaits, so it
        runs on a worker thread's own loop: a GUI loop never touches the database."""
        return await asyncio.to_thread(
            asyncio.run, admin.pending_devices(self.account, self._ctx.store)
        )

    async def certified_devices(self) -> list[admin.CertifiedDevice]:
        """(Admin, relay 1.6) The organisation's certified devices, by the names their
        certificates carry (see :func:`.admin.certified_devices`; no store access)."""
        return await admin.certified_devices(self.account)

    async def certify_device(self, device_id: str, fingerprint: str) -> PendingDevice:
        """(Admin) Certify one device after comparing its fingerprint (see
        :func:`.admin.certify`); on a worker thread's own loop, as :meth:`pending_devices`."""
        return await asyncio.to_thread(
            asyncio.run, admin.certify(self.account, self._ctx.store, device_id, fingerprint)
        )

    async def create_meeting_key(self, meeting_id: str) -> None:
        """(Clerk) Make the meeting key, sign its epoch record, and seal it to every certified
        device of a user on the meeting's roster (signed now from the relay's member list if
        the meeting has none yet)."""
        await self._keys.new_meeting_key(meeting_id, epoch=1)
        await self._ctx.refresh_status()

    async def rotate_meeting_key(self, meeting_id: str) -> int:
        """(Clerk) Start a new key epoch sealed only to the *current* members' active devices.

        Run it after removing a member from the roster (:meth:`set_roster`) or revoking a
        device: whatever is published from now on is sealed under a key the removed device
        never receives, whatever the relay forwards. Older documents keep their
        epoch's key, which remaining devices hold (and seal to newcomers).
        """
        current = await self._keys.meeting_key(meeting_id)
        epoch = 1 if current is None else current.epoch + 1
        await self._keys.new_meeting_key(meeting_id, epoch=epoch)
        await self._ctx.refresh_status()
        return epoch

    async def open_document(self, document_id: str, version: int) -> bytearray:
        """The plaintext PDF of a complete cached document (decrypted off the event loop)."""
        return await self._library.open(document_id, version)

    async def publish_document(
        self,
        meeting_id: str,
        pdf: bytes,
        *,
        title: str,
        agenda_item: str = "",
        agenda_position: int | None = None,
        document_id: str | None = None,
        version: int = 1,
        file_name: str | None = None,
        checked: CheckedPdf | None = None,
    ) -> m.DocumentInfo:
        """(Clerk) Encrypt, sign and upload a document or a new version of one (差し替え).

        ``agenda_item`` is the item's label (「議案第3号」) and ``agenda_position`` its place in
        the agenda (smaller first; ``None`` sorts after, by title): both are signed in the
        manifest, so the relay cannot reorder the pack. ``file_name`` (the name the clerk
        picked) is what a refusal names; the PDF check's warnings on an accepted file arrive
        as :class:`DocumentPublished`. ``checked`` is the PDF check the caller already ran
        (:func:`~.documents.check_pdf`, e.g. the clerk's desk, to show its warnings first): it
        saves a second check of the same bytes, and is ignored for any other bytes.

        The relay does not send a document back to its publisher: once uploaded, it is kept on
        this device as if received (stored, listed, openable, searchable, notes carried over,
        receipt confirmed), so this returns after that too. If keeping fails (a full disk),
        the publication still stands and the next catch-up downloads it.
        """
        return await self._library.publish(
            meeting_id,
            pdf,
            title=title,
            agenda_item=agenda_item,
            agenda_position=agenda_position,
            document_id=document_id,
            version=version,
            file_name=file_name,
            checked=checked,
        )

    # -- the clerk's desk (議会事務局) ----------------------------------------------------------

    async def withdraw_document(self, meeting_id: str, document_id: str) -> None:
        """(Clerk/admin) Withdraw every version of a document: members' devices mark it
        withdrawn and stop offering it; this device at once. Raises :class:`RelayError`
        ``offline`` (no relay), ``forbidden`` (not a clerk's or administrator's device) or
        ``not_found`` (no such document, or withdrawn already)."""
        await self._delivery.withdraw(meeting_id, document_id)

    async def delivery(self, meeting_id: str) -> DeliveryReport:
        """(Clerk/chair/admin) Who holds which version of each document (受領確認): every
        member of the signed roster, with each device's receipt and whether it was signed by
        that device and verified here (see :mod:`.delivery`). Raises :class:`RelayError`
        ``offline`` or ``forbidden`` (a member's device)."""
        return await self._delivery.report(meeting_id)

    # -- annotations -------------------------------------------------------------------------

    async def add_annotation(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        body: AnnotationBody,
        *,
        visibility: Visibility = Visibility.PRIVATE,
    ) -> str:
        """Store an annotation now and queue it for the relay (signed when sent); works
        offline. Returns its id."""
        return await self._notes.add(
            meeting_id, document_id, version, page, body, visibility=visibility
        )

    async def edit_annotation(self, annotation_id: str, body: AnnotationBody) -> None:
        """Change one of this user's notes; other devices accept it only from its author
        (or, for a shared note, a role the meeting's roster names)."""
        await self._notes.edit(annotation_id, body)

    async def delete_annotation(self, annotation_id: str) -> None:
        await self._notes.delete(annotation_id)

    # -- the recovery code (private notes across a lost device) -----------------------------

    async def set_up_recovery(self, *, replace: bool = False) -> str:
        """Make this member's recovery code and upload the box it opens; return the code, to
        show once. Refuses (``recovery_exists``) when one was made here unless ``replace``;
        a new code retires the old one. Needs the relay (``offline`` otherwise)."""
        return await self._recovery.set_up(replace=replace)

    async def recover_private_notes(self, code: str) -> int:
        """On a new device: open the member's box with ``code``, keep its private keys and fetch
        the notes again so they decrypt; returns how many meetings gained a key."""
        gained = await self._recovery.restore(code)
        await self._loop.private_keys_restored(gained)
        return len(gained)

    # -- the app's own settings (issue #9: the app lock's PIN record, the preferences file) --

    APP_PREFIX = "app:"

    @property
    def profile_directory(self) -> Path:
        """This profile's folder (the app keeps its preferences file beside it)."""
        return self._ctx.store.directory

    async def app_setting(self, key: str) -> str | None:
        """An ``app:…`` setting kept in the encrypted store (the engine's own keys stay out of
        reach: a front end cannot read or overwrite them through this)."""
        self._check_app_key(key)
        return await self._ctx.db(self._ctx.store.get_setting, key)

    async def set_app_setting(self, key: str, value: str | None) -> None:
        """Store (``None``: delete) an ``app:…`` setting in the encrypted store."""
        self._check_app_key(key)
        await self._ctx.db(self._ctx.store.set_setting, key, value)

    def _check_app_key(self, key: str) -> None:
        if not key.startswith(self.APP_PREFIX):
            raise ValueError(f"app settings are named {self.APP_PREFIX}…, not {key!r}")

    # -- end of the app's own settings --
