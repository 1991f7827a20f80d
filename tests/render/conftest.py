"""Fixtures for the render service: generated agenda packs and a running service, on each
backend (the render process and the render thread answer alike)."""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator

import pytest

from furano_meet.render import Priority, RenderService
from furano_meet.render.service import Backend
from furano_meet.samples import generate_agenda_pack

from . import jobs

BACKENDS: list[Backend] = ["process", "thread"]


@pytest.fixture(scope="session")
def pack() -> bytes:
    """A 6-page agenda pack (cover, 議事日程, prose, a budget table), generated."""
    return generate_agenda_pack(title="令和8年第4回定例会 議案書", pages=6)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    choice: Backend = request.param
    return choice


@pytest.fixture
def service(backend: Backend) -> Iterator[RenderService]:
    with RenderService(backend=backend) as running:
        yield running


class Gate:
    """Holds the renderer busy until opened: work queued meanwhile waits its turn.

    Works across the process boundary: the held job connects to a socket of the test, and the
    accepted connection is the sign that the renderer is inside the gate."""

    def __init__(self, service: RenderService) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(30)
            port = listener.getsockname()[1]
            self.done = service.call(functools.partial(jobs.hold, port), Priority.URGENT)
            self._held, _ = listener.accept()  # times out if the renderer never picks it up

    def open(self) -> None:
        with self._held:
            self._held.sendall(b"!")
        self.done.result(10)
