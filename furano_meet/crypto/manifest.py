"""The signed document manifest: what one document version is, who published it, and its key.

Theory of operation
-------------------
**Manifest.** :class:`DocumentManifest` describes one version: ids, title, agenda item
(the clerk's label, e.g. 「議案第3号」) and, optionally, the item's position in the agenda,
page count, plaintext size and SHA-256, blob size and SHA-256, publisher device, creation
time, and the wrapped content key. It is serialised as canonical JSON and signed (hybrid) by
the publishing clerk's device key. The signature matters beyond the chunk tags: every member
holds the meeting key and so could unwrap a content key and encrypt *different* content that
authenticates under it; the signed blob hash (checked by :class:`~.decryptor.DocumentDecryptor`
when made with :meth:`~.decryptor.DocumentDecryptor.for_manifest`) is what ties a blob to the clerk.

**Agenda position.** ``agenda_position`` (a non-negative integer, smaller first) is what the
agenda pack sorts by. It is signed with the rest, so a hostile relay can neither invent nor
change the order; it can only withhold documents. It is optional: a manifest without it
(every manifest made before it existed) has no ``agenda_position`` key at all, so its bytes
and signature are unchanged and such documents sort after the positioned ones, by title.
A reader that predates the field refuses a manifest that carries it (strict keys).

The signed manifest can itself be sealed under the meeting key (:func:`seal_manifest` /
:func:`open_manifest`) so that the relay, which files it by meeting id, document id and
version, does not learn titles, agenda items, page counts or hashes.

The blob the manifest describes is made by :class:`~.stream.DocumentEncryptor` (format:
:mod:`.stream`); :func:`build_manifest` takes the encryptor's result and wraps its content key
under the meeting key, bound to the meeting, epoch, document and version.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass, fields

from . import canonical_json, framing
from .certificates import DeviceCertificate
from .errors import MalformedData, UnauthorisedSigner, UsageError, WrongContext
from .framing import Buffer
from .keys import DeviceKeys
from .meeting_keys import MeetingKey
from .stream import ContentKey, DocumentEncryptor
from .symmetric import open_box, seal_box

__all__ = [
    "MANIFEST_PURPOSE",
    "PUBLISHER_ROLES",
    "DocumentManifest",
    "build_manifest",
    "open_and_read_manifest",
    "open_manifest",
    "read_manifest_unverified",
    "read_sealed_manifest_header",
    "seal_manifest",
    "sign_manifest",
    "unwrap_content_key",
    "verify_manifest",
]

#: Signature purpose for manifests (see :mod:`.signing`).
MANIFEST_PURPOSE = "furano-meet document manifest"
#: Roles whose devices may publish documents unless the caller says otherwise.
PUBLISHER_ROLES = frozenset({"clerk", "admin"})
_SIGNED_MANIFEST_MAGIC = b"FMMF"
_SEALED_MANIFEST_MAGIC = b"FMSM"
_SEALED_MANIFEST_CONTEXT = b"FMsm"
_WRAP_MAGIC = b"FMwk"
_MANIFEST_TYPE = "furano-meet/document-manifest"
_MANIFEST_FORMAT = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_POSITION = "agenda_position"


@dataclass(frozen=True)
class DocumentManifest:
    """The signed description of one document version (see the module docstring)."""

    doc_id: str
    version: int
    meeting_id: str
    meeting_key_epoch: int
    title: str
    agenda_item: str
    page_count: int
    plaintext_size: int
    plaintext_sha256: str
    ciphertext_size: int
    ciphertext_sha256: str
    publisher_device_id: str
    created_at: int
    wrapped_content_key: bytes
    agenda_position: int | None = None
    """Where the item stands in the agenda (smaller first); ``None`` in older manifests."""

    def to_json_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, UTF-8, no spaces) — exactly what is signed.

        ``agenda_position`` is written only when set, so a manifest without one is byte for
        byte what older builds wrote (see the module docstring)."""
        optional = {} if self.agenda_position is None else {_POSITION: self.agenda_position}
        return canonical_json.dumps(
            optional
            | {
                "type": _MANIFEST_TYPE,
                "format": _MANIFEST_FORMAT,
                "doc_id": self.doc_id,
                "version": self.version,
                "meeting_id": self.meeting_id,
                "meeting_key_epoch": self.meeting_key_epoch,
                "title": self.title,
                "agenda_item": self.agenda_item,
                "page_count": self.page_count,
                "plaintext_size": self.plaintext_size,
                "plaintext_sha256": self.plaintext_sha256,
                "ciphertext_size": self.ciphertext_size,
                "ciphertext_sha256": self.ciphertext_sha256,
                "publisher_device_id": self.publisher_device_id,
                "created_at": self.created_at,
                "wrapped_content_key": base64.b64encode(self.wrapped_content_key).decode("ascii"),
            }
        )

    @classmethod
    def from_json_bytes(cls, data: Buffer) -> DocumentManifest:
        """Strict inverse of :meth:`to_json_bytes` (non-canonical input is refused)."""
        what = "document manifest"
        obj = canonical_json.parse(data, what, _manifest_keys(), frozenset({_POSITION}))
        if obj["type"] != _MANIFEST_TYPE or obj["format"] != _MANIFEST_FORMAT:
            raise MalformedData(f"unsupported manifest type {obj['type']!r} v{obj['format']!r}")
        s, n = canonical_json.get_str, canonical_json.get_int
        for key in ("plaintext_sha256", "ciphertext_sha256"):
            if not _HEX64.fullmatch(s(obj, key, what)):
                raise MalformedData(f"{what} field {key!r} must be 64 lowercase hex digits")
        try:
            wrapped = base64.b64decode(s(obj, "wrapped_content_key", what), validate=True)
        except binascii.Error as exc:
            raise MalformedData(f"{what} wrapped content key is not valid base64") from exc
        return cls(
            doc_id=s(obj, "doc_id", what),
            version=n(obj, "version", what),
            meeting_id=s(obj, "meeting_id", what),
            meeting_key_epoch=n(obj, "meeting_key_epoch", what),
            title=s(obj, "title", what),
            agenda_item=s(obj, "agenda_item", what, allow_empty=True),
            page_count=n(obj, "page_count", what),
            plaintext_size=n(obj, "plaintext_size", what),
            plaintext_sha256=obj["plaintext_sha256"],
            ciphertext_size=n(obj, "ciphertext_size", what),
            ciphertext_sha256=obj["ciphertext_sha256"],
            publisher_device_id=s(obj, "publisher_device_id", what),
            created_at=n(obj, "created_at", what),
            wrapped_content_key=wrapped,
            agenda_position=n(obj, _POSITION, what) if _POSITION in obj else None,
        )


