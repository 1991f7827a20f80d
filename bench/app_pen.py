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
import math
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


async def pen_to_ink(viewer: Viewer, strokes: int, moves: int, wave: float = 0.0) -> list[float]:
    """``strokes`` × ``moves`` samples, seconds from a move event to its ink painted; ``wave``
    (pixels) makes the strokes wavy (a curve smoothing fills in, see ink_smoothing.py)."""
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
                at = QPointF(x + move * STEP_PX, y + wave * math.sin(move / 2))
                tablet(canvas, pen, QEvent.Type.TabletMove, at, 0.6)
                samples.append(await asyncio.wait_for(painted, TIMEOUT) - start)
            tablet(canvas, pen, QEvent.Type.TabletRelease, QPointF(x + moves * STEP_PX, y), 0.0)
    finally:
        annotator.live_painted.disconnect(seen)
        annotator.choose_tool(None)
    await viewer.session.ops.settle()  # the strokes are stored before the window moves on
    return samples


# -- run alone (issue #9, fifth session): the pen rows without the rest of bench.app --


async def _pen_alone(strokes: int, moves: int, wave: float) -> dict[str, object]:
    """The reader's window of :mod:`bench.app` (giin2, 1280×860), the same samples."""
    import tempfile
    from pathlib import Path

    from .app_council import bench_council
    from .app_follow import window
    from .report import percentile

    with tempfile.TemporaryDirectory(prefix="furano-bench-pen-") as tmp:
        async with bench_council(Path(tmp), 0) as council:
            win = window(await council.session("giin2"))
            try:
                samples = await pen_to_ink(win.viewer, strokes, moves, wave)
            finally:
                win.close()
                win.deleteLater()
    return {
        "moves": len(samples),
        **{f"p{q}_ms": round(percentile(samples, q) * 1000, 2) for q in (50, 95)},
    }


def main() -> None:
    """``python -m bench.app_pen [STROKES [MOVES [WAVE]]]``: pen input → ink painted,
    offscreen."""
    import json
    import os
    import sys

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QT_API", "pyside6")
    import qasync

    from furano_meet.app.__main__ import make_app

    strokes = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    moves = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    wave = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    app = make_app(sys.argv[:1])
    print(json.dumps(qasync.run(_pen_alone(strokes, moves, wave))))
    app.shutdown()


if __name__ == "__main__":
    main()
