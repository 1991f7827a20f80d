"""The chunked document stream (:mod:`furano_meet.crypto.stream`): blob format, encryption in
pieces or whole, and round trips through the decryptor."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.crypto.decryptor import DocumentDecryptor
from furano_meet.crypto.errors import UsageError
from furano_meet.crypto.stream import DEFAULT_CHUNK_SIZE, DocumentEncryptor, blob_size

from .conftest import CHUNK, PLAINTEXT, decrypt, encrypt


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
