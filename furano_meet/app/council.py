"""The demo council in this process, and app sessions for its members (the tour and the tests).

:func:`demo_council` runs :func:`furano_meet.demo.run_demo` — the real relay on an ephemeral
127.0.0.1 port, the administrator's device that certifies enrolments and the clerk's device that
publishes the demo agenda pack — until the block ends. :func:`member_session` enrols one
councillor's device with a one-time invitation and returns its started :class:`Session` once
the whole pack is on the device.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from furano_meet.demo import DEMO_PASSPHRASE, DemoCouncil, run_demo
from furano_meet.store import LocalStore
from furano_meet.sync.account import Invitation, enrol
from furano_meet.sync.engine import SyncEngine
from server.demo import MEETING_ID

from .session import Session

__all__ = ["MEETING_ID", "DemoCouncil", "demo_council", "enrolled_store", "member_session"]


@contextlib.asynccontextmanager
async def demo_council(
    data_dir: Path, timeout: float = 60, *, port: int = 0
) -> AsyncIterator[DemoCouncil]:
    """``port`` 0 is an ephemeral one; the port of an earlier council on the same ``data_dir``
    starts that relay again (devices reconnect to the address they know)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[DemoCouncil] = loop.create_future()
    task = asyncio.create_task(run_demo(data_dir, port, ready=ready.set_result))
    try:
        async with asyncio.timeout(timeout):
            await asyncio.wait((ready, task), return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the demo failed to start: raise its error
        yield ready.result()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def enrolled_store(council: DemoCouncil, devices: Path, user_id: str) -> LocalStore:
    """``user_id``'s device enrolled with its one-time invitation: profile ``user_id`` under
    ``devices``, passphrase :data:`DEMO_PASSPHRASE` (``python -m furano_meet.app --profile
    user_id --data devices`` opens it once the store is closed). The caller closes it (or
    hands it to a :class:`Session` that does)."""

    def open_store() -> LocalStore:
        return LocalStore.open(devices, user_id, passphrase=DEMO_PASSPHRASE)

    store = await asyncio.to_thread(open_store)
    try:
        invitation = Invitation.parse(council.invitations[user_id])
        await enrol(store, council.url, invitation, f"{user_id} (app)")
    except BaseException:
        await asyncio.to_thread(store.close)
        raise
    return store


async def member_session(
    council: DemoCouncil, devices: Path, user_id: str, *, documents: int = 3, timeout: float = 60
) -> Session:
    """An enrolled, started session of ``user_id`` holding ``documents`` ready documents.

    The session owns the store opened for it: :meth:`Session.close` closes it."""
    store = await enrolled_store(council, devices, user_id)
    try:
        engine = await asyncio.to_thread(SyncEngine, store)
    except BaseException:
        await asyncio.to_thread(store.close)
        raise
    session = Session(engine, store=store)
    session.start()

    async def pack_ready() -> bool:
        docs = await session.engine.documents(MEETING_ID)
        return sum(d.ready for d in docs) >= documents and session.engine.view(MEETING_ID).joined

    try:
        await session.wait_until(pack_ready, timeout)
    except BaseException:  # (a timeout): nobody else gets the session to close
        await session.close()
        raise
    return session
