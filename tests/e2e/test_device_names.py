"""Device names over a real relay: named by the member, signed by the device, then by the root.

The path a name takes: the member names the device at enrolment (signed into the claim with the
device's key) → the administrator sees it beside the fingerprint → certifies (the root signs it
into the certificate) → the administrator's list of certified devices and the clerk's desk show
it. The relay's operator, with the relay's database at hand, tries to rename a device before
and after certification; both are refused.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest

from furano_meet.cli import main as cli_main
from furano_meet.crypto import BadSignature, canonical_json, framing, verify_device_certificate
from furano_meet.crypto.device_names import DeviceNameInvalid
from furano_meet.net import RelayError
from furano_meet.protocol import messages as m
from furano_meet.sync.account import Account, enrol
from furano_meet.sync.admin import certified_devices, certify, device_fingerprint, pending_devices
from furano_meet.sync.certification import check_certification
from furano_meet.sync.events import DocumentReady
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import Council, Device
from tests.e2e.hostile import TO_CLIENT, TO_RELAY, HostileRelay
from tests.e2e.test_clerk_desk import clerk_and_members, member, publish, receipts_at_relay
from tests.e2e.test_invitations import (
    certificate_of,
    marker_certified,
    new_store,
    sql,
    stored_claim,
)

NAME = "会議室タブレット 12"


def device_id(device: Device) -> str:
    return device.engine.account.device_id


async def waiting_named(council: Council, name: str = NAME) -> tuple[Device, Device]:
    """The administrator (engine stopped: it certifies by hand from here) and a new device of
    giin1 the member named ``name``, waiting for its certificate."""
    admin = council.admin
    assert admin is not None
    await admin.stop()
    named = await council.device("giin1", "giin1-kaigi", start=False, device_name=name)
    return admin, named


def renamed(signed: bytes, magic: bytes, parts: int, index: int, name: str) -> bytes:
    """``signed`` with the device name in its JSON part ``index`` replaced, signatures kept."""
    fields = framing.decode(signed, magic, parts, "signed object")
    fields[index] = canonical_json.dumps({**json.loads(fields[index]), "device_name": name})
    return framing.encode(magic, *fields)


async def test_the_members_name_reaches_the_administrator_the_certificate_and_the_desk(
    council: Council, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    clerk, _ = await clerk_and_members(council)
    admin, named = await waiting_named(council, f"  {NAME}\u3000")  # trimmed, then signed
    assert named.engine.account.device_name == NAME

    # the administrator sees the name beside the fingerprint, and certifies
    listed = await pending_devices(admin.engine.account, admin.store)
    shown = next(d for d in listed if d.device_id == device_id(named))
    assert (shown.device_name, shown.problem, shown.user_id) == (NAME, "", "giin1")
    fingerprint = device_fingerprint(named.engine.account)
    done = await certify(admin.engine.account, admin.store, device_id(named), fingerprint)
    assert done.device_name == NAME
    certificate = await certificate_of(relay, device_id(named))
    assert verify_device_certificate(certificate, council.fingerprint).device_name == NAME

    # the administrator's list of certified devices: names from the certificates
    certified = await certified_devices(admin.engine.account)
    names = {d.device_id: (d.device_name, d.user_id) for d in certified}
    assert names[device_id(named)] == (NAME, "giin1")
    assert names[device_id(clerk)] == ("jimukyoku", "jimukyoku")
    assert names[admin.engine.account.device_id] == ("admin", "admin")  # its own, named too

    # the clerk's desk: who has it, on which device
    named.start()
    await publish(clerk)
    await named.wait_for(DocumentReady, lambda e: e.document_id == "gian-1")
    await receipts_at_relay(relay, 2)  # the clerk's own device confirms too
    report = await clerk.engine.delivery(MEETING_ID)
    (receipt,) = member(report, "giin1").devices
    assert (receipt.device_id, receipt.device_name, receipt.verified) == (
        device_id(named),
        NAME,
        True,
    )

    # and on the command line: ``furano-meet devices`` (the administrator's profile)
    admin.store.close()
    capsys.readouterr()
    profile = ["--data", str(admin.store.directory.parents[1]), "--profile", admin.store.profile_id]
    assert await asyncio.to_thread(cli_main, [*profile, "devices"]) == 0
    listed_lines = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith(f"{device_id(named)}  '{NAME}'  giin1") and fingerprint in line
        for line in listed_lines
    ), listed_lines


async def test_the_relay_renaming_a_pending_device_is_refused_and_nothing_certified(
    council: Council, relay: Relay
) -> None:
    admin, named = await waiting_named(council)
    claim, _ = await stored_claim(relay, device_id(named))
    forged = renamed(claim, b"FMEC", 3, 0, "議長の端末")
    await sql(relay, "UPDATE devices SET claim = ? WHERE device_id = ?", forged, device_id(named))

    listed = await pending_devices(admin.engine.account, admin.store)
    shown = next(d for d in listed if d.device_id == device_id(named))
    assert shown.device_name == ""  # an unverified name is never shown
    assert "altered after the device made it" in shown.problem
    with pytest.raises(BadSignature, match="altered after the device made it"):
        await certify(
            admin.engine.account,
            admin.store,
            device_id(named),
            device_fingerprint(named.engine.account),
        )
    await council.restart(admin)  # nor does the automatic certifier vouch for it
    await marker_certified(council, relay)
    assert await certificate_of(relay, device_id(named)) == b""


async def test_the_relay_renaming_a_certified_device_breaks_its_certificate(
    council: Council, relay: Relay
) -> None:
    admin, named = await waiting_named(council)
    account = named.engine.account
    await certify(admin.engine.account, admin.store, account.device_id, device_fingerprint(account))
    certificate = await certificate_of(relay, account.device_id)
    forged = renamed(certificate, b"FMCT", 3, 1, "議長の端末")
    await sql(
        relay, "UPDATE devices SET certificate = ? WHERE device_id = ?", forged, account.device_id
    )
    with pytest.raises(BadSignature):
        verify_device_certificate(forged, council.fingerprint)
    certified = await certified_devices(admin.engine.account)
    assert account.device_id not in {d.device_id for d in certified}  # left out, logged
    assert admin.engine.account.device_id in {d.device_id for d in certified}
    with pytest.raises(BadSignature):  # the device itself refuses it too
        await check_certification(account, named.store)


@pytest.mark.parametrize(
    ("name", "problem"),
    [("議長\u202egnp.exe", "hidden_character"), ("x" * 500, "too_long"), (" ", "empty")],
    ids=["bidi-override", "500-characters", "blank"],
)
async def test_a_bad_name_is_refused_before_anything_is_sent(
    council: Council, relay: Relay, name: str, problem: str
) -> None:
    def devices() -> int:
        return int(relay.store.db.execute("SELECT count(*) FROM devices").fetchone()[0])

    before = await relay.store.run(devices)
    invitation = await council.invitation("giin1")
    store = new_store(council, "giin1-bad-name")
    try:
        with pytest.raises(DeviceNameInvalid) as refused:
            await enrol(store, relay.url, invitation, name)
        assert Account.load(store) is None
    finally:
        store.close()
    assert (refused.value.code, refused.value.problem) == ("device_name_invalid", problem)
    assert await relay.store.run(devices) == before
    # the invitation was not spent: the same one enrols with a good name
    store = new_store(council, "giin1-good-name")
    try:
        assert (await enrol(store, relay.url, invitation, NAME)).device_name == NAME
    finally:
        store.close()


async def test_an_older_relay_cannot_list_certified_devices_and_says_so(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """A 1.5 relay (here: hello and welcome rewritten to 1.5) knows no ``list_certified``:
    the administrator is told the relay is too old; nothing is sent it cannot read."""
    admin = hostile_council.admin
    assert admin is not None
    hostile.replace(TO_RELAY, m.Hello, lambda hello: dataclasses.replace(hello, minor=5))
    hostile.replace(TO_CLIENT, m.Welcome, lambda welcome: dataclasses.replace(welcome, minor=5))
    with pytest.raises(RelayError) as refused:
        await certified_devices(admin.engine.account)
    assert refused.value.code == "version_unsupported"
    assert hostile.seen(TO_RELAY, m.ListCertified) == []