def _manifest_keys() -> frozenset[str]:
    """The JSON keys every manifest has: its dataclass fields (but the optional
    ``agenda_position``) plus ``type`` and ``format``."""
    return (frozenset(f.name for f in fields(DocumentManifest)) - {_POSITION}) | {
        "type",
        "format",
    }


def _bound_context(magic: bytes, meeting_id: str, epoch: int, doc_id: str, version: int) -> bytes:
    """Associated data naming the meeting, key epoch, document and version a box belongs to."""
    return framing.encode(
        magic,
        framing.text(meeting_id),
        framing.u64(epoch),
        framing.text(doc_id),
        framing.u64(version),
    )


def _wrap_context(meeting_id: str, epoch: int, doc_id: str, version: int) -> bytes:
    return _bound_context(_WRAP_MAGIC, meeting_id, epoch, doc_id, version)


def build_manifest(
    encryptor: DocumentEncryptor,
    meeting_key: MeetingKey,
    *,
    title: str,
    agenda_item: str,
    page_count: int,
    publisher_device_id: str,
    created_at: int | None = None,
    agenda_position: int | None = None,
) -> DocumentManifest:
    """Describe a finished :class:`DocumentEncryptor` run and wrap its key for the meeting."""
    if agenda_position is not None and agenda_position < 0:
        raise UsageError("an agenda position is a non-negative integer")
    result = encryptor.result
    context = _wrap_context(
        meeting_key.meeting_id, meeting_key.epoch, encryptor.doc_id, encryptor.version
    )
    return DocumentManifest(
        doc_id=encryptor.doc_id,
        version=encryptor.version,
        meeting_id=meeting_key.meeting_id,
        meeting_key_epoch=meeting_key.epoch,
        title=title,
        agenda_item=agenda_item,
        page_count=page_count,
        plaintext_size=result.plaintext_size,
        plaintext_sha256=result.plaintext_sha256,
        ciphertext_size=result.ciphertext_size,
        ciphertext_sha256=result.ciphertext_sha256,
        publisher_device_id=publisher_device_id,
        created_at=int(time.time()) if created_at is None else created_at,
        wrapped_content_key=seal_box(meeting_key, encryptor.content_key._material(), context),
        agenda_position=agenda_position,
    )


