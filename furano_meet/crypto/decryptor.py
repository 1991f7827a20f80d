"""Decrypting and checking a document blob, fed in pieces or whole (format: :mod:`.stream`).

Theory of operation
-------------------
**Streaming and trust.** The decryptor hands out each chunk's plaintext as soon as the chunk
authenticates, which proves it came from someone holding the content key, in this position.
Only :meth:`DocumentDecryptor.finish` proves the document is complete and is exactly the one
the manifest signed — do not show or store a document as final before ``finish()`` returned.
Plaintext SHA-256 is recorded in the manifest but not re-checked on decryption: with the key
fixed by the signed manifest, a matching blob hash already fixes the plaintext.

Three ways in, one set of checks: :meth:`DocumentDecryptor.feed` / :meth:`~DocumentDecryptor.finish`
for a stream in pieces of any size, ``collect=True`` to write the pieces' plaintext into one
preallocated buffer, and :meth:`~DocumentDecryptor.decrypt_whole` for a blob already in memory.
"""

from __future__ import annotations

import hashlib
import typing

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import TamperedData, TruncatedData, UsageError
from .framing import Buffer
from .manifest import DocumentManifest, unwrap_content_key
from .meeting_keys import MeetingKey
from .stream import (
    MAX_HEADER_SIZE,
    ContentKey,
    Sha256Aside,
    aad_prefix,
    as_bytes_view,
    nonce,
    parse_header,
    record_aad,
)
from .symmetric import TAG_SIZE

__all__ = ["DocumentDecryptor"]


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
            return self._feed(as_bytes_view(data))
        except BaseException:
            self._state = "failed"
            raise

    def decrypt_whole(self, blob: Buffer) -> bytearray:
        """Decrypt and check a whole blob held in memory; return its plaintext in one buffer.

        Equivalent to ``feed(blob)`` then ``finish()`` (the same checks, errors and trust; the
        decryptor is finished or dead afterwards) but writes every record's plaintext with
        ``decrypt_into`` into one preallocated buffer instead of a ``bytes`` per record plus a
        join, and hashes the blob on a helper thread meanwhile (:class:`Sha256Aside`). Only on
        a fresh decryptor.
        """
        self._check_open()
        if self._received or self._header or self._collect:
            raise UsageError("decrypt_whole needs a fresh DocumentDecryptor without collect=True")
        try:
            out = self._decrypt_whole(as_bytes_view(blob))
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
        blob_hash = Sha256Aside(view) if self._hash is not None else None
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
        self._header += view[: MAX_HEADER_SIZE - before]
        parsed = parse_header(self._header)
        if parsed is None:  # incomplete, so all of ``view`` fitted in ``_header``
            return len(view)
        header_len, chunk_size = parsed
        header = bytes(self._header[:header_len])
        self._header = bytearray()
        self._aad_prefix = aad_prefix(header, self.doc_id, self.version)
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
        aad = record_aad(self._aad_prefix, self._index, last)
        plaintext: bytes | None = None
        try:
            if into is None:
                plaintext = self._aead.decrypt(nonce(self._index), record, aad)
                size = len(plaintext)
            else:
                size = len(record) - TAG_SIZE
                self._aead.decrypt_into(nonce(self._index), record, aad, into[:size])
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
