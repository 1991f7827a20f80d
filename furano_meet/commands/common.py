"""What every ``furano-meet`` command shares: opening the profile's store, its account and CA file,
running the sync engine for the length of a command, and waiting for the device's certificate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from furano_meet.cli import PASSPHRASE_ENV
from furano_meet.errors import Fault, FuranoError
from furano_meet.net.tls import client_context
from furano_meet.store import LocalStore
from furano_meet.store.errors import PassphraseRequired
from furano_meet.store.passphrase import PassphraseTooWeak
from furano_meet.sync.account import Account, remember_ca_file
from furano_meet.sync.admin import device_fingerprint
from furano_meet.sync.certification import Certification, check_certification
from furano_meet.sync.engine import SyncEngine

STOP_GRACE = 10.0
CERTIFICATION_POLL = 0.5
"""Seconds between asking the relay whether the administrator has certified this device."""


class NotCertifiedYet(FuranoError):
    """The command needs this device's certificate and the administrator has not issued it."""

    code = "not_certified"
    fault = Fault.ENVIRONMENT


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


def use_ca_file(args: argparse.Namespace, store: LocalStore) -> None:
    """``--ca-file`` on a later command: check it and remember it for the next runs too."""
    if args.ca_file:
        client_context(args.ca_file)
        remember_ca_file(store, args.ca_file)


def load_account(store: LocalStore) -> Account:
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


@contextlib.asynccontextmanager
async def online_engine(args: argparse.Namespace) -> AsyncIterator[SyncEngine]:
    """This profile's engine, running and online, for one clerk's or admin's request; the
    block (waiting for the relay included) is bounded by ``--timeout``."""
    with open_store(args) as store:
        use_ca_file(args, store)
        engine = SyncEngine(store)
        async with running(engine):
            async with asyncio.timeout(args.timeout):
                await engine.wait_online(args.timeout)
                yield engine


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
