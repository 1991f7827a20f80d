"""Who closes a member's device store (``furano_meet/app/session.py``): the session it was
opened for, once, when the session closes — and nobody else's.

A store left open kept its SQLCipher connection, and so its file handles and the database's
shared lock, to the end of the process: every app test left its members' stores open. The
proof that it is closed is the one another program would meet: a second connection's
exclusive lock (:meth:`~furano_meet.store.database.Database.sole_access`, what a passphrase
change needs) is refused while any connection has the database open.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from furano_meet.app.council import demo_council, enrolled_store, member_session
from furano_meet.app.session import Session
from furano_meet.demo import DEMO_PASSPHRASE
from furano_meet.store import LocalStore
from furano_meet.store.errors import DatabaseBusy
from furano_meet.sync.engine import SyncEngine
from tests.app.conftest import quiet_pymupdf_garbage


def sole_access(devices: Path, user_id: str) -> None:
    """Open ``user_id``'s store as another program would and take its exclusive lock
    (``DatabaseBusy`` while any other connection has it open)."""
    other = LocalStore.open(devices, user_id, DEMO_PASSPHRASE)
    with other, other._db.sole_access():  # noqa: SLF001 - the lock a passphrase change takes
        pass


async def test_a_member_session_closes_its_store_and_a_given_engine_leaves_the_callers(
    tmp_path: Path, qtbot: QtBot
) -> None:
    quiet_pymupdf_garbage()
    devices = tmp_path / "devices"
    async with demo_council(tmp_path / "demo") as council:
        session = await member_session(council, devices, "giin1", documents=1)
        with pytest.raises(DatabaseBusy):  # open while the session runs (the check can fail)
            await asyncio.to_thread(sole_access, devices, "giin1")
        await session.close()
        await asyncio.to_thread(sole_access, devices, "giin1")  # nothing holds it any more
        await session.close()  # a second close is harmless: the store is closed once

        # a store handed over only inside its engine is its opener's: still open after close
        store = await enrolled_store(council, devices, "giin2")
        try:
            borrowed = Session(await asyncio.to_thread(SyncEngine, store))
            await borrowed.close()
            assert not store.closed
            with pytest.raises(DatabaseBusy):
                await asyncio.to_thread(sole_access, devices, "giin2")
        finally:
            await asyncio.to_thread(store.close)
        await asyncio.to_thread(sole_access, devices, "giin2")
