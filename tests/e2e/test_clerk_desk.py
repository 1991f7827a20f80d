"""The clerk's desk (議会事務局) over a real relay: who holds which version, and withdrawal.

Receipts are signed by the receiving device (protocol 1.5) and verified on the clerk's device;
the hostile-relay tests invent, replay and strip receipts and check that none of them is ever
shown as a verified delivery.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from furano_meet.cli import main as cli_main
from furano_meet.net import RelayError
from furano_meet.protocol import messages as m
from furano_meet.store.records import DocumentState
from furano_meet.sync.delivery import DeliveryReport, MemberDelivery
from furano_meet.sync.events import DocumentReady, DocumentWithdrawn, RosterAccepted
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import Council, Device
from tests.e2e.hostile import TO_CLIENT, TO_RELAY, HostileRelay
from tests.pdfs import generate_agenda_pack

MEMBERS = ["giin1", "giin2", "giin3", "iincho", "jimukyoku"]


def device_id(device: Device) -> str:
    return device.engine.account.device_id


async def receipts_at_relay(relay: Relay, count: int) -> list[m.Receipt]:
    """Wait until the relay has recorded ``count`` receipts (the members' devices confirm
    right after accepting a document)."""
    async with asyncio.timeout(20):
        while len(found := await relay.store.run(relay.store.receipts, MEETING_ID)) < count:
            await asyncio.sleep(0.01)
    return found


async def receipt_of(relay: Relay, device: Device) -> m.Receipt:
    """The one receipt ``device`` confirmed (the clerk's device confirms its own as well)."""
    async with asyncio.timeout(20):
        while True:
            found = await relay.store.run(relay.store.receipts, MEETING_ID)
            mine = [r for r in found if r.device_id == device_id(device)]
            if mine:
                (receipt,) = mine
                return receipt
            await asyncio.sleep(0.01)


def member(report: DeliveryReport, user_id: str, index: int = 0) -> MemberDelivery:
    return next(u for u in report.documents[index].members if u.user_id == user_id)


async def clerk_and_members(council: Council, *users: str) -> tuple[Device, list[Device]]:
    clerk = await council.device("jimukyoku")
    await clerk.engine.set_roster(MEETING_ID, MEMBERS)
    await clerk.engine.create_meeting_key(MEETING_ID)
    return clerk, [await council.device(u) for u in users]


async def publish(clerk: Device, version: int = 1, document_id: str = "gian-1") -> None:
    pdf = generate_agenda_pack(title=f"議案書 第{version}版", pages=3)
    await clerk.engine.publish_document(
        MEETING_ID, pdf, title="議案書", document_id=document_id, version=version
    )


async def test_delivery_shows_who_holds_which_version_and_withdrawal_reaches_members(
    council: Council, relay: Relay
) -> None:
    clerk, (giin1, giin2, giin3) = await clerk_and_members(council, "giin1", "giin2", "giin3")
    await giin3.stop()  # offline all along
    await publish(clerk)
    for device in (giin1, giin2):
        await device.wait_for(DocumentReady, lambda e: e.document_id == "gian-1")
    await receipts_at_relay(relay, 3)  # the clerk's own device confirms too

    report = await clerk.engine.delivery(MEETING_ID)
    assert (report.meeting_id, report.dropped, report.roster_version) == (MEETING_ID, 0, 1)
    (doc,) = report.documents
    assert (doc.document_id, doc.version, doc.title) == ("gian-1", 1, "議案書")
    assert [u.user_id for u in doc.members] == MEMBERS  # everyone on the roster
    holders = {"giin1", "giin2", "jimukyoku"}  # the clerk keeps what it publishes
    assert {u.user_id for u in doc.members if u.has_latest} == holders
    assert {u.user_id for u in doc.members if u.latest_verified} == holders
    (receipt,) = member(report, "giin1").devices
    assert (receipt.device_id, receipt.version, receipt.verified) == (device_id(giin1), 1, True)
    assert receipt.received_at is not None
    offline = member(report, "giin3")
    assert (offline.has_latest, offline.has_older, offline.devices) == (False, None, ())
    assert member(report, "giin1").display_name == "委員 北野"

    # 差し替え while giin2 is away: giin1 holds v2, giin2 still only v1.
    await giin2.stop()
    await publish(clerk, version=2)
    await giin1.wait_for(DocumentReady, lambda e: (e.document_id, e.version) == ("gian-1", 2))
    await receipts_at_relay(relay, 5)
    report = await clerk.engine.delivery(MEETING_ID)
    assert report.documents[0].version == 2
    first, second = member(report, "giin1"), member(report, "giin2")
    assert (first.has_latest, first.latest_verified, first.has_older) == (True, True, 1)
    assert (second.has_latest, second.latest_verified, second.has_older) == (False, False, 1)

    # Members may neither see receipts nor withdraw.
    for refused in (giin1.engine.delivery(MEETING_ID),):
        with pytest.raises(RelayError) as forbidden:
            await refused
        assert forbidden.value.code == "forbidden"
    with pytest.raises(RelayError) as forbidden:
        await giin1.engine.withdraw_document(MEETING_ID, "gian-1")
    assert forbidden.value.code == "forbidden"

    await clerk.engine.withdraw_document(MEETING_ID, "gian-1")
    await clerk.wait_for(DocumentWithdrawn, lambda e: e.document_id == "gian-1")
    await giin1.wait_for(DocumentWithdrawn, lambda e: e.document_id == "gian-1")
    assert {d.state for d in await giin1.engine.documents(MEETING_ID)} == {DocumentState.WITHDRAWN}
    assert (await clerk.engine.delivery(MEETING_ID)).documents == ()
    with pytest.raises(RelayError) as again:
        await clerk.engine.withdraw_document(MEETING_ID, "gian-1")
    assert again.value.code == "not_found"
    # giin2 was away: it learns of the withdrawal when it comes back.
    giin2 = await council.restart(giin2)
    await giin2.engine.wait_online()
    docs = await giin2.engine.documents(MEETING_ID)
    assert docs and all(d.state is DocumentState.WITHDRAWN for d in docs)


async def test_an_offline_clerk_is_told_so(council: Council) -> None:
    clerk, _ = await clerk_and_members(council)
    await clerk.stop()
    for call in (
        clerk.engine.delivery(MEETING_ID),
        clerk.engine.withdraw_document(MEETING_ID, "x"),
    ):
        with pytest.raises(RelayError) as offline:
            await call
        assert offline.value.code == "offline"


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="furano.sync")
    return caplog


