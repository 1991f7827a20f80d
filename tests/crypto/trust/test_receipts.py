"""Signed receipts (受領確認, protocol 1.5) and the clerk's judgement of the relay's receipt rows."""

from __future__ import annotations

from typing import Any

import pytest

from furano_meet.crypto import BadSignature, KeySubstitution, MalformedData, WrongContext
from furano_meet.crypto.receipts import SignedReceipt, sign_receipt, verify_receipt
from furano_meet.protocol import messages as m
from furano_meet.sync.delivery import DeviceReceipt, judge

from ..conftest import Device
from .conftest import MEETING, Council

SHA = "ab" * 32


def receipt(device: Device, *, document_id: str = "gian-1", version: int = 2) -> bytes:
    return sign_receipt(
        meeting_id=MEETING,
        document_id=document_id,
        version=version,
        ciphertext_sha256=SHA,
        device_keys=device.keys,
        signer=device.cert,
        signed_at=1_760_000_200,
    )


def check(
    council: Council,
    signed: bytes,
    cert: bytes,
    *,
    meeting_id: str = MEETING,
    document_id: str = "gian-1",
    version: int = 2,
) -> SignedReceipt:
    return verify_receipt(
        signed, cert, council.anchor, meeting_id=meeting_id, document_id=document_id,
        version=version,
    )  # fmt: skip


def test_a_receipt_names_its_device_user_and_the_bytes_it_verified(council: Council) -> None:
    tablet = council["giin1-tablet"]
    verified = verify_receipt(
        receipt(tablet), tablet.cert_bytes, council.anchor, meeting_id=MEETING,
        document_id="gian-1", version=2,
    )  # fmt: skip
    assert (verified.signer.user_id, verified.signer.device_id) == ("giin1", "giin1-tablet")
    assert (verified.ciphertext_sha256, verified.version) == (SHA, 2)


@pytest.mark.parametrize(
    ("expected", "error"),
    [
        ({"version": 3}, WrongContext),
        ({"document_id": "gian-2"}, WrongContext),
        ({"meeting_id": "another-meeting"}, WrongContext),
    ],
)
def test_a_receipt_replayed_for_another_version_document_or_meeting_is_refused(
    council: Council, expected: dict[str, Any], error: type[Exception]
) -> None:
    tablet = council["giin1-tablet"]
    with pytest.raises(error):
        check(council, receipt(tablet), tablet.cert_bytes, **expected)


def test_a_receipt_checked_against_another_device_or_root_or_altered_is_refused(
    council: Council,
) -> None:
    tablet, laptop = council["giin1-tablet"], council["giin1-laptop"]
    signed = receipt(tablet)
    with pytest.raises(BadSignature):  # the laptop's certificate: not its signature
        check(council, signed, laptop.cert_bytes)
    relays = council.relay.devices["giin1-tablet"]  # the relay's own root, the genuine names
    with pytest.raises(KeySubstitution):
        check(council, receipt(relays), relays.cert_bytes)
    with pytest.raises(BadSignature):
        check(council, signed.replace(b'"version":2', b'"version":3'), tablet.cert_bytes)
    with pytest.raises(MalformedData):  # another kind of signed object is no receipt
        check(council, council.roster().encoded, council["sato-tablet"].cert_bytes)


def row(device: Device, user_id: str, signed: bytes = b"", version: int = 2) -> m.Receipt:
    return m.Receipt(
        user_id=user_id,
        device_id=device.device_id,
        document_id="gian-1",
        version=version,
        received_at="2026-12-03T10:00:00Z",
        signed=signed,
    )


def test_the_clerk_shows_only_what_checks_out(council: Council) -> None:
    tablet, other = council["giin1-tablet"], council["giin2-tablet"]
    certs = {d.device_id: d.cert for d in (tablet, other)}
    published = {("gian-1", 2): SHA, ("gian-1", 1): "cd" * 32}

    def shown(r: m.Receipt) -> DeviceReceipt | None:
        return judge(r, MEETING, certs, published, council.anchor)

    good = shown(row(tablet, "giin1", receipt(tablet)))
    assert good is not None and good.verified
    unsigned = shown(row(tablet, "giin1"))
    assert unsigned is not None and not unsigned.verified
    for dropped in (
        row(tablet, "giin2", receipt(tablet)),  # the device is not giin2's
        row(other, "giin2", receipt(tablet)),  # giin1's receipt as giin2's device
        row(tablet, "giin1", receipt(tablet), version=1),  # as another version
        row(tablet, "giin1", receipt(tablet, version=1), version=1),  # names other bytes
        row(council["giin9-tablet"], "giin9"),  # a device whose certificate is not known
    ):
        assert shown(dropped) is None
