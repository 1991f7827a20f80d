"""``python3 dev.py run``: the demo council with two app windows, the chair's and a councillor's.

A newcomer should see page sync and shared ink within a minute: the embedded relay and the demo
council come up (:func:`~furano_meet.app.council.demo_council`), the chair (委員長) and a
councillor (委員 北野) each get an enrolled device with the agenda pack, and their windows open
side by side. Turn a page in the chair's window (present it) and the councillor's follows.

Everything lives in a temporary folder: each run starts fresh. Where there is no display (a
server, CI, an SSH session) it says so and runs the headless demo instead
(:mod:`furano_meet.demo`, persistent in ``data/demo``), which a terminal client can join.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

NO_DISPLAY = (
    "No display found (DISPLAY / WAYLAND_DISPLAY are not set): running the headless demo "
    "instead. `python3 dev.py run --tour DIR` shows the app offscreen, as screenshots."
)


def has_display() -> bool:
    """Whether windows can be shown here; Windows and macOS always have a screen."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def _run_windows() -> int:
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QApplication

    from furano_meet.demo import print_council

    from .council import MEETING_ID, demo_council, member_session
    from .screen_fit import room_on_screen, side_by_side
    from .window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="furano-demo-") as tmp:
        async with demo_council(Path(tmp) / "demo") as council:
            print_council(council)
            devices = Path(tmp) / "devices"
            sessions = await asyncio.gather(
                member_session(council, devices, "iincho"),
                member_session(council, devices, "giin1"),
            )
            closed = asyncio.get_running_loop().create_future()
            app.lastWindowClosed.connect(lambda: None if closed.done() else closed.set_result(None))
            windows = [MainWindow(session) for session in sessions]
            frames = side_by_side(len(windows), QSize(940, 860), room_on_screen(windows[0]))
            for window, frame in zip(windows, frames, strict=True):
                window.resize(frame.size())
                window.move(frame.topLeft())
                window.show()
                window.choose_meeting(MEETING_ID)
            try:
                await closed
            finally:
                for session in sessions:
                    await session.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m furano_meet.app.live_demo", description=__doc__
    )
    parser.add_argument("--tour", metavar="DIR", help="play the scripted tour offscreen into DIR")
    args, rest = parser.parse_known_args(argv)
    if args.tour:
        from .tour import main as tour

        return tour([args.tour])
    if not has_display():
        print(NO_DISPLAY, flush=True)
        from furano_meet import demo

        return demo.main(rest)
    import qasync

    from .__main__ import make_app

    make_app(sys.argv[:1])
    try:
        return int(qasync.run(_run_windows()))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
