"""The signed manifest (:mod:`furano_meet.crypto.manifest`): signing, verifying, wrapping the
content key, sealing it from the relay, and tying a blob to the clerk who published it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from furano_meet.crypto import framing
from furano_meet.crypto.decryptor import DocumentDecryptor
from furano_meet.crypto.errors import (
    BadSignature,
    MalformedData,
    TamperedData,
    TruncatedData,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)
from furano_meet.crypto.manifest import (
    MANIFEST_PURPOSE,
    DocumentManifest,
    build_manifest,
    open_manifest,
    read_manifest_unverified,
    read_sealed_manifest_header,
    seal_manifest,
    sign_manifest,
    unwrap_content_key,
    verify_manifest,
)
from furano_meet.crypto.meeting_keys import MeetingKey
from furano_meet.crypto.stream import DocumentEncryptor

from .conftest import PLAINTEXT, Org, decrypt, encrypt, split

MEETING = "plenary-2025-06"


@pytest.fixture(scope="module")
def meeting_key() -> MeetingKey:
    return MeetingKey.generate(MEETING, epoch=2)


@pytest.fixture(scope="module")
def published(
    org: Org, meeting_key: MeetingKey, doc: tuple[DocumentEncryptor, bytes]
) -> tuple[DocumentManifest, bytes]:
    enc, _ = doc
    manifest = build_manifest(
        enc,
        meeting_key,
        title="令和7年度 予算書",
        agenda_item="議案第1号",
        page_count=612,
        publisher_device_id="sato-tablet",
        created_at=1_760_000_100,
    )
    return manifest, sign_manifest(manifest, org.devices["sato-tablet"].keys)


def test_manifest_round_trip(
    org: Org, published: tuple[DocumentManifest, bytes], doc: tuple[DocumentEncryptor, bytes]
) -> None:
    manifest, signed = published
    assert verify_manifest(signed, org.devices["sato-tablet"].cert) == manifest
    assert verify_manifest(signed, org.devices["sato-tablet"].cert, expected_meeting_id=MEETING)
    assert read_manifest_unverified(signed) == manifest
    assert (manifest.doc_id, manifest.version, manifest.meeting_id) == ("budget-2025", 1, MEETING)
    assert manifest.ciphertext_size == len(doc[1])
    assert manifest.plaintext_sha256 == hashlib.sha256(PLAINTEXT).hexdigest()


def test_manifest_json_is_canonical_and_readable(published: tuple[DocumentManifest, bytes]) -> None:
    manifest, _ = published
    raw = manifest.to_json_bytes()
    obj = json.loads(raw)
    assert list(obj) == sorted(obj)
    assert "令和7年度 予算書".encode() in raw  # UTF-8, not \\u escapes
    assert DocumentManifest.from_json_bytes(raw) == manifest


def test_member_decrypts_a_published_document(
    org: Org,
    published: tuple[DocumentManifest, bytes],
    meeting_key: MeetingKey,
    doc: tuple[DocumentEncryptor, bytes],
) -> None:
    _, blob = doc
    member = org.devices["tanaka-tablet"]
    from furano_meet.crypto.meeting_keys import open_meeting_key, seal_meeting_key

    envelope = seal_meeting_key(meeting_key, member.cert)
    my_key = open_meeting_key(envelope, member.keys, meeting_id=MEETING, device_id="tanaka-tablet")
    manifest = verify_manifest(published[1], org.devices["sato-tablet"].cert)
    dec = DocumentDecryptor.for_manifest(manifest, my_key)
    out = dec.feed(blob) + dec.finish()
    assert b"".join(out) == PLAINTEXT


def test_forged_manifest_signature(org: Org, published: tuple[DocumentManifest, bytes]) -> None:
    _, signed = published
    body, signature = framing.decode(signed, b"FMMF", 2, "m")
    damaged = bytearray(signature)
    damaged[-100] ^= 0x01
    with pytest.raises(BadSignature):
        verify_manifest(
            framing.encode(b"FMMF", body, bytes(damaged)), org.devices["sato-tablet"].cert
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "令和7年度 予算書(差替)"),
        ("page_count", 611),
        ("ciphertext_sha256", "0" * 64),
        ("meeting_id", "committee-a"),
        ("version", 2),
    ],
)
def test_tampered_manifest_field(
    org: Org, published: tuple[DocumentManifest, bytes], field: str, value: object
) -> None:
    manifest, signed = published
    _, signature = framing.decode(signed, b"FMMF", 2, "m")
    body = replace(manifest, **{field: value}).to_json_bytes()  # type: ignore[arg-type]
    with pytest.raises(BadSignature):
        verify_manifest(framing.encode(b"FMMF", body, signature), org.devices["sato-tablet"].cert)


def test_truncated_or_garbled_manifest(org: Org, published: tuple[DocumentManifest, bytes]) -> None:
    _, signed = published
    for bad in (signed[:-1], signed[:50], b"", b"FMMF"):
        with pytest.raises(MalformedData):
            verify_manifest(bad, org.devices["sato-tablet"].cert)


def test_manifest_signed_by_a_valid_but_other_device(
    org: Org, published: tuple[DocumentManifest, bytes]
) -> None:
    """Clerk Ito's (certified!) tablet signs a manifest that claims to be Sato's."""
    manifest, _ = published
    forged = sign_manifest(manifest, org.devices["ito-tablet"].keys)
    with pytest.raises(BadSignature):  # checked against the device the manifest names
        verify_manifest(forged, org.devices["sato-tablet"].cert)
    with pytest.raises(UnauthorisedSigner, match="sato-tablet"):  # checked against the signer
        verify_manifest(forged, org.devices["ito-tablet"].cert)


def test_manifest_signed_by_a_member_device(
    org: Org, published: tuple[DocumentManifest, bytes]
) -> None:
    manifest, _ = published
    own = replace(manifest, publisher_device_id="tanaka-tablet")
    signed = sign_manifest(own, org.devices["tanaka-tablet"].keys)
    with pytest.raises(UnauthorisedSigner, match="member"):
        verify_manifest(signed, org.devices["tanaka-tablet"].cert)
    assert (
        verify_manifest(
            signed, org.devices["tanaka-tablet"].cert, allowed_roles=frozenset({"member"})
        )
        == own
    )


def test_certificate_signature_cannot_pass_as_manifest_signature(
    org: Org, published: tuple[DocumentManifest, bytes]
) -> None:
    manifest, _ = published
    body = manifest.to_json_bytes()
    cross = org.devices["sato-tablet"].keys.signing_key.sign(body, "furano-meet device certificate")
    with pytest.raises(BadSignature):
        verify_manifest(framing.encode(b"FMMF", body, cross), org.devices["sato-tablet"].cert)
    assert MANIFEST_PURPOSE == "furano-meet document manifest"


def test_manifest_for_another_meeting(org: Org, published: tuple[DocumentManifest, bytes]) -> None:
    with pytest.raises(WrongContext, match="committee-a"):
        verify_manifest(
            published[1], org.devices["sato-tablet"].cert, expected_meeting_id="committee-a"
        )


def test_non_canonical_but_validly_signed_manifest_is_refused(
    org: Org, published: tuple[DocumentManifest, bytes]
) -> None:
    manifest, _ = published
    body = json.dumps(json.loads(manifest.to_json_bytes()), indent=1).encode()
    signed = framing.encode(
        b"FMMF", body, org.devices["sato-tablet"].keys.signing_key.sign(body, MANIFEST_PURPOSE)
    )
    with pytest.raises(MalformedData, match="canonical"):
        verify_manifest(signed, org.devices["sato-tablet"].cert)


def test_content_key_unwrap_is_bound_to_meeting_epoch_and_document(
    published: tuple[DocumentManifest, bytes], meeting_key: MeetingKey
) -> None:
    manifest, _ = published
    assert unwrap_content_key(manifest, meeting_key).export()
    with pytest.raises(WrongContext):
        unwrap_content_key(manifest, MeetingKey.generate("committee-a", epoch=2))
    with pytest.raises(WrongContext):
        unwrap_content_key(manifest, MeetingKey(meeting_key.export(), meeting_id=MEETING, epoch=3))
    with pytest.raises(TamperedData):  # right ids, wrong key
        unwrap_content_key(manifest, MeetingKey.generate(MEETING, epoch=2))
    for moved in (replace(manifest, doc_id="minutes-2025"), replace(manifest, version=2)):
        with pytest.raises(TamperedData):  # wrapped key copied into another manifest
            unwrap_content_key(moved, meeting_key)


def test_insider_reencryption_is_caught_by_the_signed_blob_hash(
    published: tuple[DocumentManifest, bytes],
    meeting_key: MeetingKey,
    doc: tuple[DocumentEncryptor, bytes],
) -> None:
    """A member unwraps the content key and encrypts other content under the same ids."""
    manifest, _ = published
    key = unwrap_content_key(manifest, meeting_key)
    altered = bytearray(PLAINTEXT)
    altered[10] ^= 1
    _, forged = encrypt(bytes(altered), key=key)
    assert decrypt(forged, key) == bytes(altered)  # the chunk tags alone cannot tell
    dec = DocumentDecryptor.for_manifest(manifest, meeting_key)
    dec.feed(forged)
    with pytest.raises(TamperedData, match="signed manifest"):
        dec.finish()
    unchecked = DocumentDecryptor.for_manifest(manifest, meeting_key, check_blob_hash=False)
    unchecked.feed(forged)
    unchecked.finish()  # documented: only for blobs already checked into the local cache


def test_blob_size_against_manifest(
    published: tuple[DocumentManifest, bytes],
    meeting_key: MeetingKey,
    doc: tuple[DocumentEncryptor, bytes],
) -> None:
    manifest, _ = published
    _, blob = doc
    dec = DocumentDecryptor.for_manifest(manifest, meeting_key)
    with pytest.raises(TamperedData, match="longer"):
        dec.feed(blob + b"x")
    header, records = split(blob)
    short = DocumentDecryptor.for_manifest(manifest, meeting_key)
    short.feed(header + b"".join(records[:3]) + records[3][:100])
    with pytest.raises(TruncatedData, match="cut short"):
        short.finish()


def test_sealed_manifest_hides_titles_from_the_relay(
    org: Org, published: tuple[DocumentManifest, bytes], meeting_key: MeetingKey
) -> None:
    manifest, signed = published
    sealed = seal_manifest(signed, meeting_key)
    assert "予算書".encode() not in sealed and manifest.ciphertext_sha256.encode() not in sealed
    assert read_sealed_manifest_header(sealed) == (MEETING, 2, "budget-2025", 1)
    opened = open_manifest(sealed, meeting_key, doc_id="budget-2025", version=1)
    assert verify_manifest(opened, org.devices["sato-tablet"].cert) == manifest


def test_sealed_manifest_cannot_be_replayed_under_other_ids(
    org: Org, published: tuple[DocumentManifest, bytes], meeting_key: MeetingKey
) -> None:
    manifest, signed = published
    sealed = seal_manifest(signed, meeting_key)
    with pytest.raises(WrongContext):
        open_manifest(sealed, meeting_key, doc_id="budget-2025", version=2)
    # Relabel the clear ids: the box's AAD no longer matches.
    fields = framing.decode(sealed, b"FMSM", 5, "sealed manifest")
    fields[3] = framing.u64(2)
    with pytest.raises(TamperedData):
        open_manifest(
            framing.encode(b"FMSM", *fields), meeting_key, doc_id="budget-2025", version=2
        )
    # A member seals the genuine v1 manifest under v2's ids (a rollback attempt):
    from furano_meet.crypto.manifest import _sealed_manifest_context
    from furano_meet.crypto.symmetric import seal_box

    box = seal_box(meeting_key, signed, _sealed_manifest_context(MEETING, 2, "budget-2025", 2))
    fields[4] = box
    with pytest.raises(WrongContext, match="contains"):
        open_manifest(
            framing.encode(b"FMSM", *fields), meeting_key, doc_id="budget-2025", version=2
        )
    with pytest.raises(UsageError):
        seal_manifest(signed, MeetingKey.generate(MEETING, epoch=3))
