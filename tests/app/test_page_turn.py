"""A page turn that was not prefetched, in the real app (issue #9): what the turn asks for.

The timing is the benchmark's (``bench/app_viewer.py``); here the order of things is checked:
the page turned to is asked for once, sharp, with no stand-in in front of it, and the engine's
echo of the reader's own turn (``PresenterMoved``, arriving while the pixels are on their way)
asks for nothing again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytestqt.qtbot import QtBot

from bench.app_viewer import RequestLog
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.sync.events import PresenterMoved, SyncEvent
from furano_meet.sync.follow import PageRef
from tests.app.conftest import app_council

WAIT = 20
TARGET = 4


async def test_a_jump_asks_for_the_sharp_page_once_and_the_echo_asks_nothing(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        window = await windows.open("giin1")
        viewer = window.viewer
        opened = expect_paint(viewer, 0)
        viewer.open_document(*FIRST_DOCUMENT)
        await asyncio.wait_for(opened, WAIT)
        # the document's cost is measured by now: from here on no whole page gets a stand-in
        assert viewer.session.render.draw_cost(*FIRST_DOCUMENT) is not None
        await until(lambda: viewer.holds(viewer.request_for(1)), WAIT)  # the prefetch is done

        log = RequestLog(viewer)
        echoes: list[bool] = []
        target = PageRef(*FIRST_DOCUMENT, TARGET)

        def echoed(event: SyncEvent) -> None:  # the echo: were the sharp pixels still coming?
            if isinstance(event, PresenterMoved) and event.view.page == target:
                echoes.append(viewer.pixels.coming(TARGET))

        viewer.session.engine_event.connect(echoed)
        painted = expect_paint(viewer, TARGET)
        viewer.turn_page(TARGET)
        await asyncio.wait_for(painted, WAIT)
        await until(lambda: bool(echoes), WAIT)

        assert echoes == [True]  # the engine's echo came while the sharp pixels were on their way
        sharp = viewer.request_for(TARGET)
        asked = [r for r in log.requests if r.page == TARGET]
        assert asked == [sharp]  # once, sharp: no stand-in, and nothing again for the echo
        assert viewer.page_label.text().startswith(f"{TARGET + 1} / ")
