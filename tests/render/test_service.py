"""The service's scheduling: cache, sharing, priorities, cancellation, threads and asyncio."""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest

from furano_meet.render import (
    MAX_PIXELS,
    BadRenderRequest,
    DocumentNotOpen,
    PageOutOfRange,
    PixelRect,
    Pixels,
    Priority,
    RenderRequest,
    RenderService,
    ServiceClosed,
)
from furano_meet.render.service import COST_MIN_PIXELS, Backend

from .conftest import Gate

DOC = "pack"


def req(page: int, scale: float = 0.25, clip: PixelRect | None = None) -> RenderRequest:
    return RenderRequest(DOC, 1, page, scale, clip)


@pytest.fixture
def opened(service: RenderService, pack: bytes) -> RenderService:
    info = service.open(DOC, 1, pack).result(30)
    assert info.page_count == 6 and info.doc_id == DOC
    return service


def test_a_render_is_rgb_pixels_of_the_page_at_the_scale(opened: RenderService) -> None:
    pixels = opened.render(req(2, 0.5)).result(30)
    assert (pixels.width, pixels.height) == (298, 421)  # ceil(595 × 0.5), ceil(842 × 0.5)
    assert pixels.stride == 3 * pixels.width and pixels.nbytes == pixels.stride * pixels.height
    assert bytes(pixels.data).count(b"\xff") < pixels.nbytes  # not blank
    assert pixels.request == req(2, 0.5)
    with pytest.raises(TypeError):
        pixels.data[0] = 0  # a read-only view: the cache and every caller share the buffer


def test_a_repeated_request_comes_from_the_cache_at_once(opened: RenderService) -> None:
    first = opened.render(req(1)).result(30)
    again = opened.render(req(1))
    assert again.done() and again.result() is first
    stats = opened.stats()
    assert stats.renders == 1 and stats.cache_hits == 1 and stats.cache_bytes == first.nbytes


def test_the_same_queued_request_is_rendered_once_for_everyone(opened: RenderService) -> None:
    gate = Gate(opened)
    a = opened.render(req(3), view="viewer")
    b = opened.render(req(3), view="thumbnails")
    assert a is b
    gate.open()
    a.result(30)
    assert opened.stats().renders == 1


def test_visible_before_prefetch_before_background_fifo_within(opened: RenderService) -> None:
    order: list[int] = []
    gate = Gate(opened)
    futures = [
        opened.render(req(0), Priority.BACKGROUND),
        opened.render(req(1), Priority.PREFETCH),
        opened.render(req(2), Priority.VISIBLE),
        opened.render(req(3), Priority.PREFETCH),
        opened.render(req(4), Priority.VISIBLE),
    ]
    for f in futures:
        f.add_done_callback(lambda done: order.append(done.result().request.page))
    gate.open()
    concurrent.futures.wait(futures, 30)
    assert order == [2, 4, 1, 3, 0]


def test_asking_again_with_a_higher_priority_moves_a_request_up(opened: RenderService) -> None:
    order: list[int] = []
    gate = Gate(opened)
    futures = [opened.render(req(p), Priority.PREFETCH) for p in (1, 2, 3)]
    assert opened.render(req(3), Priority.VISIBLE) is futures[2]
    for f in futures:
        f.add_done_callback(lambda done: order.append(done.result().request.page))
    gate.open()
    concurrent.futures.wait(futures, 30)
    assert order == [3, 1, 2] and opened.stats().renders == 3


def test_cancelled_and_superseded_requests_are_never_rendered(opened: RenderService) -> None:
    before = opened.stats()
    gate = Gate(opened)
    futures = [opened.render(req(p), view="viewer") for p in range(6)]
    shared = opened.render(req(5), view="thumbnails")  # someone else wants page 5 too
    assert futures[1].cancel()
    cancelled = opened.supersede("viewer", keep={req(4)})
    assert cancelled == 3  # pages 0, 2 and 3; not 5 (still wanted), not 1 (already cancelled)
    gate.open()
    assert futures[4].result(30).request.page == 4
    assert shared.result(30).request.page == 5
    for page in (0, 1, 2, 3):
        assert futures[page].cancelled()
        with pytest.raises(concurrent.futures.CancelledError):
            futures[page].result()
    after = opened.stats()
    assert after.renders - before.renders == 2
    assert after.skipped - before.skipped == 4


def test_show_replaces_what_a_view_wants(opened: RenderService) -> None:
    gate = Gate(opened)
    stale = opened.show("viewer", [req(1)], [req(0), req(2)])
    fresh = opened.show("viewer", [req(4)], [req(3), req(5), req(2)])
    assert fresh[3] is stale[2]  # still wanted: the same queued request
    gate.open()
    assert [f.result(30).request.page for f in fresh] == [4, 3, 5, 2]
    assert all(f.cancelled() for f in stale[:2])
    assert opened.stats().renders == 4


def test_the_cache_is_bounded_in_bytes(pack: bytes, backend: Backend) -> None:
    one = 149 * 211 * 3  # a page at scale 0.25
    with RenderService(cache_bytes=int(2.5 * one), backend=backend) as service:
        service.open(DOC, 1, pack).result(30)
        for page in (0, 1, 2):
            assert service.render(req(page)).result(30).nbytes == one
        stats = service.stats()
        assert stats.cache_entries == 2 and stats.cache_bytes == 2 * one and stats.evictions == 1
        assert service.render(req(2)).done()  # the most recent stayed
        again = service.render(req(0))
        assert not again.done()  # the oldest went: rendered again
        again.result(30)
        assert service.stats().renders == 4


