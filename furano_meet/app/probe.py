"""A line-based probe into a running app, for end-to-end tests that run it as a process.

With ``FURANO_MEET_PROBE=1`` in its environment, ``python -m furano_meet.app`` prints what a
user would see, one fact a line on stdout, and takes a few of a user's intents on stdin — so a
test can start two real app processes and wait on a positive marker (qutebrowser's end-to-end
tests wait on log lines the same way). Without the variable nothing is installed.

Lines out (``probe`` + words)::

    probe meetings N            the meeting list shows N meetings (on every change)
    probe ready DOC VERSION     a document arrived and can be opened
    probe painted DOC VERSION PAGE
    probe notice CODE           the error presenter said something (its code); also a
                                start-up failure shown in a box before any window
    probe follow STATE          the follow bar: idle / following / browsing / presenting
    probe status STATE PENDING  online / offline / syncing, changes still to send
    probe ink DOC VERSION PAGE N  shared strokes on the page shown
    probe settled FROZEN SCANNED PYMUPDF  start-up settled and its heap was frozen
                                (garbage.py): objects frozen, objects a full collection
                                still scans, ``pymupdf-absent``/``-loaded`` in this process
    probe heap FROZEN SCANNED   the same two counts now (asked for with ``heap``)

Lines in: ``meeting ID`` (chosen in the list), ``open DOC VERSION [PAGE]``, ``turn PAGE``, ``bring`` (全員をこのページへ), ``stroke``
(a shared stroke across the page shown), ``heap``, ``quit`` (closes the window as a user would).
Commands are read on a daemon thread and run on the GUI thread (a queued signal).
"""

from __future__ import annotations

import gc
import os
import sys
import threading

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from furano_meet.pagespace import Point
from furano_meet.sync.events import DocumentReady, SyncEvent

from .error_presenter import Notice
from .garbage import GarbageAtRest
from .window import MainWindow

PROBE_ENV = "FURANO_MEET_PROBE"


def say(*words: object) -> None:
    print("probe", *words, flush=True)


def say_at_start(notice: Notice) -> None:
    """A start-up failure, said before its message box: no window, so no probe, was installed.

    Why: a test waiting for ``meetings N`` otherwise saw nothing at all for its whole timeout
    (a store wrongly taken for damaged looked like a hang, sixth session).
    """
    if os.environ.get(PROBE_ENV):
        say("notice", notice.code)


class Probe(QObject):
    """See the module docstring; :func:`install` makes one when the variable is set."""

    command = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._seen: dict[str, object] = {}
        session, viewer = window.session, window.viewer
        viewer.page_painted.connect(lambda key, _at: say("painted", *key))
        session.errors.shown.connect(self._notice)
        session.engine_event.connect(self._event)
        self.command.connect(self._run)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            GarbageAtRest.of(app).frozen.connect(self._settled)
        self._timer = QTimer(self, interval=50)  # cheap reads of what the widgets show
        self._timer.timeout.connect(self._look)
        self._timer.start()
        threading.Thread(target=self._read, name="furano-probe", daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            self.command.emit(line.strip())
        self.command.emit("quit")  # stdin closed: the test is done with this app

    def _notice(self, notice: Notice) -> None:
        say("notice", notice.code)

    def _settled(self, frozen: int, scanned: int) -> None:
        pdf_library = "pymupdf-loaded" if "pymupdf" in sys.modules else "pymupdf-absent"
        say("settled", frozen, scanned, pdf_library)

    def _event(self, event: SyncEvent) -> None:
        if isinstance(event, DocumentReady):
            say("ready", event.document_id, event.version)

    def _look(self) -> None:
        window = self.window
        status = window.status
        here = window.viewer.canvas.key
        facts: dict[str, tuple[object, ...]] = {
            "meetings": (len(window.meetings.entries()),),
            "follow": (window.viewer.follow_bar.state,),
            "status": (status.connectivity.value, window.session.engine.status.pending_ops),
            "ink": (*here, len(window.viewer.canvas.ink)) if isinstance(here, tuple) else (),
        }
        for name, value in facts.items():
            if value and self._seen.get(name) != value:
                self._seen[name] = value
                say(name, *value)

    def _run(self, line: str) -> None:
        viewer = self.window.viewer
        words = line.split()
        if not words:
            return
        if words[0] == "meeting":
            self.window.choose_meeting(words[1])
        elif words[0] == "open":
            viewer.open_document(words[1], int(words[2]), int(words[3]) if words[3:] else 0)
        elif words[0] == "turn":
            viewer.turn_page(int(words[1]))
        elif words[0] == "bring":
            viewer.bring_everyone_here()
        elif words[0] == "stroke":
            viewer.share_stroke(tuple(Point(100 + 20 * i, 200 + 5 * (i % 2)) for i in range(10)))
        elif words[0] == "heap":
            say("heap", gc.get_freeze_count(), len(gc.get_objects()))
        elif words[0] == "quit":
            self.window.close()


def install(window: MainWindow) -> Probe | None:
    """A :class:`Probe` on ``window`` when ``FURANO_MEET_PROBE`` is set, else nothing."""
    return Probe(window) if os.environ.get(PROBE_ENV) else None
