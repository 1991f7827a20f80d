"""This device's own commands: enrol it, say who it is, wipe it, recover its damaged cache, and
keep its member's private notes across a lost device (the recovery code)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from furano_meet.cli import PASSPHRASE_ENV
from furano_meet.crypto.device_names import default_device_name
from furano_meet.errors import FuranoError
from furano_meet.net import RelayError
from furano_meet.net.tls import client_context
from furano_meet.store import LocalStore
from furano_meet.store.cache import wipe_profile
from furano_meet.store.errors import PassphraseRequired
from furano_meet.store.layout import ProfilePaths
from furano_meet.store.recovery import recover_profile
from furano_meet.sync.account import Account, Invitation, enrol
from furano_meet.sync.admin import device_fingerprint, retire
from furano_meet.sync.certification import (
    Certification,
    check_certification,
    check_invitation_against_root,
)
from furano_meet.sync.engine import SyncEngine

from .common import load_account, open_store, running, use_ca_file, waiting_for_certificate

WHOAMI_TIMEOUT = 10.0
OFFLINE_CODES = frozenset({"unreachable", "connection_lost"})


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
        name = args.device_name or default_device_name("furano-meet cli")
        account = await enrol(store, args.relay, invitation, name, ca_file=args.ca_file)
    print(
        f"Enrolled device {account.device_id} ({account.device_name!r}) for "
        f"{account.display_name} ({account.role})."
    )
    if invitation.org_id:
        print(f"The administrator's signed invitation names {account.user_id} ({account.role}).")
    print(
        f"Its key fingerprint is {device_fingerprint(account)}; the administrator certifies "
        "the device (comparing that fingerprint when certifying by hand)."
    )
    return 0


async def whoami(args: argparse.Namespace) -> int:
    """This device's identity and fingerprint, and whether the administrator has certified it."""
    with open_store(args) as store:
        account = load_account(store)
        print(
            f"device {account.device_id} of {account.display_name} ({account.user_id}, {account.role})"
        )
        print(f"device name: {account.device_name or '(none: enrolled before device names)'}")
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


def _retire(account: Account) -> bool:
    """Revoke this device on the relay; ``False`` (and why) if that is not possible now."""
    try:
        asyncio.run(retire(account))
    except (FuranoError, OSError, TimeoutError) as exc:
        print(f"Could not revoke this device on the relay ({exc}).", file=sys.stderr)
        return False
    return True


def wipe(args: argparse.Namespace) -> int:
    """Remove this profile's database, its keychain entry and every cached file.

    Online, the device first revokes itself on the relay (protocol 1.3 ``retire_device``), so
    its token is useless even if a copy survives; offline, it says what to ask the
    administrator for, with the device id to give them.
    """
    if not args.yes:
        print("This deletes every cached document, note and key of this profile on this device.")
        if not sys.stdin.isatty() or input("Type WIPE to confirm: ").strip() != "WIPE":
            print("Nothing was deleted.", file=sys.stderr)
            return 1
    account = _device_to_revoke(args)
    retired = account is not None and _retire(account)
    data = Path(args.data) if args.data else None
    left = wipe_profile(data, args.profile)
    if left:
        print("Could not remove: " + ", ".join(str(p) for p in left), file=sys.stderr)
        return 1
    print("This device's Furano Meet data for the profile was wiped.")
    if retired:
        assert account is not None
        print(f"Device {account.device_id} was revoked on the relay; nothing more to ask for.")
    elif account is not None:
        print(
            f"Ask the administrator to revoke device {account.device_id} of "
            f"{account.user_id} on the relay (furano-relay revoke-device {account.device_id}): "
            "the relay could not be reached to do it now."
        )
    else:
        print(
            "Ask the administrator to revoke this device on the relay "
            "(furano-relay list-devices shows it): a device cannot revoke itself."
        )
    print("To use Furano Meet here again, ask the clerk's office for a new invitation.")
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


# -- recovery code (issue #10: private notes across a lost device) ------------------------------
# `recovery-code` makes the code (shown once) and `restore-notes` uses it on a new device. Both
# need the relay, so they run the sync engine until it is online.


async def recovery_code(args: argparse.Namespace) -> int:
    """Make the recovery code of this member's private notes and show it, once."""
    with open_store(args) as store:
        use_ca_file(args, store)
        load_account(store)
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
        use_ca_file(args, store)
        load_account(store)
        engine = SyncEngine(store)
        async with running(engine):
            await engine.wait_online(args.timeout)
            gained = await engine.recover_private_notes(args.code)
    print(f"Private-note keys restored for {gained} meeting(s); your notes are fetched again.")
    return 0
