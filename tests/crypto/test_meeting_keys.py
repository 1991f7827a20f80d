from __future__ import annotations

import pytest

from furano_meet.crypto import envelopes
from furano_meet.crypto.errors import TamperedData, UsageError, WrongContext
from furano_meet.crypto.meeting_keys import MeetingKey, open_meeting_key, seal_meeting_key

from .conftest import Org


def test_every_member_device_opens_the_same_key(org: Org) -> None:
    key = MeetingKey.generate("plenary-2025-06", epoch=2)
    for device in org.devices.values():
        envelope = seal_meeting_key(key, device.cert)
        opened = open_meeting_key(
            envelope, device.keys, meeting_id="plenary-2025-06", device_id=device.device_id
        )
        assert opened.export() == key.export()
        assert (opened.meeting_id, opened.epoch) == ("plenary-2025-06", 2)


def test_envelope_for_another_device_is_refused(org: Org) -> None:
    key = MeetingKey.generate("plenary-2025-06")
    suzuki, tanaka = org.devices["suzuki-tablet"], org.devices["tanaka-tablet"]
    envelope = seal_meeting_key(key, suzuki.cert)
    # Tanaka's client is handed Suzuki's envelope (relay mix-up or replay):
    with pytest.raises(WrongContext, match="suzuki-tablet"):
        open_meeting_key(
            envelope, tanaka.keys, meeting_id="plenary-2025-06", device_id="tanaka-tablet"
        )
    # ... and even claiming to be Suzuki's device does not help without Suzuki's key:
    with pytest.raises(TamperedData):
        open_meeting_key(
            envelope, tanaka.keys, meeting_id="plenary-2025-06", device_id="suzuki-tablet"
        )


def test_envelope_for_another_meeting_or_epoch_is_refused(org: Org) -> None:
    device = org.devices["suzuki-tablet"]
    envelope = seal_meeting_key(MeetingKey.generate("committee-a", epoch=1), device.cert)
    with pytest.raises(WrongContext, match="committee-a"):
        open_meeting_key(
            envelope, device.keys, meeting_id="committee-b", device_id=device.device_id
        )
    with pytest.raises(WrongContext, match="epoch"):
        open_meeting_key(
            envelope, device.keys, meeting_id="committee-a", device_id=device.device_id, epoch=2
        )


def test_envelope_names_its_context_in_clear(org: Org) -> None:
    device = org.devices["suzuki-tablet"]
    envelope = seal_meeting_key(MeetingKey.generate("committee-a", epoch=7), device.cert)
    _, context = envelopes.read_context(envelope)
    assert (context.purpose, context.scope_id, context.recipient_device_id, context.epoch) == (
        "meeting key",
        "committee-a",
        "suzuki-tablet",
        7,
    )


def test_destroy(org: Org) -> None:
    key = MeetingKey.generate("expired-meeting")
    key.destroy()
    assert "destroyed" in repr(key) and "expired-meeting" in repr(key)
    with pytest.raises(UsageError):
        seal_meeting_key(key, org.devices["suzuki-tablet"].cert)


def test_repr_does_not_leak() -> None:
    key = MeetingKey.generate("m")
    assert key.export().hex() not in repr(key)


def test_meeting_id_is_required() -> None:
    with pytest.raises(ValueError, match="meeting_id"):
        MeetingKey.generate("")
