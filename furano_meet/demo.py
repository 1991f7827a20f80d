"""``python -m furano_meet.demo``: a relay with a demo council whose agenda pack is published.

This is the main job of ``python3 dev.py run`` until the desktop app joins it.  It composes the
two sides the way a real deployment does, on one machine:

* the relay (``server``) on 127.0.0.1, seeded with the demo council of ``server.demo``;
* an embedded *administrator's device* holding the organisation root key, which signs the
  invitations and certifies each device enrolled with one;
* an embedded *clerk's device* (議会事務局), which creates the meeting key and publishes the
  demo agenda pack — encrypted and signed on the clerk's side; the relay never sees plaintext.

Everything lives under one data directory and survives restarts.  Each councillor gets a one-time
invitation (``CODE/ROOT-FINGERPRINT/ORG``), signed on the demo administrator's device, to enrol a
device with; a restart shows the same one while it is unused and has more than a day left, so
restarts do not pile up valid invitations (the relay keeps only what checks a code, so the demo
keeps its own copy in ``invitations.json`` — a demo convenience a real deployment never has).
Ctrl+C or SIGTERM stops it cleanly: both devices stop, the relay finishes what it acknowledged and
closes its database.  The two
embedded devices protect their stores with a fixed demo passphrase, so the demo never touches the
user's real keychain — a production device uses the OS keychain (see ``furano_meet.store``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from furano_meet.samples import demo_documents
from furano_meet.samples.demo import DEMO_AGENDA
from furano_meet.store import LocalStore
from furano_meet.sync.account import (
    Account,
    Invitation,
    InvitationError,
    create_org_root,
    enrol,
)
from furano_meet.sync.admin import invite
from furano_meet.sync.engine import SyncEngine
from server import demo as council
from server.config import RelayConfig
from server.relay import Relay

DEMO_PASSPHRASE = "furano-meet-demo"  # noqa: S105 - a demo store, documented as such
MEMBERS = ("iincho", "giin1", "giin2", "giin3")
INVITATION_TTL = timedelta(hours=72)
REUSE_MARGIN = timedelta(hours=24)
"""An invitation is shown again only while it has at least this long left to be typed in."""
_TIME = "%Y-%m-%dT%H:%M:%SZ"  # the relay's clock format (``server.store.utc_now``)

log = logging.getLogger("furano.demo")


@dataclass(frozen=True, slots=True)
class DemoCouncil:
    url: str
    fingerprint: str
    invitations: dict[str, str]
    documents: list[str]
    clerk: SyncEngine | None = field(default=None, repr=False, compare=False)
    """The clerk's running engine, for in-process callers that publish more (a 差し替え in a
    test or the tour); ``None`` outside :func:`run_demo`."""


def _store(devices: Path, profile: str) -> LocalStore:
    return LocalStore.open(devices, profile, passphrase=DEMO_PASSPHRASE)


async def _device(
    relay: Relay,
    store: LocalStore,
    user_id: str,
    fingerprint: str,
    admin: tuple[Account, LocalStore] | None = None,
) -> Account:
    account = Account.load(store)
    if account is not None:
        return account
    if admin is None:  # the administrator's own device (the bootstrap): a relay-made code
        code = await relay.store.run(relay.store.issue_enrolment_code, user_id)
        invitation = Invitation(code, fingerprint)
    else:  # everyone else: an invitation signed on the administrator's device
        invitation = await _invite(admin, user_id)
    return await enrol(store, relay.url, invitation, f"{user_id} (demo)")


async def _invite(
    admin: tuple[Account, LocalStore], user_id: str, *, expires_at: int | None = None
) -> Invitation:
    role = next(r for u, _, r in council.PEOPLE if u == user_id)
    return await invite(*admin, user_id, role, expires_at=expires_at)


def _under_root(text: str, fingerprint: str) -> bool:
    """A saved invitation of this demo's organisation root (not of an earlier, wiped one)."""
    try:
        invitation = Invitation.parse(text)
    except InvitationError:
        return False
    return invitation.root_fingerprint == fingerprint and bool(invitation.org_id)


