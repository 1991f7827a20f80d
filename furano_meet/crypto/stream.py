"""The document stream: chunked AES-256-GCM encryption of agenda PDFs into blobs.

Theory of operation
-------------------
**Keys.** Every document *version* is encrypted under its own fresh random 32-byte content
key, made by :class:`DocumentEncryptor` itself and used for exactly one encryption (the
encryptor refuses to run twice). The content key is wrapped (AES-GCM secret box, see
:mod:`.symmetric`) under the meeting key, and the wrapped key travels in the manifest. A
member who can open the meeting key can therefore read every document of the meeting, and
nobody else can — the relay stores blobs it cannot read.

**Blob format** (``suite aes256gcm-stream/1``)::

    header  = magic b"FMDB" | format version u8 = 1 | len(suite id) u8 | suite id (ASCII)
              | chunk size u32 big-endian  (plaintext bytes per chunk; default 256 KiB)
    records = record 0 | record 1 | ... | record n      (no length prefixes)
    record i = AES-256-GCM(content key, nonce_i, chunk_i, aad_i) = ciphertext || 16-byte tag
    nonce_i  = i as a 96-bit big-endian integer
    aad_i    = framing.encode(b"FMca", header, document id, version u64) || i u64 || last u8

Every chunk but the last holds exactly ``chunk size`` plaintext bytes; the last holds
*fewer* (0 … chunk size − 1), so when the plaintext is an exact multiple of the chunk size
the blob ends with an empty last chunk. That makes every record boundary known from the
header alone, and a full-size record is never the last one.

This is the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár ("Online
authenticated-encryption and its nonce-reuse misuse-resistance", CRYPTO 2015) — the same
idea as age's payload and Tink's streaming AEAD — with the "last" flag and the position in
the associated data:

* **reordering** chunks fails: chunk *i* only authenticates at index *i* (nonce and AAD);
* **swapping** a chunk in from another document or version fails: the id, version and the
  other document's key all differ;
* **truncation** fails: the last chunk is the only one that authenticates with last = 1, so a
  stream cut at a chunk boundary never shows a last chunk (:class:`TruncatedData`) and one
  cut mid-chunk leaves a record that authenticates neither way (:class:`TamperedData`);
* **appending** fails: the genuine last chunk then sits in a non-last position;
* the **header** is in every chunk's AAD, so changing its chunk size or suite id fails too.

**Why the nonce may simply be the chunk index.** AES-GCM is broken if one (key, nonce) pair
ever encrypts two different messages. Here the key is random, fresh for this one blob and
never used for anything else, and within the blob each index is used once, so every nonce
is unique *for that key*. A random nonce would add bytes and nothing else. This is safe
only because the content key is single-use — which is why :class:`DocumentEncryptor` makes
the key itself and refuses to encrypt twice, and no API accepts a content key for encrypting.

Decryption (:class:`~.decryptor.DocumentDecryptor`) reads this format back, and the signed
manifest (:mod:`.manifest`) carries the wrapped content key and the blob's hash; the
primitives both directions share (header parsing, nonce, associated data, the aside hash) live
here with the format they implement.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import framing
from .errors import MalformedData, UsageError
from .framing import Buffer
from .suites import DOCUMENT_AES256GCM_STREAM, SuiteKind, require_suite
from .symmetric import TAG_SIZE, SecretKey

__all__ = [
    "BLOB_MAGIC",
    "DEFAULT_CHUNK_SIZE",
    "FORMAT_VERSION",
    "MAX_CHUNK_SIZE",
    "MIN_CHUNK_SIZE",
    "ContentKey",
    "DocumentEncryptor",
    "EncryptionResult",
    "blob_size",
    "encode_header",
]

DEFAULT_CHUNK_SIZE = 256 * 1024
MIN_CHUNK_SIZE = 64
MAX_CHUNK_SIZE = 16 * 1024 * 1024
FORMAT_VERSION = 1
BLOB_MAGIC = b"FMDB"
_FIXED_HEADER = struct.Struct(">4sBB")  # magic, format version, suite id length
_CHUNK_SIZE = struct.Struct(">I")
_POSITION = struct.Struct(">QB")  # chunk index, last flag
#: The longest header there can be (a suite id is at most 255 bytes).
MAX_HEADER_SIZE = _FIXED_HEADER.size + 255 + _CHUNK_SIZE.size
_AAD_MAGIC = b"FMca"
_NONCE_SIZE = 12


class ContentKey(SecretKey):
    """The single-use key of one document version's blob."""

    __slots__ = ()


