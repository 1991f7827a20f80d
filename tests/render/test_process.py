"""The render process: the app's threads run on while it draws, a crash or a hang of it fails
one request and the rest is served, no shared memory is left behind, and PyMuPDF never comes
into the app's process."""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.process
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.render import (
    BadRenderRequest,
    Priority,
    RenderFailed,
    RenderRequest,
    RenderService,
)
from furano_meet.render.segments import MAX_SEGMENTS

from . import jobs

DOC = "pack"
SHM = Path("/dev/shm")
linux_shm = pytest.mark.skipif(not SHM.is_dir(), reason="only Linux lists shared memory")


def _segments() -> set[str]:
    """Shared-memory segments of this process's render services (named after its pid)."""
    prefix = f"fm{os.getpid():x}"
    return {p.name for p in SHM.iterdir() if p.name.startswith(prefix)}


@pytest.fixture
def process(pack: bytes) -> Iterator[RenderService]:
    with RenderService(backend="process") as service:
        service.open(DOC, 1, pack).result(60)
        yield service


@pytest.fixture(scope="module")
def slow() -> bytes:
    return jobs.slow_page()


def test_the_renderer_is_another_process(process: RenderService) -> None:
    assert process.call(os.getpid).result(30) != os.getpid()


def test_a_thread_of_the_app_runs_on_while_a_slow_page_renders(
    process: RenderService, slow: bytes
) -> None:
    process.open("slow", 1, slow).result(60)
    process.render(RenderRequest("slow", 1, 0, 0.1)).result(60)  # fonts, display list: warm
    ticks = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        before = ticks
        pixels = process.render(RenderRequest("slow", 1, 0, 1.0)).result(60)
        during = ticks - before
    finally:
        stop.set()
        ticker.join()
    assert pixels.width == 595
    # On the render thread PyMuPDF holds the GIL for the whole draw (about half a second here)
    # and the ticker gets a handful of turns at most; beside the render process it keeps going.
    assert during >= 25, f"the ticker ran only {during} times during the render"


def test_a_visible_render_for_an_idle_renderer_is_sent_by_the_thread_that_asks(
    process: RenderService, pack: bytes, slow: bytes
) -> None:
    """No hand-off to the dispatch thread on the way out (issue #9): the asking thread writes
    the op to the render process; only when the renderer is idle and nothing waits."""
    with RenderService(backend="thread") as thread:
        thread.open(DOC, 1, pack).result(60)
        expected = bytes(thread.render(RenderRequest(DOC, 1, 2, 0.3)).result(60).data)
        assert thread.sent_directly == 0  # the thread backend draws on its own thread only
    assert process.sent_directly == 0
    _until_idle(process)
    pixels = process.render(RenderRequest(DOC, 1, 2, 0.3)).result(60)
    assert process.sent_directly == 1 and bytes(pixels.data) == expected
    process.render(RenderRequest(DOC, 1, 3, 0.3), Priority.PREFETCH).result(60)
    assert process.sent_directly == 1  # prefetch waits its turn in the queue

    process.open("slow", 1, slow).result(60)
    _until_idle(process)
    busy = process.render(RenderRequest("slow", 1, 0, 1.0))  # sent directly: the renderer busy
    assert process.sent_directly == 2
    queued = process.render(RenderRequest(DOC, 1, 4, 0.3))  # so this one waits in the queue
    assert process.sent_directly == 2
    assert busy.result(60).width == 595 and queued.result(60).width == 179


def test_a_visible_render_after_the_renderer_died_idle_starts_a_new_one(
    process: RenderService,
) -> None:
    """The asking thread finds the pipe broken: nothing was sent, the dispatch thread starts a
    new render process and the page is drawn (not a failure: nothing was drawn yet)."""
    _until_idle(process)
    (worker,) = _workers()
    pid = worker.pid
    worker.kill()  # behind the service's back: it learns of it only from the pipe
    worker.join(30)
    assert process.render(RenderRequest(DOC, 1, 0, 0.2)).result(60).width == 119
    assert process.sent_directly == 0
    assert [w.pid for w in _workers()] not in ([], [pid])


def _until_idle(service: RenderService) -> None:
    """The dispatch thread is back waiting (a moment after it answered the last op)."""
    deadline = time.monotonic() + 30
    while not service.idle:
        assert time.monotonic() < deadline, "the render service never went idle"
        time.sleep(0.001)


def _workers() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "furano-render"]


