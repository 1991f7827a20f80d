from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.crypto import framing
from furano_meet.crypto.documents import (
    DEFAULT_CHUNK_SIZE,
    MANIFEST_PURPOSE,
    ContentKey,
    DocumentDecryptor,
    DocumentEncryptor,
    DocumentManifest,
    blob_size,
    build_manifest,
    encode_header,
    open_manifest,
    read_manifest_unverified,
    read_sealed_manifest_header,
    seal_manifest,
    sign_manifest,
    unwrap_content_key,
    verify_manifest,
)
from furano_meet.crypto.errors import (
    BadSignature,
    MalformedData,
    TamperedData,
    TruncatedData,
    UnauthorisedSigner,
    UnknownSuite,
    UsageError,
    WrongContext,
)
from furano_meet.crypto.meeting_keys import MeetingKey

from .conftest import Org

CHUNK = 1024  # small chunks so a few KiB give many records
TAG = 16


def encrypt(
    plaintext: bytes | Iterable[bytes | bytearray],
    doc_id: str = "budget-2025",
    version: int = 1,
    chunk_size: int = CHUNK,
    key: ContentKey | None = None,
) -> tuple[DocumentEncryptor, bytes]:
    enc = DocumentEncryptor(doc_id, version, chunk_size=chunk_size)
    if key is not None:  # only to model an insider who re-uses a key they unwrapped
        enc._content_key = key
    return enc, b"".join(enc.encrypt(plaintext))


def decrypt(
    blob: bytes, key: ContentKey, doc_id: str = "budget-2025", version: int = 1, piece: int = 700
) -> bytes:
    dec = DocumentDecryptor(key, doc_id, version)
    out: list[bytes] = []
    for i in range(0, len(blob), piece):
        out += dec.feed(blob[i : i + piece])
    out += dec.finish()
    return b"".join(out)


def split(blob: bytes, chunk_size: int = CHUNK) -> tuple[bytes, list[bytes]]:
    """(header, records) — every record is full size except the last."""
    header_len = len(encode_header(chunk_size))
    body = blob[header_len:]
    size = chunk_size + TAG
    records = [body[i : i + size] for i in range(0, len(body), size)]
    if len(records[-1]) == size:  # exact multiple: the empty last record is the final 16 bytes
        records.append(b"")
    return blob[:header_len], records


PLAINTEXT = os.urandom(5 * CHUNK + 300)  # 6 records: 5 full, last with 300 bytes


@pytest.fixture(scope="module")
def doc() -> tuple[DocumentEncryptor, bytes]:
    return encrypt(PLAINTEXT)


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5])
def test_round_trip_sizes(size: int) -> None:
    plaintext = os.urandom(size)
    enc, blob = encrypt(plaintext)
    assert decrypt(blob, enc.content_key) == plaintext
    assert len(blob) == blob_size(size, CHUNK) == enc.result.ciphertext_size
    assert enc.result.chunk_count == size // CHUNK + 1  # the last chunk is never full
    assert enc.result.plaintext_sha256 == hashlib.sha256(plaintext).hexdigest()
    assert enc.result.ciphertext_sha256 == hashlib.sha256(blob).hexdigest()


def test_header_names_format_suite_and_chunk_size(doc: tuple[DocumentEncryptor, bytes]) -> None:
    _, blob = doc
    assert blob.startswith(b"FMDB\x01\x12aes256gcm-stream/1\x00\x00\x04\x00")
    assert DocumentEncryptor("d", 1).header.endswith((256 * 1024).to_bytes(4, "big"))
    assert DEFAULT_CHUNK_SIZE == 256 * 1024


def test_iterable_input_of_any_piece_sizes(doc: tuple[DocumentEncryptor, bytes]) -> None:
    pieces = [PLAINTEXT[i : i + 333] for i in range(0, len(PLAINTEXT), 333)]
    enc, blob = encrypt(iter(pieces))
    assert decrypt(blob, enc.content_key) == PLAINTEXT
    assert len(blob) == len(doc[1])


def test_iterable_input_may_reuse_one_buffer() -> None:
    """A reader that refills the same bytearray (readinto) must not corrupt earlier chunks."""

    def reader() -> Iterable[bytearray]:
        buf = bytearray(CHUNK + 100)
        for i in range(0, len(PLAINTEXT), len(buf)):
            n = len(PLAINTEXT[i : i + len(buf)])
            buf[:n] = PLAINTEXT[i : i + n]
            yield buf if n == len(buf) else buf[:n]

    enc, blob = encrypt(reader())
    assert decrypt(blob, enc.content_key) == PLAINTEXT


