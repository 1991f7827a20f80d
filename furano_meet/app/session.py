"""A signed-in profile as the app holds it: the engine, the render service and the ops helper.

One :class:`Session` per window (the tour and the tests run two in one process). It owns

* the :class:`~furano_meet.sync.engine.SyncEngine` — the only way to the relay and the store;
* the page-render service, made in :func:`make_render_service` alone, so the backend (a render
  process) and its cache are chosen in one place;
* :class:`Ops` — Anki's "one background op" idea: a widget hands over a coroutine and moves
  on; success calls back on the GUI thread, failure goes to the one
  :class:`~.error_presenter.ErrorPresenter`. Slots stay one line long;
* the device's :class:`~furano_meet.store.LocalStore` when it was opened for the session alone
  (``store=``: the app's start, :func:`~.council.member_session`): :meth:`Session.close` closes
  it once the engine has stopped. A store handed over only inside its engine stays its
  opener's to close (a test that opens one profile again and again).

Engine events are forwarded to the Qt signal :attr:`Session.engine_event`. The asyncio loop *is* the
Qt event loop (qasync), so observers, ops and slots all run on the GUI thread, while the
engine's store calls, decryption and PyMuPDF work run on their own threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from furano_meet.render import RenderService
from furano_meet.store import LocalStore
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import SyncEvent

from .error_presenter import ErrorPresenter

T = TypeVar("T")

log = logging.getLogger("furano.app")


APP_PIXEL_CACHE = 0
"""Bytes of rendered pixels the app's render service keeps: none (issue #9, performance).

The viewer turns each render into a ``QPixmap`` (its own copy) and keeps the few it needs, so
a second copy in the service bought nothing — and cost: with the render process, pixels the
service caches keep their shared-memory segment, so once its pool of segments was all held by
the cache every render got a fresh segment, and MuPDF's first write into fresh memory made
the worker's round trip of a budget-book page ~5 ms instead of ~2.5 ms (and the app's memory
grew by the cache). With nothing cached, each segment goes back to the pool as soon as its
pixmap is made."""


def make_render_service() -> RenderService:
    """The one place the app builds its renderer: swap the backend here."""
    return RenderService(name="furano-app-render", cache_bytes=APP_PIXEL_CACHE)


class Ops:
    """Run coroutines for widgets; route every failure to the error presenter."""

    def __init__(self, errors: ErrorPresenter) -> None:
        self._errors = errors
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        """Set when the session closes: a late widget event's op is dropped, not started on a
        loop that may never run it again (its coroutine would be "never awaited")."""

    def run(
        self,
        coro: Coroutine[Any, Any, T],
        on_done: Callable[[T], None] | None = None,
        on_failed: Callable[[], None] | None = None,
    ) -> asyncio.Future[T | None]:
        """Start ``coro`` now; ``on_done(result)`` runs on success. Never raises.

        ``on_failed()`` (the clerk's desk) runs after the presenter has shown a failure, so a
        screen can give back what it held (a form stays filled, a button comes back)."""
        if self.closed:
            coro.close()
            return asyncio.get_event_loop().create_future()  # never done: nothing follows
        guarded = self._guarded(coro, on_done, on_failed)
        task = asyncio.ensure_future(guarded)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: coro.close())  # cancelled before it began: no warning
        return task

    async def _guarded(
        self,
        coro: Coroutine[Any, Any, T],
        on_done: Callable[[T], None] | None,
        on_failed: Callable[[], None] | None = None,
    ) -> T | None:
        try:
            result = await coro
        except asyncio.CancelledError:
            coro.close()  # cancelled before it began: no "never awaited" warning
            raise
        except Exception as exc:  # every failure has one destination: the presenter
            self._errors.present(exc)
            if on_failed is not None:
                on_failed()
            return None
        if on_done is not None:
            on_done(result)
        return result

    async def settle(self) -> None:
        """Wait until every op started so far (and any they started) has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()


class Session(QObject):
    """See the module docstring. ``start()`` runs the engine; ``close()`` stops everything."""

    engine_event = Signal(object)
    """Every :data:`SyncEvent` of the engine, delivered on the GUI thread."""

    def __init__(
        self,
        engine: SyncEngine,
        *,
        store: LocalStore | None = None,
        errors: ErrorPresenter | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self._store = store
        """The store :meth:`close` closes (``engine``'s, opened for this session alone): left
        open, its SQLCipher connection and file handles outlived the window (every app test
        kept its member's store open to the end of the run), and the WAL was never
        checkpointed into the database."""
        self.errors = errors or ErrorPresenter(self)
        self.ops = Ops(self.errors)
        self.render = make_render_service()
        self._changed = asyncio.Event()
        self._unsubscribe = engine.subscribe(self._forward)
        self._task: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> str:
        return self.engine.account.user_id

    @property
    def display_name(self) -> str:
        return self.engine.account.display_name

    def start(self) -> None:
        self._task = asyncio.ensure_future(self.engine.run())

    async def close(self) -> None:
        try:
            self._unsubscribe()
            self.ops.closed = True
            self.ops.cancel_all()
            await self.engine.stop()
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
            await asyncio.to_thread(self.render.shutdown)
        finally:  # last, whatever failed before: nothing reads it any more (idempotent, too)
            if self._store is not None:
                await asyncio.to_thread(self._store.close)

    def _forward(self, event: SyncEvent) -> None:
        self._changed.set()
        self.engine_event.emit(event)

    async def wait_until(self, check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
        """Return once ``check()`` holds, looking again after every engine event (for the tour
        and the tests: a positive marker, never a sleep)."""
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                if await check():
                    return
                await self._changed.wait()
