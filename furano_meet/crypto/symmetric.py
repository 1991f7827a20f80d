"""32-byte symmetric keys that can be destroyed, and the AES-GCM box for small payloads.

:class:`SecretKey` keeps its 32 bytes in a ``bytearray`` so that :meth:`SecretKey.destroy`
can overwrite them. That is *best effort only* and we say so plainly: Python gives no control
over memory. Copies of a key may survive in places we cannot reach — the ``bytes`` a
decryption returned before we copied it, the AES key schedule inside OpenSSL's cipher context
(freed, not wiped, when the Python object is collected), freed heap pages, swap, a crash dump.
Destroying a key protects against *later* code in this process using it by mistake and
shortens how long the obvious copy lives; real erasure of expired meetings comes from the
store deleting the key rows from the encrypted database (crypto-shredding).

The secret box (:func:`seal_box` / :func:`open_box`) is AES-256-GCM with a fresh random
96-bit nonce per message. Random nonces are safe here because each key seals few messages
(a meeting key wraps one content key per document version and one payload per annotation):
NIST SP 800-38D allows 2^32 random-nonce messages per key. Format::

    box = b"FMBX" [suite id, nonce (12), ciphertext || tag (16)]
    AAD = framing.encode(b"FMba", suite id, caller's context)

The caller's context names what the payload is (meeting id, document id, version, ...), so a
box cannot be moved to another place where the same key is in use.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import framing
from .errors import MalformedData, TamperedData, UsageError
from .framing import Buffer
from .suites import SECRET_BOX_AES256GCM, SuiteKind, require_suite

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16

_BOX_MAGIC = b"FMBX"
_AAD_MAGIC = b"FMba"


class SecretKey:
    """A 32-byte random key with a best-effort :meth:`destroy` (see the module docstring)."""

    __slots__ = ("_key",)

    def __init__(self, key: Buffer) -> None:
        if len(key) != KEY_SIZE:
            raise MalformedData(f"a {type(self).__name__} is {KEY_SIZE} bytes, got {len(key)}")
        self._key: bytearray | None = bytearray(key)

    @staticmethod
    def _random_bytes() -> bytes:
        return os.urandom(KEY_SIZE)

    @property
    def destroyed(self) -> bool:
        """True once :meth:`destroy` ran; any further use raises :class:`UsageError`."""
        return self._key is None

    def _material(self) -> bytearray:
        if self._key is None:
            raise UsageError(f"{self!r} was destroyed and cannot be used")
        return self._key

    def export(self) -> bytes:
        """A copy of the key for the encrypted local store (an immutable copy — see above)."""
        return bytes(self._material())

    def destroy(self) -> None:
        """Overwrite our copy of the key with zeros and forget it. Idempotent. Best effort."""
        if self._key is not None:
            self._key[:] = bytes(KEY_SIZE)
            self._key = None

    def __repr__(self) -> str:
        state = "destroyed" if self._key is None else "<secret>"
        return f"{type(self).__name__}({state})"


def _aad(suite_id: str, context: bytes) -> bytes:
    return framing.encode(_AAD_MAGIC, framing.text(suite_id), context)


def seal_box(key: SecretKey, plaintext: Buffer, context: bytes) -> bytes:
    """Encrypt ``plaintext`` under ``key``, authenticating ``context`` (not stored)."""
    suite_id = SECRET_BOX_AES256GCM
    nonce = os.urandom(NONCE_SIZE)
    ciphertext = AESGCM(key._material()).encrypt(nonce, plaintext, _aad(suite_id, context))
    return framing.encode(_BOX_MAGIC, framing.text(suite_id), nonce, ciphertext)


def open_box(key: SecretKey, box: Buffer, context: bytes, what: str) -> bytes:
    """Decrypt a :func:`seal_box` result; ``context`` must be the one used to seal it.

    Raises :class:`TamperedData` if the box was altered, or sealed under another key or for
    another context; MalformedData / UnknownSuite if it does not parse.
    """
    suite_raw, nonce, ciphertext = framing.decode(box, _BOX_MAGIC, 3, what)
    suite_id = framing.decode_text(suite_raw, "suite id")
    require_suite(suite_id, SuiteKind.SECRET_BOX)
    framing.require_length(nonce, NONCE_SIZE, f"{what} nonce")
    if len(ciphertext) < TAG_SIZE:
        raise MalformedData(f"{what} is shorter than its authentication tag")
    try:
        return AESGCM(key._material()).decrypt(nonce, ciphertext, _aad(suite_id, context))
    except InvalidTag as exc:
        raise TamperedData(
            f"{what} does not authenticate: altered, or sealed under another key or context"
        ) from exc
