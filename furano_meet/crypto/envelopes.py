"""Envelopes: a small secret (a 32-byte key) sealed to one device with HPKE (RFC 9180).

Theory of operation
-------------------
Each device owns a :class:`RecipientKey`: an ML-KEM-768 key and an X25519 key used together as
the hybrid HPKE KEM ``MLKEM768-X25519``. An attacker has to break *both* to read an envelope,
so envelopes recorded today stay secret if a quantum computer later breaks X25519.

:func:`seal` runs HPKE base mode (single-shot ``Suite.encrypt``) with HKDF-SHA256 and
AES-256-GCM. The HPKE ``info`` string — which HPKE mixes into the key schedule, so a mismatch
makes decryption fail — is the framed :class:`EnvelopeContext`::

    info = framing.encode(b"FMei", suite id, purpose, scope id, recipient device id, epoch)

so an envelope made for meeting A / device X / epoch 3 cannot be opened as one for meeting B,
device Y or epoch 4, and a meeting-key envelope cannot be opened as an annotation-key envelope.
(HPKE's per-message AAD is not exposed by the library's public API; ``info`` gives the same
binding.)

The same context is also written in clear in the envelope header. The relay sees these ids
anyway (it routes envelopes by them); having them in the header lets :func:`open_envelope`
say *why* an envelope is refused (:class:`~.errors.WrongContext`) instead of a bare
authentication failure, and since they are also in ``info``, editing them in the header only
turns the envelope into :class:`~.errors.TamperedData`.

Wire formats::

    envelope        b"FMEV" [suite id, purpose, scope id, device id, epoch u64, HPKE enc||ct]
    recipient key   b"FMRK" [suite id, ML-KEM-768 public (1184), X25519 public (32)]
    private         b"FMRS" [suite id, ML-KEM-768 seed (64), X25519 private (32)]

A 32-byte key sealed this way is 1,168 bytes of HPKE output (1,120 of it the KEM ciphertext).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from . import framing
from .errors import MalformedData, TamperedData, WrongContext
from .framing import Buffer
from .suites import ENVELOPE_HPKE_MLKEM768X25519, SuiteKind, require_suite

MLKEM768_PUBLIC_SIZE = 1184
MLKEM768_SEED_SIZE = 64
X25519_KEY_SIZE = 32

_ENVELOPE_MAGIC = b"FMEV"
_INFO_MAGIC = b"FMei"
_PUBLIC_MAGIC = b"FMRK"
_PRIVATE_MAGIC = b"FMRS"

_HPKE_SUITES = {
    ENVELOPE_HPKE_MLKEM768X25519: hpke.Suite(
        hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM
    ),
}


@dataclass(frozen=True)
class EnvelopeContext:
    """What an envelope is for; bound into HPKE ``info`` and shown in the header.

    ``purpose`` says which kind of secret it carries ("meeting key", "annotation key");
    ``scope_id`` is the meeting id for meeting keys or the user id for private annotation
    keys; ``recipient_device_id`` is the device that may open it; ``epoch`` is the key's
    version (it increases whenever the key is rotated, e.g. after a member is removed).
    """

    purpose: str
    scope_id: str
    recipient_device_id: str
    epoch: int

    def _fields(self) -> tuple[bytes, ...]:
        return (
            framing.text(self.purpose),
            framing.text(self.scope_id),
            framing.text(self.recipient_device_id),
            framing.u64(self.epoch),
        )


class RecipientPublicKey:
    """The public half of a device's envelope key (ML-KEM-768 + X25519)."""

    __slots__ = ("_encoded", "_hpke", "suite_id")

    def __init__(self, mlkem_key: mlkem.MLKEM768PublicKey, x25519_key: x25519.X25519PublicKey):
        self.suite_id = ENVELOPE_HPKE_MLKEM768X25519
        self._hpke = hpke.MLKEM768X25519PublicKey(mlkem_key, x25519_key)
        self._encoded = framing.encode(
            _PUBLIC_MAGIC,
            framing.text(self.suite_id),
            mlkem_key.public_bytes_raw(),
            x25519_key.public_bytes_raw(),
        )

    def to_bytes(self) -> bytes:
        """Canonical public encoding."""
        return self._encoded

    @classmethod
    def from_bytes(cls, data: Buffer) -> RecipientPublicKey:
        """Parse :meth:`to_bytes` output; raise MalformedData / UnknownSuite on bad input."""
        suite, ml_raw, x_raw = framing.decode(data, _PUBLIC_MAGIC, 3, "envelope public key")
        require_suite(framing.decode_text(suite, "suite id"), SuiteKind.ENVELOPE)
        framing.require_length(ml_raw, MLKEM768_PUBLIC_SIZE, "ML-KEM-768 public key")
        framing.require_length(x_raw, X25519_KEY_SIZE, "X25519 public key")
        try:
            return cls(
                mlkem.MLKEM768PublicKey.from_public_bytes(ml_raw),
                x25519.X25519PublicKey.from_public_bytes(x_raw),
            )
        except ValueError as exc:
            raise MalformedData(f"invalid envelope public key: {exc}") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecipientPublicKey) and other._encoded == self._encoded

    def __hash__(self) -> int:
        return hash(self._encoded)

    def __repr__(self) -> str:
        return f"RecipientPublicKey(suite_id={self.suite_id!r})"


