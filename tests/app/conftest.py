"""The app's tests: the real Qt app offscreen, on a qasync loop, against the real relay.

Offscreen is set here, for these tests only (users get their real display). pytest-asyncio
runs each async test on a ``qasync.QEventLoop`` through its loop-factory hook, so the engine,
the relay and the widgets share the one Qt event loop exactly as in the app.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_API", "pyside6")

import contextlib  # noqa: E402
import gc  # noqa: E402
from collections.abc import AsyncIterator, Callable, Mapping  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import qasync  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from furano_meet.app.__main__ import make_app  # noqa: E402
from furano_meet.app.appearance import Appearance  # noqa: E402
from furano_meet.app.council import DemoCouncil, demo_council, member_session  # noqa: E402
from furano_meet.app.language import set_language  # noqa: E402
from furano_meet.app.session import Session  # noqa: E402
from furano_meet.app.window import MainWindow  # noqa: E402
from furano_meet.preferences import Preferences  # noqa: E402
from server.demo import MEETING_ID  # noqa: E402


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], qasync.QEventLoop]]:
    def qt_loop() -> qasync.QEventLoop:
        app = make_app([])
        set_language(app, "ja")  # the tests read Japanese, whatever the machine's language
        Appearance.of(app).apply(Preferences())  # and the default look, whatever ran before
        return qasync.QEventLoop(app)

    return {"qasync": qt_loop}


class Windows:
    """Members' app windows on the demo council: ``await windows.open(user_id)``."""

    def __init__(self, council: DemoCouncil, devices: Path, qtbot: QtBot) -> None:
        self.council, self.devices, self.qtbot = council, devices, qtbot
        self.sessions: list[Session] = []

    async def open(self, user_id: str) -> MainWindow:
        session = await member_session(self.council, self.devices, user_id)
        self.sessions.append(session)
        window = MainWindow(session)
        self.qtbot.addWidget(window)  # pytest-qt closes it after the test
        window.resize(1280, 860)
        window.show()
        window.choose_meeting(MEETING_ID)
        return window


def quiet_pymupdf_garbage() -> None:
    """Free what earlier tests left now: PyMuPDF is not thread-safe and the demo council writes
    its PDFs on a worker thread, so an earlier test's PyMuPDF garbage (e.g. the PDF generated
    on this thread by test_errors) must not be freed here while that runs (it segfaulted)."""
    gc.collect()


@contextlib.asynccontextmanager
async def app_council(tmp_path: Path, qtbot: QtBot) -> AsyncIterator[Windows]:
    """The demo council and members' windows, all stopped before the test returns.

    Not a fixture on purpose: pytest-qt processes Qt events between a test and its fixtures'
    teardown, when the qasync loop is not running, so nothing asynchronous may outlive the
    test body (a relay's timer firing then would find no running loop).
    """
    quiet_pymupdf_garbage()
    async with demo_council(tmp_path / "demo") as council:
        windows = Windows(council, tmp_path / "devices", qtbot)
        try:
            yield windows
        finally:
            for session in windows.sessions:
                await session.close()
