"""The clerk's publish path through the engine: what a refusal names, what an accepted file warns."""

from __future__ import annotations

import pytest

from furano_meet.commands import TransferProgress
from furano_meet.samples import generate_agenda_pack
from furano_meet.sync.documents import DocumentUnreadable
from furano_meet.sync.events import DocumentPublished, UploadProgress
from server.demo import MEETING_ID
from tests.e2e.council import Council


async def test_a_refusal_names_the_file_the_clerk_chose(council: Council) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    with pytest.raises(DocumentUnreadable) as refused:
        await clerk.engine.publish_document(
            MEETING_ID, b"\x89PNG\r\n\x1a\n", title="議案書", file_name="議案第1号.pdf"
        )
    assert refused.value.code == "pdf_not_pdf"
    assert "議案第1号.pdf" in refused.value.message


async def test_an_accepted_repaired_file_is_published_with_its_warning(council: Council) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    whole = generate_agenda_pack(title="議案書", pages=3)
    sound = await clerk.engine.publish_document(MEETING_ID, whole, title="議案書")
    published = await clerk.wait_for(
        DocumentPublished, lambda e: e.document_id == sound.document_id
    )
    assert (published.version, published.title, published.warnings) == (1, "議案書", ())
    repaired = whole[: whole.rindex(b"\nxref\n")]  # no cross-reference table: MuPDF repairs it
    info = await clerk.engine.publish_document(
        MEETING_ID, repaired, title="予算書", file_name="予算書.pdf"
    )
    event = await clerk.wait_for(DocumentPublished, lambda e: e.document_id == info.document_id)
    assert event.warnings == ("repaired",)


async def test_publishing_reports_upload_progress_up_to_the_whole_blob(council: Council) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    pdf = generate_agenda_pack(title="予算書", pages=40)
    info = await clerk.engine.publish_document(MEETING_ID, pdf, title="予算書")
    await clerk.wait_for(DocumentPublished, lambda e: e.document_id == info.document_id)
    sent = [
        e
        for e in clerk.events
        if isinstance(e, UploadProgress) and e.document_id == info.document_id
    ]
    assert sent, "no progress was reported"
    assert [e.sent for e in sent] == sorted(e.sent for e in sent)
    assert sent[-1].sent == sent[-1].total == info.size
    shown: list[str] = []
    line = TransferProgress(shown.append, tty=False)
    for event in sent:
        line(event)
    assert shown[-1].startswith(f"uploading {info.document_id} v1: 100%")
