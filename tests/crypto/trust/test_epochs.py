"""Signed epoch records: every way issue #8 planted a meeting key is refused."""

from __future__ import annotations

import dataclasses

import pytest

from furano_meet.crypto import MeetingKey, open_meeting_key, seal_meeting_key
from furano_meet.crypto.authority import Equivocation, StaleObject
from furano_meet.crypto.epochs import (
    KIND,
    EpochRecord,
    accept_meeting_key,
    key_commitment,
    require_successor,
    sign_epoch_record,
    verify_epoch_record,
)
from furano_meet.crypto.errors import (
    BadSignature,
    KeySubstitution,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)
from furano_meet.crypto.framing import MAX_U64

from .conftest import MEETING, Council


def _record(council: Council, key: MeetingKey, signer: str = "sato-tablet") -> bytes:
    device = council[signer]
    return sign_epoch_record(
        key, council.roster().hash, device.keys, device.cert, signed_at=1_760_000_200
    )


def _planted(council: Council, epoch: int) -> MeetingKey:
    """What a member's tablet holds after the relay sealed its own key K* at ``epoch``."""
    planted = MeetingKey.generate(MEETING, epoch=epoch)
    member = council["giin1-tablet"]
    envelope = seal_meeting_key(planted, member.cert)  # needs only the public key
    return open_meeting_key(envelope, member.keys, meeting_id=MEETING, device_id=member.device_id)


def _accept(
    council: Council, record: bytes | None, key: MeetingKey, seen: dict[int, EpochRecord]
) -> EpochRecord:
    signer = council["sato-tablet"].cert_bytes
    return accept_meeting_key(record, signer, key, council.anchor, seen).record


def test_genuine_key_is_accepted_and_becomes_current(
    council: Council, meeting_key: MeetingKey
) -> None:
    record = _record(council, meeting_key)
    accepted = accept_meeting_key(
        record,
        council["sato-tablet"].cert_bytes,
        meeting_key,
        council.anchor,
        {},
        roster_hash=council.roster().hash,
    )
    assert accepted.current
    assert (accepted.record.meeting_id, accepted.record.epoch) == (MEETING, 1)
    assert accepted.record.key_commitment == key_commitment(meeting_key)
    assert accepted.record.signer.user_id == "clerk-sato"
    assert KIND.signer_of(record) == "sato-tablet"


@pytest.mark.parametrize("epoch", [0, 2, 2**31, MAX_U64])
def test_planted_key_without_a_record_is_refused(council: Council, epoch: int) -> None:
    key = _planted(council, epoch)
    expected = UnauthorisedSigner if epoch == 2 else WrongContext
    with pytest.raises(expected):
        _accept(council, None, key, {})


def test_planted_key_under_a_genuine_record_is_refused(
    council: Council, meeting_key: MeetingKey
) -> None:
    """The relay replays the clerk's real record for epoch 2 next to its own key K*."""
    genuine = MeetingKey.generate(MEETING, epoch=2)
    record = _record(council, genuine)
    with pytest.raises(KeySubstitution, match="planted"):
        _accept(council, record, _planted(council, 2), {})


def test_record_from_the_relays_own_root_is_refused(council: Council) -> None:
    key = _planted(council, 2)
    relay_clerk = council.relay.devices["sato-tablet"]
    forged = sign_epoch_record(key, "0" * 64, relay_clerk.keys, relay_clerk.cert)
    with pytest.raises(KeySubstitution):
        accept_meeting_key(forged, relay_clerk.cert_bytes, key, council.anchor, {})


def test_record_signed_by_a_member_is_refused(council: Council) -> None:
    """A certified member (or a relay holding a member's device) signs a record for K*."""
    key = _planted(council, 2)
    member = council["giin1-tablet"]
    with pytest.raises(UsageError):  # our own API will not even sign it
        sign_epoch_record(key, "0" * 64, member.keys, member.cert)
    lax = dataclasses.replace(KIND, signer_roles=None)
    content = {
        "meeting_id": MEETING,
        "epoch": 2,
        "key_commitment": key_commitment(key),
        "roster_hash": "0" * 64,
    }
    record = lax.sign(content, member.keys, member.cert)
    with pytest.raises(UnauthorisedSigner, match="member"):
        accept_meeting_key(record, member.cert_bytes, key, council.anchor, {})


