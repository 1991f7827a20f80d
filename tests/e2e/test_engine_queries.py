"""The engine's read queries (what a screen shows), against the real relay and real stores."""

from __future__ import annotations

from furano_meet.store.records import DocumentState, Visibility
from furano_meet.sync.events import DocumentIndexed, KeyWaiting
from server.demo import MEETING_ID, MEETING_TITLE
from tests.e2e.council import Council, note
from tests.pdfs import generate_agenda_pack


async def test_meetings_documents_notes_and_search_as_a_screen_reads_them(
    council: Council,
) -> None:
    clerk = await council.device("jimukyoku")
    member = await council.device("giin1")
    await member.wait_for(KeyWaiting)
    (waiting,) = [mt for mt in await member.engine.meetings() if mt.meeting_id == MEETING_ID]
    assert (waiting.title, waiting.has_key, waiting.shredded) == (MEETING_TITLE, False, False)
    await clerk.engine.create_meeting_key(MEETING_ID)
    pdf = generate_agenda_pack(title="総務文教委員会 議案書", pages=4)
    info = await clerk.engine.publish_document(
        MEETING_ID, pdf, title="議案書", agenda_item="議案第1号"
    )
    await member.wait_for(DocumentIndexed, lambda e: e.document_id == info.document_id)
    (meeting,) = [mt for mt in await member.engine.meetings() if mt.meeting_id == MEETING_ID]
    assert meeting.has_key
    (document,) = await member.engine.documents(MEETING_ID)
    assert (document.document_id, document.version, document.title) == (
        info.document_id,
        1,
        "議案書",
    )
    assert (document.agenda_item, document.page_count) == ("議案第1号", 4)
    assert document.state is DocumentState.COMPLETE and document.ready
    on_two = await member.engine.add_annotation(MEETING_ID, info.document_id, 1, 2, note("a"))
    await member.engine.add_annotation(
        MEETING_ID, info.document_id, 1, 3, note("b"), visibility=Visibility.SHARED
    )
    notes = await member.engine.annotations(info.document_id, 1, 2)
    assert [n.annotation_id for n in notes] == [on_two]
    assert (notes[0].body, notes[0].author, notes[0].page) == (note("a"), "giin1", 2)  # typed
    assert len(await member.engine.annotations(info.document_id, 1)) == 2
    hits = await member.engine.search("議案第1号", meeting_id=MEETING_ID)
    assert hits and {h.doc_id for h in hits} == {info.document_id}
    assert await member.engine.search("議案第1号", meeting_id="another-meeting") == ()
