"""Delivering the engine's events to its observers without letting them hold the engine up.

Theory of operation
-------------------
The engine *emits* an event by appending it to one queue per subscriber and returns at once;
a small drain task per subscriber hands the queued events to that subscriber, in order, on the
event loop. So:

* an engine coroutine never runs observer code: a page turn, an op or a download goes on
  while an observer is still busy with an earlier event;
* an **async** observer (a coroutine function) may take as long as it likes — it delays only
  its own later events, never the engine and never the other observers;
* a **plain** observer is called on the event loop, so it must return quickly (the Qt layer
  emits a signal and returns; a GUI thread never runs it). Code that blocks the thread blocks
  the whole loop whatever the engine does, which is why slow work belongs in an async
  observer or a worker;
* an observer that raises is logged and keeps receiving later events.

A drain task exists only while its queue holds events, so an idle engine leaves no task behind.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from .events import SyncEvent

log = logging.getLogger("furano.sync")

Observer = Callable[[SyncEvent], Awaitable[None] | None]
"""A plain callable, or a coroutine function, called once per event in emission order."""


class _Subscription:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.queue: deque[SyncEvent] = deque()
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    def put(self, event: SyncEvent) -> None:
        if self.closed:
            return
        self.queue.append(event)
        if self.task is None or self.task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a synchronous caller): deliver in place
                self._deliver_all_now()
                return
            self.task = loop.create_task(self._drain(), name="sync-observer")

    async def _drain(self) -> None:
        while self.queue and not self.closed:
            event = self.queue.popleft()
            try:
                outcome = self.observer(event)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # noqa: BLE001 - a broken observer must not stop syncing
                log.exception("sync observer failed on %s", type(event).__name__)

    def _deliver_all_now(self) -> None:
        while self.queue:
            outcome = self.observer(self.queue.popleft())
            if inspect.isawaitable(outcome):
                raise TypeError("an async observer needs a running event loop")

    @property
    def idle(self) -> bool:
        return not self.queue and (self.task is None or self.task.done())


class EventHub:
    """The engine's subscribers, each with its own queue (see the module docstring)."""

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` with every later event; returns the function that unsubscribes
        (events still queued for it are dropped)."""
        subscription = _Subscription(observer)
        self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            subscription.closed = True
            subscription.queue.clear()
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

        return unsubscribe

    def emit(self, event: SyncEvent) -> None:
        for subscription in self._subscriptions:
            subscription.put(event)

    async def drained(self) -> None:
        """Wait until every event emitted so far has been handed to every observer."""
        while not all(s.idle for s in self._subscriptions):
            await asyncio.gather(
                *(s.task for s in self._subscriptions if s.task is not None and not s.task.done())
            )