def test_iterable_input_may_resize_its_buffer_between_pieces() -> None:
    def reader() -> Iterable[bytearray]:
        buf = bytearray()
        for i in range(0, len(PLAINTEXT), 2500):
            buf.clear()  # would raise BufferError if we still held a view of it
            buf += PLAINTEXT[i : i + 2500]
            yield buf

    enc, blob = encrypt(reader())
    assert decrypt(blob, enc.content_key) == PLAINTEXT


def test_feed_may_reuse_one_buffer(doc: tuple[DocumentEncryptor, bytes]) -> None:
    enc, blob = doc
    dec = DocumentDecryptor(enc.content_key, "budget-2025", 1)
    buf = bytearray(500)
    out: list[bytes] = []
    for i in range(0, len(blob), len(buf)):
        piece = blob[i : i + len(buf)]
        buf[: len(piece)] = piece
        out += dec.feed(memoryview(buf)[: len(piece)])
    out += dec.finish()
    assert b"".join(out) == PLAINTEXT


def test_plaintext_is_released_chunk_by_chunk(doc: tuple[DocumentEncryptor, bytes]) -> None:
    enc, blob = doc
    header, records = split(blob)
    dec = DocumentDecryptor(enc.content_key, "budget-2025", 1)
    assert dec.feed(header) == []
    assert dec.feed(records[0]) == [PLAINTEXT[:CHUNK]]  # a full record is never the last
    assert dec.feed(b"".join(records[1:])) == [
        PLAINTEXT[i * CHUNK : (i + 1) * CHUNK] for i in range(1, 5)
    ]
    assert dec.finish() == [PLAINTEXT[5 * CHUNK :]]
    assert dec.plaintext_size == len(PLAINTEXT)


@settings(max_examples=150, deadline=None)
@given(
    plaintext=st.binary(max_size=2000),
    chunk_size=st.integers(64, 300),
    cuts=st.lists(st.integers(0, 3000), max_size=12),
)
def test_any_feed_split_gives_back_the_plaintext(
    plaintext: bytes, chunk_size: int, cuts: list[int]
) -> None:
    enc, blob = encrypt(plaintext, chunk_size=chunk_size)
    points = sorted({0, len(blob), *(c % (len(blob) + 1) for c in cuts)})
    dec = DocumentDecryptor(enc.content_key, "budget-2025", 1)
    out: list[bytes] = []
    for a, b in zip(points, points[1:], strict=False):
        out += dec.feed(blob[a:b])
    out += dec.finish()
    assert b"".join(out) == plaintext


@settings(max_examples=60, deadline=None)
@given(
    plaintext=st.binary(max_size=2000),
    chunk_size=st.integers(64, 300),
    cuts=st.lists(st.integers(0, 3000), max_size=12),
)
def test_collect_mode_gives_the_plaintext_in_one_buffer_for_any_feed_split(
    plaintext: bytes, chunk_size: int, cuts: list[int]
) -> None:
    enc, blob = encrypt(plaintext, chunk_size=chunk_size)
    points = sorted({0, len(blob), *(c % (len(blob) + 1) for c in cuts)})
    dec = DocumentDecryptor(
        enc.content_key,
        "budget-2025",
        1,
        expected_ciphertext_size=len(blob),
        expected_plaintext_size=len(plaintext),
        collect=True,
    )
    with pytest.raises(UsageError, match="after finish"):
        assert dec.plaintext is None
    for a, b in zip(points, points[1:], strict=False):
        assert dec.feed(blob[a:b]) == []
    assert dec.finish() == []
    assert dec.plaintext == plaintext
    assert dec.plaintext_size == len(plaintext)


def test_collect_mode_needs_the_manifest_sizes_and_refuses_sizes_that_do_not_fit(
    doc: tuple[DocumentEncryptor, bytes],
) -> None:
    enc, blob = doc
    with pytest.raises(UsageError, match="both expected sizes"):
        DocumentDecryptor(enc.content_key, "d", 1, expected_ciphertext_size=len(blob), collect=True)
    with pytest.raises(UsageError, match="both expected sizes"):
        DocumentDecryptor(enc.content_key, "d", 1, expected_plaintext_size=10, collect=True)
    # A manifest whose plaintext size is not what its blob size implies describes no real blob.
    for wrong in (len(PLAINTEXT) - 1, len(PLAINTEXT) + 1):
        dec = DocumentDecryptor(
            enc.content_key,
            "budget-2025",
            1,
            expected_ciphertext_size=len(blob),
            expected_plaintext_size=wrong,
            collect=True,
        )
        with pytest.raises(TamperedData, match="sizes do not fit"):
            dec.feed(blob)
    collecting = DocumentDecryptor(
        enc.content_key,
        "budget-2025",
        1,
        expected_ciphertext_size=len(blob),
        expected_plaintext_size=len(PLAINTEXT),
        collect=True,
    )
    with pytest.raises(UsageError, match="collect"):
        collecting.decrypt_whole(blob)


