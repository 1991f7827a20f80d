"""Finished renders reach the GUI thread as one Qt event, and the app's render service hands
its shared-memory segments back as soon as the viewer has made its pixmap (issue #9)."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from furano_meet.app.render_arrivals import RenderArrivals
from furano_meet.app.session import make_render_service
from furano_meet.render import (
    PageOutOfRange,
    Pixels,
    RenderFuture,
    RenderRequest,
    RenderService,
)
from tests.pdfs import generate_agenda_pack

DOC = "pack"
WAIT = 60
SHM = Path("/dev/shm")


@pytest.fixture(scope="module")
def pack() -> bytes:
    pdf = generate_agenda_pack(title="議案書", pages=4)
    gc.collect()  # its PyMuPDF garbage goes now, not while a later test's council makes PDFs
    return pdf


class Seen:
    """What an arrivals object emitted, and on which thread."""

    def __init__(self, arrivals: RenderArrivals) -> None:
        self.arrived: list[tuple[RenderRequest, Pixels, int]] = []
        self.failed: list[BaseException] = []
        self.next: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        arrivals.arrived.connect(self._arrived)
        arrivals.failed.connect(self._failed)

    def _arrived(self, request: RenderRequest, pixels: Pixels) -> None:
        self.arrived.append((request, pixels, threading.get_ident()))
        self._mark()

    def _failed(self, error: BaseException) -> None:
        self.failed.append(error)
        self._mark()

    def _mark(self) -> None:
        if not self.next.done():
            self.next.set_result(None)

    async def wait(self) -> None:
        await asyncio.wait_for(self.next, WAIT)
        self.next = asyncio.get_running_loop().create_future()


async def test_pixels_arrive_on_the_gui_thread_and_failures_are_told(
    pack: bytes, qtbot: QtBot
) -> None:
    arrivals = RenderArrivals()
    seen = Seen(arrivals)
    with RenderService(backend="process") as service:
        await service.open(DOC, 1, pack)
        request = RenderRequest(DOC, 1, 1, 0.5)
        arrivals.watch(request, service.render(request))
        await seen.wait()
        [(got, pixels, thread)] = seen.arrived
        assert got == request and (pixels.width, pixels.height) == (298, 421)
        assert thread == threading.get_ident()  # drawn elsewhere, delivered on this thread

        arrivals.watch(RenderRequest(DOC, 1, 9, 0.5), service.render(RenderRequest(DOC, 1, 9, 0.5)))
        await seen.wait()
        [error] = seen.failed
        assert isinstance(error, PageOutOfRange)


async def test_a_cancelled_render_says_nothing(pack: bytes, qtbot: QtBot) -> None:
    arrivals = RenderArrivals()
    seen = Seen(arrivals)
    superseded: RenderFuture[Pixels] = RenderFuture()
    superseded.cancel()  # what RenderService.show does to a page leafed past
    arrivals.watch(RenderRequest(DOC, 1, 0, 0.5), superseded)
    with RenderService(backend="process") as service:  # PyMuPDF stays out of this process
        await service.open(DOC, 1, pack)
        request = RenderRequest(DOC, 1, 2, 0.5)
        arrivals.watch(request, service.render(request))  # delivered after the cancelled one
        await seen.wait()
    assert [r for r, _, _ in seen.arrived] == [request] and not seen.failed


@pytest.mark.skipif(not SHM.is_dir(), reason="only Linux lists shared memory")
def test_the_apps_renderer_reuses_one_segment_page_after_page(pack: bytes) -> None:
    prefix = f"fm{os.getpid():x}"
    with make_render_service() as service:
        service.open(DOC, 1, pack).result(WAIT)
        for page in range(4):  # as the viewer: pixels become a pixmap, then are dropped
            pixels = service.render(RenderRequest(DOC, 1, page, 0.5)).result(WAIT)
            assert pixels.width == 298
            del pixels
        held = [p.name for p in SHM.iterdir() if p.name.startswith(prefix)]
        assert len(held) == 1, held  # a cache holding the pixels would have pinned four
