"""Annotation payloads: encrypted with the meeting key (shared) or a private per-user key.

Theory of operation
-------------------
An annotation op (ink stroke, highlight, note) travels through the relay as an opaque
payload. Two visibilities:

* **shared** — encrypted with the :class:`~.meeting_keys.MeetingKey`; every member reads it;
* **private** — encrypted with the author's :class:`PrivateAnnotationKey`, a random 32-byte key
  that only the author's own devices hold. The first device makes it; it is passed to the
  author's other devices in HPKE envelopes (:func:`seal_annotation_key`, refused for a device
  certified to another user), the same way meeting keys are.

Wire format::

    annotation = b"FMAN" [visibility, owner user id ("" if shared), key epoch u64, box]
    box        = AES-256-GCM secret box (:mod:`.symmetric`) whose AAD is
                 framing.encode(b"FMan", meeting id, annotation id, visibility, owner, epoch)

Because meeting id, annotation id and visibility are authenticated, a private op cannot be
relabelled as shared (nor the reverse), replayed under another annotation id, or moved into
another meeting — even in the unlikely case that the same key were in use for both. The
header repeats visibility, owner and epoch in clear so the reader can pick the right key and
give a precise :class:`~.errors.WrongContext` error; the relay learns that an op is private
and whose it is, which it knows anyway from who sent it.
"""

from __future__ import annotations

import enum

from . import envelopes, framing
from .certificates import DeviceCertificate
from .envelopes import EnvelopeContext
from .errors import MalformedData, UsageError, WrongContext
from .framing import Buffer
from .keys import DeviceKeys
from .meeting_keys import MeetingKey
from .symmetric import SecretKey, open_box, seal_box

ANNOTATION_KEY_PURPOSE = "annotation key"
_MAGIC = b"FMAN"
_AAD_MAGIC = b"FMan"


class Visibility(enum.Enum):
    """Who may read an annotation."""

    SHARED = "shared"
    PRIVATE = "private"


class PrivateAnnotationKey(SecretKey):
    """A user's key for private annotations, shared only among that user's devices."""

    __slots__ = ("epoch", "user_id")

    def __init__(self, key: Buffer, *, user_id: str, epoch: int) -> None:
        super().__init__(key)
        if not user_id:
            raise ValueError("user_id must be a non-empty string")
        self.user_id = user_id
        self.epoch = epoch

    @classmethod
    def generate(cls, user_id: str, epoch: int = 1) -> PrivateAnnotationKey:
        """A fresh random key for ``user_id``."""
        return cls(cls._random_bytes(), user_id=user_id, epoch=epoch)

    def __repr__(self) -> str:
        state = "destroyed" if self.destroyed else "<secret>"
        return f"PrivateAnnotationKey(user_id={self.user_id!r}, epoch={self.epoch}, {state})"


def seal_annotation_key(key: PrivateAnnotationKey, recipient: DeviceCertificate) -> bytes:
    """Seal ``key`` to another device *of the same user* (named by its verified certificate)."""
    if recipient.user_id != key.user_id:
        raise UsageError(
            f"refusing to seal {key.user_id!r}'s private annotation key to device"
            f" {recipient.device_id!r} of user {recipient.user_id!r}"
        )
    context = EnvelopeContext(ANNOTATION_KEY_PURPOSE, key.user_id, recipient.device_id, key.epoch)
    return envelopes.seal(key._material(), recipient.public_bundle.recipient_key, context)


def open_annotation_key(
    envelope: Buffer,
    device_keys: DeviceKeys,
    *,
    user_id: str,
    device_id: str,
    epoch: int | None = None,
) -> PrivateAnnotationKey:
    """Open a private-annotation-key envelope addressed to this device of ``user_id``."""
    context, secret = envelopes.open_envelope(
        envelope,
        device_keys.recipient_key,
        purpose=ANNOTATION_KEY_PURPOSE,
        scope_id=user_id,
        recipient_device_id=device_id,
        epoch=epoch,
    )
    return PrivateAnnotationKey(secret, user_id=context.scope_id, epoch=context.epoch)


AnnotationKey = MeetingKey | PrivateAnnotationKey


def _describe(key: AnnotationKey, meeting_id: str) -> tuple[Visibility, str, int]:
    """(visibility, owner, epoch) implied by ``key``; checks a meeting key's meeting."""
    if isinstance(key, MeetingKey):
        if key.meeting_id != meeting_id:
            raise WrongContext(f"meeting key is for meeting {key.meeting_id!r}, not {meeting_id!r}")
        return Visibility.SHARED, "", key.epoch
    return Visibility.PRIVATE, key.user_id, key.epoch


def _aad(
    meeting_id: str, annotation_id: str, visibility: Visibility, owner: str, epoch: int
) -> bytes:
    return framing.encode(
        _AAD_MAGIC,
        framing.text(meeting_id),
        framing.text(annotation_id),
        framing.text(visibility.value),
        framing.text(owner),
        framing.u64(epoch),
    )


def encrypt_annotation(
    payload: Buffer, key: AnnotationKey, *, meeting_id: str, annotation_id: str
) -> bytes:
    """Encrypt one annotation op; its visibility follows from the kind of ``key``."""
    if not annotation_id:
        raise ValueError("annotation_id must be a non-empty string")
    visibility, owner, epoch = _describe(key, meeting_id)
    box = seal_box(key, payload, _aad(meeting_id, annotation_id, visibility, owner, epoch))
    return framing.encode(
        _MAGIC, framing.text(visibility.value), framing.text(owner), framing.u64(epoch), box
    )


def read_annotation_header(blob: Buffer) -> tuple[Visibility, str, int]:
    """(visibility, owner user id or "", key epoch) — unauthenticated, for choosing the key."""
    visibility, owner, epoch, _ = _parse(blob)
    return visibility, owner, epoch


def _parse(blob: Buffer) -> tuple[Visibility, str, int, bytes]:
    vis_raw, owner_raw, epoch_raw, box = framing.decode(blob, _MAGIC, 4, "annotation")
    vis_text = framing.decode_text(vis_raw, "annotation visibility")
    try:
        visibility = Visibility(vis_text)
    except ValueError:
        raise MalformedData(f"unknown annotation visibility {vis_text!r}") from None
    owner = framing.decode_text(owner_raw, "annotation owner")
    return visibility, owner, framing.decode_u64(epoch_raw, "annotation key epoch"), box


def decrypt_annotation(
    blob: Buffer, key: AnnotationKey, *, meeting_id: str, annotation_id: str
) -> bytes:
    """Decrypt one annotation op of ``meeting_id`` / ``annotation_id`` with ``key``.

    Raises :class:`WrongContext` when the header says another visibility, owner or epoch
    than ``key`` has, :class:`~.errors.TamperedData` when authentication fails (altered
    bytes or header, another meeting or annotation id).
    """
    visibility, owner, epoch, box = _parse(blob)
    expected = _describe(key, meeting_id)
    if (visibility, owner, epoch) != expected:
        raise WrongContext(
            f"annotation {annotation_id!r} is {visibility.value} (owner {owner!r}, epoch"
            f" {epoch}) but the key given is {expected[0].value} (owner {expected[1]!r},"
            f" epoch {expected[2]})"
        )
    return open_box(
        key, box, _aad(meeting_id, annotation_id, visibility, owner, epoch), "annotation"
    )
