"""The documents of the demo meeting: a few small agenda packs ready to load into the app.

``DEMO_MEETING`` and ``DEMO_ITEMS`` live in ``furano`` (the pack generator defaults to them);
they are re-exported here so a demo needs one import. :data:`DEMO_AGENDA` is where each
document stands in the agenda (the clerk publishes it signed, see ``furano_meet.demo``).
"""

from __future__ import annotations

import pymupdf

from furano_meet.samples.agenda_pack import generate_agenda_pack
from furano_meet.samples.furano import DEMO_ITEMS, DEMO_MEETING

__all__ = ["DEMO_AGENDA", "DEMO_ITEMS", "DEMO_MEETING", "demo_documents"]

DEMO_AGENDA: tuple[tuple[str, int], ...] = (
    ("議案（全件）", 1),
    (DEMO_ITEMS[0].number, 2),
    (DEMO_ITEMS[1].number, 3),
)
"""(agenda item label, agenda position) of each of :func:`demo_documents`, in its order —
which is not the order of their titles, so a reader sorting by title would show it wrong."""


def demo_documents() -> list[tuple[str, bytes]]:
    """(title, PDF bytes) for each document of the demo meeting, in distribution order.

    Small on purpose (4–12 pages each, tens of KB) so a demo starts instantly; fixed seeds make
    the bytes identical on every run, so their hashes can be relied on. Each has an outline
    (目次: 表紙, 議事日程, the first page of each item) for the agenda pack to show.
    """
    budget, wine = DEMO_ITEMS[0], DEMO_ITEMS[1]
    specs = (
        ("議案書", DEMO_ITEMS, 12, 1),
        (f"{budget.title} 説明資料", (budget,), 6, 2),
        (f"{wine.title} 参考資料", (wine,), 4, 3),
    )
    return [
        (
            title,
            _with_outline(generate_agenda_pack(title=title, items=items, pages=pages, seed=seed)),
        )
        for title, items, pages, seed in specs
    ]


def _with_outline(pdf: bytes) -> bytes:
    """The pack with its outline: cover, 議事日程, and each item where its pages begin (found
    by the running header 「…｜議案第1号」 the generator prints on every body page)."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        toc: list[list[object]] = [[1, "表紙", 1], [1, "議事日程", 2]]
        for item in DEMO_ITEMS:
            page = next((p.number for p in doc if f"｜{item.number}" in p.get_text()), None)
            if page is not None:
                toc.append([1, f"{item.number}　{item.title}", page + 1])
        doc.set_toc(toc)
        data: bytes = doc.tobytes(no_new_id=True)  # the generator's /ID: same bytes every run
        return data