def encode_header(chunk_size: int, suite_id: str = DOCUMENT_AES256GCM_STREAM) -> bytes:
    """The blob header for ``chunk_size`` (plaintext bytes per chunk)."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}, got {chunk_size}")
    suite = suite_id.encode("ascii")
    return (
        _FIXED_HEADER.pack(BLOB_MAGIC, FORMAT_VERSION, len(suite))
        + suite
        + _CHUNK_SIZE.pack(chunk_size)
    )


def parse_header(data: bytes | bytearray) -> tuple[int, int] | None:
    """Return (header length, chunk size) once ``data`` holds a whole header, else None."""
    if len(data) < _FIXED_HEADER.size:
        if data and not BLOB_MAGIC.startswith(bytes(data[:4])):
            raise MalformedData("not a Furano Meet document blob (bad magic)")
        return None
    magic, version, suite_len = _FIXED_HEADER.unpack_from(data)
    if magic != BLOB_MAGIC:
        raise MalformedData("not a Furano Meet document blob (bad magic)")
    if version != FORMAT_VERSION:
        raise MalformedData(f"document blob format version {version} is not supported")
    end = _FIXED_HEADER.size + suite_len + _CHUNK_SIZE.size
    if len(data) < end:
        return None
    suite_raw = bytes(data[_FIXED_HEADER.size : _FIXED_HEADER.size + suite_len])
    require_suite(framing.decode_text(suite_raw, "suite id"), SuiteKind.DOCUMENT_STREAM)
    (chunk_size,) = _CHUNK_SIZE.unpack_from(data, end - _CHUNK_SIZE.size)
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise MalformedData(f"document blob chunk size {chunk_size} is out of range")
    return end, chunk_size


def blob_size(plaintext_size: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    """Exact size of the blob for ``plaintext_size`` bytes (header + records)."""
    full, rest = divmod(plaintext_size, chunk_size)
    return len(encode_header(chunk_size)) + full * (chunk_size + TAG_SIZE) + rest + TAG_SIZE


def aad_prefix(header: bytes, doc_id: str, version: int) -> bytes:
    """The part of every record's associated data that names the header, document and version."""
    return framing.encode(_AAD_MAGIC, header, framing.text(doc_id), framing.u64(version))


def nonce(index: int) -> bytes:
    """Record ``index``'s nonce: the index itself (see "Why the nonce may simply be ..." above)."""
    return index.to_bytes(_NONCE_SIZE, "big")


def record_aad(prefix: bytes, index: int, last: bool) -> bytes:
    """Record ``index``'s associated data: :func:`aad_prefix`, its position and the last flag."""
    return prefix + _POSITION.pack(index, last)


@dataclass(frozen=True)
class EncryptionResult:
    """What the manifest needs to know about an encrypted blob."""

    plaintext_size: int
    plaintext_sha256: str
    ciphertext_size: int
    ciphertext_sha256: str
    chunk_count: int


def as_bytes_view(data: Buffer) -> memoryview:
    """A flat view of unsigned bytes over any buffer, so slicing counts bytes (no copy)."""
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


#: Below this size a helper thread costs more than the hash it would take off the caller.
_PARALLEL_HASH_MIN = 1 << 20


class Sha256Aside:
    """SHA-256 of a whole buffer, computed on a helper thread when the buffer is large.

    ``hashlib`` releases the GIL while it hashes, and AES-GCM (which holds it) is ~4× faster than
    SHA-256 here, so hashing beside the cipher instead of after it takes a full pass off the
    wall time on a machine with a second core. :meth:`hexdigest` always joins the thread, so
    call it (in a ``finally`` too) before the buffer may change.
    """

    def __init__(self, view: memoryview, prefix: bytes = b"") -> None:
        self._hash = hashlib.sha256(prefix)
        self._thread: threading.Thread | None = None
        if len(view) >= _PARALLEL_HASH_MIN:
            self._thread = threading.Thread(
                target=self._hash.update, args=(view,), name="sha256-aside", daemon=True
            )
            self._thread.start()
        else:
            self._hash.update(view)

    def hexdigest(self) -> str:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self._hash.hexdigest()


