"""Meeting keys: one random 32-byte key per meeting (and epoch), sealed to each member device.

The meeting key is the root of everything a meeting shares: it wraps each document's content
key (see :mod:`.documents`) and encrypts shared annotations (see :mod:`.annotations`).

Whoever creates the meeting (or rotates its key) generates a :class:`MeetingKey` and seals
it to every member device with :func:`seal_meeting_key`, one HPKE envelope per device. The
envelope's context binds the meeting id, the recipient device id and the key **epoch**, so
the relay cannot replay a device's envelope to another device or into another meeting, nor
pass off an old epoch's envelope as the current one (callers pass ``epoch=`` when they know
which one they want, and otherwise keep the highest epoch they have seen).

Rotation is how a removed member is cut off from *future* material: bump the epoch, seal
the new key to the remaining devices only. What the removed member already decrypted, or
the old key they hold, cannot be taken back.
"""

from __future__ import annotations

from . import envelopes
from .certificates import DeviceCertificate
from .envelopes import EnvelopeContext
from .framing import Buffer
from .keys import DeviceKeys
from .symmetric import SecretKey

PURPOSE = "meeting key"


class MeetingKey(SecretKey):
    """The key of one meeting at one epoch. Call :meth:`destroy` when the meeting expires."""

    __slots__ = ("epoch", "meeting_id")

    def __init__(self, key: Buffer, *, meeting_id: str, epoch: int) -> None:
        super().__init__(key)
        if not meeting_id:
            raise ValueError("meeting_id must be a non-empty string")
        self.meeting_id = meeting_id
        self.epoch = epoch

    @classmethod
    def generate(cls, meeting_id: str, epoch: int = 1) -> MeetingKey:
        """A fresh random key for ``meeting_id`` at ``epoch``."""
        return cls(cls._random_bytes(), meeting_id=meeting_id, epoch=epoch)

    def __repr__(self) -> str:
        state = "destroyed" if self.destroyed else "<secret>"
        return f"MeetingKey(meeting_id={self.meeting_id!r}, epoch={self.epoch}, {state})"


def seal_meeting_key(key: MeetingKey, recipient: DeviceCertificate) -> bytes:
    """Seal ``key`` to one member device, named by its *verified* certificate."""
    context = EnvelopeContext(PURPOSE, key.meeting_id, recipient.device_id, key.epoch)
    return envelopes.seal(key._material(), recipient.public_bundle.recipient_key, context)


def open_meeting_key(
    envelope: Buffer,
    device_keys: DeviceKeys,
    *,
    meeting_id: str,
    device_id: str,
    epoch: int | None = None,
) -> MeetingKey:
    """Open a meeting-key envelope addressed to this device (``device_id``).

    Raises :class:`~.errors.WrongContext` for an envelope of another meeting, device or
    epoch, :class:`~.errors.TamperedData` if it does not authenticate.
    """
    context, secret = envelopes.open_envelope(
        envelope,
        device_keys.recipient_key,
        purpose=PURPOSE,
        scope_id=meeting_id,
        recipient_device_id=device_id,
        epoch=epoch,
    )
    return MeetingKey(secret, meeting_id=context.scope_id, epoch=context.epoch)