def test_closing_a_document_cancels_its_work_and_forgets_its_pixels(opened: RenderService) -> None:
    opened.render(req(0)).result(30)
    gate = Gate(opened)
    queued = opened.render(req(1))
    closed = opened.close(DOC, 1)
    assert queued.cancelled()
    gate.open()
    closed.result(30)
    assert opened.document(DOC, 1) is None and opened.stats().cache_bytes == 0
    with pytest.raises(DocumentNotOpen):
        opened.render(req(0)).result(30)


def test_draw_cost_counts_page_sized_pieces_of_open_documents(opened: RenderService) -> None:
    assert opened.draw_cost(DOC, 1) is None  # nothing measured yet
    opened.render(req(0, 0.25)).result(30)  # 149×211 px: a stand-in's size, not counted
    assert opened.draw_cost(DOC, 1) is None
    pixels = opened.render(req(1, 1.0)).result(30)  # 595×842 px: a page in a window
    assert pixels.width * pixels.height >= COST_MIN_PIXELS
    cost = opened.draw_cost(DOC, 1)
    assert cost is not None and 0 < cost * pixels.width * pixels.height < 30  # seconds
    opened.close(DOC, 1).result(30)
    assert opened.draw_cost(DOC, 1) is None  # forgotten with the document


def test_caller_mistakes_are_typed_errors(opened: RenderService) -> None:
    with pytest.raises(PageOutOfRange):
        opened.render(req(6)).result(30)
    with pytest.raises(DocumentNotOpen):
        opened.render(RenderRequest("nope", 1, 0, 1.0)).result(30)
    with pytest.raises(DocumentNotOpen):
        opened.words("pack", 2, 0).result(30)  # another version
    with pytest.raises(BadRenderRequest, match="outside"):
        opened.render(req(0, 1.0, PixelRect(500, 0, 200, 10))).result(30)
    with pytest.raises(BadRenderRequest, match="tiles"):
        opened.render(req(0, 8.0)).result(30)  # 4760 × 6736 px: more than MAX_PIXELS whole
    bads: list[Callable[[], object]] = [
        lambda: RenderRequest(DOC, 1, 0, 0.0),
        lambda: RenderRequest(DOC, 1, 0, float("nan")),
        lambda: RenderRequest(DOC, 1, -1, 1.0),
        lambda: RenderRequest(DOC, 1, 0, 1.0, rotation=45),
        lambda: RenderRequest(DOC, 1, 0, 1.0, PixelRect(0, 0, 0, 5)),
        lambda: RenderRequest(DOC, 1, 0, 1.0, PixelRect(0, 0, MAX_PIXELS, 2)),
    ]
    for bad in bads:
        with pytest.raises(BadRenderRequest):
            bad()


def test_after_shutdown_queued_work_is_cancelled_and_new_work_refused(
    pack: bytes, backend: Backend
) -> None:
    service = RenderService(backend=backend)
    service.open(DOC, 1, pack).result(30)
    gate = Gate(service)
    queued = service.render(req(0))
    service.shutdown(wait=False)
    gate.open()
    service.shutdown()
    assert queued.cancelled()
    with pytest.raises(ServiceClosed):
        service.render(req(1))


async def test_awaitable_from_asyncio_and_cancelling_the_task_cancels_the_render(
    opened: RenderService,
) -> None:
    pixels = await opened.render(req(2))
    assert isinstance(pixels, Pixels)
    gate = Gate(opened)  # blocks the renderer, not the loop: the test's socket is not awaited
    future = opened.render(req(3))
    awaiting = asyncio.Event()
    task = asyncio.ensure_future(_await(future, awaiting))
    await awaiting.wait()  # set just before the task's await, which follows without a yield
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert future.cancelled()
    gate.open()
    assert opened.stats().renders == 1


async def _await(future: Any, awaiting: asyncio.Event) -> Any:
    awaiting.set()
    return await future


def test_many_requests_from_many_threads(opened: RenderService) -> None:
    def client(seed: int) -> list[tuple[RenderRequest, Pixels]]:
        rng = random.Random(seed)
        asked = [req(rng.randrange(6), rng.choice([0.1, 0.2, 0.3])) for _ in range(25)]
        return [(r, opened.render(r, Priority(rng.randrange(1, 4))).result(60)) for r in asked]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = [pair for batch in pool.map(client, range(8)) for pair in batch]
    assert len(results) == 200
    for request, pixels in results:
        assert pixels.request == request
        info = opened.document(DOC, 1)
        assert info is not None
        assert (pixels.width, pixels.height) == info.pages[request.page].pixel_size(request.scale)
    unique = {r for r, _ in results}
    assert opened.stats().renders <= len(unique)  # never twice while cached or queued


@pytest.fixture
def pymupdf_threads() -> Iterator[set[int]]:
    """The idents of every thread that runs code inside PyMuPDF while the test runs."""
    seen: set[int] = set()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and "pymupdf" in frame.f_code.co_filename:
            seen.add(threading.get_ident())

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)
        threading.setprofile(None)


def test_every_pymupdf_call_runs_on_the_one_render_thread(
    pack: bytes, pymupdf_threads: set[int]
) -> None:
    with RenderService(backend="thread") as service:
        render_thread = service.call(threading.get_ident).result(30)
        service.open(DOC, 1, pack).result(30)

        def client(page: int) -> None:
            service.render(req(page % 6, 0.2)).result(30)
            service.words(DOC, 1, page % 6).result(30)
            service.search(DOC, 1, page % 6, "予算").result(30)
            service.links(DOC, 1, page % 6).result(30)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(client, range(12)))
        service.outline(DOC, 1).result(30)

        async def from_asyncio() -> None:
            await service.render(req(5, 0.7))

        asyncio.run(from_asyncio())
    assert pymupdf_threads == {render_thread}
