"""Publishing and receiving helpers (furano_meet/sync/documents.py): the manifest is opened once
and still fully checked."""

from __future__ import annotations

import os
from typing import TypedDict

import pytest

from furano_meet.crypto import DeviceCertificate, MeetingKey, WrongContext
from furano_meet.crypto.certificates import issue_device_certificate, verify_device_certificate
from furano_meet.crypto.errors import BadSignature
from furano_meet.crypto.keys import DeviceKeys, OrgRootKey
from furano_meet.sync import documents as docs
from furano_meet.sync.pdf_check import PdfInspection, PdfWarning
from tests.pdfs import generate_agenda_pack


def _clerk() -> tuple[DeviceKeys, DeviceCertificate]:
    root, keys = OrgRootKey.generate(), DeviceKeys.generate()
    encoded = issue_device_certificate(
        root,
        org_id="furano",
        user_id="jimukyoku",
        device_id="clerk-pc",
        role="clerk",
        public_bundle=keys.public_bundle(),
    )
    return keys, verify_device_certificate(encoded, root.fingerprint(), expected_org_id="furano")


class Checked(TypedDict):
    """The arguments of ``verify_published`` that name what the manifest must be."""

    meeting_key: MeetingKey
    publisher: DeviceCertificate
    meeting_id: str
    doc_id: str


def _published(keys: DeviceKeys, key: MeetingKey, version: int) -> bytes:
    return docs.prepare_upload(
        generate_agenda_pack(title="議案書", pages=3),
        meeting_key=key,
        keys=keys,
        device_id="clerk-pc",
        document_id="gian-1",
        version=version,
        title=f"議案書 第{version}版",
    ).sealed_manifest


def test_an_opened_manifest_is_verified_without_opening_it_again() -> None:
    keys, clerk = _clerk()
    key = MeetingKey(os.urandom(32), meeting_id="r8-teireikai", epoch=1)
    sealed = _published(keys, key, 1)
    opened, unverified = docs.open_published(sealed, key, "gian-1", 1)
    assert unverified.publisher_device_id == "clerk-pc"
    checked = Checked(meeting_key=key, publisher=clerk, meeting_id="r8-teireikai", doc_id="gian-1")
    manifest = docs.verify_published(sealed, version=1, opened=opened, **checked)
    assert manifest == docs.verify_published(sealed, version=1, **checked)
    assert manifest.title == "議案書 第1版"


def test_an_opened_manifest_is_still_checked_for_its_document_and_signature() -> None:
    """``opened`` saves the decryption, not a check: a genuine signed manifest of another
    version, or an altered one, is refused as it would be from the sealed manifest."""
    keys, clerk = _clerk()
    key = MeetingKey(os.urandom(32), meeting_id="r8-teireikai", epoch=1)
    sealed_v1, sealed_v2 = _published(keys, key, 1), _published(keys, key, 2)
    opened_v1, _ = docs.open_published(sealed_v1, key, "gian-1", 1)
    checked = Checked(meeting_key=key, publisher=clerk, meeting_id="r8-teireikai", doc_id="gian-1")
    with pytest.raises(WrongContext, match="v1"):
        docs.verify_published(sealed_v2, version=2, opened=opened_v1, **checked)
    altered = opened_v1.replace("議案書 第1版".encode(), "議案書 第9版".encode())
    assert altered != opened_v1
    with pytest.raises(BadSignature):
        docs.verify_published(sealed_v1, version=1, opened=altered, **checked)


def test_a_check_run_before_publishing_is_used_for_its_own_bytes_only() -> None:
    """The desk's check goes on to publishing (no second check of a 612-page book), but it is
    trusted only for the bytes it holds: another file is checked afresh."""
    keys, _ = _clerk()
    key = MeetingKey(os.urandom(32), meeting_id="r8-teireikai", epoch=1)
    pdf = generate_agenda_pack(title="議案書", pages=3)
    checked = docs.check_pdf(pdf, "議案書.pdf")
    assert (checked.inspection.page_count, checked.inspection.warnings) == (3, ())

    def prepare(data: bytes, check: docs.CheckedPdf) -> docs.PreparedUpload:
        return docs.prepare_upload(
            data,
            meeting_key=key,
            keys=keys,
            device_id="clerk-pc",
            document_id="gian-1",
            version=1,
            title="議案書",
            file_name="議案書.pdf",
            checked=check,
        )

    # A result that differs from what a fresh check would say shows which one was used.
    told = docs.CheckedPdf(bytes(pdf), PdfInspection(page_count=7, warnings=(PdfWarning.REPAIRED,)))
    used = prepare(pdf, told)  # equal bytes (another object): the given result, not a new check
    assert (used.manifest.page_count, used.warnings) == (7, (PdfWarning.REPAIRED,))
    other = generate_agenda_pack(title="予算書", pages=4)
    fresh = prepare(other, told)  # other bytes: checked again
    assert (fresh.manifest.page_count, fresh.warnings) == (4, ())
    with pytest.raises(docs.DocumentUnreadable) as refused:
        prepare(b"\x89PNG\r\n\x1a\n", checked)  # a sound file's check cannot vouch for this one
    assert refused.value.code == "pdf_not_pdf"
