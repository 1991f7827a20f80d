"""End to end with two app instances as separate processes: the chair's page turns and a
shared stroke reach the councillor's window in another process (issue #9, "Tests").

The demo council (real relay, the clerk's published pack) runs in this process; the chair's
and a councillor's devices are enrolled here, then each runs as ``python -m furano_meet.app``
offscreen, watched and driven through its probe (``tests/app/app_process.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from furano_meet.app.council import demo_council, enrolled_store
from furano_meet.app.tour import FIRST_DOCUMENT
from server.demo import MEETING_ID
from tests.app.app_process import app_processes
from tests.app.conftest import quiet_pymupdf_garbage

DOC = " ".join(map(str, FIRST_DOCUMENT))  # "demo-1 1"


@pytest.mark.production_scrypt  # the app processes open these stores at the production cost
async def test_the_chairs_turns_and_shared_stroke_reach_the_other_app_process(
    tmp_path: Path, qtbot: QtBot
) -> None:
    quiet_pymupdf_garbage()
    devices = tmp_path / "devices"
    async with demo_council(tmp_path / "demo") as council:
        for user_id in ("iincho", "giin1"):
            (await enrolled_store(council, devices, user_id)).close()
        async with app_processes(devices, "iincho", "giin1") as (chair, member):
            for app in (chair, member):
                await app.seen("meetings 1")
                app.tell(f"meeting {MEETING_ID}")
                await app.seen(f"ready {DOC}")

            chair.tell(f"open {DOC}")
            await chair.seen(f"painted {DOC} 0")
            asked = chair.tell("bring")  # 全員をこのページへ: the chair presents page 1
            await member.seen(f"painted {DOC} 0", after=asked)
            await member.seen("follow following")
            await chair.seen("follow presenting")

            latencies = []
            for page in (4, 7):
                turned = chair.tell(f"turn {page}")
                await chair.seen(f"painted {DOC} {page}", after=turned)
                latencies.append(await member.seen(f"painted {DOC} {page}", after=turned) - turned)
            print(
                f"\nchair's turn → the other process painted: {[round(x, 3) for x in latencies]} s"
            )
            drawn = chair.tell("stroke")  # 共有ペン: a shared stroke on the chair's page
            await member.seen(f"ink {DOC} 7 1", after=drawn)
            codes = [await app.quit() for app in (chair, member)]
        assert codes == [0, 0]  # both closed cleanly, as a user's close would
        notices = [line for app in (chair, member) for _, line in app.lines if "notice" in line]
        assert notices == []  # nothing went wrong on either screen
