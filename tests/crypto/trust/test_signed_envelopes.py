"""Private-note keys only from the user's own devices; meeting keys only from clerks."""

from __future__ import annotations

import pytest

from furano_meet.crypto import (
    DeviceCertificate,
    MeetingKey,
    PrivateAnnotationKey,
    framing,
    seal_annotation_key,
    seal_meeting_key,
)
from furano_meet.crypto.authority import KEY_AUTHORITY_ROLES
from furano_meet.crypto.envelopes import EnvelopeContext, seal
from furano_meet.crypto.errors import (
    BadSignature,
    KeySubstitution,
    TamperedData,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)
from furano_meet.crypto.signed_envelopes import (
    open_private_key,
    read_sender,
    sign_envelope,
    verify_sender,
)

from .conftest import MEETING, Council


def _private_envelope(council: Council, key: PrivateAnnotationKey, sender: str) -> bytes:
    device = council[sender]
    return sign_envelope(
        seal_annotation_key(key, council["giin1-tablet"].cert), device.keys, device.cert
    )


def _open(
    council: Council, signed: bytes, sender_cert: DeviceCertificate | bytes
) -> PrivateAnnotationKey:
    me = council["giin1-tablet"]
    return open_private_key(signed, sender_cert, council.anchor, me.keys, me.cert)


def test_key_from_the_users_own_laptop_is_accepted(council: Council) -> None:
    key = PrivateAnnotationKey.generate("giin1", epoch=7)
    signed = _private_envelope(council, key, "giin1-laptop")
    sender, context = read_sender(signed)
    assert sender == "giin1-laptop"
    assert (context.scope_id, context.recipient_device_id, context.epoch) == (
        "giin1",
        "giin1-tablet",
        7,
    )
    opened = _open(council, signed, council["giin1-laptop"].cert_bytes)
    assert opened.export() == key.export()
    assert (opened.user_id, opened.epoch) == ("giin1", 7)


def test_key_planted_by_the_relay_is_refused(council: Council) -> None:
    """The relay seals its own private key (epoch 0 or 2) and signs as 'giin1-laptop'."""
    for epoch in (0, 2):
        planted = PrivateAnnotationKey.generate("giin1", epoch=epoch)
        envelope = seal_annotation_key(planted, council["giin1-tablet"].cert)
        fake = council.relay.devices["giin1-laptop"]
        signed = sign_envelope(envelope, fake.keys, fake.cert)
        with pytest.raises(KeySubstitution):
            _open(council, signed, fake.cert_bytes)
        # Presented with the genuine laptop's certificate instead, the signature fails.
        with pytest.raises(BadSignature):
            _open(council, signed, council["giin1-laptop"].cert)


def test_key_from_another_user_is_refused(council: Council) -> None:
    """giin2 (a genuine member) sends giin1 a 'private' key that giin2 knows."""
    key = PrivateAnnotationKey.generate("giin1", epoch=3)
    signed = _private_envelope(council, key, "giin2-tablet")
    with pytest.raises(UnauthorisedSigner, match="own devices"):
        _open(council, signed, council["giin2-tablet"].cert)


def test_epoch_outside_the_bounds_is_refused_even_from_own_device(council: Council) -> None:
    for epoch in (0, 2**31, 2**64 - 1):
        key = PrivateAnnotationKey.generate("giin1", epoch=epoch)
        signed = _private_envelope(council, key, "giin1-laptop")
        with pytest.raises(WrongContext, match="epoch"):
            _open(council, signed, council["giin1-laptop"].cert)


def test_sender_label_must_match_the_certificate(council: Council) -> None:
    key = PrivateAnnotationKey.generate("giin1", epoch=3)
    signed = _private_envelope(council, key, "giin1-laptop")
    with pytest.raises(UnauthorisedSigner, match="names sender"):
        _open(council, signed, council["giin2-tablet"].cert)


def test_a_meeting_key_envelope_is_not_a_private_key(council: Council) -> None:
    laptop = council["giin1-laptop"]
    envelope = seal_meeting_key(MeetingKey.generate(MEETING, epoch=2), council["giin1-tablet"].cert)
    signed = sign_envelope(envelope, laptop.keys, laptop.cert)
    with pytest.raises(WrongContext, match="annotation key"):
        _open(council, signed, laptop.cert)


def test_envelope_swapped_inside_the_wrapper_is_refused(council: Council) -> None:
    key = PrivateAnnotationKey.generate("giin1", epoch=3)
    signed = _private_envelope(council, key, "giin1-laptop")
    sender, _, signature = framing.decode(signed, b"FMSE", 3, "wrapper")
    other = seal(
        PrivateAnnotationKey.generate("giin1", epoch=3).export(),
        council["giin1-tablet"].cert.public_bundle.recipient_key,
        EnvelopeContext("annotation key", "giin1", "giin1-tablet", 3),
    )
    with pytest.raises(BadSignature):
        _open(
            council, framing.encode(b"FMSE", sender, other, signature), council["giin1-laptop"].cert
        )


def test_envelope_for_another_device_does_not_open(council: Council) -> None:
    key = PrivateAnnotationKey.generate("giin1", epoch=3)
    laptop = council["giin1-laptop"]
    to_laptop = sign_envelope(seal_annotation_key(key, laptop.cert), laptop.keys, laptop.cert)
    with pytest.raises(WrongContext, match="recipient device"):
        _open(council, to_laptop, laptop.cert)
    # Relabelled as if for the tablet, HPKE refuses it.
    relabelled = seal(
        key.export(),
        laptop.cert.public_bundle.recipient_key,
        EnvelopeContext("annotation key", "giin1", "giin1-tablet", 3),
    )
    with pytest.raises(TamperedData):
        _open(council, sign_envelope(relabelled, laptop.keys, laptop.cert), laptop.cert)


def test_meeting_key_envelopes_only_from_clerks(council: Council) -> None:
    key = MeetingKey.generate(MEETING, epoch=2)
    envelope = seal_meeting_key(key, council["giin2-tablet"].cert)
    for sender, allowed in (("sato-tablet", True), ("kato-pc", True), ("giin1-tablet", False)):
        device = council[sender]
        signed = sign_envelope(envelope, device.keys, device.cert)
        if allowed:
            cert, inner, context = verify_sender(
                signed, device.cert_bytes, council.anchor, allowed_roles=KEY_AUTHORITY_ROLES
            )
            assert (cert.device_id, inner, context.epoch) == (sender, envelope, 2)
        else:
            with pytest.raises(UnauthorisedSigner):
                verify_sender(
                    signed, device.cert_bytes, council.anchor, allowed_roles=KEY_AUTHORITY_ROLES
                )


def test_signing_with_keys_not_matching_the_certificate_is_our_bug(council: Council) -> None:
    with pytest.raises(UsageError):
        sign_envelope(b"x", council["giin1-tablet"].keys, council["giin1-laptop"].cert)