def test_record_checked_against_another_devices_certificate_is_refused(
    council: Council, meeting_key: MeetingKey
) -> None:
    record = _record(council, meeting_key)
    with pytest.raises(BadSignature):
        accept_meeting_key(record, council["kato-pc"].cert_bytes, meeting_key, council.anchor, {})


def test_record_of_another_meeting_or_epoch_is_refused(
    council: Council, meeting_key: MeetingKey
) -> None:
    other_meeting = MeetingKey(meeting_key.export(), meeting_id="m-other", epoch=1)
    with pytest.raises(WrongContext, match="meeting"):
        _accept(council, _record(council, meeting_key), other_meeting, {})
    later = MeetingKey(meeting_key.export(), meeting_id=MEETING, epoch=2)
    with pytest.raises(WrongContext, match="epoch"):
        _accept(council, _record(council, meeting_key), later, {})


def test_older_epoch_is_refused_unless_asked_for_and_never_current(council: Council) -> None:
    keys = {e: MeetingKey.generate(MEETING, epoch=e) for e in (1, 2, 3)}
    records = {e: _record(council, k) for e, k in keys.items()}
    seen = {3: _accept(council, records[3], keys[3], {})}
    with pytest.raises(StaleObject):
        _accept(council, records[1], keys[1], seen)
    old = accept_meeting_key(
        records[1],
        council["sato-tablet"].cert_bytes,
        keys[1],
        council.anchor,
        seen,
        allow_older=True,
    )
    assert not old.current
    again = accept_meeting_key(
        records[3], council["sato-tablet"].cert_bytes, keys[3], council.anchor, seen
    )
    assert again.current


def test_a_second_record_for_an_accepted_epoch_is_equivocation(
    council: Council, meeting_key: MeetingKey
) -> None:
    seen = {1: _accept(council, _record(council, meeting_key), meeting_key, {})}
    rival = MeetingKey.generate(MEETING, epoch=1)  # a second clerk device raced, say
    with pytest.raises(Equivocation):
        _accept(council, _record(council, rival), rival, seen)


def test_record_for_another_roster_does_not_become_current(
    council: Council, meeting_key: MeetingKey
) -> None:
    record = _record(council, meeting_key)
    with pytest.raises(WrongContext, match="roster"):
        accept_meeting_key(
            record,
            council["sato-tablet"].cert_bytes,
            meeting_key,
            council.anchor,
            {},
            roster_hash=council.roster(version=2).hash,
        )


def test_require_successor(council: Council) -> None:
    one, two = (MeetingKey.generate(MEETING, epoch=e) for e in (1, 2))
    first = verify_epoch_record(_record(council, one), council["sato-tablet"].cert, council.anchor)
    second = verify_epoch_record(_record(council, two), council["sato-tablet"].cert, council.anchor)
    assert require_successor(first, None)
    assert require_successor(second, first)
    assert not require_successor(first, first)
    with pytest.raises(StaleObject):
        require_successor(first, second)
    elsewhere = dataclasses.replace(second, meeting_id="m-other")
    with pytest.raises(WrongContext):
        require_successor(elsewhere, first)


def test_verify_refuses_an_unexpected_meeting(council: Council, meeting_key: MeetingKey) -> None:
    with pytest.raises(WrongContext):
        verify_epoch_record(
            _record(council, meeting_key),
            council["sato-tablet"].cert,
            council.anchor,
            expected_meeting_id="m-other",
        )


def test_commitment_separates_meeting_epoch_and_key(meeting_key: MeetingKey) -> None:
    raw = meeting_key.export()
    variants = {
        key_commitment(MeetingKey(raw, meeting_id=MEETING, epoch=1)),
        key_commitment(MeetingKey(raw, meeting_id=MEETING, epoch=2)),
        key_commitment(MeetingKey(raw, meeting_id="m-other", epoch=1)),
        key_commitment(MeetingKey.generate(MEETING, epoch=1)),
    }
    assert len(variants) == 4
    assert key_commitment(meeting_key) == key_commitment(
        MeetingKey(raw, meeting_id=MEETING, epoch=1)
    )
