"""Finished renders handed to the GUI thread in one Qt event.

Why not ``await future``: a :class:`~furano_meet.render.RenderFuture` finishes on the render
service's dispatch thread. Awaiting it in a coroutine costs three turns of the qasync loop
after the render is done (``call_soon_threadsafe`` into the loop, the wrapped future's
callback, then the waiting task's step), and on a busy loop — the engine, its store hops and
the relay's frames share it — each turn waits behind whatever else is queued (measured: 3–4 ms
of a 10 ms page turn of the budget book on a loaded machine, well under 1 ms on a quiet one). Here the dispatch thread emits a Qt signal of one
long-lived courier object and the GUI thread runs the delivery in its next event: one hop, and
the widget gets the pixels with nothing between.

The pixels themselves are never touched off the GUI thread: the signal carries the future's
:class:`~furano_meet.render.Pixels` (a read-only view of shared memory), and the slot turns
it into a ``QPixmap`` there.
"""

from __future__ import annotations

import functools
import weakref
from concurrent.futures import Future
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from furano_meet.render import Pixels, RenderRequest


class _Courier(QObject):
    """Runs callables on the GUI thread, handed over from any thread.

    One for the whole app, never deleted: the dispatch thread only ever touches this object,
    never a widget's, so a window closed while its renders finish cannot be used after it is
    freed (emitting on a dying ``QObject`` from another thread crashed the app's tests)."""

    carried = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.carried.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def _run(self, fn: Any) -> None:  # a method: the slot runs on this object's thread
        fn()


_courier: _Courier | None = None


def _the_courier() -> _Courier:
    """The courier, made on the first call — from the GUI thread (a widget's constructor)."""
    global _courier  # noqa: PLW0603 - one per process, made lazily on the GUI thread
    if _courier is None:
        _courier = _Courier()
    return _courier


class RenderArrivals(QObject):
    """Watches render futures; :attr:`arrived` fires on the GUI thread.

    A cancelled future (superseded by a later page turn) says nothing; a failed one emits
    :attr:`failed` with its exception, for the error presenter. Nothing is emitted once this
    object is gone (its window closed).
    """

    arrived = Signal(object, object)
    """(the :class:`RenderRequest`, its :class:`Pixels`)"""
    failed = Signal(object)
    """The exception a render raised."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._courier = _the_courier()

    def watch(self, request: RenderRequest, future: Future[Pixels]) -> None:
        """Emit :attr:`arrived` (or :attr:`failed`) once ``future`` is done — always in a
        later event, even for a future already done, so a slot never runs inside its caller."""
        courier, target = self._courier, weakref.ref(self)

        def done(finished: Future[Pixels]) -> None:  # on the dispatch thread
            courier.carried.emit(functools.partial(_deliver, target, request, finished))

        future.add_done_callback(done)

    def _deliver(self, request: RenderRequest, future: Future[Any]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self.failed.emit(error)
        else:
            self.arrived.emit(request, future.result())


def _deliver(
    target: weakref.ref[RenderArrivals], request: RenderRequest, future: Future[Any]
) -> None:
    """(GUI thread) Hand the finished ``future`` to its watcher, if that is still there."""
    arrivals = target()
    if arrivals is not None and shiboken6.isValid(arrivals):
        arrivals._deliver(request, future)  # noqa: SLF001 - its own module