class DocumentEncryptor:
    """Encrypt one document version into a blob, streaming, under a fresh content key.

    >>> enc = DocumentEncryptor("doc-1", version=1)
    >>> blob = b"".join(enc.encrypt(pdf_bytes))          # doctest: +SKIP
    >>> enc.result.ciphertext_sha256                      # doctest: +SKIP

    :meth:`encrypt` accepts a bytes-like object (sliced with zero copies) or an iterable of
    bytes-like pieces of any sizes (re-chunked; a piece that is a ``bytes`` object is never
    copied, mutable pieces are consumed before the next one is requested).
    """

    def __init__(self, doc_id: str, version: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE):
        if not doc_id:
            raise ValueError("doc_id must be a non-empty string")
        self.doc_id = doc_id
        self.version = version
        self.chunk_size = chunk_size
        self.header = encode_header(chunk_size)
        self._content_key = ContentKey(ContentKey._random_bytes())
        self._aad_prefix = aad_prefix(self.header, doc_id, version)
        self._started = False
        self._result: EncryptionResult | None = None

    @property
    def content_key(self) -> ContentKey:
        """The fresh key this encryptor made; wrap it with :func:`~.manifest.build_manifest`."""
        return self._content_key

    @property
    def result(self) -> EncryptionResult:
        """Sizes and hashes; available once :meth:`encrypt`'s iterator is exhausted."""
        if self._result is None:
            raise UsageError("the blob is not completely encrypted yet")
        return self._result

    def encrypt(self, plaintext: Buffer | Iterable[Buffer]) -> Iterator[bytes]:
        """Return an iterator of blob pieces: the header, then one record per chunk.

        May be called once per encryptor (the content key is single-use; see module doc).
        """
        if self._started:
            raise UsageError("a DocumentEncryptor encrypts exactly once (its key is single-use)")
        self._started = True
        if isinstance(plaintext, bytes | bytearray | memoryview):
            chunks = self._slice(as_bytes_view(plaintext))
        else:
            chunks = self._regroup(plaintext)
        return self._run(chunks)

    def encrypt_whole(self, plaintext: Buffer) -> bytearray:
        """Encrypt a document held in memory into one preallocated blob buffer.

        Byte for byte the blob :meth:`encrypt` yields, without one fresh ``bytes`` per record and
        the join after them (each fresh 50 MB buffer costs tens of milliseconds in page faults):
        records are written with ``encrypt_into`` straight into their place, and the plaintext
        is hashed on a helper thread meanwhile (:class:`Sha256Aside`). Single-use like
        :meth:`encrypt`.
        """
        if self._started:
            raise UsageError("a DocumentEncryptor encrypts exactly once (its key is single-use)")
        self._started = True
        view = as_bytes_view(plaintext)
        size = self.chunk_size
        header_len = len(self.header)
        plain_hash = Sha256Aside(view)  # first: it overlaps faulting in the output buffer too
        try:
            out = bytearray(blob_size(len(view), size))
            out_view = memoryview(out)
            out_view[:header_len] = self.header
            aead = AESGCM(self._content_key._material())
            prefix = self._aad_prefix
            full_end = len(view) - len(view) % size
            pos = header_len
            index = 0
            for start in range(0, full_end + 1, size):
                last = start == full_end
                chunk = view[start:] if last else view[start : start + size]
                end = pos + len(chunk) + TAG_SIZE
                aead.encrypt_into(
                    nonce(index), chunk, record_aad(prefix, index, last), out_view[pos:end]
                )
                pos, index = end, index + 1
            out_view.release()
            ciphertext_sha256 = hashlib.sha256(out).hexdigest()  # while the aside hash runs
        finally:
            plaintext_sha256 = plain_hash.hexdigest()
        self._result = EncryptionResult(
            plaintext_size=len(view),
            plaintext_sha256=plaintext_sha256,
            ciphertext_size=len(out),
            ciphertext_sha256=ciphertext_sha256,
            chunk_count=index,
        )
        return out

    def _slice(self, view: memoryview) -> Iterator[tuple[Buffer, bool]]:
        size = self.chunk_size
        full_end = len(view) - len(view) % size
        for start in range(0, full_end, size):
            yield view[start : start + size], False
        yield view[full_end:], True

    def _regroup(self, pieces: Iterable[Buffer]) -> Iterator[tuple[Buffer, bool]]:
        size = self.chunk_size
        pending = bytearray()
        for piece in pieces:
            view = as_bytes_view(piece)
            pos = 0
            if pending:
                pos = min(size - len(pending), len(view))
                pending += view[:pos]
                if len(pending) == size:
                    yield pending, False
                    pending = bytearray()
            while len(view) - pos >= size:
                # Encrypted before the next piece is pulled, so a reused buffer is safe.
                yield view[pos : pos + size], False
                pos += size
            pending += view[pos:]
            view.release()  # let the caller resize a buffer it reuses for the next piece
        yield pending, True

    def _run(self, chunks: Iterator[tuple[Buffer, bool]]) -> Iterator[bytes]:
        aead = AESGCM(self._content_key._material())
        prefix = self._aad_prefix
        plain_hash = hashlib.sha256()
        cipher_hash = hashlib.sha256(self.header)
        plain_size = 0
        cipher_size = len(self.header)
        yield self.header
        index = 0
        for chunk, last in chunks:
            record = aead.encrypt(nonce(index), chunk, record_aad(prefix, index, last))
            plain_hash.update(chunk)
            cipher_hash.update(record)
            plain_size += len(chunk)
            del chunk  # drop our view of the caller's buffer before asking for more
            cipher_size += len(record)
            index += 1
            yield record
        self._result = EncryptionResult(
            plaintext_size=plain_size,
            plaintext_sha256=plain_hash.hexdigest(),
            ciphertext_size=cipher_size,
            ciphertext_sha256=cipher_hash.hexdigest(),
            chunk_count=index,
        )
