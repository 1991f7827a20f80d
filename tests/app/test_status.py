"""The connection status: online while the relay runs, calmly offline once it stops."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.app.council import demo_council
from furano_meet.app.session import Session
from furano_meet.app.status_area import status_text
from furano_meet.app.tour import until
from furano_meet.sync.events import Connectivity, SyncStatus
from tests.app.conftest import Windows, quiet_pymupdf_garbage


def test_the_words_count_changes_still_to_send(qtbot: QtBot) -> None:
    assert status_text(SyncStatus(Connectivity.ONLINE)) == "オンライン"
    assert status_text(SyncStatus(Connectivity.ONLINE, pending_ops=3)) == "同期中 3件"
    offline = status_text(SyncStatus(Connectivity.OFFLINE, pending_ops=2))
    assert offline.startswith("オフライン — 保存済みの資料は読めます")
    assert "未送信2件" in offline


async def test_status_shows_offline_when_the_relay_stops(tmp_path: Path, qtbot: QtBot) -> None:
    sessions: list[Session] = []
    quiet_pymupdf_garbage()
    try:
        async with demo_council(tmp_path / "demo") as council:
            windows = Windows(council, tmp_path / "devices", qtbot)
            sessions = windows.sessions
            window = await windows.open("giin1")
            status = window.status
            await until(lambda: status.connectivity is Connectivity.ONLINE)
            assert status.text() == "● オンライン"
            assert status.isVisible()
        # the relay has stopped: the app says so, calmly, and the page stays readable
        await until(lambda: status.connectivity is Connectivity.OFFLINE)
        assert "オフライン — 保存済みの資料は読めます" in status.text()
        assert not window.notice.isVisible()  # not an error: no banner
        window.grab().save(str(tmp_path / "offline.png"))
    finally:
        for session in sessions:
            await session.close()
