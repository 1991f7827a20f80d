"""What each ``furano-meet`` command does; :mod:`furano_meet.cli` parses and dispatches.

Kept apart from the parser because everything here needs the ``client`` extra (SQLCipher,
PyMuPDF, keyring): ``furano-meet --help`` and the "install the client extra" hint must work
without it. Each command is a thin layer over the client core (store, sync engine, admin and
certification helpers), so what works here works in the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

from furano_meet.cli import PASSPHRASE_ENV
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayError
from furano_meet.net.tls import client_context
from furano_meet.store import LocalStore
from furano_meet.store.cache import wipe_profile
from furano_meet.store.errors import PassphraseRequired
from furano_meet.store.layout import ProfilePaths
from furano_meet.store.passphrase import PassphraseTooWeak
from furano_meet.store.records import DocumentState
from furano_meet.store.recovery import recover_profile
from furano_meet.sync.account import (
    Account,
    Invitation,
    create_org_root,
    enrol,
    remember_ca_file,
)
from furano_meet.sync.admin import certify, device_fingerprint, invite, pending_devices
from furano_meet.sync.certification import (
    Certification,
    check_certification,
    check_invitation_against_root,
)
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import (
    Connectivity,
    DocumentPublished,
    DocumentReady,
    DocumentRefused,
    DownloadProgress,
    StatusChanged,
    SyncEvent,
)

STOP_GRACE = 10.0
WHOAMI_TIMEOUT = 10.0
OFFLINE_CODES = frozenset({"unreachable", "connection_lost"})
CERTIFICATION_POLL = 0.5
"""Seconds between asking the relay whether the administrator has certified this device."""


class NotCertifiedYet(FuranoError):
    """The command needs this device's certificate and the administrator has not issued it."""

    code = "not_certified"
    fault = Fault.ENVIRONMENT


class ChangesNotSent(FuranoError):
    """``sync --once`` ran out of time with changes still in the outbox: not "up to date"."""

    code = "changes_not_sent"
    fault = Fault.ENVIRONMENT


class NotAMember(FuranoError):
    """The meeting named is not one this profile's user belongs to (or does not exist)."""

    code = "forbidden"
    fault = Fault.USER


class FileUnreadable(FuranoError):
    """The file given to publish cannot be read."""

    code = "file_unreadable"
    fault = Fault.USER


def open_store(args: argparse.Namespace) -> LocalStore:
    data = Path(args.data) if args.data else None
    try:
        return LocalStore.open(data, args.profile, passphrase=os.environ.get(PASSPHRASE_ENV))
    except PassphraseRequired as exc:
        print(exc.message, file=sys.stderr)
        if not sys.stdin.isatty():
            raise SystemExit(
                f"Set {PASSPHRASE_ENV} to give the passphrase non-interactively."
            ) from exc
        while True:
            try:
                return LocalStore.open(
                    data, args.profile, passphrase=getpass.getpass("Passphrase: ")
                )
            except PassphraseTooWeak as weak:  # a new store: say why, ask again
                print(f"{weak.message} {weak.next_step}", file=sys.stderr)


def _use_ca_file(args: argparse.Namespace, store: LocalStore) -> None:
    """``--ca-file`` on a later command: check it and remember it for the next runs too."""
    if args.ca_file:
        client_context(args.ca_file)
        remember_ca_file(store, args.ca_file)


def _account(store: LocalStore) -> Account:
    account = Account.load(store)
    if account is None:
        raise SystemExit("This profile has no enrolled device yet: run `enrol` first.")
    return account


def waiting_for_certificate(account: Account) -> str:
    """What an uncertified device waits for, with the fingerprint the administrator compares."""
    return (
        "waiting for the administrator to certify this device "
        f"(fingerprint {device_fingerprint(account)})"
    )


