from __future__ import annotations

import pytest

from furano_meet.crypto import framing
from furano_meet.crypto.annotations import (
    PrivateAnnotationKey,
    Visibility,
    decrypt_annotation,
    encrypt_annotation,
    open_annotation_key,
    read_annotation_header,
    seal_annotation_key,
)
from furano_meet.crypto.errors import MalformedData, TamperedData, UsageError, WrongContext
from furano_meet.crypto.meeting_keys import MeetingKey

from .conftest import Org

MEETING = "plenary-2025-06"
STROKE = b'{"kind":"ink","page":12,"points":[[72.0,144.5],[80.25,150.0]]}'


@pytest.fixture(scope="module")
def meeting_key() -> MeetingKey:
    return MeetingKey.generate(MEETING, epoch=1)


@pytest.fixture(scope="module")
def private_key() -> PrivateAnnotationKey:
    return PrivateAnnotationKey.generate("cllr-suzuki")


def _fields(blob: bytes) -> list[bytes]:
    return framing.decode(blob, b"FMAN", 4, "annotation")


def test_shared_round_trip(meeting_key: MeetingKey) -> None:
    blob = encrypt_annotation(STROKE, meeting_key, meeting_id=MEETING, annotation_id="a1")
    assert decrypt_annotation(blob, meeting_key, meeting_id=MEETING, annotation_id="a1") == STROKE
    assert read_annotation_header(blob) == (Visibility.SHARED, "", 1)
    assert STROKE not in blob


def test_private_round_trip(private_key: PrivateAnnotationKey) -> None:
    blob = encrypt_annotation(STROKE, private_key, meeting_id=MEETING, annotation_id="a2")
    assert decrypt_annotation(blob, private_key, meeting_id=MEETING, annotation_id="a2") == STROKE
    assert read_annotation_header(blob) == (Visibility.PRIVATE, "cllr-suzuki", 1)


def test_private_key_travels_only_between_the_authors_devices(
    org: Org, private_key: PrivateAnnotationKey
) -> None:
    laptop = org.devices["suzuki-laptop"]
    envelope = seal_annotation_key(private_key, laptop.cert)
    opened = open_annotation_key(
        envelope, laptop.keys, user_id="cllr-suzuki", device_id="suzuki-laptop"
    )
    assert opened.export() == private_key.export() and opened.user_id == "cllr-suzuki"
    blob = encrypt_annotation(STROKE, private_key, meeting_id=MEETING, annotation_id="a3")
    assert decrypt_annotation(blob, opened, meeting_id=MEETING, annotation_id="a3") == STROKE
    with pytest.raises(UsageError, match="refusing"):
        seal_annotation_key(private_key, org.devices["tanaka-tablet"].cert)
    with pytest.raises(WrongContext):  # a meeting-key envelope is not an annotation-key one
        from furano_meet.crypto.meeting_keys import seal_meeting_key

        open_annotation_key(
            seal_meeting_key(MeetingKey.generate(MEETING), laptop.cert),
            laptop.keys,
            user_id="cllr-suzuki",
            device_id="suzuki-laptop",
        )


def test_private_op_cannot_be_passed_off_as_shared(
    meeting_key: MeetingKey, private_key: PrivateAnnotationKey
) -> None:
    blob = encrypt_annotation(STROKE, private_key, meeting_id=MEETING, annotation_id="a4")
    with pytest.raises(WrongContext, match="private"):
        decrypt_annotation(blob, meeting_key, meeting_id=MEETING, annotation_id="a4")
    # Relabel the header as shared: now the key check passes but authentication fails.
    _, _, epoch, box = _fields(blob)
    relabelled = framing.encode(b"FMAN", b"shared", b"", epoch, box)
    with pytest.raises(TamperedData):
        decrypt_annotation(relabelled, meeting_key, meeting_id=MEETING, annotation_id="a4")


def test_visibility_is_bound_even_under_the_same_key_bytes(meeting_key: MeetingKey) -> None:
    """Defence in depth: the AAD names the visibility, not just the choice of key."""
    same_bytes = PrivateAnnotationKey(meeting_key.export(), user_id="cllr-suzuki", epoch=1)
    blob = encrypt_annotation(STROKE, same_bytes, meeting_id=MEETING, annotation_id="a5")
    _, _, epoch, box = _fields(blob)
    relabelled = framing.encode(b"FMAN", b"shared", b"", epoch, box)
    with pytest.raises(TamperedData):
        decrypt_annotation(relabelled, meeting_key, meeting_id=MEETING, annotation_id="a5")


def test_op_cannot_move_to_another_meeting_or_annotation(
    private_key: PrivateAnnotationKey,
) -> None:
    blob = encrypt_annotation(STROKE, private_key, meeting_id=MEETING, annotation_id="a6")
    with pytest.raises(TamperedData):
        decrypt_annotation(blob, private_key, meeting_id="committee-a", annotation_id="a6")
    with pytest.raises(TamperedData):
        decrypt_annotation(blob, private_key, meeting_id=MEETING, annotation_id="a7")


def test_shared_op_needs_the_key_of_its_meeting(meeting_key: MeetingKey) -> None:
    with pytest.raises(WrongContext, match="meeting"):
        encrypt_annotation(STROKE, meeting_key, meeting_id="committee-a", annotation_id="a8")
    blob = encrypt_annotation(STROKE, meeting_key, meeting_id=MEETING, annotation_id="a8")
    rotated = MeetingKey.generate(MEETING, epoch=2)
    with pytest.raises(WrongContext, match="epoch"):
        decrypt_annotation(blob, rotated, meeting_id=MEETING, annotation_id="a8")


def test_another_users_private_key_is_refused(private_key: PrivateAnnotationKey) -> None:
    blob = encrypt_annotation(STROKE, private_key, meeting_id=MEETING, annotation_id="a9")
    theirs = PrivateAnnotationKey.generate("cllr-tanaka")
    with pytest.raises(WrongContext, match="cllr-suzuki"):
        decrypt_annotation(blob, theirs, meeting_id=MEETING, annotation_id="a9")
    impostor = PrivateAnnotationKey.generate("cllr-suzuki")  # right name, wrong key
    with pytest.raises(TamperedData):
        decrypt_annotation(blob, impostor, meeting_id=MEETING, annotation_id="a9")


def test_flipped_bit_and_garbage(meeting_key: MeetingKey) -> None:
    blob = bytearray(encrypt_annotation(STROKE, meeting_key, meeting_id=MEETING, annotation_id="b"))
    blob[-3] ^= 0x10
    with pytest.raises(TamperedData):
        decrypt_annotation(bytes(blob), meeting_key, meeting_id=MEETING, annotation_id="b")
    with pytest.raises(MalformedData, match="visibility"):
        read_annotation_header(framing.encode(b"FMAN", b"public", b"", framing.u64(1), b""))
    with pytest.raises(MalformedData):
        read_annotation_header(b"FMAN")
