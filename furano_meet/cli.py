"""``furano-meet``: the client core from a terminal — enrol, sync, list, search.

For IT staff checking a deployment and for trying the demo before the desktop app exists.  It
uses exactly the code the app uses (store, sync engine), so what works here works there.

The local store's key normally lives in the OS keychain.  Where there is none (a server, CI),
the command says why and asks for a passphrase; ``FURANO_MEET_PASSPHRASE`` supplies it
non-interactively.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from furano_meet.errors import FuranoError, print_error
from furano_meet.net.tls import client_context
from furano_meet.store import LocalStore
from furano_meet.store.cache import wipe_profile
from furano_meet.store.errors import PassphraseRequired
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
from furano_meet.sync.admin import certify, device_fingerprint, pending_devices
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import (
    Connectivity,
    DocumentReady,
    DocumentRefused,
    StatusChanged,
    SyncEvent,
)

PASSPHRASE_ENV = "FURANO_MEET_PASSPHRASE"
T = TypeVar("T")


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


async def _enrol(args: argparse.Namespace) -> int:
    invitation = Invitation.parse(args.invitation)
    if args.ca_file and not args.relay.lower().startswith("wss://"):
        print("--ca-file is for a wss:// relay (TLS); this address has no TLS.", file=sys.stderr)
        return 2
    if args.ca_file:
        client_context(args.ca_file)  # a typo in the path is reported before anything is made
    with open_store(args) as store:
        account = await enrol(store, args.relay, invitation, args.name, ca_file=args.ca_file)
    print(f"Enrolled device {account.device_id} for {account.display_name} ({account.role}).")
    return 0


def _use_ca_file(args: argparse.Namespace, store: LocalStore) -> None:
    """``--ca-file`` on a later command: check it and remember it for the next runs too."""
    if args.ca_file:
        client_context(args.ca_file)
        remember_ca_file(store, args.ca_file)


async def _sync(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        _use_ca_file(args, store)
        engine = SyncEngine(store, auto_certify=args.certify)
        expected = args.until_documents
        ready: set[str] = set()
        done = asyncio.Event()

        def show(event: SyncEvent) -> None:
            match event:
                case StatusChanged(status=status):
                    print(f"[{status.connectivity.value}] {status.message}", flush=True)
                    if args.once and status.connectivity is Connectivity.ONLINE and not expected:
                        done.set()
                case DocumentReady():
                    print(f"document ready: {event.document_id} v{event.version} {event.title}")
                    ready.add(event.document_id)
                    if expected and len(ready) >= expected:
                        done.set()
                case DocumentRefused():
                    print(f"document REFUSED: {event.document_id}: {event.reason}", flush=True)
                case _:
                    pass

        engine.subscribe(show)
        task = asyncio.create_task(engine.run())
        try:
            if args.once or expected:
                async with asyncio.timeout(args.timeout):
                    await done.wait()
            else:
                await task
        finally:
            await engine.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return 0


def _init_root(args: argparse.Namespace) -> int:
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


def _account(store: LocalStore) -> Account:
    account = Account.load(store)
    if account is None:
        raise SystemExit("This profile has no enrolled device yet: run `enrol` first.")
    return account


def _whoami(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        account = _account(store)
        print(
            f"device {account.device_id} of {account.display_name} ({account.user_id}, {account.role})"
        )
        print(f"device key fingerprint: {device_fingerprint(account)}")
    return 0


async def _pending(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        _use_ca_file(args, store)
        account = _account(store)
    for device in await pending_devices(account):
        print(f"{device.device_id}  {device.user_id:<10} {device.role:<7} {device.fingerprint}")
    return 0


async def _certify(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        _use_ca_file(args, store)
        done = await certify(_account(store), store, args.device_id, args.fingerprint)
    print(f"Certified {done.device_id} of {done.user_id} ({done.role}).")
    return 0


def _wipe(args: argparse.Namespace) -> int:
    """Remove this profile's database, its keychain entry and every cached file."""
    if not args.yes:
        print("This deletes every cached document, note and key of this profile on this device.")
        if not sys.stdin.isatty() or input("Type WIPE to confirm: ").strip() != "WIPE":
            print("Nothing was deleted.", file=sys.stderr)
            return 1
    data = Path(args.data) if args.data else None
    left = wipe_profile(data, args.profile)
    if left:
        print("Could not remove: " + ", ".join(str(p) for p in left), file=sys.stderr)
        return 1
    print("This device's Furano Meet data for the profile was wiped.")
    return 0


