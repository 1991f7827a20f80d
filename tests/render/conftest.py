"""Fixtures for the render service: generated agenda packs and a running service."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from furano_meet.render import Priority, RenderService
from furano_meet.samples import generate_agenda_pack


@pytest.fixture(scope="session")
def pack() -> bytes:
    """A 6-page agenda pack (cover, 議事日程, prose, a budget table), generated."""
    return generate_agenda_pack(title="令和8年第4回定例会 議案書", pages=6)


@pytest.fixture
def service() -> Iterator[RenderService]:
    with RenderService() as running:
        yield running


class Gate:
    """Holds the render thread busy until opened: work queued meanwhile waits its turn."""

    def __init__(self, service: RenderService) -> None:
        self.started = threading.Event()
        self._open = threading.Event()
        self.done = service.call(self._hold, Priority.URGENT)
        assert self.started.wait(10), "the render thread never picked up the gate"

    def _hold(self) -> None:
        self.started.set()
        self._open.wait(10)

    def open(self) -> None:
        self._open.set()
        self.done.result(10)
