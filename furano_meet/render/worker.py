"""The render process's side: receive ops through a pipe, run them, answer.

Theory of operation
-------------------
:func:`serve` is the target of the process :mod:`.process` starts (``spawn``). It imports
PyMuPDF — the app's process never needs to — and owns every open document. After it has said
:data:`READY`, messages are ``(seq, op, lease, dropped)``; ``None`` asks it to stop, and so does
the pipe closing (the app died).

Each answer is ``(seq, True, result)`` or ``(seq, False, pickled exception)``. Pixels are drawn
straight into shared memory (:mod:`.segments`): into ``lease``, a pool segment of the app's,
which the worker keeps mapped for next time (``dropped`` names the ones the app has let go of);
else into a one-off segment named after ``seq``. The answer carries only their shape and place
(:class:`Shipped`). The worker keeps its handle on a one-off segment until the next message: on
Windows a segment lives only while someone holds it, and the app has mapped it by then (it
sends the next op only after reading this answer).

Nothing here may import PyMuPDF at module level: the app imports this module to name the
process's target.
"""

from __future__ import annotations

import pickle
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

from .errors import RenderError
from .segments import result_name
from .types import Pixels

__all__ = ["READY", "Shipped", "pickled_error", "serve"]

READY = "ready"
"""The first message of a worker: PyMuPDF is imported and ops may come."""


@dataclass(frozen=True, slots=True)
class Shipped:
    """Pixels left in a segment: only their shape and where they are travel through the pipe."""

    width: int
    height: int
    stride: int
    nbytes: int
    segment: str
    pooled: bool
    """Drawn into the app's leased pool segment (else a one-off segment to unlink)."""


def pickled_error(exc: BaseException) -> bytes:
    """``exc`` pickled, or a plain :class:`RenderError` saying what it was when it won't pickle
    (an exception from a ``call`` may hold anything)."""
    try:
        return pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - any pickling failure gets the same plain stand-in
        return pickle.dumps(RenderError(f"{type(exc).__name__}: {exc}"))


class _Segments:
    """Where the worker draws: the app's leased pool segment (kept mapped for the next time),
    else a one-off segment, held until the app has surely mapped it."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.seq = 0
        self.lease: str | None = None
        self.used = ""
        self._pool: dict[str, SharedMemory] = {}
        self._held: list[SharedMemory] = []

    def allocate(self, nbytes: int) -> memoryview:
        segment = None
        if self.lease is not None:
            segment = self._pool.get(self.lease) or SharedMemory(self.lease)
            self._pool[self.lease] = segment
        if segment is None or segment.size < nbytes:
            segment = SharedMemory(result_name(self.prefix, self.seq), create=True, size=nbytes)
            self._held.append(segment)
        self.used = segment.name
        assert segment.buf is not None  # typeshed allows None; it is not while open
        return segment.buf[:nbytes]

    def next(self, seq: int, lease: str | None, dropped: tuple[str, ...]) -> None:
        """A new op: let go of what the app has mapped by now, and of dropped pool segments."""
        self.seq, self.lease, self.used = seq, lease, ""
        for name in dropped:
            segment = self._pool.pop(name, None)
            if segment is not None:
                self._held.append(segment)
        kept = []
        for segment in self._held:
            try:
                segment.close()
            except BufferError:  # still viewed (a failed draw's traceback): next time
                kept.append(segment)
        self._held = kept

    def close(self) -> None:
        self.next(self.seq, None, tuple(self._pool))


def serve(conn: Connection, prefix: str) -> None:
    """Run ops from ``conn`` until told to stop or the pipe closes (see the module docstring)."""
    from .documents import Documents  # PyMuPDF is imported here, in the render process only

    # Ctrl-C in a terminal reaches the whole process group: the app decides, and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    segments = _Segments(prefix)
    documents = Documents(segments.allocate)
    try:
        conn.send(READY)
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message is None:
                return
            seq, op, lease, dropped = message
            segments.next(seq, lease, dropped)
            answer: tuple[int, bool, Any]
            result: Any = None
            try:
                result = documents.execute(op)
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the app
                answer = (seq, False, pickled_error(exc))
            else:
                if isinstance(result, Pixels):
                    pooled = segments.used == lease
                    result = Shipped(
                        result.width,
                        result.height,
                        result.stride,
                        result.nbytes,
                        segments.used,
                        pooled,
                    )
                answer = (seq, True, result)
            result = None  # the Pixels viewed the segment: it may be closed next time
            try:
                conn.send(answer)
            except Exception as exc:  # noqa: BLE001 - a result that will not pickle
                conn.send((seq, False, pickled_error(exc)))
    finally:
        documents.stop()
        segments.close()
