"""Decrypting a blob (:mod:`furano_meet.crypto.decryptor`): every way in gives the plaintext back,
and every kind of damage - altered, reordered, swapped, cut short, appended - is refused by every
way in."""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.crypto.decryptor import DocumentDecryptor
from furano_meet.crypto.errors import (
    MalformedData,
    TamperedData,
    TruncatedData,
    UnknownSuite,
    UsageError,
)
from furano_meet.crypto.stream import (
    DEFAULT_CHUNK_SIZE,
    ContentKey,
    DocumentEncryptor,
    blob_size,
    encode_header,
)

from .conftest import CHUNK, PLAINTEXT, TAG, decrypt, encrypt, split


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


def collector(
    key: ContentKey,
    ciphertext_size: int,
    plaintext_size: int,
    doc_id: str = "budget-2025",
    version: int = 1,
) -> DocumentDecryptor:
    """A decryptor in collect mode with the two sizes a signed manifest would state."""
    return DocumentDecryptor(
        key,
        doc_id,
        version,
        expected_ciphertext_size=ciphertext_size,
        expected_plaintext_size=plaintext_size,
        collect=True,
    )


any_feed_split = given(
    plaintext=st.binary(max_size=2000),
    chunk_size=st.integers(64, 300),
    cuts=st.lists(st.integers(0, 3000), max_size=12),
)


def pieces(blob: bytes, cuts: list[int]) -> list[bytes]:
    """``blob`` cut at ``cuts`` (taken modulo its length); the pieces join back to ``blob``."""
    points = sorted({0, len(blob), *(c % (len(blob) + 1) for c in cuts)})
    return [blob[a:b] for a, b in zip(points, points[1:], strict=False)]


@settings(max_examples=150, deadline=None)
@any_feed_split
def test_any_feed_split_gives_back_the_plaintext(
    plaintext: bytes, chunk_size: int, cuts: list[int]
) -> None:
    enc, blob = encrypt(plaintext, chunk_size=chunk_size)
    dec = DocumentDecryptor(enc.content_key, "budget-2025", 1)
    out: list[bytes] = []
    for piece in pieces(blob, cuts):
        out += dec.feed(piece)
    out += dec.finish()
    assert b"".join(out) == plaintext


@settings(max_examples=60, deadline=None)
@any_feed_split
def test_collect_mode_gives_the_plaintext_in_one_buffer_for_any_feed_split(
    plaintext: bytes, chunk_size: int, cuts: list[int]
) -> None:
    enc, blob = encrypt(plaintext, chunk_size=chunk_size)
    dec = collector(enc.content_key, len(blob), len(plaintext))
    with pytest.raises(UsageError, match="after finish"):
        assert dec.plaintext is None
    for piece in pieces(blob, cuts):
        assert dec.feed(piece) == []
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
        dec = collector(enc.content_key, len(blob), wrong)
        with pytest.raises(TamperedData, match="sizes do not fit"):
            dec.feed(blob)
    collecting = collector(enc.content_key, len(blob), len(PLAINTEXT))
    with pytest.raises(UsageError, match="collect"):
        collecting.decrypt_whole(blob)


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
    collecting = collector(key, blob_size(plaintext_size, CHUNK), plaintext_size, doc_id, version)
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
