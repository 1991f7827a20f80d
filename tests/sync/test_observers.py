"""Event delivery (furano_meet/sync/observers.py): emitting never runs observer code, each
observer gets every event in order, and a slow or broken observer hurts only itself."""

from __future__ import annotations

import asyncio

import pytest

from furano_meet.sync.events import KeyWaiting, SyncEvent
from furano_meet.sync.observers import EventHub


def waiting(n: int) -> KeyWaiting:
    return KeyWaiting(f"m{n}")


async def test_emit_returns_before_any_observer_runs_and_order_is_kept() -> None:
    hub = EventHub()
    got: list[SyncEvent] = []
    hub.subscribe(got.append)
    for n in range(3):
        hub.emit(waiting(n))
    assert got == []  # nothing ran inside emit
    await hub.drained()
    assert got == [waiting(0), waiting(1), waiting(2)]


async def test_a_stalled_async_observer_delays_only_itself() -> None:
    hub = EventHub()
    release = asyncio.Event()
    slow: list[SyncEvent] = []
    fast: list[SyncEvent] = []

    async def stalled(event: SyncEvent) -> None:
        await release.wait()
        slow.append(event)

    hub.subscribe(stalled)
    hub.subscribe(fast.append)
    hub.emit(waiting(1))
    hub.emit(waiting(2))
    async with asyncio.timeout(5):
        while len(fast) < 2:
            await asyncio.sleep(0)
    assert slow == []
    release.set()
    await hub.drained()
    assert slow == fast == [waiting(1), waiting(2)]


async def test_an_observer_that_raises_keeps_receiving(caplog: pytest.LogCaptureFixture) -> None:
    hub = EventHub()
    got: list[SyncEvent] = []

    def broken(event: SyncEvent) -> None:
        got.append(event)
        if event == waiting(1):
            raise RuntimeError("observer bug")

    hub.subscribe(broken)
    hub.emit(waiting(1))
    hub.emit(waiting(2))
    await hub.drained()
    assert got == [waiting(1), waiting(2)]
    assert "sync observer failed on KeyWaiting" in caplog.text


async def test_unsubscribing_drops_what_is_still_queued() -> None:
    hub = EventHub()
    got: list[SyncEvent] = []
    unsubscribe = hub.subscribe(got.append)
    hub.emit(waiting(1))
    unsubscribe()
    hub.emit(waiting(2))
    await hub.drained()
    assert got == []


def test_without_an_event_loop_a_plain_observer_is_called_in_place() -> None:
    hub = EventHub()
    got: list[SyncEvent] = []
    hub.subscribe(got.append)
    hub.emit(waiting(1))
    assert got == [waiting(1)]