def _documents(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for meeting in store.meetings():
            print(f"{meeting.meeting_id}  {meeting.title}")
            for doc in store.documents(meeting.meeting_id):
                state = "" if doc.state is DocumentState.COMPLETE else f" ({doc.state.value})"
                print(f"    {doc.doc_id} v{doc.version}  {doc.title}  {doc.page_count} p{state}")
    return 0


def _search(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for hit in store.search(args.query, limit=args.limit):
            snippet = "".join(f"【{text}】" if marked else text for text, marked in hit.fragments())
            print(f"{hit.doc_id} v{hit.version} p.{hit.page_no + 1}: {snippet}")
    return 0


# -- recover (issue #10: a damaged cache) ------------------------------------------------------
# Kept apart from the other commands: the store's recovery needs the key but must not open the
# cache the way every other command does (that refuses a damaged cache, which is the point).


def _recover(args: argparse.Namespace) -> int:
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


# -- recovery code (issue #10: private notes across a lost device) ------------------------------
# Kept in one block: `recovery-code` makes the code (shown once) and `restore-notes` uses it on a
# new device. Both need the relay, so they run the sync engine until it is online.


async def _with_engine_online(
    args: argparse.Namespace, action: Callable[[SyncEngine], Awaitable[T]]
) -> T:
    with open_store(args) as store:
        _use_ca_file(args, store)
        _account(store)
        engine = SyncEngine(store)
        task = asyncio.create_task(engine.run())
        try:
            await engine.wait_online(args.timeout)
            return await action(engine)
        finally:
            await engine.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _recovery_code(args: argparse.Namespace) -> int:
    """Make the recovery code of this member's private notes and show it, once."""
    code = await _with_engine_online(
        args, lambda engine: engine.set_up_recovery(replace=args.replace)
    )
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


async def _restore_notes(args: argparse.Namespace) -> int:
    """Open this member's recovery box with the code and fetch the private notes again."""
    gained = await _with_engine_online(args, lambda engine: engine.recover_private_notes(args.code))
    print(f"Private-note keys restored for {gained} meeting(s); your notes are fetched again.")
    return 0


RECOVERY_COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[None, None, int]]] = {
    "recovery-code": _recovery_code,
    "restore-notes": _restore_notes,
}


def _add_recovery_commands(sub: Any, tls: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "recovery-code",
        help="make the recovery code that keeps your private notes across a lost device",
        parents=[tls],
    )
    p.add_argument(
        "--replace", action="store_true", help="make a new code; the old one stops working"
    )
    p.add_argument("--timeout", type=float, default=60.0)
    p = sub.add_parser(
        "restore-notes", help="on a new device: restore private notes with the code", parents=[tls]
    )
    p.add_argument("code", help="the recovery code (8 groups of 5 characters)")
    p.add_argument("--timeout", type=float, default=60.0)


# -- the parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="furano-meet", description=__doc__)
    parser.add_argument("--data", help="data folder (default: the platform's user data folder)")
    parser.add_argument("--profile", default="default", help="profile name (one per person)")
    sub = parser.add_subparsers(dest="command", required=True)
    tls = argparse.ArgumentParser(add_help=False)
    tls.add_argument(
        "--ca-file",
        help="(wss:// relays) trust only this CA certificate (PEM) instead of the system's "
        "trust store; remembered in the profile",
    )
    p = sub.add_parser("enrol", help="enrol this device with a one-time invitation", parents=[tls])
    p.add_argument("relay", help="relay address, e.g. wss://relay.example")
    p.add_argument("invitation", help="CODE/ROOT-FINGERPRINT from the clerk's office")
    p.add_argument("--name", default="furano-meet cli", help="a name for this device")
    p = sub.add_parser("sync", help="sync with the relay (Ctrl+C to stop)", parents=[tls])
    p.add_argument("--once", action="store_true", help="stop once up to date")
    p.add_argument("--until-documents", type=int, default=0, help="stop after N documents")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument(
        "--certify",
        action="store_true",
        help="(administrator's profile) certify devices enrolled with a valid one-time code",
    )
    sub.add_parser("init-root", help="make this profile the holder of the organisation root key")
    sub.add_parser("whoami", help="this device's identity and key fingerprint")
    p = sub.add_parser("wipe", help="wipe this profile: database, keychain entry, cached files")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    sub.add_parser(
        "pending", help="(administrator) devices waiting for a certificate", parents=[tls]
    )
    p = sub.add_parser(
        "certify", help="(administrator) certify a device after comparing keys", parents=[tls]
    )
    p.add_argument("device_id")
    p.add_argument("fingerprint", help="the fingerprint `whoami` shows on that device")
    sub.add_parser("documents", help="list meetings and cached documents")
    p = sub.add_parser("search", help="full-text search over cached documents")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    sub.add_parser(
        "recover",
        help="recover a damaged cache: keep what can be read, say what to ask the administrator",
    )
    _add_recovery_commands(sub, tls)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        match args.command:
            case "enrol":
                return asyncio.run(_enrol(args))
            case "sync":
                with contextlib.suppress(KeyboardInterrupt):
                    return asyncio.run(_sync(args))
                return 0
            case "documents":
                return _documents(args)
            case "init-root":
                return _init_root(args)
            case "whoami":
                return _whoami(args)
            case "wipe":
                return _wipe(args)
            case "pending":
                return asyncio.run(_pending(args))
            case "certify":
                return asyncio.run(_certify(args))
            case "recover":
                return _recover(args)
            case "recovery-code" | "restore-notes":
                return asyncio.run(RECOVERY_COMMANDS[args.command](args))
            case _:
                return _search(args)
    except FuranoError as exc:  # the one place: message and next step, never a traceback
        return print_error(exc, sys.stderr)
    except TimeoutError:
        print("Timed out waiting for the relay.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
