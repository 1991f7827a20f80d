"""Documents: chunked AES-256-GCM encryption of agenda PDFs, and their signed manifests.

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

**Manifest.** :class:`DocumentManifest` describes one version: ids, title, agenda item,
page count, plaintext size and SHA-256, blob size and SHA-256, publisher device, creation
time, and the wrapped content key. It is serialised as canonical JSON and signed (hybrid) by
the publishing clerk's device key. The signature matters beyond the chunk tags: every member
holds the meeting key and so could unwrap a content key and encrypt *different* content that
authenticates under it; the signed blob hash (checked by :class:`DocumentDecryptor` when made
with :meth:`DocumentDecryptor.for_manifest`) is what ties a blob to the clerk.

The signed manifest can itself be sealed under the meeting key (:func:`seal_manifest` /
:func:`open_manifest`) so that the relay, which files it by meeting id, document id and
version, does not learn titles, agenda items, page counts or hashes.

**Streaming and trust.** The decryptor hands out each chunk's plaintext as soon as the chunk
authenticates, which proves it came from someone holding the content key, in this position.
Only :meth:`DocumentDecryptor.finish` proves the document is complete and is exactly the one
the manifest signed — do not show or store a document as final before ``finish()`` returned.
Plaintext SHA-256 is recorded in the manifest but not re-checked on decryption: with the key
fixed by the signed manifest, a matching blob hash already fixes the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import threading
import time
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import canonical_json, framing
from .certificates import DeviceCertificate
from .errors import (
    MalformedData,
    TamperedData,
    TruncatedData,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)
from .framing import Buffer
from .keys import DeviceKeys
from .meeting_keys import MeetingKey
from .suites import DOCUMENT_AES256GCM_STREAM, SuiteKind, require_suite
from .symmetric import TAG_SIZE, SecretKey, open_box, seal_box

DEFAULT_CHUNK_SIZE = 256 * 1024
MIN_CHUNK_SIZE = 64
MAX_CHUNK_SIZE = 16 * 1024 * 1024
FORMAT_VERSION = 1
BLOB_MAGIC = b"FMDB"
_FIXED_HEADER = struct.Struct(">4sBB")  # magic, format version, suite id length
_CHUNK_SIZE = struct.Struct(">I")
_POSITION = struct.Struct(">QB")  # chunk index, last flag
_MAX_HEADER_SIZE = _FIXED_HEADER.size + 255 + _CHUNK_SIZE.size
_AAD_MAGIC = b"FMca"
_NONCE_SIZE = 12

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


def _parse_header(data: bytes | bytearray) -> tuple[int, int] | None:
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


def _aad_prefix(header: bytes, doc_id: str, version: int) -> bytes:
    return framing.encode(_AAD_MAGIC, header, framing.text(doc_id), framing.u64(version))


def _nonce(index: int) -> bytes:
    return index.to_bytes(_NONCE_SIZE, "big")


@dataclass(frozen=True)
class EncryptionResult:
    """What the manifest needs to know about an encrypted blob."""

    plaintext_size: int
    plaintext_sha256: str
    ciphertext_size: int
    ciphertext_sha256: str
    chunk_count: int


def _as_bytes_view(data: Buffer) -> memoryview:
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


#: Below this size a helper thread costs more than the hash it would take off the caller.
_PARALLEL_HASH_MIN = 1 << 20


class _Sha256Aside:
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
        self._aad_prefix = _aad_prefix(self.header, doc_id, version)
        self._started = False
        self._result: EncryptionResult | None = None

    @property
    def content_key(self) -> ContentKey:
        """The fresh key this encryptor made; wrap it with :func:`build_manifest`."""
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
            chunks = self._slice(_as_bytes_view(plaintext))
        else:
            chunks = self._regroup(plaintext)
        return self._run(chunks)

    def encrypt_whole(self, plaintext: Buffer) -> bytearray:
        """Encrypt a document held in memory into one preallocated blob buffer.

        Byte for byte the blob :meth:`encrypt` yields, without one fresh ``bytes`` per record and
        the join after them (each fresh 50 MB buffer costs tens of milliseconds in page faults):
        records are written with ``encrypt_into`` straight into their place, and the plaintext
        is hashed on a helper thread meanwhile (:class:`_Sha256Aside`). Single-use like
        :meth:`encrypt`.
        """
        if self._started:
            raise UsageError("a DocumentEncryptor encrypts exactly once (its key is single-use)")
        self._started = True
        view = _as_bytes_view(plaintext)
        size = self.chunk_size
        header_len = len(self.header)
        plain_hash = _Sha256Aside(view)  # first: it overlaps faulting in the output buffer too
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
                aad = prefix + _POSITION.pack(index, last)
                aead.encrypt_into(_nonce(index), chunk, aad, out_view[pos:end])
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
            view = _as_bytes_view(piece)
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
            record = aead.encrypt(_nonce(index), chunk, prefix + _POSITION.pack(index, last))
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


class DocumentDecryptor:
    """Decrypt a blob fed in pieces of any size; see the module docstring on trust.

    ``feed(data)`` returns the plaintext of every chunk completed by ``data`` (a list, maybe
    empty); ``finish()`` returns the last chunk's plaintext and raises if the blob was cut
    short, altered, or (when expectations were given) is not the blob the manifest signed.
    After any error the decryptor is dead: further calls raise :class:`UsageError`.

    With ``collect=True`` (which needs both expected sizes) the decryptor instead writes every
    chunk's plaintext with ``decrypt_into`` into one buffer of ``expected_plaintext_size``
    bytes, allocated (and so faulted in) by the constructor; ``feed`` and ``finish`` then
    return empty lists and :attr:`plaintext` holds the document after ``finish()``. Feeding a download piece by piece this way decrypts each piece while it is
    still in the CPU cache, with no read-back and no per-chunk ``bytes`` (see
    :mod:`furano_meet.sync.receiving`).
    """

    def __init__(
        self,
        content_key: ContentKey,
        doc_id: str,
        version: int,
        *,
        expected_ciphertext_size: int | None = None,
        expected_ciphertext_sha256: str | None = None,
        expected_plaintext_size: int | None = None,
        collect: bool = False,
    ) -> None:
        if collect and (expected_ciphertext_size is None or expected_plaintext_size is None):
            raise UsageError("collect=True needs both expected sizes (from the manifest)")
        self.doc_id = doc_id
        self.version = version
        self.plaintext_size = 0
        self._name = f"document {doc_id!r} v{version}"
        self._aead = AESGCM(content_key._material())
        self._expected_size = expected_ciphertext_size
        self._expected_sha256 = expected_ciphertext_sha256
        self._hash = hashlib.sha256() if expected_ciphertext_sha256 is not None else None
        self._header = bytearray()  # header bytes until the header is complete
        self._aad_prefix: bytes | None = None  # set once the header is parsed
        self._record_size = 0
        # One reusable buffer for a record split across feed() calls; records that arrive
        # whole are decrypted straight from the caller's buffer without a copy.
        self._record = memoryview(bytearray())
        self._fill = 0
        self._index = 0
        self._received = 0
        self._state = "open"  # "open" → "finished" | "failed"
        self._collect = collect
        self._out: bytearray | None = None  # collect mode: the whole plaintext
        self._out_view: memoryview | None = None
        self._at = 0  # collect mode: plaintext bytes written so far
        if collect:
            assert expected_plaintext_size is not None
            self._out = bytearray(expected_plaintext_size)
            self._out_view = memoryview(self._out)

    @property
    def plaintext(self) -> bytearray:
        """(``collect=True``) The whole plaintext; only once :meth:`finish` has returned."""
        if not self._collect or self._state != "finished" or self._out is None:
            raise UsageError("plaintext is available only after finish() with collect=True")
        return self._out

    @classmethod
    def for_manifest(
        cls,
        manifest: DocumentManifest,
        meeting_key: MeetingKey,
        *,
        check_blob_hash: bool = True,
        collect: bool = False,
    ) -> DocumentDecryptor:
        """A decryptor that also checks the blob's size and SHA-256 against ``manifest``.

        ``manifest`` must come from :func:`verify_manifest`. The SHA-256 check costs about as
        much CPU as the decryption itself and is what stops a *member* (who can unwrap the
        content key) from substituting a blob; leave it on for anything that came from the
        relay. ``check_blob_hash=False`` is for re-reading a blob that was checked when it was
        stored in the (authenticated, encrypted) local cache, or for a caller that checks the
        blob's digest against ``manifest.ciphertext_sha256`` itself (the store hashes a
        download as it arrives). ``collect``: see the class docstring.
        """
        return cls(
            unwrap_content_key(manifest, meeting_key),
            manifest.doc_id,
            manifest.version,
            expected_ciphertext_size=manifest.ciphertext_size,
            expected_ciphertext_sha256=manifest.ciphertext_sha256 if check_blob_hash else None,
            expected_plaintext_size=manifest.plaintext_size,
            collect=collect,
        )

    def _check_open(self) -> None:
        if self._state != "open":
            raise UsageError(f"this DocumentDecryptor is {self._state}")

    def feed(self, data: Buffer) -> list[bytes]:
        """Take the next ciphertext bytes; return plaintext of the chunks they complete."""
        self._check_open()
        try:
            return self._feed(_as_bytes_view(data))
        except BaseException:
            self._state = "failed"
            raise

    def decrypt_whole(self, blob: Buffer) -> bytearray:
        """Decrypt and check a whole blob held in memory; return its plaintext in one buffer.

        Equivalent to ``feed(blob)`` then ``finish()`` (the same checks, errors and trust; the
        decryptor is finished or dead afterwards) but writes every record's plaintext with
        ``decrypt_into`` into one preallocated buffer instead of a ``bytes`` per record plus a
        join, and hashes the blob on a helper thread meanwhile (:class:`_Sha256Aside`). Only on
        a fresh decryptor.
        """
        self._check_open()
        if self._received or self._header or self._collect:
            raise UsageError("decrypt_whole needs a fresh DocumentDecryptor without collect=True")
        try:
            out = self._decrypt_whole(_as_bytes_view(blob))
        except BaseException:
            self._state = "failed"
            raise
        self._state = "finished"
        return out

    def _decrypt_whole(self, view: memoryview) -> bytearray:
        self._received = len(view)
        if self._expected_size is not None and self._received > self._expected_size:
            raise TamperedData(
                f"{self._name} blob is longer than the {self._expected_size} bytes its"
                " manifest states"
            )
        blob_hash = _Sha256Aside(view) if self._hash is not None else None
        self._hash = None  # the aside hash replaces the running one
        try:
            pos = self._take_header(view)
            if self._aad_prefix is None:
                raise TruncatedData(f"{self._name} blob ends before its header is complete")
            size = self._record_size
            full, rest = divmod(len(view) - pos, size)
            out = bytearray(full * (size - TAG_SIZE) + max(rest - TAG_SIZE, 0))
            out_view = memoryview(out)
            at = 0
            for _ in range(full):  # a full-size record is never the last one
                self._open_record(view[pos : pos + size], last=False, into=out_view[at:])
                pos += size
                at += size - TAG_SIZE
            if self._expected_size is not None and self._received < self._expected_size:
                raise TruncatedData(
                    f"{self._name} blob is cut short: {self._received} of"
                    f" {self._expected_size} bytes"
                )
            if rest < TAG_SIZE:
                raise TruncatedData(
                    f"{self._name} blob ends without its last chunk (after {self._index} chunks)"
                )
            self._open_record(view[pos:], last=True, into=out_view[at:])
            out_view.release()
        finally:
            digest = blob_hash.hexdigest() if blob_hash is not None else None
        if digest is not None and digest != self._expected_sha256:
            raise TamperedData(f"{self._name} blob is not the one its signed manifest describes")
        return out

    def _feed(self, view: memoryview) -> list[bytes]:
        self._received += len(view)
        if self._expected_size is not None and self._received > self._expected_size:
            raise TamperedData(
                f"{self._name} blob is longer than the {self._expected_size} bytes its"
                " manifest states"
            )
        if self._hash is not None:
            self._hash.update(view)
        out: list[bytes] = []
        pos = 0
        if self._aad_prefix is None:
            pos = self._take_header(view)
            if self._aad_prefix is None:
                return out
        size = self._record_size
        record = self._record
        if self._fill:
            take = min(size - self._fill, len(view) - pos)
            record[self._fill : self._fill + take] = view[pos : pos + take]
            self._fill += take
            pos += take
            if self._fill < size:
                return out
            self._take_record(record, last=False, out=out)
            self._fill = 0
        while len(view) - pos >= size:  # a full-size record is never the last one
            self._take_record(view[pos : pos + size], last=False, out=out)
            pos += size
        self._fill = len(view) - pos
        record[: self._fill] = view[pos:]
        return out

    def _take_header(self, view: memoryview) -> int:
        """Accumulate header bytes; return how many bytes of ``view`` the header used."""
        before = len(self._header)
        self._header += view[: _MAX_HEADER_SIZE - before]
        parsed = _parse_header(self._header)
        if parsed is None:  # incomplete, so all of ``view`` fitted in ``_header``
            return len(view)
        header_len, chunk_size = parsed
        header = bytes(self._header[:header_len])
        self._header = bytearray()
        self._aad_prefix = _aad_prefix(header, self.doc_id, self.version)
        self._record_size = chunk_size + TAG_SIZE
        self._record = memoryview(bytearray(self._record_size))
        if self._out is not None:
            assert self._expected_size is not None  # checked in __init__
            # The format fixes every record's size, so the blob size fixes the plaintext size:
            # a manifest whose two sizes disagree describes no blob this format can produce.
            full, rest = divmod(max(self._expected_size - header_len, 0), self._record_size)
            if full * chunk_size + max(rest - TAG_SIZE, 0) != len(self._out):
                raise TamperedData(f"{self._name}: the manifest's sizes do not fit its blob")
        return header_len - before

    def _take_record(self, record: Buffer, *, last: bool, out: list[bytes]) -> None:
        """Open one record: append its plaintext to ``out``, or (collect mode) write it into
        the plaintext buffer."""
        if self._out_view is None:
            out.append(self._open_record(record, last=last))
            return
        size = len(memoryview(record)) - TAG_SIZE
        if self._at + size > len(self._out_view):
            raise TamperedData(f"{self._name} blob holds more than its signed manifest states")
        self._open_record(record, last=last, into=self._out_view[self._at :])
        self._at += size

    @typing.overload
    def _open_record(self, record: Buffer, *, last: bool, into: None = None) -> bytes: ...
    @typing.overload
    def _open_record(self, record: Buffer, *, last: bool, into: memoryview) -> None: ...
    def _open_record(
        self, record: Buffer, *, last: bool, into: memoryview | None = None
    ) -> bytes | None:
        """Authenticate and decrypt one record: return its plaintext, or write it to the start
        of ``into`` (which must have room for it)."""
        assert self._aad_prefix is not None
        aad = self._aad_prefix + _POSITION.pack(self._index, last)
        plaintext: bytes | None = None
        try:
            if into is None:
                plaintext = self._aead.decrypt(_nonce(self._index), record, aad)
                size = len(plaintext)
            else:
                size = len(record) - TAG_SIZE
                self._aead.decrypt_into(_nonce(self._index), record, aad, into[:size])
        except InvalidTag as exc:
            where = "final chunk" if last else f"chunk {self._index}"
            raise TamperedData(
                f"{self._name}: {where} does not authenticate — it was altered, reordered,"
                " taken from another document, or cut short"
            ) from exc
        self._index += 1
        self.plaintext_size += size
        return plaintext

    def finish(self) -> list[bytes]:
        """Authenticate the last chunk and the whole blob; return the last plaintext (if any).

        Raises :class:`TruncatedData` if the blob stops before its header or last chunk,
        :class:`TamperedData` if the last chunk or the blob's hash does not match.
        """
        self._check_open()
        try:
            out = self._finish()
        except BaseException:
            self._state = "failed"
            raise
        self._state = "finished"
        return out

    def _finish(self) -> list[bytes]:
        if self._aad_prefix is None:
            raise TruncatedData(f"{self._name} blob ends before its header is complete")
        if self._expected_size is not None and self._received < self._expected_size:
            raise TruncatedData(
                f"{self._name} blob is cut short: {self._received} of {self._expected_size} bytes"
            )
        if self._fill < TAG_SIZE:
            raise TruncatedData(
                f"{self._name} blob ends without its last chunk (after {self._index} chunks)"
            )
        out: list[bytes] = []
        self._take_record(self._record[: self._fill], last=True, out=out)
        self._fill = 0
        if self._hash is not None and self._hash.hexdigest() != self._expected_sha256:
            raise TamperedData(f"{self._name} blob is not the one its signed manifest describes")
        if self._out_view is not None:
            if self._at != len(self._out_view):
                raise TruncatedData(f"{self._name} plaintext is shorter than its manifest states")
            self._out_view.release()
            self._out_view = None
        return out


# --- manifests -------------------------------------------------------------------------------


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

    def to_json_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, UTF-8, no spaces) — exactly what is signed."""
        return canonical_json.dumps(
            {
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
        obj = canonical_json.parse(data, what, _manifest_keys())
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
        )


def _manifest_keys() -> frozenset[str]:
    """The JSON keys of a manifest: its dataclass fields plus ``type`` and ``format``."""
    return frozenset(f.name for f in fields(DocumentManifest)) | {"type", "format"}


def _wrap_context(meeting_id: str, epoch: int, doc_id: str, version: int) -> bytes:
    return framing.encode(
        _WRAP_MAGIC,
        framing.text(meeting_id),
        framing.u64(epoch),
        framing.text(doc_id),
        framing.u64(version),
    )


def build_manifest(
    encryptor: DocumentEncryptor,
    meeting_key: MeetingKey,
    *,
    title: str,
    agenda_item: str,
    page_count: int,
    publisher_device_id: str,
    created_at: int | None = None,
) -> DocumentManifest:
    """Describe a finished :class:`DocumentEncryptor` run and wrap its key for the meeting."""
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
    return framing.encode(
        _SEALED_MANIFEST_CONTEXT,
        framing.text(meeting_id),
        framing.u64(epoch),
        framing.text(doc_id),
        framing.u64(version),
    )


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