async def test_a_relay_cannot_invent_replay_or_strip_a_delivery(
    hostile: HostileRelay, hostile_council: Council, warnings: pytest.LogCaptureFixture
) -> None:
    clerk, (giin1, giin2) = await clerk_and_members(hostile_council, "giin1", "giin2")
    await giin2.stop()  # giin2 never receives anything
    await publish(clerk)
    await giin1.wait_for(DocumentReady, lambda e: e.document_id == "gian-1")
    genuine = await receipt_of(hostile.relay, giin1)
    assert genuine.signed  # a 1.5 device signs its receipt
    await giin1.stop()  # giin1 holds v1 only
    await publish(clerk, version=2)

    honest = await clerk.engine.delivery(MEETING_ID)
    assert honest.dropped == 0
    assert (member(honest, "giin1").has_older, member(honest, "giin1").has_latest) == (1, False)

    g2 = device_id(giin2)
    forged = genuine.signed[:-10] + bytes(10)  # a signature that does not verify
    invented = (
        # receipts the relay makes up
        m.Receipt(
            user_id="giin2", device_id="ghost", document_id="gian-1", version=2, received_at=""
        ),
        m.Receipt(
            user_id="giin2",
            device_id=g2,
            document_id="gian-1",
            version=2,
            received_at="",
            signed=forged,
        ),
        # giin1's genuine receipt replayed under another device, another user, another version
        dataclasses.replace(genuine, user_id="giin2", device_id=g2),
        dataclasses.replace(genuine, user_id="giin2"),
        dataclasses.replace(genuine, version=2),
    )
    rule = hostile.replace(
        TO_CLIENT,
        m.ReceiptsListed,
        lambda listed: dataclasses.replace(listed, receipts=listed.receipts + invented),
        device=device_id(clerk),
    )
    report = await clerk.engine.delivery(MEETING_ID)
    assert rule.hits == 1 and report.dropped == len(invented)
    assert report.documents[0].members == honest.documents[0].members  # nothing added
    assert sum("dropping" in r.getMessage() for r in warnings.records) == len(invented)
    rule.remove()

    # Signatures stripped: the receipt can only be shown as the relay's word, never verified.
    rule = hostile.replace(
        TO_CLIENT,
        m.ReceiptsListed,
        lambda listed: dataclasses.replace(
            listed, receipts=tuple(dataclasses.replace(r, signed=b"") for r in listed.receipts)
        ),
        device=device_id(clerk),
    )
    stripped = await clerk.engine.delivery(MEETING_ID)
    (receipt,) = member(stripped, "giin1").devices
    assert (receipt.version, receipt.verified) == (1, False)
    assert not any(u.latest_verified for u in stripped.documents[0].members)
    rule.remove()
    # ... and an unsigned receipt the relay makes up for a real device is the relay's word too.
    made_up = m.Receipt(
        user_id="giin2", device_id=g2, document_id="gian-1", version=2, received_at=""
    )
    hostile.replace(
        TO_CLIENT,
        m.ReceiptsListed,
        lambda listed: dataclasses.replace(listed, receipts=(made_up,)),
        device=device_id(clerk),
    )
    lied = await clerk.engine.delivery(MEETING_ID)
    assert member(lied, "giin2").has_latest and not member(lied, "giin2").latest_verified


