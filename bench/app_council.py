"""The demo council for the app benchmarks: as many enrolled member devices as a benchmark needs.

:func:`furano_meet.app.council.demo_council` runs the real demo (relay, administrator, clerk,
the demo pack) in this process. The demo knows four councillors; the 30-follower benchmark
needs more, so :func:`bench_council` writes extra members into the relay's database through
the relay's own admin API *before* the demo starts (the demo's seed then finds the organisation
and leaves it alone), and :meth:`AppCouncil.session` enrols any of them with an invitation
signed on the demo administrator's device — the way a real administrator invites a councillor.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from furano_meet.app.council import MEETING_ID, DemoCouncil, demo_council, member_session
from furano_meet.app.session import Session
from furano_meet.demo import DEMO_PASSPHRASE
from furano_meet.store import LocalStore
from furano_meet.sync.account import Account
from furano_meet.sync.admin import invite
from server import demo
from server.config import RelayConfig
from server.store import Store

EXTRA_MEMBER = "bench{:02d}"


def seed_members(relay_dir: Path, extra: int) -> list[str]:
    """The demo organisation plus ``extra`` meeting members, written before the relay starts."""
    relay_dir.mkdir(parents=True, exist_ok=True)
    store = Store(RelayConfig(data_dir=relay_dir).database_path)
    store.open()
    try:
        demo.seed(store)
        users = [EXTRA_MEMBER.format(i) for i in range(extra)]
        for user_id in users:
            store.add_user(user_id, demo.ORG_ID, f"委員 {user_id}", "member")
        members = [p[0] for p in demo.PEOPLE if p[2] != "admin"]
        store.set_members(demo.MEETING_ID, members + users)
    finally:
        store.close()
    return users


@dataclass(eq=False)
class AppCouncil:
    """The running demo council; :meth:`session` enrols a device and starts its engine."""

    council: DemoCouncil
    data_dir: Path
    admin: tuple[Account, LocalStore]
    sessions: dict[Session, Path] = field(default_factory=dict)
    """Running sessions and their data folders (one profile folder per device)."""
    _profiles: itertools.count[int] = field(default_factory=itertools.count)
    _inviting: asyncio.Lock = field(default_factory=asyncio.Lock)
    """One invitation at a time: each opens a connection of the administrator's device, and
    the relay allows a device only a few at once."""

    async def session(self, user_id: str, role: str = "member", *, documents: int = 3) -> Session:
        """A new device of ``user_id`` (its own profile folder), started, ``documents`` ready."""
        async with self._inviting:
            invitation = await invite(*self.admin, user_id, role)
        council = dataclasses.replace(self.council, invitations={user_id: invitation.text()})
        devices = self.data_dir / f"devices-{next(self._profiles)}"
        session = await member_session(council, devices, user_id, documents=documents)
        self.sessions[session] = devices
        return session

    async def hand_over(self, session: Session) -> tuple[Path, str]:
        """Stop ``session``; returns (data folder, profile) for the app run as a process."""
        devices = self.sessions.pop(session)
        await session.close()
        return devices, session.user_id


@contextlib.asynccontextmanager
async def bench_council(data_dir: Path, extra_members: int) -> AsyncIterator[AppCouncil]:
    """The demo council with ``extra_members`` more councillors (see the module docstring)."""
    await asyncio.to_thread(seed_members, data_dir / "demo" / "relay", extra_members)
    async with demo_council(data_dir / "demo") as council:

        def open_admin() -> tuple[Account, LocalStore]:
            store = LocalStore.open(data_dir / "demo" / "devices", "demo-admin", DEMO_PASSPHRASE)
            account = Account.load(store)
            assert account is not None, "the demo enrols its administrator before it is ready"
            return account, store

        admin = await asyncio.to_thread(open_admin)
        bench = AppCouncil(council, data_dir, admin)
        try:
            yield bench
        finally:
            for session in list(bench.sessions):
                with contextlib.suppress(Exception):
                    await session.close()
            admin[1].close()


__all__ = ["MEETING_ID", "AppCouncil", "bench_council"]
