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
from collections.abc import AsyncIterator, Callable, Iterator, Mapping  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import qasync  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from furano_meet import demo  # noqa: E402
from furano_meet.app.__main__ import make_app  # noqa: E402
from furano_meet.app.appearance import Appearance  # noqa: E402
from furano_meet.app.council import DemoCouncil, demo_council, member_session  # noqa: E402
from furano_meet.app.language import set_language  # noqa: E402
from furano_meet.app.session import Session  # noqa: E402
from furano_meet.app.window import MainWindow  # noqa: E402
from furano_meet.preferences import Preferences  # noqa: E402
from furano_meet.store import keysource  # noqa: E402
from server.demo import MEETING_ID  # noqa: E402
from tests import pdfs  # noqa: E402


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], qasync.QEventLoop]]:
    def qt_loop() -> qasync.QEventLoop:
        app = make_app([])
        set_language(app, "ja")  # the tests read Japanese, whatever the machine's language
        Appearance.of(app).apply(Preferences())  # and the default look, whatever ran before
        return qasync.QEventLoop(app)

    return {"qasync": qt_loop}


CHEAP_SCRYPT = keysource.ScryptParams(n=2**14)
"""The floor ``ScryptParams.validate`` accepts: 16 MiB and ~0.08 s instead of 128 MiB and ~0.5 s."""


@pytest.fixture(autouse=True)
def cheap_scrypt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passphrase stores made (and kept) at the cheapest valid scrypt cost during an app test.

    Why: every demo council makes two passphrase stores (its administrator's and clerk's
    devices) and every member session one more; at the production cost that was ~0.5 s of
    scrypt each on a quiet machine, over a minute of the suite. The cost is not what these tests
    are about (``tests/store/test_keysource.py`` tests scrypt, the upgrade, and that
    ``keysource.CURRENT_SCRYPT`` is the production default). Restored after every test.
    ``@pytest.mark.production_scrypt`` keeps the real cost: for stores a separate app process
    opens (it would see a cheap store as an old one and move it to the production cost first).
    """
    if request.node.get_closest_marker("production_scrypt") is None:
        monkeypatch.setattr(keysource, "CURRENT_SCRYPT", CHEAP_SCRYPT)


@pytest.fixture(scope="session", autouse=True)
def demo_documents_once() -> Iterator[None]:
    """The demo council's three PDFs generated once per test session, not once per council.

    Why: generating them costs ~1.7 s (PyMuPDF laying out Japanese text), and about 40 app tests
    start a demo council. Safe: they are the same bytes on every call (``tests/pdfs.py``), so
    every council publishes exactly what it would have made itself.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "demo_documents", pdfs.demo_documents)
        yield


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
