"""``python -m furano_meet.app.tour DIR``: the demo council, scripted and photographed.

Starts the embedded relay with the demo council, opens the chair's (委員長) and a councillor's
(委員 北野) windows offscreen, and plays the meeting the issue describes: the chair opens the
first document, brings everyone to it and turns to page 5, points at it and draws a shared
stroke; the councillor follows, leafs back to page 2 (the return bar shows) and returns with
one tap. Each step writes ``NN-step-chair.png`` and ``NN-step-councillor.png`` into DIR, and
``tour.json`` records the steps and the measured chair-turn-to-follower-painted latencies.
Every wait is on a positive marker (a page painted, a pointer shown); none is a sleep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from server.demo import MEETING_ID

from .session import Session
from .viewer import Viewer
from .window import MainWindow

WINDOW_SIZE = (1280, 860)
FIRST_DOCUMENT = ("demo-1", 1)
PageKey = tuple[str, int, int]


def expect_paint(
    viewer: Viewer, page: int, document: tuple[str, int] = FIRST_DOCUMENT
) -> asyncio.Future[float]:
    """A future resolved with the time ``viewer`` first paints ``page`` of ``document`` (the
    first one by default; the app benchmarks name theirs).

    Make it *before* the action that should cause the paint."""
    key: PageKey = (*document, page)
    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def seen(painted: object, at: float) -> None:
        if painted == key and not future.done():
            future.set_result(at)

    viewer.page_painted.connect(seen)
    future.add_done_callback(lambda _: viewer.page_painted.disconnect(seen))
    return future


async def until(condition: Callable[[], bool], timeout: float = 20) -> None:
    """Poll a visible marker (a widget's state) until it holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def drag(widget: QWidget, points: list[QPointF]) -> None:
    """A pen-like drag with synthetic mouse events (press, moves, release)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    steps = [(QEvent.Type.MouseButtonPress, points[0], left, left)]
    steps += [(QEvent.Type.MouseMove, p, none, left) for p in points[1:]]
    steps.append((QEvent.Type.MouseButtonRelease, points[-1], left, none))
    for kind, pos, button, buttons in steps:
        event = QMouseEvent(
            kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(widget, event)


class Tour:
    def __init__(self, out: Path, chair: Session, member: Session) -> None:
        self.out = out
        self.chair = MainWindow(chair)
        self.member = MainWindow(member)
        self.steps: list[dict[str, Any]] = []
        self.latencies_ms: list[float] = []
        for window in (self.chair, self.member):
            window.resize(*WINDOW_SIZE)
            window.show()
            window.choose_meeting(MEETING_ID)

    def close(self) -> None:
        for window in (self.chair, self.member):
            window.close()
            window.deleteLater()

    def shoot(self, name: str, what: str) -> None:
        number = len(self.steps) + 1
        files = {}
        for who, window in (("chair", self.chair), ("councillor", self.member)):
            path = self.out / f"{number:02d}-{name}-{who}.png"
            window.grab().save(str(path))
            files[who] = path.name
        self.steps.append({"step": number, "name": name, "what": what, "files": files})

    async def chair_turns_to(self, page: int) -> None:
        """The chair turns a page; the time until the councillor's window painted it."""
        painted = expect_paint(self.member.viewer, page)
        start = time.perf_counter()
        self.chair.viewer.turn_page(page)
        async with asyncio.timeout(20):
            self.latencies_ms.append((await painted - start) * 1000)

    async def play(self) -> dict[str, Any]:
        chair, member = self.chair.viewer, self.member.viewer
        windows = (self.chair, self.member)
        await until(lambda: all(w.agenda.count() and w.meetings.currentItem() for w in windows))
        self.shoot("start", "Both windows open on the meeting; nobody presents yet.")

        opened = expect_paint(chair, 0)
        chair.open_document(*FIRST_DOCUMENT)
        await asyncio.wait_for(opened, 20)
        followed = expect_paint(member, 0)
        chair.presenter_bar.bring.click()
        await asyncio.wait_for(followed, 20)
        await until(lambda: member.follow_bar.state == "following")
        self.shoot("chair-presents", "The chair brings everyone to page 1; the councillor follows.")

        for page in range(1, 5):
            await self.chair_turns_to(page)
        chair.presenter_bar.pointer.click()
        spot = chair.canvas.page_rect()
        drag(chair.canvas, [QPointF(spot.center().x(), spot.top() + spot.height() * 0.3)])
        await until(lambda: member.canvas.pointer is not None)
        self.shoot("page-5-pointer", "The chair turned to page 5 and points; the pointer shows.")

        chair.presenter_bar.pen.click()
        x0, y0 = spot.left() + spot.width() * 0.15, spot.top() + spot.height() * 0.45
        stroke = [QPointF(x0 + i * spot.width() * 0.035, y0 + (i % 2) * 12) for i in range(20)]
        drag(chair.canvas, stroke)
        await until(lambda: len(member.canvas.ink) > 0)
        chair.presenter_bar.pen.click()
        self.shoot("shared-stroke", "The chair's shared stroke appears on the councillor's page.")

        browsed = expect_paint(member, 1)
        member.turn_page(1)
        await asyncio.wait_for(browsed, 20)
        await until(lambda: member.follow_bar.state == "browsing")
        self.shoot("councillor-browses", "The councillor leafs back to page 2: the return bar.")

        returned = expect_paint(member, 4)
        member.follow_bar.back.click()
        await asyncio.wait_for(returned, 20)
        await until(lambda: member.follow_bar.state == "following" and bool(member.canvas.ink))
        self.shoot("councillor-returns", "One tap on 戻る: back on the chair's page 5.")
        return {
            "meeting": MEETING_ID,
            "document": FIRST_DOCUMENT[0],
            "window_size": WINDOW_SIZE,
            "steps": self.steps,
            "shared_stroke": "drawn by the chair, shown on the councillor's window",
            "chair_turn_to_follower_painted_ms": {
                "samples": [round(x, 1) for x in self.latencies_ms],
                "median": round(statistics.median(self.latencies_ms), 1),
                "max": round(max(self.latencies_ms), 1),
            },
        }


async def run_tour(out: Path) -> dict[str, Any]:
    """Play the tour into ``out``; returns (and writes) what ``tour.json`` holds."""
    from .council import demo_council, member_session  # the demo (and PyMuPDF) only here:
    # tests and the benchmark's app process import expect_paint/until from this module

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="furano-tour-") as tmp:
        async with demo_council(Path(tmp) / "demo") as council:
            devices = Path(tmp) / "devices"
            chair, member = await asyncio.gather(
                member_session(council, devices, "iincho"),
                member_session(council, devices, "giin1"),
            )
            tour = Tour(out, chair, member)
            try:
                report = await tour.play()
            finally:
                for session in (chair, member):
                    await session.close()
                tour.close()
    (out / "tour.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m furano_meet.app.tour", description=__doc__)
    parser.add_argument("dir", help="folder for the screenshots and tour.json")
    args = parser.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # scripted: never needs a display
    import qasync

    from .__main__ import make_app

    app = make_app(sys.argv[:1])
    report = qasync.run(run_tour(Path(args.dir)))
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)  # the closed windows go now
    app.shutdown()  # and Qt's objects before Python's final collection
    latency = report["chair_turn_to_follower_painted_ms"]
    print(
        f"tour written to {args.dir}: {len(report['steps'])} steps, "
        f"chair turn → follower painted median {latency['median']} ms, max {latency['max']} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
