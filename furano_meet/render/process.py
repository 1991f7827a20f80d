"""The process backend: PyMuPDF in a render process, so it never holds the app's GIL.

Theory of operation
-------------------
PyMuPDF keeps Python's GIL while it draws, so on a thread every render stalls every other
Python thread of the app, the GUI's included. Here the service's dispatch thread hands each op
to a worker process (:mod:`.worker`, started with ``spawn``: the same on Linux, macOS, Windows
and in a frozen app) and waits for its answer *without* the GIL; the app's threads run on.

* **One op in flight.** The next op is sent only when the last has been answered, so the
  service's queue keeps deciding until the last moment: a request superseded before it is sent
  is never sent, and a page turn waits behind at most one piece. A visible render asked for
  while nothing is in flight is written to the pipe by the thread that asks (:meth:`begin`,
  issue #9: no wake-up of the dispatch thread on its way out); the dispatch thread reads its
  answer as any other (:meth:`execute` of the same op).
* **Documents** go to the worker once, as bytes through the pipe (never a file). The backend
  remembers what it opened, to open it again in a new worker.
* **Pixels** come back through shared memory, drawn by MuPDF straight into the segment; the
  app maps it, unlinks its name at once (so nothing is left behind whatever happens later) and
  hands out a read-only view of the mapping: no copy anywhere. The mapping lives exactly as long
  as the last view of it, the same rule as a ``bytearray`` (keep the :class:`~.types.Pixels`
  alive as long as a ``QImage`` wraps its data). Copying 6.9 MB (a 1920×1200 page) into the
  app's own memory measured 5 ms here, more than the whole render of a text page.
* **Crash and hang.** A worker that dies (a MuPDF segfault) or does not answer within the time
  budget (an endless page) is killed; the op fails with :class:`~.errors.RenderFailed` (with
  :class:`~.errors.DocumentDamaged` when it was opening a document), the segment it may have
  left is unlinked by name, and the next op starts a new worker and opens the documents again.
  A document that takes the new worker down while it opens is forgotten: asking for it says it
  is not open. The op that failed is never retried: it would only fail again.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import secrets
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from . import worker
from .errors import BadRenderRequest, DocumentDamaged, RenderError, RenderFailed
from .ops import Call, Close, DocKey, Draw, Op, Open, page_of
from .segments import Pool, map_readonly, result_name, unlink
from .types import MAX_PIXELS, DocumentInfo, Pixels, RenderRequest

__all__ = ["DEFAULT_BUDGET", "ProcessBackend"]

DEFAULT_BUDGET = 10.0
"""Seconds one op may take before its worker counts as hung. The slowest real page seen here
(a JPEG2000 scan) took 0.34 s; a budget book opens in well under one."""
_STOP_WAIT = 5.0
_START_WAIT = 60.0
"""Seconds a new render process may take to import PyMuPDF and say it is ready (a busy
machine; seconds here, not the op budget: the first op should not pay for the start)."""


class ProcessBackend:
    """Runs ops in a render process; use from the service's dispatch thread only."""

    def __init__(self, *, budget: float = DEFAULT_BUDGET, name: str = "furano-render") -> None:
        if not budget > 0:
            raise ValueError(f"budget must be > 0 seconds, got {budget!r}")
        self.budget = budget
        self.name = name
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")
        self._prefix = f"fm{os.getpid():x}{secrets.token_hex(3)}_"
        self._seq = itertools.count()
        self._opened: dict[DocKey, Open] = {}
        self._infos: dict[DocKey, DocumentInfo] = {}
        self._pool = Pool(self._prefix)
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._sent: tuple[Draw, int, str | None] | None = None
        """An op :meth:`begin` sent, its sequence number and lease, until its answer is read."""

    @property
    def pid(self) -> int | None:
        """The render process's id (``None`` before it started, or after a loss)."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the worker ahead of the first op (a second or so on a busy machine), so the
        first page turn does not wait for it; a failure here is told by the first op."""
        with contextlib.suppress(RenderError):
            self._ensure_worker()

    def begin(self, op: Draw) -> bool:
        """Send ``op`` to a running worker now, from the calling thread, so the page waits for
        no thread hand-off (the service's dispatch thread receives it: :meth:`execute` with the
        same op). Only while nothing else is in flight — the service calls it when its
        dispatch thread is idle. ``False`` when there is no worker or the pipe refuses: the
        dispatch thread then runs the op as ever (and finds out why)."""
        if self._process is None or self._conn is None or self._sent is not None:
            return False
        try:
            self._sent = (op, *self._post(op))
        except RenderError:
            return False
        return True

    def execute(self, op: Op) -> Any:
        """Run ``op`` in the worker (starting one as needed); its result, or raises. After
        :meth:`begin` of the same op: its answer."""
        sent, self._sent = self._sent, None
        if sent is not None and sent[0] is op:
            result = self._answer(op, sent[1], sent[2])
        else:
            assert sent is None, "an op was begun and another executed"
            self._ensure_worker()
            result = self._exchange(op)
        match op:
            case Open():
                self._opened[op.key] = op
                self._infos[op.key] = result
            case Close():
                self._opened.pop(op.key, None)
                self._infos.pop(op.key, None)
        return result

    def stop(self) -> None:
        """Ask the worker to stop; kill it if it does not within a few seconds."""
        process, conn = self._process, self._conn
        if process is not None and conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            process.join(_STOP_WAIT)
            self._discard()
        self._pool.close()

    # -- internals ---------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        while self._process is None:
            self._spawn()
            for key, op in list(self._opened.items()):
                try:
                    self._exchange(op)
                except RenderError:
                    del self._opened[key]  # no longer opens: requests for it say it is not open
                    self._infos.pop(key, None)
                if self._process is None:
                    break  # it took the new worker down too: start afresh without it

    def _spawn(self) -> None:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=worker.serve, args=(theirs, self._prefix), name=self.name, daemon=True
        )
        process.start()
        theirs.close()
        try:
            ready = ours.poll(_START_WAIT) and ours.recv() == worker.READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            if process.is_alive():
                process.kill()
            process.join()
            ours.close()
            raise RenderError(
                f"The page renderer could not start (exit code {process.exitcode}).",
                "Restart Furano Meet; if this keeps happening, reinstall it.",
            )
        self._process, self._conn = process, ours

    def _exchange(self, op: Op) -> Any:
        seq, lease = self._post(op)
        return self._answer(op, seq, lease)

    def _post(self, op: Op) -> tuple[int, str | None]:
        """Send ``op`` to the worker: its sequence number and the pool segment it draws into."""
        process, conn = self._process, self._conn
        assert process is not None and conn is not None
        if isinstance(op, Call):  # the only op that holds what may not pickle: check alone
            try:
                pickle.dumps(op.fn)
            except Exception as exc:  # noqa: BLE001 - pickle raises several kinds
                raise BadRenderRequest(
                    f"work for the render process must pickle (a module-level function): {exc}"
                ) from exc
        seq = next(self._seq)
        nbytes = self._size(op)
        lease = None if nbytes is None else self._pool.lease(nbytes)
        message = pickle.dumps((seq, op, lease, self._pool.dropped()), pickle.HIGHEST_PROTOCOL)
        try:
            conn.send_bytes(message)
        except (EOFError, OSError):
            if lease is not None:
                self._pool.give_back(lease)  # nothing was drawn into it
            process.join(_STOP_WAIT)
            why = f"the renderer stopped, exit code {process.exitcode}"
            raise self._lost(seq, op, why) from None
        return seq, lease

    def _answer(self, op: Op, seq: int, lease: str | None) -> Any:
        """Wait for the answer to op ``seq`` (within the budget): its result, or raises."""
        try:
            answer_seq, ok, payload = self._receive(seq, op)
        except BaseException:
            if lease is not None:
                self._pool.give_back(lease)  # the worker that drew into it is gone
            raise
        assert answer_seq == seq, f"answer {answer_seq} to op {seq}"
        if ok and isinstance(payload, worker.Shipped):
            assert isinstance(op, Draw)
            return self._pixels(op.request, payload, lease)
        if lease is not None:
            self._pool.give_back(lease)
        if isinstance(op, Draw):
            unlink(result_name(self._prefix, seq))  # a draw that failed half-way
        if ok:
            return payload
        raise _unpickled(payload)

    def _pixels(self, request: RenderRequest, shipped: worker.Shipped, lease: str | None) -> Pixels:
        """The pixels the worker left in shared memory, mapped read-only (no copy)."""
        if shipped.pooled:
            view = self._pool.view(shipped.segment, shipped.nbytes)
        else:
            if lease is not None:
                self._pool.give_back(lease)
            view = map_readonly(shipped.segment, shipped.nbytes, unlink_name=True)
        return Pixels(request, shipped.width, shipped.height, shipped.stride, view)

    def _receive(self, seq: int, op: Op) -> tuple[int, bool, Any]:
        """The answer to op ``seq``, within the budget."""
        process, conn = self._process, self._conn
        assert process is not None and conn is not None
        try:
            if not conn.poll(self.budget):
                raise self._lost(seq, op, f"no answer within {self.budget:g} s")
            answer: tuple[int, bool, Any] = conn.recv()
        except (EOFError, OSError):
            process.join(_STOP_WAIT)
            why = f"the renderer stopped, exit code {process.exitcode}"
            raise self._lost(seq, op, why) from None
        return answer

    def _size(self, op: Op) -> int | None:
        """Bytes of the pixels ``op`` will draw, when it draws and the size is known."""
        if not isinstance(op, Draw):
            return None
        request = op.request
        info = self._infos.get((request.doc_id, request.version))
        if request.clip is not None:
            width, height = request.clip.width, request.clip.height
        elif info is not None and request.page < info.page_count:
            width, height = info.pages[request.page].pixel_size(request.scale, request.rotation)
        else:
            return None
        return 3 * width * height if width * height <= MAX_PIXELS else None

    def _lost(self, seq: int, op: Op, why: str) -> RenderError:
        """Kill the worker and return the error for the op it was running."""
        self._discard()
        self.restarts += 1
        unlink(result_name(self._prefix, seq))
        if isinstance(op, Open):
            return DocumentDamaged(f"it stopped the renderer: {why}")
        return RenderFailed(page_of(op), why)

    def _discard(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is not None:
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        if conn is not None:
            conn.close()


def _unpickled(payload: bytes) -> BaseException:
    try:
        error = pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - e.g. a class the app cannot import
        return RenderError(f"the renderer failed and its error could not be read: {exc}")
    if not isinstance(error, BaseException):
        return RenderError(f"the renderer answered {type(error).__name__} as an error")
    return error
