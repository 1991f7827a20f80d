"""Key envelopes: stored per device, delivered, and key holders told who is still waiting."""

from __future__ import annotations

import dataclasses

import pytest

from furano_meet.net import RelayError
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from tests.conftest import Connect
from tests.server.handler_world import record_for


async def test_a_new_device_waits_and_key_holders_are_asked_to_seal_for_it(
    connect_as: Connect,
) -> None:
    clerk = await connect_as("jimukyoku")
    assert clerk.identity is not None
    joined = await clerk.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(joined, m.MeetingJoined) and not joined.has_key_envelope
    # The clerk's client creates the meeting key and seals it to itself first.
    record = record_for(clerk.identity.device_id, 1)
    own = m.KeyEnvelope(
        device_id=clerk.identity.device_id,
        epoch=1,
        envelope=b"sealed-to-clerk",
        epoch_record=record,
        record_signer=b"certificate",
    )
    await clerk.request(m.PutKeyEnvelopes(meeting_id=MEETING_ID, envelopes=(own,)))
    stored_own = dataclasses.replace(own, sealed_by=clerk.identity.device_id)
    assert (await clerk.expect(m.KeyEnvelopesDelivered)).envelopes == (stored_own,)

    tablet = await connect_as("giin1")
    assert tablet.identity is not None
    waiting = await tablet.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(waiting, m.MeetingJoined) and not waiting.has_key_envelope
    asked = await clerk.expect(m.KeyNeeded)
    assert [d.device_id for d in asked.devices] == [tablet.identity.device_id]
    assert asked.devices[0].public_keys == b"public keys of giin1"

    sealed = m.KeyEnvelope(  # the relay adds the epoch's record it keeps
        device_id=tablet.identity.device_id, epoch=1, envelope=b"sealed-to-tablet"
    )
    await clerk.request(m.PutKeyEnvelopes(meeting_id=MEETING_ID, envelopes=(sealed,)))
    delivered = await tablet.expect(m.KeyEnvelopesDelivered)
    assert delivered.envelopes[0].envelope == b"sealed-to-tablet"
    assert delivered.envelopes[0].epoch_record == record
    # The push names the device that really sealed it, whatever the client wrote.
    assert delivered.envelopes[0].sealed_by == clerk.identity.device_id
    fetched = await tablet.request(m.GetKeyEnvelopes(meeting_id=MEETING_ID))
    assert isinstance(fetched, m.KeyEnvelopesDelivered)
    assert fetched.envelopes[0].sealed_by == clerk.identity.device_id

    rejoined = await clerk.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert isinstance(rejoined, m.MeetingJoined) and rejoined.has_key_envelope
    assert tablet.identity.device_id not in {d.device_id for d in rejoined.awaiting_key}


async def test_admin_devices_are_asked_to_certify_new_devices(connect_as: Connect) -> None:
    admin = await connect_as("admin")
    tablet = await connect_as("giin1")
    assert tablet.identity is not None
    needed = await admin.expect(m.CertificatesNeeded)  # first its own device, then the tablet
    assert admin.identity is not None
    assert [d.device_id for d in needed.devices] == [admin.identity.device_id]
    needed = await admin.expect(m.CertificatesNeeded)
    assert [d.device_id for d in needed.devices] == [tablet.identity.device_id]
    listed = await admin.request(m.ListUncertified())
    assert isinstance(listed, m.CertificatesNeeded)
    assert tablet.identity.device_id in {d.device_id for d in listed.devices}
    await admin.request(m.CertifyDevice(device_id=tablet.identity.device_id, certificate=b"cert"))
    listed = await admin.request(m.ListUncertified())
    assert isinstance(listed, m.CertificatesNeeded)
    assert tablet.identity.device_id not in {d.device_id for d in listed.devices}
    with pytest.raises(RelayError) as refused:
        await tablet.request(m.ListUncertified())
    assert refused.value.code == "forbidden"
    with pytest.raises(RelayError):
        await tablet.request(m.CertifyDevice(device_id=tablet.identity.device_id, certificate=b"x"))
    keys = await tablet.request(m.ListDeviceKeys(meeting_id=MEETING_ID))
    assert isinstance(keys, m.DeviceKeysListed)
    mine = next(d for d in keys.devices if d.device_id == tablet.identity.device_id)
    assert mine.certificate == b"cert"


async def test_private_key_envelopes_stay_within_one_members_devices(connect_as: Connect) -> None:
    tablet = await connect_as("giin1")
    laptop = await connect_as("giin1")
    colleague = await connect_as("giin2")
    assert tablet.identity and laptop.identity and colleague.identity
    own = m.KeyEnvelope(
        device_id=laptop.identity.device_id, epoch=1, envelope=b"p", purpose="private"
    )
    await tablet.request(m.PutKeyEnvelopes(meeting_id=MEETING_ID, envelopes=(own,)))
    got = await laptop.request(m.GetKeyEnvelopes(meeting_id=MEETING_ID))
    assert isinstance(got, m.KeyEnvelopesDelivered) and got.envelopes[0].purpose == "private"
    leak = m.KeyEnvelope(
        device_id=colleague.identity.device_id, epoch=1, envelope=b"p", purpose="private"
    )
    with pytest.raises(RelayError) as refused:
        await tablet.request(m.PutKeyEnvelopes(meeting_id=MEETING_ID, envelopes=(leak,)))
    assert refused.value.code == "forbidden"
    joined = await laptop.request(m.JoinMeeting(meeting_id=MEETING_ID))
    assert (
        isinstance(joined, m.MeetingJoined) and not joined.has_key_envelope
    )  # private ≠ meeting key
