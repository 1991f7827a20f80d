"""Hybrid signatures: Ed25519 AND ML-DSA-65 over the same domain-separated message.

Theory of operation
-------------------
A hybrid signature stays unforgeable as long as *either* algorithm holds: Ed25519 (RFC 8032,
classical, very well studied) or ML-DSA-65 (FIPS 204, believed to resist quantum computers).
That only works if a verifier requires **both** halves to verify — this is the "AND" (a.k.a.
concatenation) combiner used by the IETF composite-signature drafts; we use it without their
pre-hash because our signed objects are small.

What is signed is never the caller's message alone but the *message representative*::

    M' = framing.encode(b"FMsg", suite id, purpose, message)

* the **suite id** stops a downgrade: stripping or swapping one half changes the suite that
  the other half signed;
* the **purpose** ("furano-meet device certificate", "furano-meet document manifest")
  separates domains, so a signature made for one kind of object can never be presented as a
  signature on another, even if the bytes happen to parse. ML-DSA also receives the purpose as
  its FIPS 204 context string.

Wire formats (all :mod:`.framing`)::

    signature     b"FMSG" [suite id, Ed25519 signature (64), ML-DSA-65 signature (3309)]
    verify key    b"FMVK" [suite id, Ed25519 public (32), ML-DSA-65 public (1952)]
    signing key   b"FMSK" [suite id, Ed25519 private (32), ML-DSA-65 seed (32)]

Private keys are stored in their 32-byte seed forms (``private_bytes_raw``), which is what the
library exports and from which it re-derives the full key.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from . import framing
from .errors import BadSignature, MalformedData
from .framing import Buffer
from .suites import SIGNATURE_ED25519_MLDSA65, SuiteKind, require_suite

ED25519_SIGNATURE_SIZE = 64
MLDSA65_SIGNATURE_SIZE = 3309
ED25519_PUBLIC_SIZE = 32
MLDSA65_PUBLIC_SIZE = 1952
SEED_SIZE = 32
MAX_PURPOSE_SIZE = 255  # the FIPS 204 context string limit

_SIGNATURE_MAGIC = b"FMSG"
_VERIFY_KEY_MAGIC = b"FMVK"
_SIGNING_KEY_MAGIC = b"FMSK"
_REPRESENTATIVE_MAGIC = b"FMsg"


def _representative(suite_id: str, purpose: str, message: Buffer) -> tuple[bytes, bytes]:
    """Return (M', context): what both halves sign, and the ML-DSA context string."""
    context = framing.text(purpose)
    if not purpose or len(context) > MAX_PURPOSE_SIZE:
        raise ValueError(f"signature purpose must be 1..{MAX_PURPOSE_SIZE} bytes: {purpose!r}")
    return framing.encode(_REPRESENTATIVE_MAGIC, framing.text(suite_id), context, message), context


class VerifyKey:
    """The public half of a hybrid signing key; verifies :class:`SigningKey` signatures."""

    __slots__ = ("_ed25519", "_encoded", "_mldsa", "suite_id")

    def __init__(
        self, ed25519_key: ed25519.Ed25519PublicKey, mldsa_key: mldsa.MLDSA65PublicKey
    ) -> None:
        self.suite_id = SIGNATURE_ED25519_MLDSA65
        self._ed25519 = ed25519_key
        self._mldsa = mldsa_key
        self._encoded = framing.encode(
            _VERIFY_KEY_MAGIC,
            framing.text(self.suite_id),
            ed25519_key.public_bytes_raw(),
            mldsa_key.public_bytes_raw(),
        )

    def to_bytes(self) -> bytes:
        """Canonical public encoding (what fingerprints are computed over)."""
        return self._encoded

    @classmethod
    def from_bytes(cls, data: Buffer) -> VerifyKey:
        """Parse :meth:`to_bytes` output; raise MalformedData / UnknownSuite on bad input."""
        suite, ed_raw, ml_raw = framing.decode(data, _VERIFY_KEY_MAGIC, 3, "signature public key")
        require_suite(framing.decode_text(suite, "suite id"), SuiteKind.SIGNATURE)
        framing.require_length(ed_raw, ED25519_PUBLIC_SIZE, "Ed25519 public key")
        framing.require_length(ml_raw, MLDSA65_PUBLIC_SIZE, "ML-DSA-65 public key")
        try:
            return cls(
                ed25519.Ed25519PublicKey.from_public_bytes(ed_raw),
                mldsa.MLDSA65PublicKey.from_public_bytes(ml_raw),
            )
        except ValueError as exc:
            raise MalformedData(f"invalid signature public key: {exc}") from exc

    def verify(self, signature: Buffer, message: Buffer, purpose: str) -> None:
        """Return if *both* halves of ``signature`` verify ``message`` for ``purpose``.

        Raises :class:`BadSignature` naming the half that failed, :class:`MalformedData` for
        a signature that does not parse, :class:`~.errors.UnknownSuite` for an unknown suite.
        """
        suite_raw, ed_sig, ml_sig = framing.decode(signature, _SIGNATURE_MAGIC, 3, "signature")
        suite_id = framing.decode_text(suite_raw, "suite id")
        require_suite(suite_id, SuiteKind.SIGNATURE)
        if suite_id != self.suite_id:
            raise BadSignature(f"signature suite {suite_id!r} does not match key {self.suite_id!r}")
        framing.require_length(ed_sig, ED25519_SIGNATURE_SIZE, "Ed25519 signature")
        framing.require_length(ml_sig, MLDSA65_SIGNATURE_SIZE, "ML-DSA-65 signature")
        representative, context = _representative(suite_id, purpose, message)
        failed: list[str] = []
        try:
            self._ed25519.verify(ed_sig, representative)
        except InvalidSignature:
            failed.append("Ed25519")
        try:
            self._mldsa.verify(ml_sig, representative, context)
        except InvalidSignature:
            failed.append("ML-DSA-65")
        if failed:
            raise BadSignature(
                f"{' and '.join(failed)} signature does not verify for {purpose!r}"
                " (both halves of a hybrid signature must verify)"
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and other._encoded == self._encoded

    def __hash__(self) -> int:
        return hash(self._encoded)

    def __repr__(self) -> str:
        return f"VerifyKey(suite_id={self.suite_id!r})"


class SigningKey:
    """A hybrid private signing key (Ed25519 + ML-DSA-65)."""

    __slots__ = ("_ed25519", "_mldsa", "suite_id")

    def __init__(
        self, ed25519_key: ed25519.Ed25519PrivateKey, mldsa_key: mldsa.MLDSA65PrivateKey
    ) -> None:
        self.suite_id = SIGNATURE_ED25519_MLDSA65
        self._ed25519 = ed25519_key
        self._mldsa = mldsa_key

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh key pair from the operating system's CSPRNG (via OpenSSL)."""
        return cls(ed25519.Ed25519PrivateKey.generate(), mldsa.MLDSA65PrivateKey.generate())

    def public_key(self) -> VerifyKey:
        """The matching :class:`VerifyKey`."""
        return VerifyKey(self._ed25519.public_key(), self._mldsa.public_key())

    def sign(self, message: Buffer, purpose: str) -> bytes:
        """Sign ``message`` for ``purpose``; returns the framed hybrid signature (~3.4 KB)."""
        representative, context = _representative(self.suite_id, purpose, message)
        return framing.encode(
            _SIGNATURE_MAGIC,
            framing.text(self.suite_id),
            self._ed25519.sign(representative),
            self._mldsa.sign(representative, context),
        )

    def private_bytes(self) -> bytes:
        """Secret seeds for the encrypted local store. Never send these anywhere.

        Returned as immutable ``bytes``: Python cannot guarantee they are wiped from memory.
        """
        return framing.encode(
            _SIGNING_KEY_MAGIC,
            framing.text(self.suite_id),
            self._ed25519.private_bytes_raw(),
            self._mldsa.private_bytes_raw(),
        )

    @classmethod
    def from_private_bytes(cls, data: Buffer) -> SigningKey:
        """Inverse of :meth:`private_bytes`."""
        suite, ed_raw, ml_seed = framing.decode(data, _SIGNING_KEY_MAGIC, 3, "signing key")
        require_suite(framing.decode_text(suite, "suite id"), SuiteKind.SIGNATURE)
        framing.require_length(ed_raw, SEED_SIZE, "Ed25519 private key")
        framing.require_length(ml_seed, SEED_SIZE, "ML-DSA-65 seed")
        return cls(
            ed25519.Ed25519PrivateKey.from_private_bytes(ed_raw),
            mldsa.MLDSA65PrivateKey.from_seed_bytes(ml_seed),
        )

    def __repr__(self) -> str:
        return f"SigningKey(suite_id={self.suite_id!r}, <secret>)"
