"""The work the service hands to its renderer, as plain values.

Why values and not closures: the renderer may be another process (:mod:`.process`), so every
piece of work must pickle. The same ops run on the render thread of the thread backend, so
both backends execute exactly the same code (:class:`~.documents.Documents`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .types import RenderRequest

__all__ = ["Call", "Close", "DocKey", "Draw", "Op", "Open", "Read", "page_of"]

DocKey = tuple[str, int]
"""A document as the service knows it: (id, version)."""


@dataclass(frozen=True, slots=True)
class Open:
    """Open a PDF from memory (sent to a render process once, as bytes through its pipe)."""

    doc_id: str
    version: int
    pdf: bytes | bytearray
    password: str | None = None

    @property
    def key(self) -> DocKey:
        return self.doc_id, self.version


@dataclass(frozen=True, slots=True)
class Close:
    doc_id: str
    version: int

    @property
    def key(self) -> DocKey:
        return self.doc_id, self.version


@dataclass(frozen=True, slots=True)
class Draw:
    request: RenderRequest


@dataclass(frozen=True, slots=True)
class Read:
    """Read text, links or the outline of an open document (``page`` is ignored for the outline)."""

    doc_id: str
    version: int
    what: Literal["words", "search", "links", "web_links", "outline"]
    page: int = 0
    query: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    """Run ``fn()`` where the renderer runs. With the process backend ``fn`` must pickle: a
    module-level function (or a ``functools.partial`` of one), never a lambda or closure."""

    fn: Callable[[], Any]


Op = Open | Close | Draw | Read | Call


def page_of(op: Op) -> int | None:
    """The page an op is about, for the error that says it failed; ``None`` when not one page."""
    match op:
        case Draw(request):
            return request.page
        case Read(what="outline"):
            return None
        case Read(page=page):
            return page
        case _:
            return None