@settings(max_examples=60, deadline=None)
@given(
    plaintext=st.binary(max_size=1500),
    chunk_size=st.integers(64, 200),
    sizes=st.lists(st.integers(0, 400), min_size=1, max_size=10).filter(any),
)
def test_any_input_split_gives_the_same_blob_shape(
    plaintext: bytes, chunk_size: int, sizes: list[int]
) -> None:
    pieces, pos = [], 0
    while pos < len(plaintext):
        for size in sizes:
            pieces.append(plaintext[pos : pos + size])
            pos += size
    enc, blob = encrypt(pieces, chunk_size=chunk_size)
    assert len(blob) == blob_size(len(plaintext), chunk_size)
    assert decrypt(blob, enc.content_key, piece=97) == plaintext


def test_ciphertext_contains_no_plaintext() -> None:
    # Low-entropy, recognisable plaintext: any leak would show as a repeated substring.
    plaintext = ("令和7年度 富良野市一般会計予算書 歳入歳出 " * 2000).encode() + b"%PDF-1.7" * 500
    enc, blob = encrypt(plaintext, chunk_size=4096)
    for start in range(0, len(plaintext) - 8, 1009):
        assert plaintext[start : start + 8] not in blob
    assert "予算".encode() not in blob and b"%PDF" not in blob


@pytest.mark.parametrize(
    ("size", "chunk_size"),
    [(0, CHUNK), (1, CHUNK), (CHUNK, CHUNK), (5 * CHUNK + 300, CHUNK), (3 * CHUNK, CHUNK)]
    + [
        (3 * DEFAULT_CHUNK_SIZE + 5, DEFAULT_CHUNK_SIZE),
        (8 * DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_SIZE),
    ],
)
def test_whole_buffer_paths_are_byte_identical_to_the_stream(size: int, chunk_size: int) -> None:
    """``encrypt_whole`` writes the very blob ``encrypt`` yields (same key: format pinned), and
    ``decrypt_whole`` returns what the streaming decryptor returns; the large sizes take the
    helper-thread hash path."""
    plaintext = os.urandom(size)
    streamed, blob = encrypt(plaintext, chunk_size=chunk_size)
    whole = DocumentEncryptor("budget-2025", 1, chunk_size=chunk_size)
    whole._content_key = streamed.content_key  # only to compare bytes under one key
    assert whole.encrypt_whole(plaintext) == blob
    assert whole.result == streamed.result
    with pytest.raises(UsageError, match="single-use"):
        whole.encrypt_whole(plaintext)
    dec = DocumentDecryptor(
        streamed.content_key,
        "budget-2025",
        1,
        expected_ciphertext_size=len(blob),
        expected_ciphertext_sha256=hashlib.sha256(blob).hexdigest(),
    )
    assert dec.decrypt_whole(memoryview(blob)) == plaintext
    assert dec.plaintext_size == size
    with pytest.raises(UsageError):
        dec.decrypt_whole(blob)


def test_decrypt_whole_checks_the_signed_hash_and_size_and_needs_a_fresh_decryptor(
    doc: tuple[DocumentEncryptor, bytes],
) -> None:
    enc, blob = doc
    big = os.urandom(2 * DEFAULT_CHUNK_SIZE * 3)  # past the helper-thread threshold
    big_enc, big_blob = encrypt(big, chunk_size=DEFAULT_CHUNK_SIZE)
    for key, data in ((enc.content_key, blob), (big_enc.content_key, big_blob)):
        wrong = DocumentDecryptor(
            key, "budget-2025", 1, expected_ciphertext_sha256=hashlib.sha256(b"x").hexdigest()
        )
        with pytest.raises(TamperedData, match="signed manifest"):
            wrong.decrypt_whole(data)
        longer = DocumentDecryptor(key, "budget-2025", 1, expected_ciphertext_size=len(data) - 1)
        with pytest.raises(TamperedData, match="longer"):
            longer.decrypt_whole(data)
        short = DocumentDecryptor(key, "budget-2025", 1, expected_ciphertext_size=len(data) + 1)
        with pytest.raises(TruncatedData, match="cut short"):
            short.decrypt_whole(data)
    used = DocumentDecryptor(enc.content_key, "budget-2025", 1)
    used.feed(blob[:10])
    with pytest.raises(UsageError, match="fresh"):
        used.decrypt_whole(blob)