async def test_an_older_members_receipt_is_shown_but_not_verified(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """A 1.4 member app (here: a member whose hello and welcome say 1.4) confirms unsigned."""
    clerk, _ = await clerk_and_members(hostile_council)
    hostile.replace(TO_RELAY, m.Hello, lambda hello: dataclasses.replace(hello, minor=4))
    hostile.replace(TO_CLIENT, m.Welcome, lambda welcome: dataclasses.replace(welcome, minor=4))
    older = await hostile_council.device("giin1")
    await publish(clerk)
    await older.wait_for(DocumentReady, lambda e: e.document_id == "gian-1")
    receipt = await receipt_of(hostile.relay, older)
    assert receipt.signed == b""
    report = await clerk.engine.delivery(MEETING_ID)
    shown = member(report, "giin1")
    assert (shown.has_latest, shown.latest_verified, report.dropped) == (True, False, 0)
    assert [(d.device_id, d.verified) for d in shown.devices] == [(device_id(older), False)]


async def test_the_clerk_sees_receipts_and_withdraws_from_the_command_line(
    council: Council, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """``furano-meet receipts MEETING`` and ``furano-meet withdraw MEETING DOCUMENT``."""
    clerk, (giin1,) = await clerk_and_members(council, "giin1")
    await publish(clerk)
    await giin1.wait_for(DocumentReady, lambda e: e.document_id == "gian-1")
    await receipts_at_relay(relay, 1)
    await clerk.stop()
    clerk.store.close()
    capsys.readouterr()
    profile = ["--data", str(clerk.store.directory.parents[1]), "--profile", clerk.store.profile_id]

    assert await asyncio.to_thread(cli_main, [*profile, "receipts", MEETING_ID]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "gian-1 v1  議案書"
    assert "    委員 北野 (giin1): has v1 (confirmed by the device)" in lines
    assert "    委員 東山 (giin2): nothing yet" in lines
    assert "        on 'giin1': v1 (signed)" in lines  # by the name its certificate carries
    assert len([line for line in lines if not line.startswith("        ")]) == 1 + len(MEMBERS)

    assert await asyncio.to_thread(cli_main, [*profile, "withdraw", MEETING_ID, "gian-1"]) == 0
    assert capsys.readouterr().out == f"Withdrew gian-1 from {MEETING_ID}.\n"
    await giin1.wait_for(DocumentWithdrawn, lambda e: e.document_id == "gian-1")
    assert await asyncio.to_thread(cli_main, [*profile, "withdraw", MEETING_ID, "gian-1"]) == 1
    assert "no published document" in capsys.readouterr().err


async def test_the_committee_travels_signed_in_the_roster(council: Council) -> None:
    """Item 4: the 会議体 is the clerk's signed word, kept across rosters until changed."""
    clerk, (giin1,) = await clerk_and_members(council, "giin1")
    assert await giin1.engine.committee(MEETING_ID) is None  # a screen falls back to the title
    await clerk.engine.set_roster(MEETING_ID, MEMBERS, committee="総務文教委員会")
    await giin1.wait_for(RosterAccepted, lambda e: e.version == 2)
    assert await giin1.engine.committee(MEETING_ID) == "総務文教委員会"
    await clerk.engine.set_export_allowed(MEETING_ID, False)  # other changes keep it
    await giin1.wait_for(RosterAccepted, lambda e: e.version == 3)
    assert await giin1.engine.committee(MEETING_ID) == "総務文教委員会"
    await clerk.engine.set_roster(MEETING_ID, MEMBERS, committee="")
    await giin1.wait_for(RosterAccepted, lambda e: e.version == 4)
    assert await giin1.engine.committee(MEETING_ID) is None
