"""Key envelopes with a signed sender: private-note keys only from the user's own devices.

Theory of operation
-------------------
An HPKE envelope (:mod:`.envelopes`) proves who may *open* it, never who *sealed* it: the
relay holds every device's public key and can seal a private-annotation key of its own
choosing to a member's tablet (with epoch 0, say), after which the member's new private notes
are written under a key the relay knows. So each envelope travels inside a wrapper signed by
the sending device::

    b"FMSE" [sender device id, envelope, hybrid signature]
    signed message = b"FMse" [sender device id, envelope]     purpose "furano-meet key envelope"

The envelope bytes already carry their context (purpose, scope, recipient device, epoch —
bound into HPKE ``info``), so signing them signs the context too. :func:`open_private_key`
accepts a private-annotation key only if:

* the sender's certificate chains to the organisation root (anchor) and names the device the
  wrapper names;
* the sender is **the same user** as the recipient, in the same organisation;
* the envelope is an annotation-key envelope for this user and this device, with an epoch in
  1..2^31-1;
* both halves of the signature verify.

:func:`verify_sender` is the same check without opening, with the sender's allowed roles as
a parameter — what a member (or the relay, for service) uses to accept a meeting-key
envelope only from a clerk/admin device. (A meeting key's authenticity itself comes from its
signed epoch record, :mod:`.epochs`.)
"""

from __future__ import annotations

from . import envelopes, framing
from .annotations import ANNOTATION_KEY_PURPOSE, PrivateAnnotationKey, open_annotation_key
from .authority import TrustAnchor, require_bounded, require_role
from .certificates import DeviceCertificate
from .envelopes import EnvelopeContext
from .errors import UnauthorisedSigner, UsageError, WrongContext
from .framing import Buffer
from .keys import DeviceKeys

PURPOSE = "furano-meet key envelope"
_MAGIC = b"FMSE"
_MESSAGE_MAGIC = b"FMse"
_WHAT = "signed key envelope"


def _message(sender_device_id: bytes, envelope: Buffer) -> bytes:
    return framing.encode(_MESSAGE_MAGIC, sender_device_id, envelope)


def sign_envelope(envelope: Buffer, device_keys: DeviceKeys, sender: DeviceCertificate) -> bytes:
    """Wrap an envelope this device sealed, signed as ``sender`` (this device's certificate)."""
    if device_keys.signing_key.public_key() != sender.public_bundle.verify_key:
        raise UsageError(f"signing key is not the one certified for {sender.device_id!r}")
    device = framing.text(sender.device_id)
    signature = device_keys.signing_key.sign(_message(device, envelope), PURPOSE)
    return framing.encode(_MAGIC, device, envelope, signature)


def read_sender(signed: Buffer) -> tuple[str, EnvelopeContext]:
    """(sender device id, envelope context), unverified: which certificate to fetch."""
    device, envelope, _ = framing.decode(signed, _MAGIC, 3, _WHAT)
    return framing.decode_text(device, "sender device id"), envelopes.read_context(envelope)[1]


def verify_sender(
    signed: Buffer,
    sender_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    allowed_roles: frozenset[str] | None = None,
) -> tuple[DeviceCertificate, bytes, EnvelopeContext]:
    """Check the wrapper's signature; return (sender certificate, envelope, its context).

    The context is read from the envelope header; it is authenticated only when the envelope
    is opened (HPKE ``info``), which :func:`open_private_key` does. Raises KeySubstitution /
    WrongContext (certificate not of this organisation's root), UnauthorisedSigner (another
    device's certificate, or a role not in ``allowed_roles``), BadSignature, MalformedData.
    """
    device, envelope, signature = framing.decode(signed, _MAGIC, 3, _WHAT)
    cert = anchor.certificate(sender_cert)
    if framing.decode_text(device, "sender device id") != cert.device_id:
        raise UnauthorisedSigner(
            f"envelope names sender {device.decode('utf-8', 'replace')!r} but was checked"
            f" against the certificate of {cert.device_id!r}"
        )
    cert.public_bundle.verify_key.verify(signature, _message(device, envelope), PURPOSE)
    if allowed_roles is not None:
        require_role(cert, allowed_roles, "send these keys")
    _, context = envelopes.read_context(envelope)
    require_bounded(context.epoch, f"{context.purpose} epoch")
    return cert, envelope, context


def open_private_key(
    signed: Buffer,
    sender_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    device_keys: DeviceKeys,
    own_cert: DeviceCertificate,
) -> PrivateAnnotationKey:
    """Open a signed private-annotation-key envelope sent to this device (``own_cert``).

    Raises :class:`UnauthorisedSigner` if the sender is another user (or the relay),
    :class:`WrongContext` for an envelope of another purpose, user, device or an epoch
    outside 1..2^31-1, plus everything :func:`verify_sender` and
    :func:`~.annotations.open_annotation_key` raise.
    """
    own = anchor.certificate(own_cert)
    sender, envelope, context = verify_sender(signed, sender_cert, anchor)
    if sender.user_id != own.user_id:
        raise UnauthorisedSigner(
            f"private note key for {own.user_id!r} was sent by device {sender.device_id!r} of"
            f" {sender.user_id!r}: only the user's own devices may send it"
        )
    if context.purpose != ANNOTATION_KEY_PURPOSE:
        raise WrongContext(
            f"expected an {ANNOTATION_KEY_PURPOSE!r} envelope, got {context.purpose!r}"
        )
    return open_annotation_key(
        envelope, device_keys, user_id=own.user_id, device_id=own.device_id, epoch=context.epoch
    )
