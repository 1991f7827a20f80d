"""Shared-memory segments that carry pixels from the render process to the app.

Theory of operation
-------------------
MuPDF draws straight into a segment and the app hands out a read-only view of its mapping: no
copy. What costs is fresh memory: on the machine measured, writing a 1920×1200 page into a new
segment took 17 ms (the kernel finds and zeroes 1,700 pages), into a segment both processes
already had mapped 0.1 ms. So segments are **reused**: a :class:`Pool` in the app leases one to
each draw; the render process keeps every pool segment it has drawn into mapped; the app maps
it per result and takes it back (weakly watching that mapping) once the last view of the
result is gone. Reuse is therefore safe: no one can still see the old pixels.

The pool is bounded (:data:`MAX_SEGMENTS` in all, :data:`MAX_FREE` idle ones kept; a lease
takes an idle segment from 1 to 2 times the size asked). When none fits, the render process
makes a one-off segment named after the op (:func:`result_name`), which the app unlinks as it
maps it — and by that name also when the worker died before answering. Pool segments belong to
the app: a crash of the worker leaves them usable, and :meth:`Pool.close` unlinks every one.
"""

from __future__ import annotations

import os
import threading
import weakref
from multiprocessing.shared_memory import SharedMemory

__all__ = ["MAX_FREE", "MAX_SEGMENTS", "Pool", "map_readonly", "result_name", "unlink"]

MAX_SEGMENTS = 32
"""Pool segments in existence at once (idle or holding pixels someone still sees)."""
MAX_FREE = 8
"""Idle pool segments kept for reuse; beyond this the oldest are unlinked."""
_ROUND = 1 << 16
_POSIX = os.name != "nt"


def result_name(prefix: str, seq: int) -> str:
    """The one-off segment of op ``seq``'s answer (short: macOS allows 30 characters)."""
    return f"{prefix}r{seq:x}"


def map_readonly(name: str, nbytes: int, *, unlink_name: bool) -> memoryview:
    """A read-only view of segment ``name``'s first ``nbytes``, its handle already let go.

    ``SharedMemory.close()`` refuses while a view of its mapping exists, so this releases the
    handle's own view and descriptor now and leaves the mapping to the views: it is unmapped
    (and on Windows a one-off segment freed) when the last one goes.
    """
    segment = SharedMemory(name)
    try:
        assert segment.buf is not None  # typeshed allows None; it is not while open
        view = segment.buf[:nbytes].toreadonly()
    finally:
        if unlink_name and _POSIX:
            segment.unlink()
    segment._buf.release()  # type: ignore[attr-defined]  # noqa: SLF001 - see the docstring
    segment._buf = None  # type: ignore[attr-defined]  # noqa: SLF001
    segment._mmap = None  # type: ignore[attr-defined]  # noqa: SLF001
    if _POSIX:
        os.close(segment._fd)  # type: ignore[attr-defined]  # noqa: SLF001
        segment._fd = -1  # type: ignore[attr-defined]  # noqa: SLF001
    return view


def unlink(name: str) -> None:
    """Remove segment ``name`` if it exists (on Windows it goes with its last handle anyway)."""
    if not _POSIX:
        return
    try:
        segment = SharedMemory(name)
    except FileNotFoundError:
        return
    segment.unlink()
    segment.close()


class Pool:
    """The app's reusable segments (see the module docstring). Thread-safe: a segment comes
    back on whichever thread lets go of the last view of its pixels."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._lock = threading.Lock()
        self._sizes: dict[str, int] = {}
        self._handles: dict[str, SharedMemory] = {}  # Windows frees a segment no one holds
        self._free: list[str] = []
        self._dropped: list[str] = []
        self._made = 0
        self._closed = False

    def lease(self, nbytes: int) -> str | None:
        """An idle segment for ``nbytes`` of pixels, made if need be; ``None`` when the pool
        is full (the render process then makes a one-off segment)."""
        with self._lock:
            fits = [n for n in self._free if nbytes <= self._sizes[n] <= 2 * nbytes + _ROUND]
            if fits:
                name = min(fits, key=self._sizes.__getitem__)
                self._free.remove(name)
                return name
            if self._closed or len(self._sizes) >= MAX_SEGMENTS:
                return None
            name = f"{self._prefix}p{self._made:x}"
            self._made += 1
            size = -(-max(nbytes, 1) // _ROUND) * _ROUND
            self._handles[name] = SharedMemory(name, create=True, size=size)
            self._sizes[name] = size
            return name

    def view(self, name: str, nbytes: int) -> memoryview:
        """The pixels in leased segment ``name``; the segment comes back when they are gone."""
        view = map_readonly(name, nbytes, unlink_name=False)
        # The view's buffer is the mapping (an mmap, which can be watched): see map_readonly.
        watched = view.obj
        weakref.finalize(watched, self.give_back, name).atexit = False
        return view

    def give_back(self, name: str) -> None:
        """Segment ``name`` is idle again (its draw failed, or its pixels are gone)."""
        with self._lock:
            if name not in self._sizes:
                return
            self._free.append(name)
            while len(self._free) > MAX_FREE:
                self._drop(self._free.pop(0))

    def dropped(self) -> tuple[str, ...]:
        """Segments unlinked since the last call: the render process should unmap them."""
        with self._lock:
            names, self._dropped = tuple(self._dropped), []
            return names

    def close(self) -> None:
        """Unlink every segment; pixels still seen keep their mapping until they go."""
        with self._lock:
            self._closed = True
            for name in list(self._sizes):
                self._drop(name)
            self._free.clear()

    def _drop(self, name: str) -> None:
        del self._sizes[name]
        self._dropped.append(name)
        handle = self._handles.pop(name)
        if _POSIX:
            handle.unlink()
        handle.close()