# --- tampering -----------------------------------------------------------------------------


def _refuse(
    blob: bytes,
    key: ContentKey,
    error: type[Exception],
    doc_id: str = "budget-2025",
    version: int = 1,
    plaintext_size: int = len(PLAINTEXT),
) -> None:
    """Every decryption path refuses ``blob`` with ``error``: fed in pieces, whole, and fed in
    pieces into one buffer (``collect``) with the sizes of the genuine blob of
    ``plaintext_size`` bytes — what its signed manifest would state."""
    with pytest.raises(error):
        decrypt(blob, key, doc_id, version)
    whole = DocumentDecryptor(key, doc_id, version)
    with pytest.raises(error):
        whole.decrypt_whole(blob)
    with pytest.raises(UsageError):  # and the decryptor is dead afterwards
        whole.finish()
    collecting = DocumentDecryptor(
        key,
        doc_id,
        version,
        expected_ciphertext_size=blob_size(plaintext_size, CHUNK),
        expected_plaintext_size=plaintext_size,
        collect=True,
    )
    with pytest.raises(error):
        for at in range(0, len(blob), 700):
            collecting.feed(blob[at : at + 700])
        collecting.finish()
    with pytest.raises(UsageError):
        assert collecting.plaintext is None


@pytest.mark.parametrize("record", range(6))
@pytest.mark.parametrize("where", ["start", "middle", "tag"])
def test_flipping_a_bit_in_any_chunk(
    doc: tuple[DocumentEncryptor, bytes], record: int, where: str
) -> None:
    enc, blob = doc
    header, records = split(blob)
    damaged = bytearray(records[record])
    damaged[{"start": 0, "middle": len(damaged) // 2, "tag": -1}[where]] ^= 0x04
    records[record] = bytes(damaged)
    _refuse(header + b"".join(records), enc.content_key, TamperedData)


@pytest.mark.parametrize("offset", range(0, 28, 3))
def test_flipping_a_bit_in_the_header(doc: tuple[DocumentEncryptor, bytes], offset: int) -> None:
    enc, blob = doc
    damaged = bytearray(blob)
    damaged[offset] ^= 0x01
    with pytest.raises((TamperedData, MalformedData, UnknownSuite)):
        decrypt(bytes(damaged), enc.content_key)


def test_header_chunk_size_change_is_detected(doc: tuple[DocumentEncryptor, bytes]) -> None:
    """Even a change that keeps the records parseable fails: the header is in every AAD."""
    enc, blob = doc
    header, _ = split(blob)
    other = encode_header(2 * CHUNK + TAG)  # 2 plaintext chunks + 1 tag == 2 records
    _refuse(other + blob[len(header) :], enc.content_key, TamperedData)


def test_reordering_chunks(doc: tuple[DocumentEncryptor, bytes]) -> None:
    enc, blob = doc
    header, r = split(blob)
    _refuse(header + b"".join([r[1], r[0], *r[2:]]), enc.content_key, TamperedData)
    _refuse(header + b"".join([*r[:2], r[3], r[2], *r[4:]]), enc.content_key, TamperedData)


def test_duplicating_a_chunk(doc: tuple[DocumentEncryptor, bytes]) -> None:
    enc, blob = doc
    header, r = split(blob)
    _refuse(header + b"".join([r[0], *r]), enc.content_key, TamperedData)


def test_chunk_swapped_in_from_another_document_or_version(
    doc: tuple[DocumentEncryptor, bytes],
) -> None:
    enc, blob = doc
    header, records = split(blob)
    # Same key on purpose (worst case: an insider re-used it) so only the AAD can catch it.
    for doc_id, version in (("minutes-2025", 1), ("budget-2025", 2)):
        _, other = encrypt(PLAINTEXT, doc_id=doc_id, version=version, key=enc.content_key)
        swapped = list(records)
        swapped[2] = split(other)[1][2]
        _refuse(header + b"".join(swapped), enc.content_key, TamperedData)
    # A chunk from a genuinely different document (different key):
    _, foreign = encrypt(PLAINTEXT)
    swapped = list(records)
    swapped[2] = split(foreign)[1][2]
    _refuse(header + b"".join(swapped), enc.content_key, TamperedData)


def test_whole_blob_presented_as_another_document_or_version(
    doc: tuple[DocumentEncryptor, bytes],
) -> None:
    enc, blob = doc
    _refuse(blob, enc.content_key, TamperedData, doc_id="minutes-2025")
    _refuse(blob, enc.content_key, TamperedData, version=2)


@pytest.mark.parametrize("keep", range(6))
def test_truncation_at_a_chunk_boundary(doc: tuple[DocumentEncryptor, bytes], keep: int) -> None:
    enc, blob = doc
    header, records = split(blob)
    _refuse(header + b"".join(records[:keep]), enc.content_key, TruncatedData)


def test_dropping_the_last_chunk_of_an_exact_multiple() -> None:
    enc, blob = encrypt(os.urandom(3 * CHUNK))
    assert len(blob) - len(encode_header(CHUNK)) == 3 * (CHUNK + TAG) + TAG
    _refuse(blob[:-TAG], enc.content_key, TruncatedData, plaintext_size=3 * CHUNK)


@pytest.mark.parametrize("cut", [1, 15, 16, 17, 500, CHUNK + TAG - 1])
def test_truncation_mid_chunk(doc: tuple[DocumentEncryptor, bytes], cut: int) -> None:
    enc, blob = doc
    header, records = split(blob)
    truncated = header + b"".join(records[:3]) + records[3][:cut]
    _refuse(truncated, enc.content_key, TamperedData)  # TruncatedData is a TamperedData


@pytest.mark.parametrize("length", [0, 3, 4, 10, 27])
def test_truncation_inside_the_header(doc: tuple[DocumentEncryptor, bytes], length: int) -> None:
    enc, blob = doc
    assert length < len(split(blob)[0])
    _refuse(blob[:length], enc.content_key, TruncatedData)


def test_appending_data(doc: tuple[DocumentEncryptor, bytes]) -> None:
    enc, blob = doc
    header, records = split(blob)
    _refuse(blob + b"\0" * 5, enc.content_key, TamperedData)
    _refuse(blob + records[-1], enc.content_key, TamperedData)


def test_unknown_suite_bad_magic_bad_version(doc: tuple[DocumentEncryptor, bytes]) -> None:
    enc, blob = doc
    header, _ = split(blob)
    body = blob[len(header) :]
    relabelled = b"FMDB\x01\x12aes256gcm-stream/9" + header[-4:] + body
    _refuse(relabelled, enc.content_key, UnknownSuite)
    _refuse(b"%PDF" + blob[4:], enc.content_key, MalformedData)
    _refuse(b"FMDB\x02" + blob[5:], enc.content_key, MalformedData)
    _refuse(b"F%" + blob[2:], enc.content_key, MalformedData)
    _refuse(
        encode_header(CHUNK)[:-4] + (10).to_bytes(4, "big") + body, enc.content_key, MalformedData
    )


def test_a_dead_decryptor_stays_dead(doc: tuple[DocumentEncryptor, bytes]) -> None:
    enc, blob = doc
    header, records = split(blob)
    dec = DocumentDecryptor(enc.content_key, "budget-2025", 1)
    with pytest.raises(TamperedData):
        dec.feed(header + records[1])
    with pytest.raises(UsageError):
        dec.feed(records[0])
    finished = DocumentDecryptor(enc.content_key, "budget-2025", 1)
    finished.feed(blob)
    finished.finish()
    with pytest.raises(UsageError):
        finished.finish()


def test_encryptor_is_single_use() -> None:
    enc = DocumentEncryptor("d", 1)
    b"".join(enc.encrypt(b"x"))
    with pytest.raises(UsageError, match="single-use"):
        enc.encrypt(b"y")
    with pytest.raises(UsageError, match="not completely"):
        _ = DocumentEncryptor("d", 1).result


def test_chunk_size_limits() -> None:
    with pytest.raises(ValueError, match="chunk size"):
        DocumentEncryptor("d", 1, chunk_size=63)
    with pytest.raises(ValueError, match="chunk size"):
        DocumentEncryptor("d", 1, chunk_size=16 * 1024 * 1024 + 1)


# --- manifests -----------------------------------------------------------------------------


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
    from furano_meet.crypto.documents import _sealed_manifest_context
    from furano_meet.crypto.symmetric import seal_box

    box = seal_box(meeting_key, signed, _sealed_manifest_context(MEETING, 2, "budget-2025", 2))
    fields[4] = box
    with pytest.raises(WrongContext, match="contains"):
        open_manifest(
            framing.encode(b"FMSM", *fields), meeting_key, doc_id="budget-2025", version=2
        )
    with pytest.raises(UsageError):
        seal_manifest(signed, MeetingKey.generate(MEETING, epoch=3))
