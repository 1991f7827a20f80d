"""The page-render service: every PyMuPDF call of the app in one place, in priority order.

Theory of operation
-------------------
One dispatch thread takes work from the queue and runs it, one piece at a time, on the
renderer that owns every open document: a render process by default (:mod:`.process`: PyMuPDF
holds the GIL while it draws, so only another process keeps the app's threads running), or the
dispatch thread itself (``backend="thread"``, :mod:`.documents`). Work is described as plain
values (:mod:`.ops`), so both run the very same code. Callers on any thread — the GUI's, the
asyncio loop's, a worker's — submit work and get a :class:`RenderFuture`: a
``concurrent.futures.Future`` that can also be awaited in asyncio. Work waits in one priority
queue (:class:`~.types.Priority`: open/close first, then what is visible, then prefetch, then
background; first come first served within one priority). The queue, the cache and
cancellation stay in the app's process whatever the backend.

* **Cache.** Rendered pixels are kept in an LRU cache bounded in bytes, keyed by the
  :class:`~.types.RenderRequest` (document id, version, page, scale, clip, rotation). A hit is
  answered at once on the caller's thread, with a future already done.
* **One render per request.** Asking again for a request that is queued returns the same
  future (raising its priority if the new one is higher), so the viewer and the thumbnail strip
  never render the same thing twice.
* **Sent at once.** A visible render asked for while the dispatch thread is idle and nothing
  waits is sent to the render process by the asking thread itself (:meth:`_send_now`): on a
  busy machine the dispatch thread's wake-up and its wait for the GIL were ~0.6 ms of a 2 ms
  page turn. The dispatch thread still reads the answer, so the budget, a crash and the books
  are handled in one place.
* **Cancellation.** A future cancelled before its work starts is never run (the dispatch
  thread skips it; only one piece at a time is handed to the render process); once started, a render finishes (MuPDF cannot be interrupted from Python). A *view*
  (the viewer, the thumbnail strip) names its requests; :meth:`RenderService.show` hands over
  what the view wants now, and its queued requests not in that set are cancelled — so leafing
  quickly through 30 pages renders the page the reader stops at, not the 29 before. A future
  is shared by everyone who asked for the same request: cancel it directly only if you alone
  asked, otherwise let :meth:`~RenderService.supersede` decide.
* **Bounded work.** A piece is at most :data:`~.types.MAX_PIXELS`; larger areas must be asked
  for as tiles (:func:`~.types.tile_grid`). With the thread backend PyMuPDF holds Python's GIL
  while it draws, so every piece also stalls other Python threads for its duration.

The service never writes a document to disk: documents are opened from the caller's bytes,
which it keeps a reference to (unchanged) until the document is closed.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Generator, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from furano_meet.pagespace import Quad

from .cache import ByteLRU
from .errors import ServiceClosed
from .ops import Call, Close, DocKey, Draw, Op, Open, Read
from .process import DEFAULT_BUDGET, ProcessBackend
from .types import (
    DocumentInfo,
    OutlineEntry,
    PageLink,
    Pixels,
    Priority,
    RenderRequest,
    WebLink,
    Word,
)

__all__ = [
    "COST_MIN_PIXELS",
    "COST_SAMPLES",
    "DEFAULT_CACHE_BYTES",
    "Backend",
    "RenderFuture",
    "RenderService",
    "RenderStats",
]

T = TypeVar("T")
Backend = Literal["process", "thread"]

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
"""About 37 pages at 1920×1200, or 8 screens of 400 % tiles on a 4K display."""
COST_SAMPLES = 8
"""Pieces of a document remembered for :meth:`RenderService.draw_cost`."""
COST_MIN_PIXELS = 100_000
"""Smaller pieces (thumbnails, low-resolution stand-ins) are not counted: the fixed cost of
a hand-off would make their cost per pixel look several times what a page's is."""


class RenderFuture(Future[T], Generic[T]):
    """A ``concurrent.futures.Future`` that can also be awaited in asyncio.

    ``await future`` in a coroutine; cancelling the awaiting task cancels the work if it has
    not started. From a plain thread: ``future.result(timeout)``.
    """

    def __await__(self) -> Generator[Any, None, T]:
        return asyncio.wrap_future(self).__await__()


@dataclass(frozen=True, slots=True)
class RenderStats:
    """Counters since the service started (for tests, benchmarks and a debug overlay)."""

    renders: int
    """Pieces actually drawn by PyMuPDF."""
    cache_hits: int
    skipped: int
    """Queued work that was cancelled before it started, and so never ran."""
    cache_bytes: int
    cache_entries: int
    evictions: int
    queued: int


