"""The chair's page turn and shared ink on a follower's window, with 30 follower engines online.

Everything but the bare baseline runs in this process on the app's qasync loop, as the tour
does: the demo relay, the chair's window, 30 real :class:`~furano_meet.sync.engine.SyncEngine`
followers enrolled in the demo council (each its own device, store and meeting key), one of
them with a window.

* **Chair's turn → painted on the follower's window**: ``Viewer.turn_page`` on the chair's
  window (the chair presents) to the follower window's first paint of that page
  (``page_painted``). The chair walks the 12-page 議案書 back and forth.
* **Shared stroke → painted on another device**: the chair's ``add_annotation(..., SHARED)`` to
  the start of the follower canvas's first paint that holds the new stroke (an event filter on
  the canvas sees the paint event; the paint itself is one ``drawPixmap`` and a path). Taken
  twice: with all the follower engines online in this process, then with the other followers
  stopped, so only the two devices (the chair's and the follower's) receive the stroke. The
  first overstates what a device sees — 31 engines share this process and its GUI thread,
  each verifying and storing every stroke before the window's engine gets its turn; on real
  devices each engine has a CPU of its own — so the issue's "a shared stroke painted on
  another device" is judged on the second.
* **Baseline**: a bare ``websockets`` server passing each frame to ``websockets.broadcast``
  with 30 raw clients, in its own process (:mod:`bench.fanout`'s bare side), a turn after each
  of ours: the least any relay could take to reach 30 devices on this machine.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QObject

from furano_meet.annotations import AnnotationBody, Ink, InkPoint
from furano_meet.app.page_canvas import PageCanvas
from furano_meet.app.session import Session
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.store.records import Visibility

from .app_council import MEETING_ID, AppCouncil
from .fanout import Side, _bare_side
from .processes import ServerProcess

FOLLOWERS = 30
WINDOW_SIZE = (1280, 860)
TIMEOUT = 30.0
WARMUP = 3


class InkPainted(QObject):
    """Resolves a future when the canvas starts a paint that holds at least ``want`` strokes."""

    def __init__(self, canvas: PageCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.want = 0
        self.future: asyncio.Future[float] | None = None
        canvas.installEventFilter(self)

    def expect(self, strokes: int) -> asyncio.Future[float]:
        self.want = strokes
        self.future = asyncio.get_running_loop().create_future()
        return self.future

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        future = self.future
        if (
            event.type() == QEvent.Type.Paint
            and future is not None
            and not future.done()
            and len(self.canvas.ink) >= self.want
        ):
            future.set_result(time.perf_counter())
        return super().eventFilter(watched, event)


@dataclass
class Follow:
    turns: list[float] = field(default_factory=list)
    strokes: list[float] = field(default_factory=list)
    """With every follower engine online in this process."""
    strokes_two: list[float] = field(default_factory=list)
    """With the chair's and the window's engines alone (the other followers stopped)."""
    bare: list[float] = field(default_factory=list)
    setup_s: float = 0.0


def window(session: Session) -> MainWindow:
    win = MainWindow(session)
    win.resize(*WINDOW_SIZE)
    win.show()
    win.choose_meeting(MEETING_ID)
    return win


async def followers(council: AppCouncil, extra: list[str], count: int) -> list[Session]:
    """``count`` follower sessions: the demo's councillors first, then the extra members."""
    users = ["giin1", "giin2", "giin3", *extra][:count]
    sessions: list[Session] = []
    for batch in range(0, len(users), 6):  # a few enrolments at a time on two cores
        sessions += await asyncio.gather(*(council.session(u) for u in users[batch : batch + 6]))
    return sessions


async def measure_follow(
    council: AppCouncil, extra: list[str], *, count: int, turns: int, strokes: int
) -> Follow:
    result = Follow()
    started = time.perf_counter()
    chair_session = await council.session("iincho", "chair")
    audience = await followers(council, extra, count)
    chair, member = window(chair_session), window(audience[0])
    try:
        async with ServerProcess("bare-broadcast") as server:
            bare = await _bare_side(server)
            try:
                await bare.grow(count)
                await _present(chair, member)
                result.setup_s = round(time.perf_counter() - started, 1)
                await _turns(chair, member, bare, turns, result)
                await _strokes(chair, member, strokes, result.strokes)
                for session in audience[1:]:  # only the two devices remain
                    await council.hand_over(session)
                await _strokes(chair, member, strokes, result.strokes_two)
            finally:
                await bare.close()
    finally:
        for win in (chair, member):
            win.close()
            win.deleteLater()
    return result


