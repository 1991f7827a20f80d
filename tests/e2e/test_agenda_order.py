"""The agenda order comes from the clerk's signature, not from the relay.

The relay files documents and forwards their sealed manifests; a hostile one may list them in
any order, or swap the sealed descriptions of two documents to move an item. Neither changes
what the member's agenda pack shows: the order is the signed ``agenda_position``, and a
description moved to another document is refused, never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from furano_meet.protocol import messages as m
from furano_meet.sync.events import DocumentReady, DocumentRefused
from server.demo import MEETING_ID
from tests.e2e.council import Council
from tests.e2e.hostile import TO_CLIENT, HostileRelay
from tests.pdfs import generate_agenda_pack

AGENDA = (  # (title, agenda item, position): titles sort the other way round
    ("あ 参考資料", "議案第3号", 3),
    ("い 説明資料", "議案第2号", 2),
    ("う 議案書", "議案第1号", 1),
    ("え 古い資料", "", None),  # published the way older clerks did: no position
)


def about(doc_id: str) -> Callable[[DocumentReady | DocumentRefused], bool]:
    return lambda event: event.document_id == doc_id


def _reversed_lists(message: m.Msg) -> m.Msg:
    if isinstance(message, m.MeetingJoined | m.DocumentsListed):
        return replace(message, documents=message.documents[::-1])
    return message


async def test_a_hostile_relay_cannot_reorder_the_agenda(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    clerk = await hostile_council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    ids = {}
    for seed, (title, item, position) in enumerate(AGENDA):
        pdf = generate_agenda_pack(title=title, pages=3, seed=seed)
        info = await clerk.engine.publish_document(
            MEETING_ID, pdf, title=title, agenda_item=item, agenda_position=position
        )
        ids[title] = info.document_id
    reversing = [
        hostile.replace(TO_CLIENT, kind, _reversed_lists)
        for kind in (m.MeetingJoined, m.DocumentsListed)
    ]

    member = await hostile_council.device("giin1")
    for doc_id in ids.values():
        await member.wait_for(DocumentReady, about(doc_id), timeout=60)
    shown = await member.engine.documents(MEETING_ID)
    assert [(d.title, d.agenda_item, d.agenda_position) for d in shown] == [
        ("う 議案書", "議案第1号", 1),
        ("い 説明資料", "議案第2号", 2),
        ("あ 参考資料", "議案第3号", 3),
        ("え 古い資料", None, None),
    ]

    # The relay swaps the sealed descriptions of items 1 and 3 for the next reader.
    first, third = ids["う 議案書"], ids["あ 参考資料"]
    manifests = {d.document_id: d.manifest for d in shown_infos(hostile)}

    def swapped(message: m.Msg) -> m.Msg:
        assert isinstance(message, m.MeetingJoined | m.DocumentsListed)
        documents = tuple(
            replace(d, manifest=manifests[{first: third, third: first}[d.document_id]])
            if d.document_id in (first, third)
            else d
            for d in message.documents
        )
        return replace(message, documents=documents)

    for rule in reversing:
        rule.remove()
    hostile.replace(TO_CLIENT, m.MeetingJoined, swapped)
    hostile.replace(TO_CLIENT, m.DocumentsListed, swapped)
    other = await hostile_council.device("giin2")
    for doc_id in (first, third):
        await other.wait_for(DocumentRefused, about(doc_id), timeout=60)
    for doc_id in (ids["い 説明資料"], ids["え 古い資料"]):
        await other.wait_for(DocumentReady, about(doc_id), timeout=60)
    ready = [(d.title, d.agenda_position) for d in await other.engine.documents(MEETING_ID)]
    assert [r for r in ready if r[0]] == [("い 説明資料", 2), ("え 古い資料", None)]


def shown_infos(hostile: HostileRelay) -> list[m.DocumentInfo]:
    """Every document description the relay sent so far (the real, sealed ones)."""
    return [d for joined in hostile.seen(TO_CLIENT, m.MeetingJoined) for d in joined.documents]
