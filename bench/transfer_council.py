"""The council of the crypto/transfer benchmark: a relay seeded with the demo council and the
organisation's root fingerprint, and three devices (administrator, clerk, member) enrolled,
certified and holding the meeting key as in production."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from furano_meet.crypto import DeviceCertificate, MeetingKey, verify_device_certificate
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.sync import receiving
from furano_meet.sync.account import Account, Invitation, enrol
from furano_meet.sync.admin import invite
from furano_meet.sync.backoff import Backoff
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import SyncEvent
from server import demo
from server.config import RelayConfig
from server.store import Store

MEETING_ID = demo.MEETING_ID


@dataclass(eq=False)
class Party:
    """One enrolled device: its store, account and (while running) its engine."""

    name: str
    store: LocalStore
    account: Account
    engine: SyncEngine | None = None
    task: asyncio.Task[None] | None = None
    observers: list[Callable[[SyncEvent], None]] = field(default_factory=list)

    def start(self, *, auto_certify: bool = False) -> SyncEngine:
        engine = SyncEngine(
            self.store, auto_certify=auto_certify, backoff=Backoff(base=0.05, cap=0.5)
        )
        engine.subscribe(self._dispatch)
        self.engine = engine
        self.task = asyncio.create_task(engine.run(), name=f"engine-{self.name}")
        return engine

    def _dispatch(self, event: SyncEvent) -> None:
        for observer in list(self.observers):
            observer(event)

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        self.engine, self.task = None, None

    async def connect(self, url: str) -> RelayConnection:
        conn = await RelayConnection.connect(url)
        await conn.authenticate(self.account.device_id, self.account.token)
        return conn

    async def meeting_key(self) -> MeetingKey:
        """The engine's own lookup (:func:`~furano_meet.sync.receiving.stored_meeting_key`),
        read from the encrypted store off the loop."""
        key = await asyncio.to_thread(receiving.stored_meeting_key, self.store, MEETING_ID)
        if key is None:
            raise RuntimeError(f"{self.name} has no meeting key (setup failed)")
        return key


def seed_relay(data_dir: Path, fingerprint: str) -> dict[str, str]:
    """The demo council plus the root fingerprint; returns the admin's one-time enrolment code."""
    store = Store(RelayConfig(data_dir=data_dir).database_path)
    store.open()
    try:
        demo.seed(store)
        store.set_root_fingerprint(demo.ORG_ID, fingerprint)
        return {uid: store.issue_enrolment_code(uid) for uid in ("admin",)}
    finally:
        store.close()


async def enrol_council(
    devices_dir: Path, url: str, codes: dict[str, str], fingerprint: str, admin_store: LocalStore
) -> tuple[Party, Party]:
    """Enrol admin, clerk and member; certify; make the meeting key. Returns (clerk, member)."""
    parties: dict[str, Party] = {}
    for user_id in ("admin", "jimukyoku", "giin1"):
        store = admin_store if user_id == "admin" else LocalStore.open(devices_dir, user_id)
        if user_id == "admin":  # the bootstrap: a relay-made code
            invitation = Invitation(codes[user_id], fingerprint)
        else:  # signed on the administrator's device (it certifies only those automatically)
            role = "clerk" if user_id == "jimukyoku" else "member"
            invitation = await invite(parties["admin"].account, admin_store, user_id, role)
        account = await enrol(store, url, invitation, f"bench {user_id}")
        parties[user_id] = Party(user_id, store, account)
    admin, clerk, member = parties["admin"], parties["jimukyoku"], parties["giin1"]
    admin_engine = admin.start(auto_certify=True)
    await admin_engine.wait_online(60)  # catching up certifies every enrolled device
    await admin.stop()
    clerk_engine, member_engine = clerk.start(), member.start()
    await clerk_engine.wait_online(60)
    await member_engine.wait_online(60)
    await clerk_engine.create_meeting_key(MEETING_ID)
    async with asyncio.timeout(60):
        while True:
            meeting = await asyncio.to_thread(member.store.meeting, MEETING_ID)
            if meeting is not None and meeting.has_key:
                break
            await asyncio.sleep(0.02)
    return clerk, member


async def certificate_of(member: Party, conn: RelayConnection, device_id: str) -> DeviceCertificate:
    """The clerk's certificate, verified against the invitation's root (the engine caches it)."""
    listed = await conn.request(m.ListDeviceKeys(meeting_id=MEETING_ID))
    assert isinstance(listed, m.DeviceKeysListed)
    for info in listed.devices:
        if info.device_id == device_id:
            return verify_device_certificate(
                info.certificate,
                member.account.root_fingerprint,
                expected_org_id=member.account.org_id,
            )
    raise RuntimeError(f"device {device_id} is not listed for the meeting")
