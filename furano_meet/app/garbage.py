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

Start-up's heap (the app's own process only; ``python -m furano_meet.app`` asks for it): a
full collection scans every tracked object, and after start-up that is ~100,000 of them —
modules, classes, functions, Qt wrappers — that live as long as the process: ~50–100 ms of
the GUI thread every 2 s for nothing. :meth:`GarbageAtRest.keep_imported` freezes the heap
once the entry path has imported what the app needs (``gc.freeze``: later collections skip
it), and :meth:`GarbageAtRest.settle` has the first full collection after the first loads
(list shown) freeze what survives it too, so from then on a full collection scans only what
the meeting created. Not in the window's construction: test processes build many windows,
and their garbage must stay collectable.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Signal
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

    frozen = Signal(int, int)
    """After :meth:`settle`'s freeze: (objects frozen, objects a full collection still scans)."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("furanoGarbageAtRest")
        self._looks = 0
        self._settling = False
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
            if self._settling:
                self._settling = False
                gc.freeze()
                self.frozen.emit(gc.get_freeze_count(), len(gc.get_objects()))
        elif gc.get_count()[0] > gc.get_threshold()[0]:
            gc.collect(0)

    @staticmethod
    def keep_imported() -> None:
        """Freeze the heap as it is (the app's entry path, its imports done): no collection
        scans it again. Not collected first — that would be a full scan before the first
        paint; what garbage the imports left is a few objects, kept for good."""
        gc.freeze()

    def settle(self) -> None:
        """Start-up has settled (the first loads done): the next full collection (within 2 s)
        freezes what survives it, then says so (:attr:`frozen`)."""
        self._settling = True
