"""The real app on a store it cannot open says so — in its message box and on its probe.

Why a test: a start-up failure is shown in a box before any window exists, and the probe used
to be installed only with the window; a test waiting for ``meetings N`` then saw nothing for
its whole timeout (the sixth session's "never showed its list" was such a box). Now the box's
code is a probe line, so the failure reads as itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from furano_meet.app.council import demo_council, enrolled_store
from furano_meet.store.layout import ProfilePaths
from tests.app.app_process import app_processes
from tests.app.conftest import quiet_pymupdf_garbage


@pytest.mark.production_scrypt  # the app process opens the store: same cost, no upgrade first
async def test_a_damaged_store_is_said_not_waited_for(tmp_path: Path, qtbot: QtBot) -> None:
    quiet_pymupdf_garbage()
    devices = tmp_path / "devices"
    async with demo_council(tmp_path / "demo") as council:
        store = await enrolled_store(council, devices, "giin1")
        await asyncio.to_thread(store.close)
    database = ProfilePaths.for_profile(devices, "giin1").database
    with database.open("r+b") as handle:  # cut short in the middle of a page
        handle.truncate(database.stat().st_size // 2 + 100)
    async with app_processes(devices, "giin1") as (app,):
        await app.seen("notice cache_damaged")
        assert not any(line.startswith("meetings") for _, line in app.lines)
        app.child.proc.kill()  # the box waits for a hand that offscreen never comes