async def _present(chair: MainWindow, member: MainWindow) -> None:
    """The chair opens 議案書 and brings everyone to page 1; the follower shows it."""
    windows = (chair, member)
    await until(lambda: all(w.agenda.count() and w.meetings.currentItem() for w in windows))
    opened = expect_paint(chair.viewer, 0)
    chair.viewer.open_document(*FIRST_DOCUMENT)
    await asyncio.wait_for(opened, TIMEOUT)
    followed = expect_paint(member.viewer, 0)
    chair.viewer.presenter_bar.bring.click()
    await asyncio.wait_for(followed, TIMEOUT)
    await until(lambda: member.viewer.follow_bar.state == "following")


async def _turns(
    chair: MainWindow, member: MainWindow, bare: Side, turns: int, result: Follow
) -> None:
    viewer = chair.viewer
    assert viewer.document is not None
    count, step = viewer.document.page_count, 1
    for i in range(WARMUP + turns):
        if not 0 <= viewer.page + step < count:
            step = -step
        page = viewer.page + step
        painted = expect_paint(member.viewer, page)
        start = time.perf_counter()
        viewer.turn_page(page)
        latency = await asyncio.wait_for(painted, TIMEOUT) - start
        baseline = await bare.turn()
        if i >= WARMUP:
            result.turns.append(latency)
            result.bare.append(baseline)


async def _strokes(
    chair: MainWindow, member: MainWindow, strokes: int, samples: list[float]
) -> None:
    viewer, canvas = chair.viewer, member.viewer.canvas
    doc = viewer.document
    assert doc is not None
    await until(lambda: member.viewer.page == viewer.page)
    watcher = InkPainted(canvas)
    engine = chair.viewer.session.engine
    try:
        for i in range(strokes):
            have = len(canvas.ink)
            painted = watcher.expect(have + 1)
            y = 100.0 + 12 * (i % 40)
            line = tuple(InkPoint(80.0 + 20 * k, y + (k % 2) * 4) for k in range(12))
            body = AnnotationBody(Ink(line, "#1a56db", 2.0))
            start = time.perf_counter()
            await engine.add_annotation(
                MEETING_ID, doc.doc_id, doc.version, viewer.page, body,
                visibility=Visibility.SHARED,
            )  # fmt: skip
            samples.append(await asyncio.wait_for(painted, TIMEOUT) - start)
    finally:
        canvas.removeEventFilter(watcher)


# -- run alone (issue #9, fifth session): the shared-stroke rows without the rest of bench.app --


async def _strokes_alone(strokes: int) -> dict[str, object]:
    """The chair and one follower window, ``strokes`` shared strokes on one page: the same
    samples as :mod:`bench.app`'s "2 devices alone" rows, with the page's (and the meeting's
    ledger's) notes growing from 0 to ``strokes``."""
    import tempfile
    from pathlib import Path

    from .app_council import bench_council
    from .report import percentile

    with tempfile.TemporaryDirectory(prefix="furano-bench-follow-") as tmp:
        async with bench_council(Path(tmp), 0) as council:
            result = await measure_follow(council, [], count=1, turns=2, strokes=strokes)
    samples = result.strokes + result.strokes_two
    half = len(samples) // 2

    def summary(values: list[float]) -> dict[str, float]:
        return {f"p{q}_ms": round(percentile(values, q) * 1000, 1) for q in (50, 95)}

    return {
        "strokes": len(samples),
        "all": summary(samples),
        "first_half": summary(samples[:half]),
        "second_half": summary(samples[half:]),
    }


def main() -> None:
    """``python -m bench.app_follow [STROKES]``: the shared stroke → painted on the other
    device, the two devices alone, offscreen (a measurement, not a bench.app row)."""
    import json
    import os
    import sys

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QT_API", "pyside6")
    import qasync

    from furano_meet.app.__main__ import make_app

    strokes = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    app = make_app(sys.argv[:1])
    print(json.dumps(qasync.run(_strokes_alone(strokes))))
    app.shutdown()


if __name__ == "__main__":
    main()
