"""Finished renders handed to the GUI thread in one Qt event.

Why not ``await future``: a :class:`~furano_meet.render.RenderFuture` finishes on the render
service's dispatch thread. Awaiting it in a coroutine costs three turns of the qasync loop
after the render is done (``call_soon_threadsafe`` into the loop, the wrapped future's
callback, then the waiting task's step), and on a busy loop — the engine, its store hops and
the relay's frames share it — each turn waits behind whatever else is queued: measured 3–4 ms
of a 10 ms page turn of the budget book. Here the dispatch thread emits a Qt signal and the
slot runs on the GUI thread in the very next event: one hop, and the widget gets the pixels
with nothing between.

The pixels themselves are never touched off the GUI thread: the signal carries the future's
:class:`~furano_meet.render.Pixels` (a read-only view of shared memory), and the slot turns
it into a ``QPixmap`` there.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from furano_meet.render import Pixels, RenderRequest


class RenderArrivals(QObject):
    """Watches render futures; :attr:`arrived` fires on this object's (the GUI) thread.

    A cancelled future (superseded by a later page turn) says nothing; a failed one emits
    :attr:`failed` with its exception, for the error presenter.
    """

    arrived = Signal(object, object)
    """(the :class:`RenderRequest`, its :class:`Pixels`)"""
    failed = Signal(object)
    """The exception a render raised."""
    _done = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Queued even when the future is already done (a cache hit, on the GUI thread): the
        # slot never runs inside the caller's own call, so it may ask for more renders.
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def watch(self, request: RenderRequest, future: Future[Pixels]) -> None:
        """Emit :attr:`arrived` (or :attr:`failed`) once ``future`` is done."""

        def done(finished: Future[Pixels]) -> None:
            # On the dispatch thread; the viewer may be gone by now (its window closed).
            with contextlib.suppress(RuntimeError):
                self._done.emit(request, finished)

        future.add_done_callback(done)

    def _deliver(self, request: RenderRequest, future: Future[Any]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self.failed.emit(error)
        else:
            self.arrived.emit(request, future.result())