class TransferProgress:
    """Prints the engine's transfer progress: one updating line on a terminal, else quarters."""

    def __init__(self, out: Callable[[str], None] = print, *, tty: bool | None = None) -> None:
        self.out = out
        self.tty = sys.stdout.isatty() if tty is None else tty
        self._shown: dict[tuple[str, int], int] = {}

    def __call__(self, event: DownloadProgress) -> None:
        key = (event.document_id, event.version)
        percent = 100 * event.received // event.total if event.total else 0
        step = percent if self.tty else percent // 25 * 25
        if self._shown.get(key) == step:
            return
        self._shown[key] = step
        line = (
            f"downloading {event.document_id} v{event.version}: {percent:3d}% "
            f"({event.received / 1e6:.1f} of {event.total / 1e6:.1f} MB)"
        )
        if self.tty:
            print(f"\r{line}", end="\n" if percent >= 100 else "", flush=True)
        else:
            self.out(line)


@contextlib.asynccontextmanager
async def running(engine: SyncEngine) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``engine`` for the body of the block, then stop it and let it finish its step.

    Stopping lets the engine end what it is doing (an acknowledged op stays acknowledged); only
    an engine that has not ended after :data:`STOP_GRACE` seconds is cancelled.
    """
    task = asyncio.create_task(engine.run())
    try:
        yield task
    finally:
        await engine.stop()
        done, _ = await asyncio.wait([task], timeout=STOP_GRACE)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_until_certified(store: LocalStore, account: Account, timeout: float) -> None:
    """Return once this device holds a certificate; says once what it is waiting for."""
    told = False
    try:
        async with asyncio.timeout(timeout):
            while await check_certification(account, store) is Certification.WAITING:
                if not told:
                    print(f"This device is {waiting_for_certificate(account)}.", flush=True)
                    told = True
                await asyncio.sleep(CERTIFICATION_POLL)  # polling the relay, not a test's sleep
    except TimeoutError:
        if not told:
            raise  # the relay did not answer: main() says so
        raise NotCertifiedYet(
            f"Timed out {waiting_for_certificate(account)}.",
            "Ask the administrator to certify it, then run the command again.",
        ) from None


async def enrol_device(args: argparse.Namespace) -> int:
    invitation = Invitation.parse(args.invitation)
    args.relay = args.relay or invitation.relay_url
    if not args.relay:
        print("Give the relay's address (this invitation does not name it).", file=sys.stderr)
        return 2
    if args.ca_file and not args.relay.lower().startswith("wss://"):
        print("--ca-file is for a wss:// relay (TLS); this address has no TLS.", file=sys.stderr)
        return 2
    if args.ca_file:
        client_context(args.ca_file)  # a typo in the path is reported before anything is made
    with open_store(args) as store:
        check_invitation_against_root(store, invitation.root_fingerprint)
        account = await enrol(store, args.relay, invitation, args.name, ca_file=args.ca_file)
    print(f"Enrolled device {account.device_id} for {account.display_name} ({account.role}).")
    if invitation.org_id:
        print(f"The administrator's signed invitation names {account.user_id} ({account.role}).")
    print(
        f"Its key fingerprint is {device_fingerprint(account)}; the administrator certifies "
        "the device (comparing that fingerprint when certifying by hand)."
    )
    return 0


async def invite_user(args: argparse.Namespace) -> int:
    """Sign an invitation on this (administrator's) device; print what the invitee pastes."""
    expires = int(time.time() + args.expires_hours * 3600)
    with open_store(args) as store:
        _use_ca_file(args, store)
        made = await invite(_account(store), store, args.user_id, args.role, expires_at=expires)
    until = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(made.link())
    print(made.text())
    print(
        f"Invitation for {args.user_id} ({args.role}), valid until {until}. Hand it to that "
        f"person only; on the new device: furano-meet enrol {made.relay_url} {made.text()}",
        file=sys.stderr,
    )
    return 0


class SyncReport:
    """What ``furano-meet sync`` prints, and when it is done.

    The first time the engine is online it asks the relay whether this device is certified
    (and by the invitation's organisation): an uncertified device would otherwise print
    "Up to date." while nothing can ever arrive.
    """

    def __init__(self, account: Account, store: LocalStore, args: argparse.Namespace) -> None:
        self.account = account
        self.store = store
        self.once: bool = args.once
        self.expected: int = args.until_documents
        self.ready: set[str] = set()
        self.done = asyncio.Event()
        self.certification: asyncio.Task[Certification] | None = None
        self.progress = TransferProgress()
        self.last_online = ""
        self.pending = 0
        """Changes still to send, as of the last status: ``--once`` is done only at zero."""

    def state(self) -> Certification | None:
        task = self.certification
        if task is None or not task.done() or task.cancelled() or task.exception():
            return None
        return task.result()

    def failure(self) -> BaseException | None:
        task = self.certification
        if task is None or not task.done() or task.cancelled():
            return None
        return task.exception()

    def _online(self, message: str) -> None:
        if self.state() is Certification.WAITING:
            message = f"Connected; {waiting_for_certificate(self.account)}."
        print(f"[{Connectivity.ONLINE.value}] {message}", flush=True)
        if self.once and not self.expected and not self.pending:
            self.done.set()

    def _checked(self, task: asyncio.Task[Certification]) -> None:
        if task.cancelled() or task.exception() is not None:
            self.done.set()  # sync() raises it for main() to present
            return
        self._online(self.last_online)

    def __call__(self, event: SyncEvent) -> None:
        match event:
            case StatusChanged(status=status) if status.connectivity is Connectivity.ONLINE:
                self.last_online = status.message
                self.pending = status.pending_ops
                if self.certification is None:
                    self.certification = asyncio.create_task(
                        check_certification(self.account, self.store)
                    )
                    self.certification.add_done_callback(self._checked)
                elif self.certification.done():
                    self._online(status.message)
            case StatusChanged(status=status):
                print(f"[{status.connectivity.value}] {status.message}", flush=True)
            case DownloadProgress():
                self.progress(event)
            case DocumentReady():
                print(f"document ready: {event.document_id} v{event.version} {event.title}")
                self.ready.add(event.document_id)
                if self.expected and len(self.ready) >= self.expected:
                    self.done.set()
            case DocumentRefused():
                print(f"document REFUSED: {event.document_id}: {event.reason}", flush=True)
            case _:
                pass


async def sync(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        _use_ca_file(args, store)
        account = _account(store)
        engine = SyncEngine(store, auto_certify=args.certify)
        report = SyncReport(account, store, args)
        unsubscribe = engine.subscribe(report)
        async with running(engine) as task:
            try:
                if args.once or args.until_documents:
                    async with asyncio.timeout(args.timeout):
                        await report.done.wait()
                else:
                    waiting = asyncio.ensure_future(report.done.wait())
                    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
                    waiting.cancel()
            except TimeoutError:
                if report.state() is Certification.WAITING:
                    raise NotCertifiedYet(
                        f"Timed out {waiting_for_certificate(account)}.",
                        "Ask the administrator to certify this device, then sync again.",
                    ) from None
                if report.pending:
                    raise ChangesNotSent(
                        f"Timed out with {report.pending} change(s) not yet sent to the relay.",
                        "They are kept on this device and sent at the next sync.",
                    ) from None
                raise
            finally:
                unsubscribe()  # stopping is not "offline": say nothing more
                if report.certification is not None and not report.certification.done():
                    report.certification.cancel()
                    with contextlib.suppress(asyncio.CancelledError, FuranoError):
                        await report.certification
        if failure := report.failure():
            raise failure
    return 0


async def publish(args: argparse.Namespace) -> int:
    """(Clerk) Encrypt, sign and upload a PDF; creates the meeting key if the meeting has none."""
    path = Path(args.file)
    try:
        pdf = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise FileUnreadable(
            f"Cannot read {path}: {exc.strerror or exc}.", "Check the file's name and path."
        ) from exc
    with open_store(args) as store:
        _use_ca_file(args, store)
        account = _account(store)
        await wait_until_certified(store, account, args.timeout)
        engine = SyncEngine(store)
        async with running(engine):
            await engine.wait_online(args.timeout)
            meeting = await asyncio.to_thread(store.meeting, args.meeting_id)
            if meeting is None:
                raise NotAMember(
                    f"This profile's user is not a member of a meeting {args.meeting_id!r}.",
                    "Check the meeting id; the relay's administrator sets the members.",
                )
            if not meeting.has_key:
                print(f"Creating the meeting key for {args.meeting_id} …", flush=True)
                await engine.create_meeting_key(args.meeting_id)
            title = args.title or path.stem
            published: list[DocumentPublished] = []
            engine.subscribe(
                lambda e: published.append(e) if isinstance(e, DocumentPublished) else None
            )
            print(f"Encrypting and uploading {path.name} ({len(pdf) / 1e6:.1f} MB) …", flush=True)
            info = await engine.publish_document(
                args.meeting_id,
                pdf,
                title=title,
                agenda_item=args.agenda_item,
                document_id=args.document_id,
                version=args.version,
                file_name=path.name,
            )
            await engine.events_delivered()
    print(f"Published {info.document_id} v{info.version} ({title}) to {args.meeting_id}.")
    if any("repaired" in e.warnings for e in published if e.document_id == info.document_id):
        print(
            f"Note: {path.name} was damaged and has been repaired; no page was lost, but check"
            " the original before the meeting.",
            file=sys.stderr,
        )
    return 0


def init_root(args: argparse.Namespace) -> int:
    """Make this profile the administrator's: it holds the organisation root key from now on."""
    with open_store(args) as store:
        if store.get_setting("org_root_key"):
            print("This profile already holds an organisation root key.", file=sys.stderr)
            return 1
        fingerprint = create_org_root(store)
    print(fingerprint)
    print(
        "Record it on the relay (furano-relay set-root-fingerprint ORG "
        f"{fingerprint}); it is printed with every enrolment code.",
        file=sys.stderr,
    )
    return 0


async def whoami(args: argparse.Namespace) -> int:
    """This device's identity and fingerprint, and whether the administrator has certified it."""
    with open_store(args) as store:
        account = _account(store)
        print(
            f"device {account.device_id} of {account.display_name} ({account.user_id}, {account.role})"
        )
        print(f"device key fingerprint: {device_fingerprint(account)}")
        try:
            async with asyncio.timeout(WHOAMI_TIMEOUT):
                state = await check_certification(account, store)
        except (RelayError, TimeoutError) as exc:
            if isinstance(exc, RelayError) and exc.code not in OFFLINE_CODES:
                raise  # revoked, bad credentials …: main() says what to do
            print("certificate: unknown (the relay cannot be reached)")
            return 0
    print(
        {
            Certification.CERTIFIED: "certificate: certified by the organisation",
            Certification.WAITING: f"certificate: {waiting_for_certificate(account)}",
            Certification.UNKNOWN: "certificate: not yet visible (in no meeting yet)",
        }[state]
    )
    return 0


async def pending(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        _use_ca_file(args, store)
        account = _account(store)
        for device in await pending_devices(account, store):
            claimed = (
                f"claims {device.claimed_user_id} ({device.claimed_role})"
                if device.claimed_user_id
                else "no invitation"
            )
            print(
                f"{device.device_id}  relay: {device.user_id:<10} {device.role:<7} "
                f"{claimed}  {device.fingerprint}"
            )
            if device.problem:
                print(f"    not certified automatically: {device.problem}")
    return 0


async def certify_device(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        _use_ca_file(args, store)
        done = await certify(_account(store), store, args.device_id, args.fingerprint)
    print(f"Certified {done.device_id} of {done.user_id} ({done.role}).")
    return 0


def _device_to_revoke(args: argparse.Namespace) -> Account | None:
    """The account of the profile about to be wiped, if it can be read without asking."""
    data = Path(args.data) if args.data else None
    if not ProfilePaths.for_profile(data, args.profile).database.exists():
        return None
    try:
        with LocalStore.open(data, args.profile, os.environ.get(PASSPHRASE_ENV)) as store:
            return Account.load(store)
    except FuranoError:
        return None  # a damaged or locked cache is exactly what wipe is for


def wipe(args: argparse.Namespace) -> int:
    """Remove this profile's database, its keychain entry and every cached file.

    The relay has no request by which a device revokes itself, so the device stays valid there
    until an administrator revokes it: say so, with the device id to give them.
    """
    if not args.yes:
        print("This deletes every cached document, note and key of this profile on this device.")
        if not sys.stdin.isatty() or input("Type WIPE to confirm: ").strip() != "WIPE":
            print("Nothing was deleted.", file=sys.stderr)
            return 1
    account = _device_to_revoke(args)
    data = Path(args.data) if args.data else None
    left = wipe_profile(data, args.profile)
    if left:
        print("Could not remove: " + ", ".join(str(p) for p in left), file=sys.stderr)
        return 1
    print("This device's Furano Meet data for the profile was wiped.")
    if account is not None:
        print(
            f"Ask the administrator to revoke device {account.device_id} of "
            f"{account.user_id} on the relay (furano-relay revoke-device {account.device_id}): "
            "a device cannot revoke itself."
        )
    else:
        print(
            "Ask the administrator to revoke this device on the relay "
            "(furano-relay list-devices shows it): a device cannot revoke itself."
        )
    print("To use Furano Meet here again, ask the clerk's office for a new invitation.")
    return 0


def documents(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for meeting in store.meetings():
            print(f"{meeting.meeting_id}  {meeting.title}")
            for doc in store.documents(meeting.meeting_id):
                state = "" if doc.state is DocumentState.COMPLETE else f" ({doc.state.value})"
                print(f"    {doc.doc_id} v{doc.version}  {doc.title}  {doc.page_count} p{state}")
    return 0


def search(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for hit in store.search(args.query, limit=args.limit):
            snippet = "".join(f"【{text}】" if marked else text for text, marked in hit.fragments())
            print(f"{hit.doc_id} v{hit.version} p.{hit.page_no + 1}: {snippet}")
    return 0


# -- recover (issue #10: a damaged cache) ------------------------------------------------------
# Kept apart from the other commands: the store's recovery needs the key but must not open the
# cache the way every other command does (that refuses a damaged cache, which is the point).


def recover(args: argparse.Namespace) -> int:
    """Salvage a damaged cache into a new one and print the report (see store.recovery)."""
    data = Path(args.data) if args.data else None
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        report = recover_profile(data, args.profile, passphrase)
    except PassphraseRequired as exc:
        if not sys.stdin.isatty():
            raise
        print(exc.message, file=sys.stderr)
        report = recover_profile(data, args.profile, getpass.getpass("Passphrase: "))
    print(report.text(), end="")
    return 0


# -- roster (issue #8): membership is signed on the clerk's device, not set on the relay --------


async def roster(args: argparse.Namespace) -> int:
    """(Clerk/admin) Sign the meeting's roster: only these users' devices get its keys."""
    with open_store(args) as store:
        _use_ca_file(args, store)
        engine = SyncEngine(store)
        async with running(engine):
            async with asyncio.timeout(args.timeout):
                await engine.wait_online(args.timeout)
                version = await engine.set_roster(
                    args.meeting_id, args.user_ids, note_editors=args.note_editor
                )
    print(f"Roster {version} of {args.meeting_id} signed: {', '.join(sorted(set(args.user_ids)))}.")
    print(
        "Removed someone? Rotate the meeting key so what follows is closed to them.",
        file=sys.stderr,
    )
    return 0


# -- recovery code (issue #10: private notes across a lost device) ------------------------------
# `recovery-code` makes the code (shown once) and `restore-notes` uses it on a new device. Both
# need the relay, so they run the sync engine until it is online.


async def recovery_code(args: argparse.Namespace) -> int:
    """Make the recovery code of this member's private notes and show it, once."""
    with open_store(args) as store:
        _use_ca_file(args, store)
        _account(store)
        engine = SyncEngine(store)
        async with running(engine):
            await engine.wait_online(args.timeout)
            code = await engine.set_up_recovery(replace=args.replace)
    print("Your recovery code for private notes (write it down; it is shown only this once):")
    print()
    print(f"    {code}")
    print()
    print(
        "Keep it apart from this device. On a new device, after enrolling, run "
        "`furano-meet restore-notes CODE`. Another enrolled device of yours also keeps your "
        "private notes, without the code.",
        file=sys.stderr,
    )
    return 0


async def restore_notes(args: argparse.Namespace) -> int:
    """Open this member's recovery box with the code and fetch the private notes again."""
    with open_store(args) as store:
        _use_ca_file(args, store)
        _account(store)
        engine = SyncEngine(store)
        async with running(engine):
            await engine.wait_online(args.timeout)
            gained = await engine.recover_private_notes(args.code)
    print(f"Private-note keys restored for {gained} meeting(s); your notes are fetched again.")
    return 0
