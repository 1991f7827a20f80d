"""Pen input → ink painted, in a real window (issue #9: ≤ 16 ms, one frame at 60 Hz).

Runs on the app's qasync loop in the reader's :class:`~furano_meet.app.window.MainWindow`
(:mod:`bench.app`), on the first page of the demo pack at fit-page, with the 「ペン」 tool chosen.
Each sample is one real ``TabletMove`` event (a stylus with pressure, sent to the page canvas
with ``QApplication.sendEvent``, as Qt delivers a driver's event) to the end of the canvas's
first paint that draws the live stroke *including that new sample*
(:attr:`~furano_meet.app.annotator.Annotator.live_painted`): the annotator's input handling,
the repaint of the segment's neighbourhood, Qt's paint of the page pixmap and the stroke.
Strokes are lifted and stored (private) between samples' rounds, as a writer would.

No baseline: the target is absolute (a frame at 60 Hz).
"""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import QEvent, QPointF

from furano_meet.app.ink_tools import Tool
from furano_meet.app.synthetic import stylus, tablet
from furano_meet.app.tour import FIRST_DOCUMENT
from furano_meet.app.viewer import Fit, Viewer

from .app_viewer import open_page

TIMEOUT = 10.0
STEP_PX = 8.0
"""Between samples: a brisk handwriting stroke at 60–120 Hz sampling."""


async def pen_to_ink(viewer: Viewer, strokes: int, moves: int) -> list[float]:
    """``strokes`` × ``moves`` samples, seconds from a move event to its ink painted."""
    await open_page(viewer, FIRST_DOCUMENT)
    viewer.set_fit(Fit.PAGE)
    annotator, canvas = viewer.annotator, viewer.canvas
    annotator.choose_tool(Tool.PEN)
    pen, samples = stylus(), []
    painted: asyncio.Future[float] | None = None
    wanted = 0

    def seen(count: int, at: float) -> None:
        if painted is not None and count == wanted and not painted.done():
            painted.set_result(at)

    annotator.live_painted.connect(seen)
    try:
        page = canvas.page_rect()
        for stroke in range(strokes):
            y = page.top() + page.height() * (0.1 + 0.8 * stroke / max(1, strokes))
            x = page.left() + page.width() * 0.1
            tablet(canvas, pen, QEvent.Type.TabletPress, QPointF(x, y), 0.5)
            for move in range(1, moves + 1):
                wanted = move + 1
                painted = asyncio.get_running_loop().create_future()
                start = time.perf_counter()
                tablet(canvas, pen, QEvent.Type.TabletMove, QPointF(x + move * STEP_PX, y), 0.6)
                samples.append(await asyncio.wait_for(painted, TIMEOUT) - start)
            tablet(canvas, pen, QEvent.Type.TabletRelease, QPointF(x + moves * STEP_PX, y), 0.0)
    finally:
        annotator.live_painted.disconnect(seen)
        annotator.choose_tool(None)
    await viewer.session.ops.settle()  # the strokes are stored before the window moves on
    return samples