class RecipientKey:
    """A device's private envelope key (ML-KEM-768 + X25519)."""

    __slots__ = ("_hpke", "_mlkem", "_x25519", "suite_id")

    def __init__(self, mlkem_key: mlkem.MLKEM768PrivateKey, x25519_key: x25519.X25519PrivateKey):
        self.suite_id = ENVELOPE_HPKE_MLKEM768X25519
        self._mlkem = mlkem_key
        self._x25519 = x25519_key
        self._hpke = hpke.MLKEM768X25519PrivateKey(mlkem_key, x25519_key)

    @classmethod
    def generate(cls) -> RecipientKey:
        """A fresh key pair from the CSPRNG."""
        return cls(mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate())

    def public_key(self) -> RecipientPublicKey:
        """The matching :class:`RecipientPublicKey`."""
        return RecipientPublicKey(self._mlkem.public_key(), self._x25519.public_key())

    def private_bytes(self) -> bytes:
        """Secret seeds for the encrypted local store (immutable bytes; see SigningKey)."""
        return framing.encode(
            _PRIVATE_MAGIC,
            framing.text(self.suite_id),
            self._mlkem.private_bytes_raw(),
            self._x25519.private_bytes_raw(),
        )

    @classmethod
    def from_private_bytes(cls, data: Buffer) -> RecipientKey:
        """Inverse of :meth:`private_bytes`."""
        suite, ml_seed, x_raw = framing.decode(data, _PRIVATE_MAGIC, 3, "envelope private key")
        require_suite(framing.decode_text(suite, "suite id"), SuiteKind.ENVELOPE)
        framing.require_length(ml_seed, MLKEM768_SEED_SIZE, "ML-KEM-768 seed")
        framing.require_length(x_raw, X25519_KEY_SIZE, "X25519 private key")
        return cls(
            mlkem.MLKEM768PrivateKey.from_seed_bytes(ml_seed),
            x25519.X25519PrivateKey.from_private_bytes(x_raw),
        )

    def __repr__(self) -> str:
        return f"RecipientKey(suite_id={self.suite_id!r}, <secret>)"


def _info(suite_id: str, context: EnvelopeContext) -> bytes:
    return framing.encode(_INFO_MAGIC, framing.text(suite_id), *context._fields())


def seal(secret: Buffer, recipient: RecipientPublicKey, context: EnvelopeContext) -> bytes:
    """Seal ``secret`` so that only the holder of ``recipient``'s private key, asking for
    exactly ``context``, can open it. Each call uses a fresh KEM encapsulation."""
    suite_id = recipient.suite_id
    sealed = _HPKE_SUITES[suite_id].encrypt(secret, recipient._hpke, info=_info(suite_id, context))
    return framing.encode(_ENVELOPE_MAGIC, framing.text(suite_id), *context._fields(), sealed)


def read_context(envelope: Buffer) -> tuple[str, EnvelopeContext]:
    """Return (suite id, context) from the header *without* authenticating anything.

    Useful for routing and for messages; never trust it before :func:`open_envelope`.
    """
    suite_id, context, _ = _parse(envelope)
    return suite_id, context


def _parse(envelope: Buffer) -> tuple[str, EnvelopeContext, bytes]:
    fields = framing.decode(envelope, _ENVELOPE_MAGIC, 6, "envelope")
    suite, purpose, scope, device, epoch, sealed = fields
    suite_id = framing.decode_text(suite, "suite id")
    require_suite(suite_id, SuiteKind.ENVELOPE)
    context = EnvelopeContext(
        purpose=framing.decode_text(purpose, "envelope purpose"),
        scope_id=framing.decode_text(scope, "envelope scope id"),
        recipient_device_id=framing.decode_text(device, "envelope device id"),
        epoch=framing.decode_u64(epoch, "envelope epoch"),
    )
    return suite_id, context, sealed


def open_envelope(
    envelope: Buffer,
    recipient: RecipientKey,
    *,
    purpose: str,
    scope_id: str,
    recipient_device_id: str,
    epoch: int | None = None,
) -> tuple[EnvelopeContext, bytes]:
    """Open an envelope addressed to this device; return its (context, secret).

    The caller states what it expects; ``epoch=None`` accepts any epoch (the caller must then
    look at the returned context — e.g. to refuse an older epoch than it already has).

    Raises :class:`WrongContext` if the header names another purpose, scope, device or epoch,
    :class:`TamperedData` if HPKE authentication fails (altered bytes, a relabelled header, or
    an envelope sealed to another device's key), and MalformedData / UnknownSuite for
    unparseable input.
    """
    suite_id, context, sealed = _parse(envelope)
    expected = (purpose, scope_id, recipient_device_id)
    found = (context.purpose, context.scope_id, context.recipient_device_id)
    for name, want, got in zip(
        ("purpose", "scope", "recipient device"), expected, found, strict=True
    ):
        if want != got:
            raise WrongContext(f"envelope is for {name} {got!r}, expected {want!r}")
    if epoch is not None and context.epoch != epoch:
        raise WrongContext(f"envelope is for key epoch {context.epoch}, expected {epoch}")
    if suite_id != recipient.suite_id:
        raise WrongContext(f"envelope suite {suite_id!r} does not match this device's key")
    try:
        secret = _HPKE_SUITES[suite_id].decrypt(
            sealed, recipient._hpke, info=_info(suite_id, context)
        )
    except InvalidTag as exc:
        raise TamperedData(
            f"{context.purpose} envelope for {context.scope_id!r} / device"
            f" {context.recipient_device_id!r} does not open: it was altered or sealed to"
            " another device's key"
        ) from exc
    return context, secret
