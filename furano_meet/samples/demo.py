"""The documents of the demo meeting: a few small agenda packs ready to load into the app.

``DEMO_MEETING`` and ``DEMO_ITEMS`` live in ``furano`` (the pack generator defaults to them);
they are re-exported here so a demo needs one import.
"""

from __future__ import annotations

from furano_meet.samples.agenda_pack import generate_agenda_pack
from furano_meet.samples.furano import DEMO_ITEMS, DEMO_MEETING

__all__ = ["DEMO_ITEMS", "DEMO_MEETING", "demo_documents"]


def demo_documents() -> list[tuple[str, bytes]]:
    """(title, PDF bytes) for each document of the demo meeting, in distribution order.

    Small on purpose (4–12 pages each, tens of KB) so a demo starts instantly; fixed seeds make
    the bytes identical on every run, so their hashes can be relied on.
    """
    budget, wine = DEMO_ITEMS[0], DEMO_ITEMS[1]
    specs = (
        ("議案書", DEMO_ITEMS, 12, 1),
        (f"{budget.title} 説明資料", (budget,), 6, 2),
        (f"{wine.title} 参考資料", (wine,), 4, 3),
    )
    return [
        (title, generate_agenda_pack(title=title, items=items, pages=pages, seed=seed))
        for title, items, pages, seed in specs
    ]
