"""Opening a profile's store at start: the one step of start-up that needs the store's key.

Kept apart from :mod:`.first_run` (which imports the whole main window) and from Qt, so the
app's entry path can start it first (:func:`start_opening`), on a thread of its own, and
import Qt, the engine and the window while it runs: with a passphrase instead of a keychain
the key comes through scrypt (n=2**17, r=8: 128 MiB and ~0.45 s of one core here,
``furano_meet/store/keysource.py``), which releases the GIL — the imports and the key
derivation share the wait (docs/app.md, "Start-up").
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from furano_meet.store import LocalStore, PassphraseRequired

AWAITING = "app:awaiting_certificate"
"""Store setting present while this device has enrolled and waits for its certificate."""


def open_store(data: Path | None, profile: str, passphrase: str | None) -> LocalStore:
    """(Worker thread) The profile's store; raises ``PassphraseRequired`` without a keychain."""
    return LocalStore.open(data, profile, passphrase=passphrase)


def enrolled_and_certified(store: LocalStore) -> bool:
    """(Worker thread) Enrolled, and not left waiting for the certificate at the last close.

    The account's module is imported here, not above: it brings the network client and the
    protocol (~0.2 s), which the entry path imports meanwhile anyway — the store's thread
    must not wait for them before it starts the key derivation."""
    from furano_meet.sync.account import Account

    return Account.load(store) is not None and store.get_setting(AWAITING) is None


def open_enrolled(data: Path | None, profile: str, passphrase: str | None) -> LocalStore | None:
    """(Worker thread) The store, when it opens without asking and its device is enrolled and
    certified; ``None`` when the first-run window has to take over (it opens the store again,
    asking for what was missing). Any other failure (a wrong passphrase) is raised."""
    try:
        store = open_store(data, profile, passphrase)
    except PassphraseRequired:
        return None
    if enrolled_and_certified(store):
        return store
    store.close()
    return None


def start_opening(
    data: Path | None, profile: str, passphrase: str | None
) -> concurrent.futures.Future[LocalStore | None]:
    """:func:`open_enrolled` on a thread of its own, started now (before any event loop: the
    app's entry path awaits it with ``asyncio.wrap_future``)."""
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="furano-open-store")
    opening = pool.submit(open_enrolled, data, profile, passphrase)
    pool.shutdown(wait=False)  # the thread ends with its one job
    return opening