class _Renderer(Protocol):
    """Where the ops run: :class:`~.process.ProcessBackend` or :class:`~.documents.Documents`
    (the thread backend), both used from the dispatch thread alone."""

    def start(self) -> None: ...

    def begin(self, op: Draw) -> bool: ...

    def execute(self, op: Op) -> Any: ...

    def stop(self) -> None: ...


@dataclass(eq=False, slots=True)
class _Job:
    op: Op
    future: RenderFuture[Any]
    priority: int
    request: RenderRequest | None = None
    views: set[str | None] = field(default_factory=set)
    taken: bool = False


def _threaded() -> _Renderer:
    from .documents import Documents  # PyMuPDF comes into this process only when asked for

    return Documents()


class RenderService:
    """See the module docstring. Use as a context manager, or call :meth:`shutdown`.

    ``backend`` is where PyMuPDF runs: ``"process"`` (the app's choice: a render process, so
    rendering never stalls the app's threads; ``budget`` is how many seconds one piece of work
    may take before that process counts as hung and is replaced) or ``"thread"`` (one render
    thread in this process: for tests and benchmarks that want it).
    """

    def __init__(
        self,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        name: str = "furano-render",
        backend: Backend = "process",
        budget: float = DEFAULT_BUDGET,
    ) -> None:
        if backend not in ("process", "thread"):
            raise ValueError(f"backend must be 'process' or 'thread', got {backend!r}")
        self.backend = backend
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[int, int, _Job]] = []
        self._order = itertools.count()
        self._pending: dict[RenderRequest, _Job] = {}
        self._cache: ByteLRU[RenderRequest, Pixels] = ByteLRU(cache_bytes)
        self._open: set[DocKey] = set()
        self._infos: dict[DocKey, DocumentInfo] = {}
        self._costs: dict[DocKey, deque[float]] = {}
        self._closed = False
        self._renders = self._hits = self._skipped = 0
        self._busy = True
        """The dispatch thread is running a job or starting the renderer (else it waits, or
        is about to pop one)."""
        self._sent: tuple[_Job, float] | None = None
        """A visible render the asking thread sent itself (:meth:`_send_now`), and when."""
        self.sent_directly = 0
        """Renders sent by the thread that asked for them (for tests and benchmarks)."""
        self._renderer: _Renderer = (
            ProcessBackend(budget=budget, name=name) if backend == "process" else _threaded()
        )
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __enter__(self) -> RenderService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- documents ---------------------------------------------------------------------------

    def open(
        self, doc_id: str, version: int, pdf: bytes | bytearray, *, password: str | None = None
    ) -> RenderFuture[DocumentInfo]:
        """Open a PDF from memory (it never touches disk). Opening an open document again
        answers its info. Fails with ``DocumentDamaged`` or ``DocumentLocked``."""
        with self._lock:
            self._check_open()
            self._open.add((doc_id, version))
            return self._push(
                _Job(Open(doc_id, version, pdf, password), RenderFuture(), Priority.URGENT)
            )

    def close(self, doc_id: str, version: int) -> RenderFuture[None]:
        """Close a document: its queued work is cancelled and its pixels leave the cache."""
        key = (doc_id, version)
        with self._lock:
            self._check_open()
            self._open.discard(key)
            self._infos.pop(key, None)
            self._costs.pop(key, None)
            self._cache.discard_where(lambda r: (r.doc_id, r.version) == key)
            doomed = [j for r, j in self._pending.items() if (r.doc_id, r.version) == key]
            future = self._push(_Job(Close(doc_id, version), RenderFuture(), Priority.URGENT))
        for job in doomed:
            job.future.cancel()
        return future

    def document(self, doc_id: str, version: int) -> DocumentInfo | None:
        """The info of an open document, without a trip to the renderer."""
        with self._lock:
            return self._infos.get((doc_id, version))

    def draw_cost(self, doc_id: str, version: int) -> float | None:
        """Seconds per pixel of the document's recent pieces — the slowest of the last
        :data:`COST_SAMPLES` of at least :data:`COST_MIN_PIXELS`, hand-off included — or
        ``None`` before any. What a viewer weighs a low-resolution stand-in against: for a
        page that renders within a frame or two, the stand-in only delays the sharp one."""
        with self._lock:
            samples = self._costs.get((doc_id, version))
            return max(samples) if samples else None

    # -- rendering ---------------------------------------------------------------------------

    def render(
        self,
        request: RenderRequest,
        priority: Priority = Priority.VISIBLE,
        *,
        view: str | None = None,
    ) -> RenderFuture[Pixels]:
        """Pixels for ``request``: from the cache at once, else queued (see the module
        docstring for sharing and ``view``)."""
        with self._lock:
            self._check_open()
            cached = self._cache.get(request)
            if cached is not None:
                self._hits += 1
                done: RenderFuture[Pixels] = RenderFuture()
                done.set_result(cached)
                return done
            job = self._pending.get(request)
            if job is not None and not job.future.done():
                job.views.add(view)
                if priority < job.priority and not job.taken:
                    job.priority = priority
                    heapq.heappush(self._heap, (priority, next(self._order), job))
                future: RenderFuture[Pixels] = job.future
                return future
            job = _Job(Draw(request), RenderFuture(), priority, request, {view})
            self._pending[request] = job
            job.future.add_done_callback(functools.partial(self._forget, request))
            if priority <= Priority.VISIBLE and self._send_now(job):
                return job.future
            return self._push(job)

    def supersede(self, view: str, keep: Collection[RenderRequest] = ()) -> int:
        """Cancel ``view``'s queued requests that are not in ``keep`` (unless someone else also
        wants them); returns how many were cancelled."""
        doomed = []
        with self._lock:
            for request, job in self._pending.items():
                if view in job.views and request not in keep and not job.taken:
                    job.views.discard(view)
                    if not job.views:
                        doomed.append(job)
        return sum(job.future.cancel() for job in doomed)

    def show(
        self,
        view: str,
        visible: Iterable[RenderRequest],
        prefetch: Iterable[RenderRequest] = (),
    ) -> list[RenderFuture[Pixels]]:
        """What ``view`` wants now: ``visible`` first, then ``prefetch``; the view's other
        queued requests are cancelled. Returns the futures in the order given."""
        shown, ahead = list(visible), list(prefetch)
        self.supersede(view, keep={*shown, *ahead})
        return [self.render(r, Priority.VISIBLE, view=view) for r in shown] + [
            self.render(r, Priority.PREFETCH, view=view) for r in ahead
        ]

    # -- text, links, outline ----------------------------------------------------------------

    def words(
        self, doc_id: str, version: int, page: int, priority: Priority = Priority.VISIBLE
    ) -> RenderFuture[tuple[Word, ...]]:
        """The page's words with their boxes in page points (for snapping a highlighter)."""
        return self._submit(Read(doc_id, version, "words", page), priority)

    def search(
        self,
        doc_id: str,
        version: int,
        page: int,
        query: str,
        priority: Priority = Priority.VISIBLE,
    ) -> RenderFuture[tuple[Quad, ...]]:
        """Quads of ``query``'s occurrences on the page (page points), to highlight hits."""
        return self._submit(Read(doc_id, version, "search", page, query), priority)

    def links(
        self, doc_id: str, version: int, page: int, priority: Priority = Priority.VISIBLE
    ) -> RenderFuture[tuple[PageLink, ...]]:
        """The page's links to other pages of the document; nothing else is ever returned."""
        return self._submit(Read(doc_id, version, "links", page), priority)

    def web_links(
        self, doc_id: str, version: int, page: int, priority: Priority = Priority.VISIBLE
    ) -> RenderFuture[tuple[WebLink, ...]]:
        """The page's links to web pages (``http``/``https`` only, :mod:`.web`); Launch,
        JavaScript, file and embedded-file actions are never returned."""
        return self._submit(Read(doc_id, version, "web_links", page), priority)

    def outline(
        self, doc_id: str, version: int, priority: Priority = Priority.VISIBLE
    ) -> RenderFuture[tuple[OutlineEntry, ...]]:
        """The document's outline (目次), empty when it has none."""
        return self._submit(Read(doc_id, version, "outline"), priority)

    def call(
        self, fn: Callable[[], T], priority: Priority = Priority.BACKGROUND
    ) -> RenderFuture[T]:
        """Run ``fn()`` where the renderer runs — in the render process with the process
        backend: for other PyMuPDF work (exporting an annotated copy, extracting page texts),
        which must not run on a second thread beside it, nor stall the app.

        With the process backend ``fn`` and its result must pickle: a module-level function or
        a ``functools.partial`` of one (no lambda, no closure), and it sees the render
        process's memory, not the app's. A crash or a hang there fails only this call
        (``RenderFailed``)."""
        return self._submit(Call(fn), priority)

    # -- life cycle --------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """Whether the dispatch thread waits for work: a visible render asked for now is sent
        by the asking thread (for tests and benchmarks)."""
        with self._lock:
            return not self._busy and self._sent is None

    def stats(self) -> RenderStats:
        with self._lock:
            return RenderStats(
                renders=self._renders,
                cache_hits=self._hits,
                skipped=self._skipped,
                cache_bytes=self._cache.size,
                cache_entries=len(self._cache),
                evictions=self._cache.evictions,
                queued=sum(not j.taken and not j.future.done() for _, _, j in self._heap),
            )

    def shutdown(self, *, wait: bool = True) -> None:
        """Cancel queued work, let the running piece finish, close every document."""
        with self._lock:
            if self._closed:
                doomed: list[_Job] = []
            else:
                self._closed = True
                doomed = [j for _, _, j in self._heap if not j.taken]
                self._heap.clear()
                self._wake.notify()
        for job in doomed:
            job.future.cancel()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    # -- internals ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ServiceClosed()

    def _push(self, job: _Job) -> RenderFuture[Any]:
        """Queue ``job`` (under the lock); drops cancelled entries when they pile up."""
        if len(self._heap) > 64 and len(self._heap) > 4 * (len(self._pending) + 16):
            self._heap = [e for e in self._heap if not e[2].taken and not e[2].future.done()]
            heapq.heapify(self._heap)
        heapq.heappush(self._heap, (job.priority, next(self._order), job))
        self._wake.notify()
        return job.future

    def _send_now(self, job: _Job) -> bool:
        """(Under the lock) Send a visible render to the renderer from this thread when the
        dispatch thread is idle and nothing waits before it: the page then waits for no
        thread hand-off on its way out (issue #9: on a busy machine the dispatch thread's
        wake-up and its wait for the GIL cost ~0.6 ms of a 2 ms page). The dispatch thread
        still receives the answer, so the budget, a crash and the books are handled as ever;
        the send is a pipe write of a few hundred bytes (the process backend only)."""
        assert isinstance(job.op, Draw)
        if (
            self._busy
            or self._sent is not None
            or self._closed
            or any(not j.taken and not j.future.done() for _, _, j in self._heap)
        ):
            return False
        if not self._renderer.begin(job.op):
            return False
        job.taken = True
        job.future.set_running_or_notify_cancel()  # new and not yet handed out: cannot be cancelled
        self._sent = (job, time.perf_counter())
        self._busy = True
        self.sent_directly += 1
        self._wake.notify()
        return True

    def _forget(self, request: RenderRequest, future: Future[Any]) -> None:
        # Given the future, not the job: a callback holding the job would make a reference
        # cycle (job → future → callback → job) that keeps pixels alive until the next garbage
        # collection — and with the process backend, their shared-memory segment out of reuse.
        with self._lock:
            job = self._pending.get(request)
            if job is not None and job.future is future:
                del self._pending[request]

    def _submit(self, op: Op, priority: Priority) -> RenderFuture[Any]:
        with self._lock:
            self._check_open()
            return self._push(_Job(op, RenderFuture(), priority))

    def _execute(self, op: Op) -> Any:
        """Run ``op`` on the renderer (dispatch thread), keeping the service's books."""
        match op:
            case Open():
                try:
                    info = self._renderer.execute(op)
                except BaseException:
                    with self._lock:
                        self._open.discard(op.key)
                    raise
                with self._lock:
                    if op.key in self._open:
                        self._infos[op.key] = info
                return info
            case Draw(request):
                with self._lock:
                    self._renders += 1
                    sent = self._sent
                    self._sent = None
                started = sent[1] if sent is not None and sent[0].op is op else time.perf_counter()
                pixels = self._renderer.execute(op)
                seconds, area = time.perf_counter() - started, pixels.width * pixels.height
                key = (request.doc_id, request.version)
                with self._lock:
                    if key in self._open:
                        self._cache.put(request, pixels, pixels.nbytes)
                        if area >= COST_MIN_PIXELS:
                            costs = self._costs.setdefault(key, deque(maxlen=COST_SAMPLES))
                            costs.append(seconds / area)
                return pixels
            case _:
                return self._renderer.execute(op)

    def _run(self) -> None:
        try:
            self._renderer.start()
            while (job := self._next()) is not None:
                self._serve(job)
                # not held while waiting: another thread may lease the next segment meanwhile
                # (_send_now), and these pixels' segment should be back in the pool by then
                del job
        finally:
            self._renderer.stop()

    def _next(self) -> _Job | None:
        """The next job to run (waiting for one): a render another thread sent first (its
        answer is next on the pipe); ``None`` once shut down."""
        with self._lock:
            self._busy = False
            while True:
                while not self._heap and not self._closed and self._sent is None:
                    self._wake.wait()
                if self._sent is not None:
                    self._busy = True
                    return self._sent[0]
                if not self._heap:
                    return None
                _, _, job = heapq.heappop(self._heap)
                if not job.taken:  # else a second heap entry after a priority raise
                    job.taken = True
                    self._busy = True
                    return job

    def _serve(self, job: _Job) -> None:
        # A function of its own, so nothing of the job (its pixels) outlives it on this thread.
        sent = self._sent is not None and self._sent[0] is job  # already running
        if not sent and not job.future.set_running_or_notify_cancel():
            with self._lock:
                self._skipped += 1
            return
        try:
            result = self._execute(job.op)
        except BaseException as exc:  # noqa: BLE001 - the caller gets it, the thread lives
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)
