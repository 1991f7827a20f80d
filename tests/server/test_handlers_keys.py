"""Key envelopes, device keys and certification, without sockets."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.handlers import keys
from server.state import Client

from .handler_world import (
    World,
    ask,
    close_world,
    mailbox,
    open_world,
    pages,
    record_for,
    refused,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path, max_text_frame=700)
    yield w
    close_world(w)


def sealed_to(client: Client, by: Client, *, sealed_by: str = "", epoch: int = 1) -> m.KeyEnvelope:
    """A meeting-key envelope for ``client``, with ``by``'s record of the epoch (1.3)."""
    return m.KeyEnvelope(
        device_id=client.who.device_id,
        epoch=epoch,
        envelope=b"sealed",
        sealed_by=sealed_by,
        epoch_record=record_for(by, epoch),
        record_signer=b"certificate of " + by.who.device_id.encode(),
    )


async def test_stored_envelopes_reach_their_device_sealed_by_the_sender(world: World) -> None:
    clerk, member = world.connect("jimukyoku"), world.connect("giin1")
    forged = sealed_to(member, clerk, sealed_by="someone-else")
    put = m.PutKeyEnvelopes(rid=3, meeting_id=MEETING_ID, envelopes=(forged,))
    await ask(world, keys.put_envelopes, clerk, put)
    assert mailbox(clerk).only(m.Done).rid == 3
    (pushed,) = mailbox(member).only(m.KeyEnvelopesDelivered).envelopes
    assert pushed.sealed_by == clerk.who.device_id
    await ask(world, keys.get_envelopes, member, m.GetKeyEnvelopes(rid=4, meeting_id=MEETING_ID))
    assert mailbox(member).only(m.KeyEnvelopesDelivered).envelopes == (pushed,)


async def test_another_devices_envelope_for_a_slot_is_not_replaced(world: World) -> None:
    clerk, second_clerk, member = (
        world.connect("jimukyoku"),
        world.connect("jimukyoku"),
        world.connect("giin1"),
    )
    first = m.PutKeyEnvelopes(rid=1, meeting_id=MEETING_ID, envelopes=(sealed_to(member, clerk),))
    await ask(world, keys.put_envelopes, clerk, first)
    mailbox(member).take()
    # Another clerk's device re-sealing the same epoch: the record is the one kept, the slot
    # stays the first sealer's.
    again = dataclasses.replace(first.envelopes[0], epoch_record=b"", record_signer=b"")
    await ask(
        world, keys.put_envelopes, second_clerk, dataclasses.replace(first, envelopes=(again,))
    )
    assert mailbox(second_clerk).only(m.Done).rid == 1
    assert mailbox(member).take() == []  # nothing stored, nothing pushed


async def test_device_keys_page_for_new_clients_and_come_whole_for_old_ones(
    world: World,
) -> None:
    for user_id in ("giin1", "giin2", "giin3", "iincho", "jimukyoku"):
        world.connect(user_id)
    current, old = world.connect("giin1"), world.connect("giin1", minor=1)
    listed = await pages(
        world,
        current,
        keys.list_device_keys,
        lambda at: m.ListDeviceKeys(rid=1, meeting_id=MEETING_ID, offset=at),
        m.DeviceKeysListed,
        lambda reply: (reply.next_offset, reply.more),
    )
    assert len(listed) > 1 and all(reply.devices for reply in listed)
    everyone = [d.device_id for d in world.store.member_device_keys(MEETING_ID)]
    assert [d.device_id for reply in listed for d in reply.devices] == everyone
    await ask(world, keys.list_device_keys, old, m.ListDeviceKeys(rid=2, meeting_id=MEETING_ID))
    assert [d.device_id for d in mailbox(old).only(m.DeviceKeysListed).devices] == everyone


async def test_only_an_administrator_certifies_or_lists_uncertified_devices(world: World) -> None:
    member, admin = world.connect("giin1"), world.connect("admin")
    certify = m.CertifyDevice(rid=1, device_id=member.who.device_id, certificate=b"cert")
    assert await refused(world, keys.certify_device, member, certify) is ErrorCode.FORBIDDEN
    assert (
        await refused(world, keys.list_uncertified, member, m.ListUncertified(rid=2))
        is ErrorCode.FORBIDDEN
    )
    await ask(world, keys.list_uncertified, admin, m.ListUncertified(rid=3))
    listed = mailbox(admin).only(m.CertificatesNeeded).devices
    assert {member.who.device_id, admin.who.device_id} <= {d.device_id for d in listed}
    unknown = m.CertifyDevice(rid=4, device_id="dev-nobody", certificate=b"cert")
    assert await refused(world, keys.certify_device, admin, unknown) is ErrorCode.NOT_FOUND


async def test_certifying_a_device_asks_the_key_holders_to_seal_for_it(world: World) -> None:
    clerk, admin = world.connect("jimukyoku"), world.connect("admin")
    to_self = m.PutKeyEnvelopes(rid=1, meeting_id=MEETING_ID, envelopes=(sealed_to(clerk, clerk),))
    await ask(world, keys.put_envelopes, clerk, to_self)
    newcomer = world.connect("giin1")
    mailbox(clerk).take()
    certify = m.CertifyDevice(rid=2, device_id=newcomer.who.device_id, certificate=b"cert")
    await ask(world, keys.certify_device, admin, certify)
    assert mailbox(admin).only(m.Done).rid == 2
    needed = mailbox(clerk).only(m.KeyNeeded)
    assert needed.meeting_id == MEETING_ID
    assert [d.device_id for d in needed.devices] == [newcomer.who.device_id]
    assert needed.devices[0].certificate == b"cert"


async def test_only_an_administrator_lists_certified_devices_page_by_page(world: World) -> None:
    """(1.6) ``list_certified``: the organisation's certified, not revoked devices, paged
    within the frame limit (700 bytes here: one device a page)."""
    member, admin = world.connect("giin1"), world.connect("admin")
    others = [world.connect(user) for user in ("giin2", "giin3")]
    assert (
        await refused(world, keys.list_certified, member, m.ListCertified(rid=1))
        is ErrorCode.FORBIDDEN
    )
    for rid, client in enumerate((member, *others), start=2):
        certificate = client.who.device_id.encode() * 10  # big enough for a page of its own
        certify = m.CertifyDevice(rid=rid, device_id=client.who.device_id, certificate=certificate)
        await ask(world, keys.certify_device, admin, certify)
    mailbox(admin).take()
    world.store.revoke_device(others[1].who.device_id)
    listed = await pages(
        world,
        admin,
        keys.list_certified,
        lambda at: m.ListCertified(rid=9, offset=at),
        m.CertifiedListed,
        lambda reply: (reply.next_offset, reply.more),
    )
    assert len(listed) > 1  # it did page
    shown = [d for page in listed for d in page.devices]
    assert sorted((d.device_id, d.certificate) for d in shown) == sorted(
        (c.who.device_id, c.who.device_id.encode() * 10) for c in (member, others[0])
    )  # the uncertified admin device and the revoked one are left out
