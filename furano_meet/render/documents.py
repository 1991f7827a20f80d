"""The documents one renderer owns, and the ops it runs on them.

One :class:`Documents` lives where PyMuPDF runs: on the service's render thread (the thread
backend) or in the render process (:mod:`.worker`). Both run the same ops
(:mod:`.ops`) through :meth:`Documents.execute`, so the two backends answer alike; only where the
pixels are drawn differs (``allocate``).
"""

from __future__ import annotations

from typing import Any

from .errors import DocumentNotOpen
from .ops import Call, Close, DocKey, Draw, Op, Open, Read
from .pages import Allocate, OpenDocument

__all__ = ["Documents"]


class Documents:
    """Open documents by (id, version); use from one thread only (see :mod:`.pages`)."""

    def __init__(self, allocate: Allocate = bytearray) -> None:
        self._docs: dict[DocKey, OpenDocument] = {}
        self._allocate = allocate

    def start(self) -> None:
        """Nothing to start: the documents are opened on the thread that asks."""

    def begin(self, _op: Draw) -> bool:
        """Never: here the ops run on the dispatch thread itself, which owns the documents."""
        return False

    def execute(self, op: Op) -> Any:
        """Do ``op``; returns what the service's matching method promises, or raises."""
        match op:
            case Open(doc_id, version, pdf, password):
                if op.key not in self._docs:
                    self._docs[op.key] = OpenDocument(doc_id, version, pdf, password)
                return self._docs[op.key].info
            case Close():
                doc = self._docs.pop(op.key, None)
                if doc is not None:
                    doc.close()
                return None
            case Draw(request):
                return self._doc((request.doc_id, request.version)).draw(request, self._allocate)
            case Read(doc_id, version, what, page, query):
                doc = self._doc((doc_id, version))
                match what:
                    case "words":
                        return doc.words(page)
                    case "search":
                        return doc.search(page, query)
                    case "links":
                        return doc.links(page)
                    case "web_links":
                        return doc.web_links(page)
                    case _:
                        return doc.outline()
            case Call(fn):
                return fn()

    def stop(self) -> None:
        """Close every document (on the thread that opened them)."""
        for doc in self._docs.values():
            doc.close()
        self._docs.clear()

    def _doc(self, key: DocKey) -> OpenDocument:
        doc = self._docs.get(key)
        if doc is None:
            raise DocumentNotOpen(*key)
        return doc
