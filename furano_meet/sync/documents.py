"""Documents end to end: encrypt and sign for publishing; verify and decrypt what arrives.

Theory of operation
-------------------
Publishing (the clerk's device): the file is checked once (:mod:`.pdf_check`: is it a PDF, can
it be opened, did repair lose pages, would it cost members' devices too much) and its pages
counted; it is encrypted in chunks under a fresh content key
(:class:`~furano_meet.crypto.DocumentEncryptor`); the manifest (title, agenda item, page count,
sizes, hashes, the content key wrapped under the meeting key) is signed with the clerk device's
key and then sealed under the meeting key, so the relay sees neither titles nor contents.

Receiving (:mod:`.receiving` drives it): the manifest is opened with the meeting key and its
signature checked against the publisher's certificate — which must chain to the root
fingerprint from the invitation — before the download (:func:`verify_published`); the
ciphertext is then stored and decrypted as it arrives, and the store checks its running
digest against the signed one. :func:`open_received` does the same checks for a blob already
in memory. A tampered, truncated, reordered or wrongly signed document is refused and never
shown.

Whole documents are encrypted and decrypted into one preallocated buffer each
(:meth:`~furano_meet.crypto.DocumentEncryptor.encrypt_whole`,
:meth:`~furano_meet.crypto.DocumentDecryptor.decrypt_whole`): on large packs a fresh buffer per
256 KiB record plus a join cost more than the cipher.

Everything here is CPU-bound and synchronous; the engine runs it in a worker thread.  PyMuPDF
documents are opened and closed inside one call, so no ``Document`` crosses threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Final

from furano_meet.crypto import (
    DeviceCertificate,
    DeviceKeys,
    DocumentDecryptor,
    DocumentEncryptor,
    DocumentManifest,
    MeetingKey,
    WrongContext,
    build_manifest,
    sign_manifest,
    verify_manifest,
)
from furano_meet.crypto.manifest import open_and_read_manifest, open_manifest, seal_manifest
from furano_meet.errors import Fault, FuranoError

if TYPE_CHECKING:
    from furano_meet.sync.pdf_check import PdfInspection, PdfLimits, PdfWarning

#: What the clerk can do about each refusal, by code (the app translates the code, not this).
NEXT_STEPS: Final[dict[str, str]] = {
    "pdf_not_pdf": "Choose the PDF itself, or save the document as PDF first.",
    "pdf_broken": "Open it in the program that made it and save it as PDF again.",
    "pdf_password": "Save a copy without the password and publish that copy.",
    "pdf_empty": "Choose the file that holds the document's pages.",
    "pdf_pages_lost": "Copy or download the file again in full, or save it as PDF again.",
    "pdf_too_costly": "Save it again with smaller images (300 dpi is plenty), then publish it.",
}


class DocumentUnreadable(FuranoError):
    """The file is not a PDF every member's device can show; see :mod:`.pdf_check` for why.

    The person chose the file, so it is theirs to fix; ``code`` says what is wrong, ``file_name``
    which file, ``reason`` why in plain English (``message`` puts the two together), ``page``
    the 1-based page to blame if one is. ``detail`` keeps MuPDF's own words for the log; it is
    never shown to the clerk.
    """

    fault = Fault.USER
    codes: ClassVar[frozenset[str]] = frozenset(NEXT_STEPS)

    def __init__(
        self,
        code: str,
        file_name: str,
        reason: str,
        *,
        detail: str = "",
        page: int | None = None,
    ) -> None:
        super().__init__(f"“{file_name}” cannot be published. {reason}", NEXT_STEPS[code])
        self.code = code
        self.file_name = file_name
        self.reason = reason
        self.detail = detail
        self.page = page


@dataclass(frozen=True, slots=True)
class PreparedUpload:
    blob: bytearray
    """The ciphertext, in the one buffer it was encrypted into (a ``bytes`` copy would cost a
    fresh full-size buffer); nothing writes to it after :func:`prepare_upload`."""
    sealed_manifest: bytes
    manifest: DocumentManifest
    warnings: tuple[PdfWarning, ...] = ()
    """What the check found worth telling the clerk about an accepted file (e.g. repaired)."""


def inspect_pdf(
    pdf: bytes | bytearray, file_name: str = "document.pdf", *, limits: PdfLimits | None = None
) -> PdfInspection:
    """Page count and warnings of a PDF members can be sent; raises :class:`DocumentUnreadable`
    naming ``file_name`` otherwise. ``limits`` exist for tests; publishing uses the defaults.

    :mod:`.pdf_check` (and so PyMuPDF) is imported here, when a file is checked: the engine
    imports this module in the app's process, which otherwise never needs PyMuPDF at start
    (the pages render in the render process; docs/app.md, "Start-up")."""
    from furano_meet.sync.pdf_check import PdfRefusal, examine

    outcome = examine(pdf, limits)
    if isinstance(outcome, PdfRefusal):
        raise DocumentUnreadable(
            outcome.code, file_name, outcome.reason, detail=outcome.detail, page=outcome.page
        )
    return outcome


@dataclass(frozen=True, slots=True)
class CheckedPdf:
    """A PDF that passed :func:`inspect_pdf`, with the very bytes it passed on.

    The clerk's desk checks a file before the clerk confirms (to show its warnings) and hands
    this to publishing, so the check (~0.6 s for a 612-page book) runs once. Publishing
    trusts it only for those bytes (:meth:`covers`): any other file is checked again.
    """

    data: bytes
    inspection: PdfInspection

    def covers(self, pdf: bytes | bytearray) -> bool:
        """(Worker thread) Whether ``pdf`` is the file that was checked (the same object, or
        equal bytes: a memory compare, ~1 ms for 20 MB, cheaper than any digest)."""
        return self.data is pdf or self.data == pdf


def check_pdf(data: bytes, file_name: str = "document.pdf") -> CheckedPdf:
    """:func:`inspect_pdf`, keeping the bytes with the result (see :class:`CheckedPdf`)."""
    return CheckedPdf(data, inspect_pdf(data, file_name))


def page_texts(pdf: bytes | bytearray) -> list[tuple[int, str]]:
    """(page index, text) for full-text search; damaged pages contribute nothing.

    (Worker thread) PyMuPDF is imported here, when a document arrives, not at start."""
    import pymupdf

    doc = pymupdf.open(stream=pdf, filetype="pdf")
    try:
        texts: list[tuple[int, str]] = []
        for index in range(doc.page_count):
            try:
                texts.append((index, doc.load_page(index).get_text()))
            except Exception:  # noqa: BLE001 - one bad page must not hide the others
                continue
        return texts
    finally:
        doc.close()


def prepare_upload(
    pdf: bytes,
    *,
    meeting_key: MeetingKey,
    keys: DeviceKeys,
    device_id: str,
    document_id: str,
    version: int,
    title: str,
    agenda_item: str = "",
    agenda_position: int | None = None,
    file_name: str | None = None,
    checked: CheckedPdf | None = None,
) -> PreparedUpload:
    """Check the PDF (:func:`inspect_pdf`), then encrypt, describe, sign and seal it.

    ``file_name`` is the name the clerk chose the file by, for the refusal message; without it
    the message names the document by ``title``. The check's warnings ride along in
    :attr:`PreparedUpload.warnings` for the publisher to show. ``checked`` is a check already
    run on ``pdf`` (the desk's): used instead of a second one if it covers these bytes.
    """
    if checked is not None and checked.covers(pdf):
        inspection = checked.inspection
    else:
        inspection = inspect_pdf(pdf, file_name or title)
    return seal_document(
        pdf,
        page_count=inspection.page_count,
        warnings=inspection.warnings,
        meeting_key=meeting_key,
        keys=keys,
        device_id=device_id,
        document_id=document_id,
        version=version,
        title=title,
        agenda_item=agenda_item,
        agenda_position=agenda_position,
    )


def seal_document(
    pdf: bytes,
    *,
    page_count: int,
    meeting_key: MeetingKey,
    keys: DeviceKeys,
    device_id: str,
    document_id: str,
    version: int,
    title: str,
    agenda_item: str = "",
    agenda_position: int | None = None,
    warnings: tuple[PdfWarning, ...] = (),
) -> PreparedUpload:
    """The cryptography of publishing alone: encrypt, describe, sign and seal a PDF that was
    already checked (``page_count`` from :func:`inspect_pdf`)."""
    encryptor = DocumentEncryptor(document_id, version)
    blob = encryptor.encrypt_whole(pdf)
    manifest = build_manifest(
        encryptor,
        meeting_key,
        title=title,
        agenda_item=agenda_item,
        page_count=page_count,
        publisher_device_id=device_id,
        agenda_position=agenda_position,
    )
    sealed = seal_manifest(sign_manifest(manifest, keys), meeting_key)
    return PreparedUpload(blob, sealed, manifest, warnings)


def read_published(
    sealed_manifest: bytes, meeting_key: MeetingKey, doc_id: str, version: int
) -> DocumentManifest:
    """Open a sealed manifest *without* checking its signature (see :func:`verify_published`).

    For looking up the publisher's certificate, and for re-reading a document the store
    accepted after checking it; nothing may be shown or kept on the strength of it alone.
    """
    return open_published(sealed_manifest, meeting_key, doc_id, version)[1]


def open_published(
    sealed_manifest: bytes, meeting_key: MeetingKey, doc_id: str, version: int
) -> tuple[bytes, DocumentManifest]:
    """The signed manifest inside a sealed one, and its *unverified* content (to find the
    publisher); pass the first to :func:`verify_published` as ``opened`` to skip opening
    the sealed manifest a second time."""
    return open_and_read_manifest(sealed_manifest, meeting_key, doc_id=doc_id, version=version)


def verify_published(
    sealed_manifest: bytes,
    *,
    meeting_key: MeetingKey,
    publisher: DeviceCertificate,
    meeting_id: str,
    doc_id: str,
    version: int,
    opened: bytes | None = None,
) -> DocumentManifest:
    """Open a sealed manifest and check its signature: what the publisher says the blob is.

    Needs no blob, so a receiver runs it before (or while) downloading (:mod:`.receiving`).
    Raises a ``CryptoError`` when the manifest is not this document's, or not signed by
    ``publisher``. ``opened`` is the signed manifest :func:`open_published` already took out
    of ``sealed_manifest``; its signature and ids are still checked here.
    """
    if opened is None:
        opened = open_manifest(sealed_manifest, meeting_key, doc_id=doc_id, version=version)
    manifest = verify_manifest(opened, publisher, expected_meeting_id=meeting_id)
    if (manifest.doc_id, manifest.version, manifest.meeting_key_epoch) != (
        doc_id,
        version,
        meeting_key.epoch,
    ):
        raise WrongContext(
            f"the signed manifest is for {manifest.doc_id!r} v{manifest.version} (key epoch"
            f" {manifest.meeting_key_epoch}), expected {doc_id!r} v{version}"
        )
    return manifest


def open_received(
    blob: bytes | bytearray,
    sealed_manifest: bytes,
    *,
    meeting_key: MeetingKey,
    publisher: DeviceCertificate,
    meeting_id: str,
    doc_id: str,
    version: int,
    verified_sha256: bytes | None = None,
) -> tuple[DocumentManifest, bytearray]:
    """Verify and decrypt a received document; raises a ``CryptoError`` if anything is off.

    ``verified_sha256`` is the SHA-256 the local store already checked ``blob`` against
    (:meth:`LocalStore.complete` hashes every byte as it arrives). When it equals the blob hash
    the signed manifest names, the blob is not hashed a second time; otherwise (or without it)
    the blob is hashed here, beside the decryption — a differing digest therefore still fails,
    with the most telling error (truncated, tampered) the full check finds.
    """
    manifest = verify_published(
        sealed_manifest,
        meeting_key=meeting_key,
        publisher=publisher,
        meeting_id=meeting_id,
        doc_id=doc_id,
        version=version,
    )
    check_hash = verified_sha256 is None or verified_sha256.hex() != manifest.ciphertext_sha256
    decryptor = DocumentDecryptor.for_manifest(manifest, meeting_key, check_blob_hash=check_hash)
    return manifest, decryptor.decrypt_whole(blob)


def decrypt_cached(
    blob: bytes | bytearray,
    sealed_manifest: bytes,
    *,
    meeting_key: MeetingKey,
    doc_id: str,
    version: int,
) -> bytearray:
    """Decrypt a document that was verified when it was stored (skips the blob hash pass).

    The store marks a download complete only after its signature and its digest were checked
    (:mod:`.receiving`). The cached blob sits in the encrypted store; each chunk is still
    authenticated by AES-GCM, with its index and the "last chunk" flag bound in, so damage is
    still detected. Decrypted into one preallocated buffer, as on receipt.
    """
    manifest = read_published(sealed_manifest, meeting_key, doc_id, version)
    decryptor = DocumentDecryptor.for_manifest(manifest, meeting_key, check_blob_hash=False)
    return decryptor.decrypt_whole(blob)
