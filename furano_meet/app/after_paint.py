"""Work a page turn starts that can wait until the new page is on screen.

Why (issue #9, "a page turn that was not prefetched"): a turn used to start the reader's
intent (``browse`` / ``present_page``) and a store read of the page's ink at once. Both run on
the GUI thread's loop while the page's pixels are on their way from the render process: the
intent's ``PresenterMoved`` echo re-applies the view (the follow bar, the nav, the pointer),
the ink read's store hop takes the GIL on a worker thread and its answer repaints. The render
service's dispatch thread needs that same GIL to hand the pixels over, and the finished render
reaches the GUI thread as an event queued behind whatever the thread is doing — so on the
612-page budget book, whose pages draw in 1.5–2 ms, that work was as long as the render.

So the viewer hands such work here, and it runs right after the canvas's first sharp paint
of the page (a queued call, outside ``paintEvent``), or after :data:`SETTLE_MS` at the latest
(a heavy page, a failed render, a hidden window: the intent is never lost, only late by a
moment). Only the newest piece of each kind is kept: the intent of the page turned to last is
the one that counts (a follower browsing; the room shown the presenter's last page), and so is
the ink read of the page shown last.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

__all__ = ["SETTLE_MS", "AfterPaint"]

SETTLE_MS = 50
"""The longest work waits for the paint: a light page paints within a few milliseconds, a
heavy one (tens of ms to draw) would otherwise hold the reader's intent back that long."""


class AfterPaint(QObject):
    """Holds the newest callable of each kind until :meth:`settle` (see the module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._waiting: dict[str, Callable[[], None]] = {}
        self._timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._timer.timeout.connect(self.settle)

    @property
    def settle_ms(self) -> int:
        """How long work waits for the paint at most (:data:`SETTLE_MS`; tests change it)."""
        return self._timer.interval()

    @settle_ms.setter
    def settle_ms(self, ms: int) -> None:
        self._timer.setInterval(ms)

    @property
    def waiting(self) -> tuple[str, ...]:
        """The kinds of work waiting now (for tests)."""
        return tuple(self._waiting)

    def later(self, kind: str, work: Callable[[], None]) -> None:
        """Run ``work`` after the next sharp paint (or :data:`SETTLE_MS`), instead of any
        ``kind`` work still waiting."""
        self._waiting[kind] = work
        if not self._timer.isActive():
            self._timer.start()

    def settle(self, _key: object = None, _at: float = 0.0) -> None:
        """Run what waits, oldest kind first (the page is on screen — the canvas's
        ``painted(key, at)`` — or it waited long enough)."""
        self._timer.stop()
        waiting, self._waiting = self._waiting, {}
        for work in waiting.values():
            work()
