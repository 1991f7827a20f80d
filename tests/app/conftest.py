"""The app's tests: the real Qt app offscreen, on a qasync loop, against the real relay.

Offscreen is set here, for these tests only (users get their real display). pytest-asyncio
runs each async test on a ``qasync.QEventLoop`` through its loop-factory hook, so the engine,
the relay and the widgets share the one Qt event loop exactly as in the app.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_API", "pyside6")

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import qasync  # noqa: E402

from furano_meet.app.__main__ import make_app  # noqa: E402
from furano_meet.app.council import DemoCouncil, demo_council, member_session  # noqa: E402
from furano_meet.app.session import Session  # noqa: E402
from furano_meet.app.window import MainWindow  # noqa: E402


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], qasync.QEventLoop]]:
    def qt_loop() -> qasync.QEventLoop:
        return qasync.QEventLoop(make_app([]))

    return {"qasync": qt_loop}


@pytest.fixture
async def council(tmp_path: Path) -> AsyncIterator[DemoCouncil]:
    """The demo council (relay, administrator, clerk with the published pack) in this test."""
    async with demo_council(tmp_path / "demo") as running:
        yield running


@pytest.fixture
async def open_window(
    council: DemoCouncil, tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[MainWindow]]]:
    """``await open_window(user_id)``: that member's enrolled session in a shown window."""
    made: list[tuple[Session, MainWindow]] = []

    async def make(user_id: str) -> MainWindow:
        session = await member_session(council, tmp_path / "devices", user_id)
        window = MainWindow(session)
        window.resize(1280, 860)
        window.show()
        window.choose_meeting("r8-4-somu")
        made.append((session, window))
        return window

    yield make
    for session, window in made:
        await session.close()
        window.close()
        window.deleteLater()
