"""Receiving documents (furano_meet/sync/receiving.py) against a real relay and real engines:
refused early, decrypted while streaming, and never trusted without a signature check."""

from __future__ import annotations

from pathlib import Path

import pytest

from furano_meet.crypto import DocumentEncryptor
from furano_meet.crypto.manifest import unwrap_content_key
from furano_meet.sync import documents as docs
from furano_meet.sync.events import DocumentReady, DocumentRefused, DownloadProgress
from furano_meet.sync.receiving import stored_meeting_key
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import Council, Device
from tests.e2e.test_sync_security import flip_a_byte, forge_as_member, published, rewrite_blob
from tests.pdfs import generate_agenda_pack

BIG = 9_000_000  # several 4 MiB download pieces


def progress_of(device: Device, doc_id: str) -> list[int]:
    return [
        e.received
        for e in device.events
        if isinstance(e, DownloadProgress) and e.document_id == doc_id
    ]


def blob_files(device: Device, doc_id: str) -> list[Path]:
    """Every file (complete or partial) the device's store holds for a document."""
    path = device.store.blob_path(doc_id, 1)
    return [p for p in path.parent.glob(f"{path.stem}*") if p.is_file()]


async def test_a_forged_manifest_is_refused_at_the_first_piece_and_nothing_is_kept(
    council: Council, relay: Relay
) -> None:
    _, doc_id = await published(
        council, generate_agenda_pack(title="議案書", pages=3, padding_to_bytes=BIG)
    )
    await forge_as_member(council, relay, doc_id, padding=BIG)
    victim = await council.device("giin3")
    refused = await victim.wait_for(DocumentRefused, lambda e: e.document_id == doc_id)
    assert refused.code == "unauthorised_signer"
    # The signature is checked beside the first piece's write, which is then not kept: no
    # progress reported, no file left (the old order stored all 9 MB first).
    assert progress_of(victim, doc_id) == []
    assert blob_files(victim, doc_id) == []
    assert not any(isinstance(e, DocumentReady) for e in victim.events)


async def test_a_tampered_chunk_stops_the_download_at_the_first_piece(
    council: Council, relay: Relay
) -> None:
    pdf = generate_agenda_pack(title="議案書", pages=3, padding_to_bytes=BIG)
    _, doc_id = await published(council, pdf)

    def flip_early(blob: bytes) -> bytes:  # inside the first 4 MiB piece
        return blob[:100_000] + bytes([blob[100_000] ^ 0x01]) + blob[100_001:]

    await rewrite_blob(relay, doc_id, flip_early)
    member = await council.device("giin1")
    refused = await member.wait_for(DocumentRefused, lambda e: e.document_id == doc_id)
    assert refused.code == "tampered"
    assert progress_of(member, doc_id) == []  # refused at the first piece, not after 9 MB
    assert blob_files(member, doc_id) == []  # and what was written is gone
    with pytest.raises(LookupError):
        await member.engine.open_document(doc_id, 1)


async def test_a_blob_whose_chunks_authenticate_but_that_is_not_the_signed_one_is_refused(
    council: Council, relay: Relay
) -> None:
    """Chunk tags are not enough: the store completes a download only against the digest the
    clerk signed. Here an insider who can unwrap the content key re-encrypts altered content
    of the same size under it, and the relay serves that blob as the document."""
    pdf = generate_agenda_pack(title="議案書", pages=3, padding_to_bytes=1_200_000)
    clerk, doc_id = await published(council, pdf)
    key = stored_meeting_key(clerk.store, MEETING_ID)
    assert key is not None
    document = await relay.store.run(relay.store.document, MEETING_ID, doc_id, 1)
    manifest = docs.read_published(document.manifest, key, doc_id, 1)
    insider = DocumentEncryptor(doc_id, 1)
    insider._content_key = unwrap_content_key(manifest, key)  # noqa: SLF001 - the attack
    altered = bytes(insider.encrypt_whole(flip_a_byte(pdf)))
    assert len(altered) == manifest.ciphertext_size
    await rewrite_blob(relay, doc_id, lambda _: altered)
    member = await council.device("giin1")
    refused = await member.wait_for(DocumentRefused, lambda e: e.document_id == doc_id)
    assert refused.code == "tampered"
    assert "not the file its publisher signed" in refused.reason
    assert blob_files(member, doc_id) == []
    assert not any(isinstance(e, DocumentReady) for e in member.events)


async def _downloaded_then_forgotten(council: Council) -> tuple[Device, str, bytes]:
    """A member whose download completed but whose app stopped before accepting it."""
    pdf = generate_agenda_pack(title="議案書", pages=4)
    _, doc_id = await published(council, pdf)
    member = await council.device("giin1")
    await member.wait_for(DocumentReady, lambda e: e.document_id == doc_id)
    await member.stop()

    def forget() -> None:
        with member.store.atomic():
            member.store._db.execute(  # noqa: SLF001 - the state a crash leaves behind
                "UPDATE documents SET page_count = 0, title = '' WHERE doc_id = ?", (doc_id,)
            )

    forget()
    assert member.store.document(doc_id, 1).page_count == 0  # type: ignore[union-attr]
    return member, doc_id, pdf


async def test_a_completed_but_unaccepted_download_is_verified_and_accepted_on_restart(
    council: Council,
) -> None:
    member, doc_id, pdf = await _downloaded_then_forgotten(council)
    await council.restart(member)
    ready = await member.wait_for(DocumentReady, lambda e: e.document_id == doc_id)
    assert ready.title == "議案書"
    doc = member.store.document(doc_id, 1)
    assert doc is not None and doc.page_count == 4
    assert progress_of(member, doc_id) == []  # verified from the stored blob, not fetched again
    assert await member.engine.open_document(doc_id, 1) == pdf


async def test_an_unaccepted_blob_that_fails_verification_is_fetched_again(
    council: Council,
) -> None:
    """A blob marked complete but never verified (a crash, or an older version of the app) is
    not trusted: damaged, it is refused, discarded and downloaded afresh."""
    member, doc_id, pdf = await _downloaded_then_forgotten(council)
    path = member.store.blob_path(doc_id, 1)
    path.write_bytes(flip_a_byte(path.read_bytes()))
    await council.restart(member)
    refused = await member.wait_for(DocumentRefused, lambda e: e.document_id == doc_id)
    assert refused.code == "tampered"
    await member.wait_for(DocumentReady, lambda e: e.document_id == doc_id)
    assert await member.engine.open_document(doc_id, 1) == pdf
