"""Python's cyclic garbage collector, run by the Qt event loop between events, never inside one.

Why: the app filters every event of the application in Python (:class:`~.app_lock.IdleWatch`
counts input; :class:`~.appearance.Appearance` restyles), so Python runs — and allocates —
while Qt is in the middle of delivering an event to *any* object. An automatic collection
there frees whatever only reference cycles kept alive, e.g. a closed window nobody holds any
more. When that window was created in Python and has no parent, freeing its wrapper deletes
the C++ window and all its children — possibly the very child (a ``QTimer``, a viewport) Qt
is delivering to, which Qt touches again as soon as the filter returns: a segfault in the
event loop with no Python frame above ``run_forever`` (the app tests crashed so,
intermittently, whenever a collection happened to start there).

So automatic collection is switched off and this object's timer collects instead (the young
generation by its threshold, everything every 2 s): a timer's slot is a point where the only
object being delivered to is that timer, which the collector owns. Collection also stays on the GUI thread, away
from the worker threads that use PyMuPDF (which is not thread-safe).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

__all__ = ["GarbageAtRest"]

INTERVAL_MS = 250
"""How often the youngest generation's threshold is looked at (three integer comparisons)."""
FULL_EVERY = 8
"""A full collection every this many looks (2 s): an idle loop allocates too little to pass
the thresholds, and garbage some awaited finalizer depends on must not wait for that (the
tiles test hung at its loop's close, cancelling tasks, when only thresholds counted)."""


class GarbageAtRest(QObject):
    """One per application (:meth:`of`); collects while the event loop runs."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("furanoGarbageAtRest")
        self._looks = 0
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()
        gc.disable()

    @classmethod
    def of(cls, app: QApplication) -> GarbageAtRest:
        found = app.findChild(GarbageAtRest, "furanoGarbageAtRest")
        return found if isinstance(found, GarbageAtRest) else cls(app)

    def collect(self) -> None:
        """The young generation when its threshold is passed; everything every 2 s."""
        self._looks += 1
        if self._looks % FULL_EVERY == 0:
            gc.collect()
        elif gc.get_count()[0] > gc.get_threshold()[0]:
            gc.collect(0)