def unwrap_content_key(manifest: DocumentManifest, meeting_key: MeetingKey) -> ContentKey:
    """The manifest's content key, unwrapped with the meeting key of its meeting and epoch."""
    if (meeting_key.meeting_id, meeting_key.epoch) != (
        manifest.meeting_id,
        manifest.meeting_key_epoch,
    ):
        raise WrongContext(
            f"manifest needs the key of meeting {manifest.meeting_id!r} epoch"
            f" {manifest.meeting_key_epoch}, got {meeting_key.meeting_id!r} epoch {meeting_key.epoch}"
        )
    context = _wrap_context(
        manifest.meeting_id, manifest.meeting_key_epoch, manifest.doc_id, manifest.version
    )
    raw = open_box(meeting_key, manifest.wrapped_content_key, context, "wrapped content key")
    return ContentKey(raw)


def sign_manifest(manifest: DocumentManifest, device_keys: DeviceKeys) -> bytes:
    """Sign ``manifest`` with the publishing device's key: ``b"FMMF" [json, signature]``."""
    body = manifest.to_json_bytes()
    return framing.encode(
        _SIGNED_MANIFEST_MAGIC, body, device_keys.signing_key.sign(body, MANIFEST_PURPOSE)
    )


def read_manifest_unverified(signed_manifest: Buffer) -> DocumentManifest:
    """Parse a signed manifest *without* checking its signature.

    For finding out which publisher certificate to fetch, or for starting to decrypt while the
    signature check runs; never show, store or trust anything on the strength of it alone.
    """
    body, _ = framing.decode(signed_manifest, _SIGNED_MANIFEST_MAGIC, 2, "signed manifest")
    return DocumentManifest.from_json_bytes(body)


def verify_manifest(
    signed_manifest: Buffer,
    publisher: DeviceCertificate,
    *,
    allowed_roles: frozenset[str] = PUBLISHER_ROLES,
    expected_meeting_id: str | None = None,
) -> DocumentManifest:
    """Verify a signed manifest against the publisher's *verified* certificate.

    Raises :class:`~.errors.BadSignature` (altered manifest or another key signed it),
    :class:`UnauthorisedSigner` (the certificate is for a different device than the manifest
    names, or for a role that may not publish), :class:`WrongContext` (another meeting),
    MalformedData / UnknownSuite (garbage).
    """
    body, signature = framing.decode(signed_manifest, _SIGNED_MANIFEST_MAGIC, 2, "signed manifest")
    publisher.public_bundle.verify_key.verify(signature, body, MANIFEST_PURPOSE)
    manifest = DocumentManifest.from_json_bytes(body)
    if manifest.publisher_device_id != publisher.device_id:
        raise UnauthorisedSigner(
            f"manifest names publisher device {manifest.publisher_device_id!r} but was checked"
            f" against the certificate of device {publisher.device_id!r}"
        )
    if publisher.role not in allowed_roles:
        raise UnauthorisedSigner(
            f"device {publisher.device_id!r} has role {publisher.role!r}, which may not publish"
            f" documents (allowed: {', '.join(sorted(allowed_roles))})"
        )
    if expected_meeting_id is not None and manifest.meeting_id != expected_meeting_id:
        raise WrongContext(
            f"manifest is for meeting {manifest.meeting_id!r}, expected {expected_meeting_id!r}"
        )
    return manifest