def test_a_crashing_job_fails_alone_and_the_documents_come_back(process: RenderService) -> None:
    first = process.call(os.getpid).result(30)
    before = process.render(RenderRequest(DOC, 1, 0, 0.2)).result(30)
    crash = process.call(functools.partial(os._exit, 3))
    after = process.render(RenderRequest(DOC, 1, 1, 0.2))  # queued behind the crash
    with pytest.raises(RenderFailed, match="exit code 3") as failed:
        crash.result(60)
    assert failed.value.page is None
    assert after.result(60).width == before.width  # the document was opened again
    assert process.words(DOC, 1, 2).result(30)
    assert process.call(os.getpid).result(30) not in (first, os.getpid())


def test_a_hanging_job_is_given_up_after_the_budget(pack: bytes) -> None:
    with RenderService(backend="process", budget=1.0) as service:
        service.open(DOC, 1, pack).result(60)
        hang = service.call(functools.partial(time.sleep, 60))
        after = service.render(RenderRequest(DOC, 1, 3, 0.2))
        with pytest.raises(RenderFailed, match="no answer within 1 s"):
            hang.result(60)
        assert after.result(60).request.page == 3


@linux_shm
def test_a_render_that_loses_its_renderer_fails_with_its_page(
    process: RenderService, slow: bytes
) -> None:
    process.open("slow", 1, slow).result(60)
    pid = process.call(os.getpid).result(30)
    doomed = process.render(RenderRequest("slow", 1, 0, 1.0))
    while not _segments():  # the marker: a segment is leased for the draw, which follows
        assert not doomed.done(), "the render finished before the renderer could be killed"
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)  # what a MuPDF segfault looks like from here
    with pytest.raises(RenderFailed, match="renderer stopped") as failed:
        doomed.result(60)
    assert failed.value.page == 0
    assert process.render(RenderRequest(DOC, 1, 0, 0.2)).result(60).width == 119


@linux_shm
def test_segments_are_reused_once_their_pixels_are_gone(pack: bytes) -> None:
    with RenderService(backend="process", cache_bytes=0) as service:
        service.open(DOC, 1, pack).result(60)
        for page in range(6):  # each result is dropped at once: nothing keeps its pixels
            assert service.render(RenderRequest(DOC, 1, page, 0.31)).result(60).width == 185
        assert len(_segments()) == 1


@linux_shm
@pytest.mark.parametrize("shutdown", ["clean", "after a crash"])
def test_pixels_outlive_their_segments_and_nothing_is_left(pack: bytes, shutdown: str) -> None:
    requests = [RenderRequest(DOC, 1, p % 6, 0.1 + p / 100) for p in range(MAX_SEGMENTS + 6)]
    with RenderService(backend="thread") as thread:
        thread.open(DOC, 1, pack).result(60)
        expected = [bytes(thread.render(r).result(60).data) for r in requests]
    with RenderService(backend="process", cache_bytes=0) as service:
        service.open(DOC, 1, pack).result(60)
        kept = [service.render(r).result(60) for r in requests]  # more than the pool holds
        assert 0 < len(_segments()) <= MAX_SEGMENTS
        if shutdown != "clean":
            with pytest.raises(RenderFailed):
                service.call(functools.partial(os._exit, 3)).result(60)
    assert _segments() == set()
    assert [bytes(p.data) for p in kept] == expected  # still mapped: the views hold them


def test_errors_cross_as_themselves(process: RenderService) -> None:
    with pytest.raises(jobs.Refused) as refused:
        process.call(functools.partial(jobs.refuse, 7)).result(30)
    assert refused.value.count == 7
    with pytest.raises(BadRenderRequest, match="pickle"):
        process.call(lambda: None).result(30)
    assert process.call(os.getpid).result(30) != os.getpid()  # the renderer was not harmed


def test_pymupdf_never_comes_into_the_app_process(pack: bytes, tmp_path: Path) -> None:
    (tmp_path / "pack.pdf").write_bytes(pack)
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from pathlib import Path
            from furano_meet.render import RenderRequest, RenderService

            if __name__ == "__main__":
                pdf = (Path(__file__).parent / "pack.pdf").read_bytes()
                with RenderService() as service:
                    service.open("p", 1, pdf).result(60)
                    service.render(RenderRequest("p", 1, 2, 0.5)).result(60)
                    service.words("p", 1, 2).result(60)
                    service.search("p", 1, 2, "予算").result(60)
                    service.links("p", 1, 2).result(60)
                    service.outline("p", 1).result(60)
                print(sorted(m for m in sys.modules if m.split(".")[0] in ("pymupdf", "fitz")))
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
