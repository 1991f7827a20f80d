"""Shared ink from another device is on the follower's canvas when its engine event arrives,
before any read of the store (issue #9: the read used to stand between the two)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.annotations import AnnotationBody, Ink, InkPoint
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.store.records import Visibility
from furano_meet.sync.events import AnnotationsChanged, SyncEvent
from server.demo import MEETING_ID
from tests.app.conftest import app_council

WAIT = 30


async def test_received_ink_is_on_the_canvas_when_its_event_arrives(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        chair = await windows.open("iincho")
        member = await windows.open("giin1")
        await until(lambda: len(member.agenda.entries()) == 3, WAIT)
        painted = expect_paint(member.viewer, 0)
        member.viewer.open_document(*FIRST_DOCUMENT)
        await asyncio.wait_for(painted, WAIT)
        await asyncio.wait_for(member.session.ops.settle(), WAIT)  # the page's ink was read

        on_canvas: asyncio.Future[tuple[Ink, ...]] = asyncio.get_running_loop().create_future()

        def after_the_viewer(event: SyncEvent) -> None:  # connected after the viewer's slot
            if isinstance(event, AnnotationsChanged) and event.notes and not on_canvas.done():
                on_canvas.set_result(member.viewer.canvas.ink)

        member.session.engine_event.connect(after_the_viewer)
        stroke = Ink(tuple(InkPoint(100.0 + 10 * k, 200.0 + k) for k in range(8)), "#1a56db", 2.0)
        await chair.session.engine.add_annotation(
            MEETING_ID, *FIRST_DOCUMENT, 0, AnnotationBody(stroke), visibility=Visibility.SHARED
        )
        assert await asyncio.wait_for(on_canvas, WAIT) == (stroke,)
