"""Suite ids: the names every envelope, signature, key and blob carries in its header.

A *suite* is one fixed combination of algorithms and of the way we frame them. Its id is a
short ASCII string written into the data itself, so that the algorithms can change later (a
new suite id) while old data stays readable, and so that a reader never guesses: it looks the
id up here and refuses anything it does not know with :class:`~.errors.UnknownSuite`.

Rules:

* An id is never reused for a different construction; a change of anything that affects the
  bytes gets a new id (the ``/1`` suffix is there for that).
* Ids are compared exactly (no case folding, no prefixes).
* Each id belongs to one :class:`SuiteKind`; an id of the wrong kind is refused like an unknown
  one, so a signature suite can never be confused with an envelope suite.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

from .errors import UnknownSuite


class SuiteKind(enum.Enum):
    """What a suite is used for."""

    SIGNATURE = "signature"
    ENVELOPE = "envelope"
    DOCUMENT_STREAM = "document stream"
    SECRET_BOX = "secret box"


@dataclass(frozen=True)
class Suite:
    """One registered suite: its id, its kind and a human description of the algorithms."""

    id: str
    kind: SuiteKind
    description: str


#: Hybrid signature: Ed25519 (RFC 8032) AND ML-DSA-65 (FIPS 204); both must verify.
SIGNATURE_ED25519_MLDSA65 = "ed25519+mldsa65/1"
#: HPKE (RFC 9180) base mode, KEM ML-KEM-768 + X25519 hybrid, HKDF-SHA256, AES-256-GCM.
ENVELOPE_HPKE_MLKEM768X25519 = "hpke-mlkem768x25519-sha256-aes256gcm/1"
#: Chunked AES-256-GCM stream (the STREAM construction) for document blobs.
DOCUMENT_AES256GCM_STREAM = "aes256gcm-stream/1"
#: AES-256-GCM with a random 96-bit nonce for small payloads (wrapped keys, annotations).
SECRET_BOX_AES256GCM = "aes256gcm/1"

_REGISTRY: dict[str, Suite] = {
    s.id: s
    for s in (
        Suite(
            SIGNATURE_ED25519_MLDSA65,
            SuiteKind.SIGNATURE,
            "Ed25519 and ML-DSA-65 over the same domain-separated message; both must verify",
        ),
        Suite(
            ENVELOPE_HPKE_MLKEM768X25519,
            SuiteKind.ENVELOPE,
            "HPKE base mode, KEM MLKEM768-X25519, KDF HKDF-SHA256, AEAD AES-256-GCM",
        ),
        Suite(
            DOCUMENT_AES256GCM_STREAM,
            SuiteKind.DOCUMENT_STREAM,
            "AES-256-GCM per chunk, nonce = chunk index, AAD binds header, ids, index, last flag",
        ),
        Suite(
            SECRET_BOX_AES256GCM,
            SuiteKind.SECRET_BOX,
            "AES-256-GCM, random 96-bit nonce stored with the ciphertext, AAD binds the context",
        ),
    )
}

#: Every registered suite by id (read-only).
REGISTRY = MappingProxyType(_REGISTRY)

#: The suite new data is written with, per kind.
CURRENT: MappingProxyType[SuiteKind, str] = MappingProxyType(
    {
        SuiteKind.SIGNATURE: SIGNATURE_ED25519_MLDSA65,
        SuiteKind.ENVELOPE: ENVELOPE_HPKE_MLKEM768X25519,
        SuiteKind.DOCUMENT_STREAM: DOCUMENT_AES256GCM_STREAM,
        SuiteKind.SECRET_BOX: SECRET_BOX_AES256GCM,
    }
)


def require_suite(suite_id: str, kind: SuiteKind) -> Suite:
    """Return the registered suite ``suite_id`` of ``kind`` or raise :class:`UnknownSuite`."""
    suite = _REGISTRY.get(suite_id)
    if suite is None or suite.kind is not kind:
        known = tuple(s.id for s in _REGISTRY.values() if s.kind is kind)
        raise UnknownSuite(suite_id, kind.value, known)
    return suite
