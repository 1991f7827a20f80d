"""The one exception tree of :mod:`furano_meet.crypto`.

Every failure the crypto package reports is a :class:`CryptoError`, a branch of the one tree
under :class:`furano_meet.errors.FuranoError`. Each class carries

* a stable ``code`` (a short ``snake_case`` string from :data:`furano_meet.errors.CODES` that
  logs, tests and the relay protocol may rely on; it never changes once released, even if the
  English message does), and
* a ``fault`` saying whose fault it is, so the caller knows what to do next:

  - :attr:`Fault.THEIRS` — the bytes came from somewhere else (the relay, another device) and are
    wrong: refuse them, keep going, maybe tell the user that a document could not be verified.
  - :attr:`Fault.OURS` — this program misused the API (a destroyed key, an encryptor used twice):
    a bug to log with context and report, never something the user can fix.

Nothing here is the environment's fault: the crypto package does no I/O.

The tree::

    CryptoError
    ├── MalformedData         bytes that do not parse (wrong magic, bad lengths, bad JSON)
    ├── UnknownSuite          a suite id this build does not know (newer peer, or garbage)
    ├── TamperedData          authentication failed: the bytes were altered or mixed up
    │   └── TruncatedData     a stream that authenticates but stops before its last chunk
    ├── WrongContext          authentic data meant for another meeting, device, document or key
    ├── BadSignature          a signature that does not verify (either half of a hybrid)
    │   └── UnauthorisedSigner a valid signature by a key that may not sign this object
    ├── KeySubstitution       a public key that does not match the fingerprint we were told
    └── UsageError            our own bug: the API was called in a way it forbids
"""

from __future__ import annotations

from furano_meet.errors import Fault, FuranoError

__all__ = [
    "BadSignature",
    "CryptoError",
    "Fault",
    "KeySubstitution",
    "MalformedData",
    "TamperedData",
    "TruncatedData",
    "UnauthorisedSigner",
    "UnknownSuite",
    "UsageError",
    "WrongContext",
]


class CryptoError(FuranoError):
    """Base class: a crypto operation refused its input or was misused.

    ``str(error)`` is a readable English sentence for logs; user-facing text should be chosen
    from ``code`` (and translated), never from the message.
    """

    code = "crypto_error"
    fault = Fault.THEIRS

    def __init__(self, message: str) -> None:
        super().__init__(message)


class MalformedData(CryptoError):
    """The bytes do not have the expected structure (magic, field count, length, JSON schema)."""

    code = "malformed"


class UnknownSuite(CryptoError):
    """The data names a suite id this build does not implement.

    Either the peer runs a newer version (updating this app fixes it) or the data is garbage.
    """

    code = "unknown_suite"

    def __init__(self, suite_id: str, kind: str, known: tuple[str, ...]) -> None:
        super().__init__(
            f"unknown {kind} suite {suite_id!r}; this version of Furano Meet knows "
            f"{', '.join(repr(k) for k in known)} — if other devices were updated, update this one"
        )
        self.suite_id = suite_id
        self.kind = kind


class TamperedData(CryptoError):
    """Authentication failed: the ciphertext, its header or its context was altered."""

    code = "tampered"


class TruncatedData(TamperedData):
    """A stream authenticated so far but ended before its final chunk (or before its header)."""

    code = "truncated"


class WrongContext(CryptoError):
    """Authentic-looking data that belongs to another meeting, device, document, epoch or key.

    Usually a relay routing mistake or a replay attempt; either way the data is not used.
    """

    code = "wrong_context"


class BadSignature(CryptoError):
    """A signature does not verify. For hybrid signatures, *either* half failing is enough."""

    code = "bad_signature"


class UnauthorisedSigner(BadSignature):
    """The signature is valid but the signer is not the one the object names or may not sign it."""

    code = "unauthorised_signer"


class KeySubstitution(CryptoError):
    """A public key's fingerprint differs from the one obtained out of band (enrolment code).

    This is what a relay that swaps keys to read meetings looks like: stop and tell an admin.
    """

    code = "key_substitution"


class UsageError(CryptoError):
    """Our own bug: the API was used in a way it forbids (destroyed key, single-use key reused)."""

    code = "usage_error"
    fault = Fault.OURS
