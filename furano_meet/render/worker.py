"""The render process's side: receive ops through a pipe, run them, answer.

Theory of operation
-------------------
:func:`serve` is the target of the process :mod:`.process` starts (``spawn``). It imports
PyMuPDF — the app's process never needs to — and owns every open document. Messages are
``(seq, op)``, after the worker has said :data:`READY`; ``None`` asks it to stop, and so does the pipe closing (the app died).

Each answer is ``(seq, True, result)`` or ``(seq, False, pickled exception)``. Pixels are drawn
straight into a new shared-memory segment named :func:`segment_name` ``(prefix, seq)``; the
answer carries only their size (:class:`Shipped`), and the app maps the segment and unlinks its
name. The worker keeps its own handle on the segment until the next message arrives: on Windows
a segment lives only while someone holds it, and the app has mapped it by then (it sends the
next op only after reading this answer). Names are derived from ``seq``, so the app can find
and unlink a segment of an answer it never got (the worker crashed or hung mid-way).

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
from .types import Pixels

__all__ = ["READY", "Shipped", "pickled_error", "segment_name", "serve"]

READY = "ready"
"""The first message of a worker: PyMuPDF is imported and ops may come."""


@dataclass(frozen=True, slots=True)
class Shipped:
    """Pixels left in the segment of their answer: only their shape travels through the pipe."""

    width: int
    height: int
    stride: int
    nbytes: int


def segment_name(prefix: str, seq: int) -> str:
    """The shared-memory segment the answer to op ``seq`` draws into (short: macOS allows 30)."""
    return f"{prefix}{seq:x}"


def pickled_error(exc: BaseException) -> bytes:
    """``exc`` pickled, or a plain :class:`RenderError` saying what it was when it won't pickle
    (an exception from a ``call`` may hold anything)."""
    try:
        return pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - any pickling failure gets the same plain stand-in
        return pickle.dumps(RenderError(f"{type(exc).__name__}: {exc}"))


class _Segments:
    """Shared-memory segments handed to the app, held until it has surely mapped them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.seq = 0
        self._held: list[SharedMemory] = []

    def allocate(self, nbytes: int) -> memoryview:
        segment = SharedMemory(segment_name(self.prefix, self.seq), create=True, size=nbytes)
        self._held.append(segment)
        assert segment.buf is not None  # typeshed allows None; it is not while open
        return segment.buf[:nbytes]

    def release(self) -> None:
        """Let go of the handles; one still viewed (a failed draw's traceback) waits for later."""
        kept = []
        for segment in self._held:
            try:
                segment.close()
            except BufferError:
                kept.append(segment)
        self._held = kept


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
            segments.release()
            if message is None:
                return
            segments.seq, op = message
            answer: tuple[int, bool, Any]
            result: Any = None
            try:
                result = documents.execute(op)
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the app
                answer = (segments.seq, False, pickled_error(exc))
            else:
                if isinstance(result, Pixels):
                    result = Shipped(result.width, result.height, result.stride, result.nbytes)
                answer = (segments.seq, True, result)
            result = None  # the Pixels viewed the segment: release() can close it next time
            try:
                conn.send(answer)
            except Exception as exc:  # noqa: BLE001 - a result that will not pickle
                conn.send((segments.seq, False, pickled_error(exc)))
    finally:
        documents.stop()
        segments.release()