def _sealed_manifest_context(meeting_id: str, epoch: int, doc_id: str, version: int) -> bytes:
    return _bound_context(_SEALED_MANIFEST_CONTEXT, meeting_id, epoch, doc_id, version)


def seal_manifest(signed_manifest: bytes, meeting_key: MeetingKey) -> bytes:
    """Encrypt a signed manifest under the meeting key, so the relay cannot read titles.

    Format ``b"FMSM" [meeting id, key epoch, doc id, version, secret box]``: the ids stay in
    clear (the relay files the manifest under them anyway) and are bound into the box's AAD.
    """
    manifest = read_manifest_unverified(signed_manifest)
    if (manifest.meeting_id, manifest.meeting_key_epoch) != (
        meeting_key.meeting_id,
        meeting_key.epoch,
    ):
        raise UsageError("seal a manifest with the meeting key (and epoch) it names")
    ids = (manifest.meeting_id, manifest.meeting_key_epoch, manifest.doc_id, manifest.version)
    box = seal_box(meeting_key, signed_manifest, _sealed_manifest_context(*ids))
    return framing.encode(
        _SEALED_MANIFEST_MAGIC,
        framing.text(manifest.meeting_id),
        framing.u64(manifest.meeting_key_epoch),
        framing.text(manifest.doc_id),
        framing.u64(manifest.version),
        box,
    )


def read_sealed_manifest_header(sealed_manifest: Buffer) -> tuple[str, int, str, int]:
    """(meeting id, key epoch, doc id, version) of a sealed manifest — unauthenticated; use it
    to pick the meeting key, then :func:`open_manifest` checks it."""
    meeting_id, epoch, doc_id, version, _ = _parse_sealed_manifest(sealed_manifest)
    return meeting_id, epoch, doc_id, version


def _parse_sealed_manifest(sealed_manifest: Buffer) -> tuple[str, int, str, int, bytes]:
    raw = framing.decode(sealed_manifest, _SEALED_MANIFEST_MAGIC, 5, "sealed manifest")
    return (
        framing.decode_text(raw[0], "manifest meeting id"),
        framing.decode_u64(raw[1], "manifest key epoch"),
        framing.decode_text(raw[2], "manifest doc id"),
        framing.decode_u64(raw[3], "manifest version"),
        raw[4],
    )


def open_manifest(
    sealed_manifest: Buffer, meeting_key: MeetingKey, *, doc_id: str, version: int
) -> bytes:
    """Decrypt :func:`seal_manifest` output for ``doc_id`` / ``version``; return the signed
    manifest, which the caller must still pass to :func:`verify_manifest`.

    Raises :class:`WrongContext` (another meeting, epoch, document or version — including a
    genuine signed manifest of another version sealed under these ids) or TamperedData.
    """
    return open_and_read_manifest(sealed_manifest, meeting_key, doc_id=doc_id, version=version)[0]


def open_and_read_manifest(
    sealed_manifest: Buffer, meeting_key: MeetingKey, *, doc_id: str, version: int
) -> tuple[bytes, DocumentManifest]:
    """:func:`open_manifest`, plus the signed manifest's content parsed *without* checking
    the signature (see :func:`read_manifest_unverified`) — one parse instead of two."""
    meeting_id, epoch, found_doc, found_version, box = _parse_sealed_manifest(sealed_manifest)
    found = (meeting_id, epoch, found_doc, found_version)
    wanted = (meeting_key.meeting_id, meeting_key.epoch, doc_id, version)
    if found != wanted:
        raise WrongContext(f"sealed manifest is for {found}, expected {wanted}")
    signed = open_box(meeting_key, box, _sealed_manifest_context(*wanted), "sealed manifest")
    inner = read_manifest_unverified(signed)
    inner_ids = (inner.meeting_id, inner.meeting_key_epoch, inner.doc_id, inner.version)
    if inner_ids != wanted:
        raise WrongContext(f"sealed manifest contains the manifest of {inner_ids}, not {wanted}")
    return signed, inner
