"""The page-render service: every PyMuPDF call of the app on one thread, in priority order.

Theory of operation
-------------------
One render thread owns every open document (:mod:`.pages`). Callers on any thread — the GUI's,
the asyncio loop's, a worker's — submit work and get a :class:`RenderFuture`: a
``concurrent.futures.Future`` that can also be awaited in asyncio. Work waits in one priority
queue (:class:`~.types.Priority`: open/close first, then what is visible, then prefetch, then
background; first come first served within one priority).

* **Cache.** Rendered pixels are kept in an LRU cache bounded in bytes, keyed by the
  :class:`~.types.RenderRequest` (document id, version, page, scale, clip, rotation). A hit is
  answered at once on the caller's thread, with a future already done.
* **One render per request.** Asking again for a request that is queued returns the same
  future (raising its priority if the new one is higher), so the viewer and the thumbnail strip
  never render the same thing twice.
* **Cancellation.** A future cancelled before its work starts is never run (the thread skips
  it); once started, a render finishes (MuPDF cannot be interrupted from Python). A *view*
  (the viewer, the thumbnail strip) names its requests; :meth:`RenderService.show` hands over
  what the view wants now, and its queued requests not in that set are cancelled — so leafing
  quickly through 30 pages renders the page the reader stops at, not the 29 before. A future
  is shared by everyone who asked for the same request: cancel it directly only if you alone
  asked, otherwise let :meth:`~RenderService.supersede` decide.
* **Bounded work.** A piece is at most :data:`~.types.MAX_PIXELS`; larger areas must be asked
  for as tiles (:func:`~.types.tile_grid`). PyMuPDF holds Python's GIL while it draws, so every
  piece also stalls other Python threads for its duration: small tiles keep the GUI responsive.

The service never writes a document to disk: documents are opened from the caller's bytes,
which it keeps a reference to (unchanged) until the document is closed.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
from collections.abc import Callable, Collection, Generator, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from furano_meet.pagespace import Quad

from .cache import ByteLRU
from .errors import DocumentNotOpen, ServiceClosed
from .pages import OpenDocument
from .types import DocumentInfo, OutlineEntry, PageLink, Pixels, Priority, RenderRequest, Word

__all__ = ["DEFAULT_CACHE_BYTES", "RenderFuture", "RenderService", "RenderStats"]

T = TypeVar("T")
DocKey = tuple[str, int]

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
"""About 37 pages at 1920×1200, or 8 screens of 400 % tiles on a 4K display."""


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


@dataclass(eq=False, slots=True)
class _Job:
    work: Callable[[], Any]
    future: RenderFuture[Any]
    priority: int
    request: RenderRequest | None = None
    views: set[str | None] = field(default_factory=set)
    taken: bool = False


class RenderService:
    """See the module docstring. Use as a context manager, or call :meth:`shutdown`."""

    def __init__(
        self, *, cache_bytes: int = DEFAULT_CACHE_BYTES, name: str = "furano-render"
    ) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[int, int, _Job]] = []
        self._order = itertools.count()
        self._pending: dict[RenderRequest, _Job] = {}
        self._cache: ByteLRU[RenderRequest, Pixels] = ByteLRU(cache_bytes)
        self._open: set[DocKey] = set()
        self._infos: dict[DocKey, DocumentInfo] = {}
        self._closed = False
        self._renders = self._hits = self._skipped = 0
        self._docs: dict[DocKey, OpenDocument] = {}  # the render thread's alone
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
        key = (doc_id, version)

        def work() -> DocumentInfo:
            if key not in self._docs:
                try:
                    self._docs[key] = OpenDocument(doc_id, version, pdf, password)
                except BaseException:
                    with self._lock:
                        self._open.discard(key)
                    raise
            info = self._docs[key].info
            with self._lock:
                self._infos[key] = info
            return info

        with self._lock:
            self._check_open()
            self._open.add(key)
            return self._push(_Job(work, RenderFuture(), Priority.URGENT))

    def close(self, doc_id: str, version: int) -> RenderFuture[None]:
        """Close a document: its queued work is cancelled and its pixels leave the cache."""
        key = (doc_id, version)

        def work() -> None:
            doc = self._docs.pop(key, None)
            if doc is not None:
                doc.close()

        with self._lock:
            self._check_open()
            self._open.discard(key)
            self._infos.pop(key, None)
            self._cache.discard_where(lambda r: (r.doc_id, r.version) == key)
            doomed = [j for r, j in self._pending.items() if (r.doc_id, r.version) == key]
            future = self._push(_Job(work, RenderFuture(), Priority.URGENT))
        for job in doomed:
            job.future.cancel()
        return future

    def document(self, doc_id: str, version: int) -> DocumentInfo | None:
        """The info of an open document, without a trip to the render thread."""
        with self._lock:
            return self._infos.get((doc_id, version))

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
            job = _Job(lambda: self._draw(request), RenderFuture(), priority, request, {view})
            self._pending[request] = job
            job.future.add_done_callback(lambda _: self._forget(request, job))
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
        return self._query(doc_id, version, lambda d: d.words(page), priority)

    def search(
        self,
        doc_id: str,
        version: int,
        page: int,
        query: str,
        priority: Priority = Priority.VISIBLE,
    ) -> RenderFuture[tuple[Quad, ...]]:
        """Quads of ``query``'s occurrences on the page (page points), to highlight hits."""
        return self._query(doc_id, version, lambda d: d.search(page, query), priority)

    def links(
        self, doc_id: str, version: int, page: int, priority: Priority = Priority.VISIBLE
    ) -> RenderFuture[tuple[PageLink, ...]]:
        """The page's links to other pages of the document; nothing else is ever returned."""
        return self._query(doc_id, version, lambda d: d.links(page), priority)

    def outline(
        self, doc_id: str, version: int, priority: Priority = Priority.VISIBLE
    ) -> RenderFuture[tuple[OutlineEntry, ...]]:
        """The document's outline (目次), empty when it has none."""
        return self._query(doc_id, version, lambda d: d.outline(), priority)

    def call(
        self, fn: Callable[[], T], priority: Priority = Priority.BACKGROUND
    ) -> RenderFuture[T]:
        """Run ``fn`` on the render thread: for other PyMuPDF work (exporting an annotated
        copy, extracting page texts), which must not run on a second thread beside this one."""
        with self._lock:
            self._check_open()
            return self._push(_Job(fn, RenderFuture(), priority))

    # -- life cycle --------------------------------------------------------------------------

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

    def _forget(self, request: RenderRequest, job: _Job) -> None:
        with self._lock:
            if self._pending.get(request) is job:
                del self._pending[request]

    def _query(
        self, doc_id: str, version: int, fn: Callable[[OpenDocument], T], priority: Priority
    ) -> RenderFuture[T]:
        with self._lock:
            self._check_open()
            return self._push(
                _Job(lambda: fn(self._doc((doc_id, version))), RenderFuture(), priority)
            )

    def _doc(self, key: DocKey) -> OpenDocument:
        doc = self._docs.get(key)
        if doc is None:
            raise DocumentNotOpen(*key)
        return doc

    def _draw(self, request: RenderRequest) -> Pixels:
        key = (request.doc_id, request.version)
        doc = self._doc(key)
        with self._lock:
            self._renders += 1
        pixels = doc.draw(request)
        with self._lock:
            if key in self._open:
                self._cache.put(request, pixels, pixels.nbytes)
        return pixels

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    while not self._heap and not self._closed:
                        self._wake.wait()
                    if not self._heap:
                        return
                    _, _, job = heapq.heappop(self._heap)
                    if job.taken:
                        continue  # a second heap entry after a priority raise
                    job.taken = True
                if not job.future.set_running_or_notify_cancel():
                    with self._lock:
                        self._skipped += 1
                    continue
                try:
                    result = job.work()
                except BaseException as exc:  # noqa: BLE001 - the caller gets it, the thread lives
                    job.future.set_exception(exc)
                else:
                    job.future.set_result(result)
        finally:
            for doc in self._docs.values():
                doc.close()
            self._docs.clear()
