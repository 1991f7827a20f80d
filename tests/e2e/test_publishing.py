"""The clerk's publish path through the engine: what a refusal names, what an accepted file warns,
and the publisher's own device keeping what it published."""

from __future__ import annotations

import pytest

from furano_meet.commands import TransferProgress
from furano_meet.store.records import DocumentState
from furano_meet.sync.documents import DocumentUnreadable
from furano_meet.sync.events import (
    AnnotationsCarried,
    DocumentIndexed,
    DocumentPublished,
    DocumentReady,
    DownloadProgress,
    UploadProgress,
)
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import Council, stroke
from tests.e2e.test_sync import replaced_version
from tests.pdfs import generate_agenda_pack


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


# -- the clerk's own device keeps what it publishes --------------------------------------------


async def test_the_clerk_keeps_what_it_publishes_as_if_received(
    council: Council, relay: Relay
) -> None:
    """The relay never sends a document back to its publisher: the clerk's engine keeps it
    from its own upload — listed, opened offline, searchable, and confirmed (signed)."""
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    pdf = generate_agenda_pack(title="議案書", pages=4)
    info = await clerk.engine.publish_document(
        MEETING_ID, pdf, title="議案書", agenda_item="議案第1号"
    )
    # publish_document returns once it is kept: no waiting on a download
    await clerk.engine.events_delivered()
    assert [e.title for e in clerk.events if isinstance(e, DocumentReady)] == ["議案書"]
    indexed = next(e for e in clerk.events if isinstance(e, DocumentIndexed))
    assert (indexed.document_id, indexed.version, indexed.pages) == (info.document_id, 1, 4)
    assert not [e for e in clerk.events if isinstance(e, DownloadProgress)]  # nothing fetched
    (doc,) = await clerk.engine.documents(MEETING_ID)
    assert (doc.document_id, doc.title, doc.agenda_item) == (
        info.document_id,
        "議案書",
        "議案第1号",
    )
    assert doc.state is DocumentState.COMPLETE and doc.ready and doc.received_bytes == info.size
    assert bytes(await clerk.engine.open_document(info.document_id, 1)) == pdf
    hits = await clerk.engine.search("議案第1号", meeting_id=MEETING_ID)
    assert hits and {h.doc_id for h in hits} == {info.document_id}
    (receipt,) = await relay.store.run(relay.store.receipts, MEETING_ID)
    assert (receipt.device_id, receipt.document_id, receipt.version) == (
        clerk.engine.account.device_id,
        info.document_id,
        1,
    )
    assert receipt.signed  # the clerk's device signs its receipt like any member's


async def test_the_clerks_notes_follow_its_own_replacement(council: Council) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    v1 = generate_agenda_pack(title="議案書", pages=5)
    info = await clerk.engine.publish_document(MEETING_ID, v1, title="議案書")
    kept = await clerk.engine.add_annotation(
        MEETING_ID, info.document_id, 1, 2, stroke((10, 10), (90, 40))
    )
    await clerk.engine.publish_document(
        MEETING_ID, replaced_version(v1), title="議案書", document_id=info.document_id, version=2
    )
    moved = await clerk.wait_for(AnnotationsCarried, lambda e: e.document_id == info.document_id)
    assert (moved.from_version, moved.to_version) == (1, 2)
    assert [old for old, _ in moved.carried] == [kept]
    carried = clerk.store.annotation(moved.carried[0][1])
    assert carried is not None and (carried.version, carried.page_no) == (2, 3)  # page shifted
    assert {(d.version, d.ready) for d in await clerk.engine.documents(MEETING_ID)} == {
        (1, True),
        (2, True),
    }


async def test_a_publication_the_clerk_cannot_keep_still_stands_and_arrives_later(
    council: Council,
) -> None:
    """The clerk's blob folder is unusable (a file stands where the folder should be: a real
    failure that holds for root too, unlike a read-only folder): the upload succeeds, nothing
    claims the document is ready, and the next catch-up downloads it like any member's."""
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    member = await council.device("giin1")
    blobs = clerk.store.directory / "blobs"
    away = blobs.with_name("blobs.away")
    if blobs.exists():
        blobs.rename(away)
    blobs.write_bytes(b"not a folder")
    pdf = generate_agenda_pack(title="予算書", pages=3)
    info = await clerk.engine.publish_document(MEETING_ID, pdf, title="予算書")
    await clerk.engine.events_delivered()
    assert any(isinstance(e, DocumentPublished) for e in clerk.events)
    assert not [e for e in clerk.events if isinstance(e, DocumentReady)]
    (doc,) = await clerk.engine.documents(MEETING_ID)
    assert doc.state is DocumentState.DOWNLOADING and not doc.ready
    await member.wait_for(DocumentReady, lambda e: e.document_id == info.document_id)

    blobs.unlink()
    if away.exists():
        away.rename(blobs)
    clerk = await council.restart(clerk)  # the next catch-up
    await clerk.wait_for(DocumentReady, lambda e: e.document_id == info.document_id)
    assert any(isinstance(e, DownloadProgress) for e in clerk.events)  # fetched, this time
    assert bytes(await clerk.engine.open_document(info.document_id, 1)) == pdf
