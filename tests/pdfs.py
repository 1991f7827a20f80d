"""Generated sample PDFs, made once per test session.

Why: laying out a Japanese agenda pack with PyMuPDF costs 0.3-0.5 s for three pages (the demo
council's three documents 1.7 s), and the same packs were made again in test after test. Both
generators give identical bytes for identical arguments (fixed seeds; checked by
``tests/samples/test_agenda_pack.py`` and ``tests/samples/test_demo.py``), and bytes cannot be
changed by a test, so a cached copy is exactly what the test would have made itself.

The tests of the generators themselves (``tests/samples/``) call them directly, never these.
"""

from __future__ import annotations

import functools

from furano_meet.samples import demo_documents as make_demo_documents
from furano_meet.samples import generate_agenda_pack as make_agenda_pack

__all__ = ["demo_documents", "generate_agenda_pack"]


@functools.cache
def _demo_documents() -> tuple[tuple[str, bytes], ...]:
    return tuple(make_demo_documents())


def demo_documents() -> list[tuple[str, bytes]]:
    """:func:`furano_meet.samples.demo_documents`, generated once (a new list every call)."""
    return list(_demo_documents())


@functools.cache
def _agenda_pack(title: str, pages: int, seed: int) -> bytes:
    return make_agenda_pack(title=title, pages=pages, seed=seed)


def generate_agenda_pack(
    *, title: str, pages: int = 12, seed: int = 0, padding_to_bytes: int | None = None
) -> bytes:
    """:func:`furano_meet.samples.generate_agenda_pack` with the demo's items and meeting,
    generated once per argument set. Padded packs (megabytes of appendix pages, each made for
    one test) are made afresh and not kept."""
    if padding_to_bytes is not None:
        return make_agenda_pack(
            title=title, pages=pages, seed=seed, padding_to_bytes=padding_to_bytes
        )
    return _agenda_pack(title, pages, seed)
