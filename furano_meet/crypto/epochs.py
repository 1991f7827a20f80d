"""Signed epoch records: which meeting key is genuine, and who may make one.

Theory of operation
-------------------
HPKE base mode authenticates nobody: anyone holding a device's *public* key — the relay
included — can seal a key to it. Before this module a device kept any key envelope addressed
to it, so a relay could plant its own meeting key K* and read everything written under it.

Now every meeting-key epoch is announced by an **epoch record** that a clerk's or an admin's
device signs::

    b"FMER" [body, hybrid signature]      (see :mod:`.authority`)
    body = {"type": "furano-meet/epoch-record", "format": 1, "meeting_id", "epoch",
            "key_commitment", "roster_hash", "signer_device_id", "signed_at"}

    key_commitment = SHA-256(b"FMkc" [purpose, meeting id, epoch u64, key])

The commitment binds the record to exactly one key without revealing it (the key is 256
random bits, so the hash cannot be inverted or guessed); the envelope still carries the key
itself. ``roster_hash`` names the signed roster (:mod:`.roster`) the key was sealed for, so a
member can see whom the clerk meant to include.

:func:`accept_meeting_key` is the one gate a device puts every opened meeting-key envelope
through before storing the key. It refuses, in order: a key with no record; an epoch outside
1..2^31-1 (so 0, and 2^64-1, never reach ``rotate``); a record whose signer does not chain to
the organisation root, is not a clerk/admin, or is another device than the one named; a
record of another meeting or epoch than the key; a key that does not match the commitment
(:class:`~.errors.KeySubstitution` — the planted-key attack); and a record older than one
already accepted for the meeting (:class:`~.authority.StaleObject`), or a *different* record
for an epoch already accepted (:class:`~.authority.Equivocation`).

Older epochs are not useless: a device enrolled late needs epoch 1 to read the documents
published under it. It asks for them explicitly (``allow_older``); such a key is accepted
for reading only and never becomes the key new material is written under, so replaying an
old envelope cannot roll a meeting back to a key that a removed member still holds.

What it cannot stop: the relay withholding records or envelopes (a member then has no key
and says so), or a genuine clerk device misbehaving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import canonical_json, framing
from .authority import (
    KEY_AUTHORITY_ROLES,
    SignedKind,
    TrustAnchor,
    get_hex64,
    require_bounded,
    require_meeting,
    require_monotonic,
    same_digest,
    sha256_hex,
)
from .certificates import DeviceCertificate
from .errors import KeySubstitution, UnauthorisedSigner, WrongContext
from .framing import Buffer
from .keys import DeviceKeys
from .meeting_keys import MeetingKey

PURPOSE = "furano-meet meeting key epoch record"
_COMMITMENT_PURPOSE = "furano-meet meeting key commitment"
_COMMITMENT_MAGIC = b"FMkc"

KIND = SignedKind(
    magic=b"FMER",
    purpose=PURPOSE,
    type="furano-meet/epoch-record",
    what="epoch record",
    fields=frozenset({"meeting_id", "epoch", "key_commitment", "roster_hash"}),
    signer_roles=KEY_AUTHORITY_ROLES,
    action="make meeting keys",
)


def key_commitment(key: MeetingKey) -> str:
    """The domain-separated hash of (meeting id, epoch, key) an epoch record signs."""
    return sha256_hex(
        framing.text(_COMMITMENT_PURPOSE),
        framing.text(key.meeting_id),
        framing.u64(key.epoch),
        key._material(),
        magic=_COMMITMENT_MAGIC,
    )


@dataclass(frozen=True)
class EpochRecord:
    """A verified epoch record. Only :func:`verify_epoch_record` should make these."""

    meeting_id: str
    epoch: int
    key_commitment: str
    roster_hash: str
    signer: DeviceCertificate = field(repr=False)
    signed_at: int
    #: The signed record exactly as received, for storing and passing on.
    encoded: bytes = field(repr=False, compare=False)
    #: The canonical body: two records are the same record iff their bodies are equal.
    body: bytes = field(repr=False)


def sign_epoch_record(
    key: MeetingKey,
    roster_hash: str,
    device_keys: DeviceKeys,
    signer: DeviceCertificate,
    *,
    signed_at: int | None = None,
) -> bytes:
    """Announce ``key`` (its meeting and epoch) for the roster ``roster_hash``; runs on the
    clerk's (or admin's) device that made the key."""
    require_bounded(key.epoch, "meeting key epoch")
    content = {
        "meeting_id": key.meeting_id,
        "epoch": key.epoch,
        "key_commitment": key_commitment(key),
        "roster_hash": roster_hash,
    }
    return KIND.sign(content, device_keys, signer, signed_at)


def verify_epoch_record(
    record: Buffer,
    signer_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    expected_meeting_id: str | None = None,
) -> EpochRecord:
    """Verify a record against its signer's certificate and the organisation's anchor."""
    verified = KIND.verify(record, signer_cert, anchor)
    obj, what = verified.fields, KIND.what
    result = EpochRecord(
        meeting_id=canonical_json.get_str(obj, "meeting_id", what),
        epoch=require_bounded(canonical_json.get_int(obj, "epoch", what), "record epoch"),
        key_commitment=get_hex64(obj, "key_commitment", what),
        roster_hash=get_hex64(obj, "roster_hash", what),
        signer=verified.signer,
        signed_at=canonical_json.get_int(obj, "signed_at", what),
        encoded=bytes(record),
        body=verified.body,
    )
    require_meeting(result.meeting_id, expected_meeting_id, KIND.what)
    return result


def require_successor(new: EpochRecord, seen: EpochRecord | None) -> bool:
    """Check ``new`` may follow ``seen`` (the newest record accepted for the meeting).

    Returns True if ``new`` is a newer epoch, False if it is ``seen`` again (harmless: the
    same record re-delivered). Raises :class:`WrongContext` (another meeting),
    :class:`StaleObject` (an older epoch) or :class:`Equivocation` (a different record for
    the same epoch).
    """
    return require_monotonic(
        "epoch",
        (new.meeting_id, new.epoch, new.body),
        None if seen is None else (seen.meeting_id, seen.epoch, seen.body),
    )


@dataclass(frozen=True)
class AcceptedKey:
    """The verdict of :func:`accept_meeting_key` for a key that may be stored."""

    record: EpochRecord
    #: True if this is the meeting's newest epoch: new documents and notes use it. An older
    #: epoch (``allow_older``) is kept only to read what was written under it.
    current: bool


def accept_meeting_key(
    record: Buffer | None,
    signer_cert: DeviceCertificate | Buffer,
    key: MeetingKey,
    anchor: TrustAnchor,
    seen: Mapping[int, EpochRecord],
    *,
    allow_older: bool = False,
    roster_hash: str | None = None,
) -> AcceptedKey:
    """Decide whether a meeting key just opened from an envelope may be stored.

    ``seen`` holds the records this device already accepted for the key's meeting, by epoch
    (empty at first); the caller stores the returned record beside the key. An epoch below
    the newest seen is refused (:class:`StaleObject`: a rollback to a key a removed member
    may hold) unless ``allow_older`` — set only when the device asked for that epoch to read
    an older document — and then it never becomes the current key. With ``roster_hash``
    (the newest roster the device accepted) a new current record must name that roster.

    Raises (module docstring): UnauthorisedSigner, WrongContext, KeySubstitution,
    StaleObject, Equivocation, BadSignature, MalformedData.
    """
    require_bounded(key.epoch, "meeting key epoch")
    if record is None:
        raise UnauthorisedSigner(
            f"meeting key epoch {key.epoch} of {key.meeting_id!r} arrived without a signed"
            " epoch record: it was not made by a clerk"
        )
    verified = verify_epoch_record(record, signer_cert, anchor, expected_meeting_id=key.meeting_id)
    if verified.epoch != key.epoch:
        raise WrongContext(
            f"epoch record is for epoch {verified.epoch}, the key for epoch {key.epoch}"
        )
    if not same_digest(verified.key_commitment, key_commitment(key)):
        raise KeySubstitution(
            f"the key for epoch {key.epoch} of meeting {key.meeting_id!r} is not the one the"
            " clerk signed: it was planted (possibly by the relay) — do not use it"
        )
    newest = max(seen, default=0)
    if verified.epoch in seen:
        require_successor(verified, seen[verified.epoch])
        return AcceptedKey(verified, current=verified.epoch == newest)
    if verified.epoch < newest and not allow_older:
        require_successor(verified, seen[newest])  # raises StaleObject
    current = verified.epoch > newest
    if current and roster_hash is not None and not same_digest(verified.roster_hash, roster_hash):
        raise WrongContext(
            f"epoch {key.epoch} was made for another roster than the newest one accepted"
        )
    return AcceptedKey(verified, current=current)