async def run_demo(
    data_dir: Path, port: int, ready: Callable[[DemoCouncil], None] | None = None
) -> None:
    """Serve the demo council until cancelled."""
    devices = data_dir / "devices"
    async with Relay(RelayConfig(data_dir=data_dir / "relay", port=port)) as relay:
        await relay.store.run(council.seed, relay.store)
        admin_store = _store(devices, "demo-admin")
        clerk_store = _store(devices, "demo-clerk")
        fingerprint = await relay.store.run(relay.store.root_fingerprint, council.ORG_ID)
        if not fingerprint:
            fingerprint = create_org_root(admin_store)
            await relay.store.run(relay.store.set_root_fingerprint, council.ORG_ID, fingerprint)
        admin_device = (await _device(relay, admin_store, "admin", fingerprint), admin_store)
        await _device(relay, clerk_store, "jimukyoku", fingerprint, admin_device)
        admin = SyncEngine(admin_store, auto_certify=True)
        clerk = SyncEngine(clerk_store)
        tasks = [asyncio.create_task(e.run()) for e in (admin, clerk)]
        try:
            await admin.wait_online()
            await clerk.wait_online()
            published = await _publish_pack(relay, clerk)
            invitations = await _invitations(
                relay, admin_device, data_dir / "invitations.json", fingerprint
            )
            info = DemoCouncil(relay.url, fingerprint, invitations, published, clerk)
            if ready is not None:
                ready(info)
            await asyncio.Future()
        finally:
            for engine in (admin, clerk):
                await engine.stop()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for store in (admin_store, clerk_store):
                if not store.closed:
                    store.close()


async def _invitations(
    relay: Relay, admin: tuple[Account, LocalStore], saved: Path, fingerprint: str
) -> dict[str, str]:
    """One usable invitation per councillor: the saved one while unused and unexpired, else new."""
    now = datetime.now(UTC)
    try:
        known: dict[str, dict[str, str]] = json.loads(saved.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    invitations: dict[str, str] = {}
    for user_id in MEMBERS:
        entry = known.get(user_id, {})
        devices = await relay.store.run(relay.store.list_devices, user_id)
        usable = (
            _under_root(entry.get("invitation", ""), fingerprint)
            and datetime.strptime(entry["expires_at"], _TIME).replace(tzinfo=UTC)
            > now + REUSE_MARGIN
            and not any(created >= entry["issued_at"] for _, _, _, created, _ in devices)
        )
        if not usable:
            expires = int((now + INVITATION_TTL).timestamp())
            made = await _invite(admin, user_id, expires_at=expires)
            entry = {
                "invitation": made.text(),
                "issued_at": now.strftime(_TIME),
                "expires_at": (now + INVITATION_TTL).strftime(_TIME),
            }
        known[user_id] = entry
        invitations[user_id] = entry["invitation"]
    saved.write_text(json.dumps(known, indent=1), encoding="utf-8")
    with contextlib.suppress(OSError):
        os.chmod(saved, 0o600)
    return invitations


async def _publish_pack(relay: Relay, clerk: SyncEngine) -> list[str]:
    """Create the meeting key and publish the demo pack once; later starts reuse them."""
    meeting = next(
        (mt for mt in await clerk.meetings() if mt.meeting_id == council.MEETING_ID), None
    )
    if meeting is None or not meeting.has_key:
        await clerk.create_meeting_key(council.MEETING_ID)
    existing = await relay.store.run(relay.store.documents, council.MEETING_ID)
    if existing:
        return [d.document_id for d in existing]
    published = []
    documents = await asyncio.to_thread(demo_documents)
    for index, ((title, pdf), (item, position)) in enumerate(
        zip(documents, DEMO_AGENDA, strict=True), start=1
    ):
        info = await clerk.publish_document(
            council.MEETING_ID,
            pdf,
            title=title,
            agenda_item=item,
            agenda_position=position,
            document_id=f"demo-{index}",
        )
        published.append(info.document_id)
    return published


def print_council(info: DemoCouncil) -> None:
    print(f"Furano Meet demo relay — {info.url}")
    print(f"  meeting: {council.MEETING_TITLE} [{council.MEETING_ID}]")
    print(f"  documents published by the clerk's device: {', '.join(info.documents)}")
    print(f"  organisation root fingerprint: {info.fingerprint}")
    print("  one-time invitations (enrol a device with one; shown again until used or expired):")
    names = {uid: name for uid, name, _ in council.PEOPLE}
    for user_id, invitation in info.invitations.items():
        print(f"    {user_id:<8} {names[user_id]:<12} {invitation}")
    print("Demo ready. Press Ctrl+C to stop.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m furano_meet.demo", description=__doc__)
    parser.add_argument("--data", default="data/demo", help="demo data directory")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_until_signal(run_demo(Path(args.data), args.port, ready=print_council)))
    print("Demo stopped.", flush=True)
    return 0


async def _until_signal(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work``; SIGTERM (a service manager, ``dev.py``) cancels it like Ctrl+C does."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, AttributeError):  # Windows: Ctrl+C only
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    raise SystemExit(main())
