"""A collection never starts while Qt delivers an event (the app tests' intermittent segfault).

The app filters every event in Python (the lock's idle watch), so an automatic collection
could start there and free a closed, dropped window whose child Qt was delivering to. The
scenario runs in a child process: without :mod:`furano_meet.app.garbage` it dies of SIGSEGV.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """
import gc, os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget
from furano_meet.app.__main__ import make_app
from furano_meet.app.app_lock import IdleWatch

app = make_app([])
IdleWatch.of(app)  # Python runs inside the delivery of every event
gc.set_threshold(1, 1, 1)  # so that any allocation there may start a full collection
held = [QWidget()]  # a window, closed, that only a reference cycle will keep
held[0].cycle = held[0]
timer = QTimer(held[0])
timer.setInterval(0)  # its child gets an event on every turn of the loop
timer.start()
held[0].show()
held[0].close()
QTimer.singleShot(50, held.clear)  # dropped: garbage now
QTimer.singleShot(1000, app.quit)
app.exec()
print("freed" if not shiboken6.isValid(timer) else "kept")
"""


def test_a_dropped_window_is_collected_between_events_not_inside_one() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", SCENARIO],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "freed"  # collected all the same, at a quiet moment
