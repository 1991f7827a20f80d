"""The app's own process after start-up: its heap frozen, PyMuPDF not loaded (docs/app.md,
"Start-up").

A councillor's device that already holds the demo pack is opened by the real
``python -m furano_meet.app`` (offscreen, watched through its probe). Once the meeting list's
first load is done the app freezes what start-up made (``furano_meet/app/garbage.py``), so a
full collection on the GUI thread scans only what the meeting created since: counted with
``gc.get_objects()`` against ``gc.get_freeze_count()`` in the app's process, after a page of
the pack was opened and painted. Counts, not times.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from furano_meet.app.council import demo_council, member_session
from furano_meet.app.tour import FIRST_DOCUMENT
from tests.app.app_process import app_processes
from tests.app.conftest import quiet_pymupdf_garbage

DOC = " ".join(map(str, FIRST_DOCUMENT))  # "demo-1 1"
IMPORTED_AT_LEAST = 30_000
"""Objects the app's imports alone leave on the heap (~70,000 here): what the freeze must hold."""


def counts(line: str) -> tuple[int, int]:
    """(frozen, scanned) from ``settled F S …`` or ``heap F S``."""
    words = line.split()
    return int(words[1]), int(words[2])


@pytest.mark.production_scrypt  # an ordinary start: no upgrade (that is test_old_cost_store.py)
async def test_after_start_a_full_collection_scans_only_what_the_meeting_made(
    tmp_path: Path, qtbot: QtBot
) -> None:
    quiet_pymupdf_garbage()
    devices = tmp_path / "devices"
    async with demo_council(tmp_path / "demo") as council:
        session = await member_session(council, devices, "giin1")  # the pack on the device
        await session.close()  # and its store: the app's process has the profile to itself
        async with app_processes(devices, "giin1") as (app,):
            await app.seen("meetings 1")
            _, settled = await app.said(lambda line: line.startswith("settled "), "settled")
            frozen, _ = counts(settled)
            assert frozen > IMPORTED_AT_LEAST  # the imports and start-up's objects
            # the pages render in the render process; the font came from the cache folder
            assert settled.split()[3] == "pymupdf-absent"

            app.tell(f"open {DOC}")
            await app.seen(f"painted {DOC} 0")
            asked = app.tell("heap")
            _, heap = await app.said(lambda line: line.startswith("heap "), "heap", asked)
            frozen_now, scanned = counts(heap)
            print(f"\nafter start: {frozen_now} objects frozen, a full collection scans {scanned}")
            assert IMPORTED_AT_LEAST < frozen_now <= frozen  # frozen once (some freed since)
            assert 0 < scanned * 5 < frozen_now + scanned  # a full collection: < 1/5 of the heap
            assert await app.quit() == 0
