"""A councillor's window on a running relay, beside the clerk's device (the app's bad-input,
offline and real-world-PDF tests).

:func:`clerk_and_reader` seeds the demo council into the relay, certifies an administrator,
makes the clerk's device (with the meeting key) and giin1's device, and opens giin1's
:class:`MainWindow` on the meeting — its session not started yet, so a test can subscribe
before the first event. Everything is stopped before the block ends (the relay is the
caller's: a test may stop it and start it again).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.app.session import Session
from furano_meet.app.window import MainWindow
from server import demo
from server.demo import MEETING_ID
from server.relay import Relay
from tests.app.conftest import quiet_pymupdf_garbage
from tests.e2e.council import Council, Device


def open_window(session: Session, qtbot: QtBot) -> MainWindow:
    """``session``'s main window, shown (pytest-qt closes it after the test)."""
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(1280, 860)
    window.show()
    return window


@dataclass(frozen=True)
class Reading:
    clerk: Device
    member: Device
    window: MainWindow


@asynccontextmanager
async def clerk_and_reader(relay: Relay, root: Path, qtbot: QtBot) -> AsyncIterator[Reading]:
    """See the module docstring; ``root`` holds the devices' stores."""
    quiet_pymupdf_garbage()
    await relay.store.run(demo.seed, relay.store)
    council = Council(relay, root)
    session: Session | None = None
    try:
        await council.setup_admin()
        clerk = await council.device("jimukyoku")
        await clerk.engine.create_meeting_key(MEETING_ID)
        member = await council.device("giin1", start=False)
        session = Session(member.engine)
        window = open_window(session, qtbot)
        window.choose_meeting(MEETING_ID)
        yield Reading(clerk, member, window)
    finally:
        if session is not None:
            await session.close()
        await council.close()
