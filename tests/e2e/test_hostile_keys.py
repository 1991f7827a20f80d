"""Issue #8, keys and membership: a relay (or a member) that tries to plant keys or members.

Every test drives real engines through :class:`~tests.e2e.hostile.HostileRelay` — the real
relay behind a proxy the test controls, plus the relay's own database — and plays the
attacker: the relay sealing its own key to members' tablets (HPKE authenticates no sender),
forging or replaying rosters, naming non-members' devices, or a plain member abusing the
relay's key slots. Before protocol 1.3 every one of these succeeded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

import pytest

from furano_meet.cli import main as cli_main
from furano_meet.crypto import (
    DeviceCertificate,
    MeetingKey,
    OrgRootKey,
    PrivateAnnotationKey,
    epochs,
    issue_device_certificate,
    seal_annotation_key,
    seal_meeting_key,
    verify_device_certificate,
)
from furano_meet.crypto import roster as rosters
from furano_meet.crypto.authority import SignedKind
from furano_meet.crypto.signed_envelopes import sign_envelope
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.sync import private_keys
from furano_meet.sync.events import DocumentReady
from furano_meet.sync.receiving import stored_meeting_key
from server.demo import MEETING_ID, ORG_ID
from server.relay import Relay
from tests.e2e.council import Council, Device, clerk_on_the_command_line, wait_until
from tests.e2e.hostile import TO_CLIENT, TO_RELAY, HostileRelay
from tests.pdfs import generate_agenda_pack

REFUSED_KEY = "refusing a meeting key envelope"
REFUSED_PRIVATE = "refusing a private key envelope"
NOT_SEALED = "not sealing the meeting key to device"
REFUSED_ROSTER = "refusing a roster"


@pytest.fixture(autouse=True)
def sync_warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="furano.sync")
    return caplog


async def logged(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 20) -> str:
    """Wait for the engine to say it refused something (the positive marker of a refusal)."""
    async with asyncio.timeout(timeout):
        while True:
            for record in caplog.records:
                if text in record.getMessage():
                    return record.getMessage()
            await asyncio.sleep(0.01)


async def refused_or_taken(
    caplog: pytest.LogCaptureFixture, text: str, taken: Callable[[], bool]
) -> None:
    """Wait until the engine either refused the planted key (logged ``text``) or took it, so
    that the assertion after this fails fast — and says what went wrong — on a client that
    takes it (as every client before protocol 1.3 did)."""
    await wait_until(lambda: taken() or any(text in r.getMessage() for r in caplog.records))
    assert not taken(), "the device took the planted key"


def device_id(device: Device) -> str:
    return device.engine.account.device_id


async def certificate(hostile: HostileRelay, council: Council, device: Device) -> DeviceCertificate:
    """A device's certificate as the relay holds it (public: the relay can seal to it)."""
    relay = hostile.relay
    listed = await relay.store.run(relay.store.member_device_keys, MEETING_ID)
    if not any(d.device_id == device_id(device) for d in listed):
        listed = await relay.store.run(relay.store.uncertified_devices, ORG_ID)
    info = next(d for d in listed if d.device_id == device_id(device))
    return verify_device_certificate(info.certificate, council.fingerprint)


def as_any_role(kind: SignedKind) -> SignedKind:
    """The same kind of object with the role check of *signing* removed: what a member's
    patched client (or a relay with a member's device key) can make. Verifiers still check."""
    return dataclasses.replace(kind, signer_roles=None)


def member_record(key: MeetingKey, signer: Device, cert: DeviceCertificate) -> bytes:
    content = {
        "meeting_id": key.meeting_id,
        "epoch": key.epoch,
        "key_commitment": epochs.key_commitment(key),
        "roster_hash": "0" * 64,
    }
    return as_any_role(epochs.KIND).sign(content, signer.engine.account.keys, cert)


async def meeting_with_keys(council: Council, *users: str) -> tuple[Device, list[Device]]:
    """The clerk made epoch 1 (roster v1 from the relay's members); each user's device holds it."""
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    devices = [await council.device(user) for user in users]
    for device in devices:
        await wait_until(lambda d=device: has_key(d, 1))  # type: ignore[misc]
    return clerk, devices


def has_key(device: Device, epoch: int) -> bool:
    return device.store.meeting_key_at(MEETING_ID, epoch) is not None


def planted(
    key: MeetingKey, to: DeviceCertificate, *, epoch_record: bytes = b"", record_signer: bytes = b""
) -> m.KeyEnvelopesDelivered:
    """A push of ``key`` sealed to ``to`` (what any relay can make: it knows public keys)."""
    envelope = m.KeyEnvelope(
        device_id=to.device_id,
        epoch=min(key.epoch, 2**53 - 1),
        envelope=seal_meeting_key(key, to),
        sealed_by="relay",
        epoch_record=epoch_record,
        record_signer=record_signer,
    )
    return m.KeyEnvelopesDelivered(meeting_id=MEETING_ID, envelopes=(envelope,))


# -- planted meeting keys ------------------------------------------------------------------------


@pytest.mark.parametrize("record", ["none", "epoch 1's genuine record"])
async def test_a_relay_cannot_plant_its_own_meeting_key_as_epoch_2(
    hostile: HostileRelay,
    hostile_council: Council,
    sync_warnings: pytest.LogCaptureFixture,
    record: str,
) -> None:
    clerk, (member,) = await meeting_with_keys(hostile_council, "giin1")
    own = await certificate(hostile, hostile_council, member)
    evil = MeetingKey.generate(MEETING_ID, 2)
    extra: dict[str, bytes] = {}
    if record != "none":  # a genuine, clerk-signed record — for another epoch and key
        genuine = hostile.seen(TO_CLIENT, m.KeyEnvelopesDelivered)
        first = next(e for d in genuine for e in d.envelopes if e.epoch_record)
        extra = {"epoch_record": first.epoch_record, "record_signer": first.record_signer}
    await hostile.inject(TO_CLIENT, device_id(member), planted(evil, own, **extra))
    await refused_or_taken(
        sync_warnings, REFUSED_KEY, lambda: member.store.meeting_key_at(MEETING_ID, 2) is not None
    )
    current = stored_meeting_key(member.store, MEETING_ID)
    assert current is not None and current.epoch == 1
    # The clerk's next document is still under the genuine key, and the member reads it.
    pdf = generate_agenda_pack(title="議案書", pages=3)
    doc = await clerk.engine.publish_document(MEETING_ID, pdf, title="議案書")
    await member.wait_for(DocumentReady, lambda e: e.document_id == doc.document_id)
    assert await member.engine.open_document(doc.document_id, 1) == pdf


async def test_a_planted_key_row_is_refused_when_the_device_fetches_it(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    """The relay's disk, not its wire: a row in ``key_envelopes`` with the relay's own key."""
    _, (member,) = await meeting_with_keys(hostile_council, "giin1")
    own = await certificate(hostile, hostile_council, member)
    evil = MeetingKey.generate(MEETING_ID, 2)
    sealed = seal_meeting_key(evil, own)
    await hostile.rows(
        lambda db: db.execute(
            "INSERT INTO key_envelopes (meeting_id, device_id, purpose, epoch, envelope,"
            " sealed_by, created_at) VALUES (?, ?, 'meeting', 2, ?, 'relay', '')",
            (MEETING_ID, own.device_id, sealed),
        )
    )
    await hostile_council.restart(member)
    await refused_or_taken(
        sync_warnings, REFUSED_KEY, lambda: member.store.meeting_key_at(MEETING_ID, 2) is not None
    )


async def test_a_key_of_epoch_2_to_the_64_is_refused_and_rotation_still_works(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    clerk, (member,) = await meeting_with_keys(hostile_council, "giin1")
    own = await certificate(hostile, hostile_council, member)
    await hostile.inject(
        TO_CLIENT, device_id(member), planted(MeetingKey.generate(MEETING_ID, 2**64 - 1), own)
    )
    message = await logged(sync_warnings, REFUSED_KEY)
    assert "outside 1..2147483647" in message
    assert await clerk.engine.rotate_meeting_key(MEETING_ID) == 2
    await wait_until(lambda: member.store.meeting_key_at(MEETING_ID, 2) is not None)
    assert {e for e, _ in member.store.meeting_key_epochs(MEETING_ID)} == {1, 2}


async def test_a_record_signed_by_a_member_does_not_make_a_key(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    """A relay colluding with a member (who signs the record with their own device key)."""
    _, (member, accomplice) = await meeting_with_keys(hostile_council, "giin1", "giin2")
    own = await certificate(hostile, hostile_council, member)
    signer = await certificate(hostile, hostile_council, accomplice)
    evil = MeetingKey.generate(MEETING_ID, 2)
    record = member_record(evil, accomplice, signer)
    push = planted(evil, own, epoch_record=record, record_signer=signer.encoded)
    await hostile.inject(TO_CLIENT, device_id(member), push)
    await refused_or_taken(
        sync_warnings, REFUSED_KEY, lambda: member.store.meeting_key_at(MEETING_ID, 2) is not None
    )
    assert "unauthorised_signer" in await logged(sync_warnings, REFUSED_KEY)


# -- planted private-note keys -------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["the relay (unsigned)", "another member's device"])
async def test_a_planted_private_key_of_epoch_0_is_refused(
    hostile: HostileRelay,
    hostile_council: Council,
    sync_warnings: pytest.LogCaptureFixture,
    sender: str,
) -> None:
    _, (member, accomplice) = await meeting_with_keys(hostile_council, "giin1", "giin2")
    own = await certificate(hostile, hostile_council, member)
    evil = PrivateAnnotationKey.generate("giin1", 0)
    sealed = seal_annotation_key(evil, own)
    if sender != "the relay (unsigned)":
        signer = await certificate(hostile, hostile_council, accomplice)
        sealed = sign_envelope(sealed, accomplice.engine.account.keys, signer)
    envelope = m.KeyEnvelope(
        device_id=own.device_id, epoch=0, envelope=sealed, sealed_by="relay", purpose="private"
    )
    push = m.KeyEnvelopesDelivered(meeting_id=MEETING_ID, envelopes=(envelope,))
    await hostile.inject(TO_CLIENT, device_id(member), push)
    await refused_or_taken(
        sync_warnings,
        REFUSED_PRIVATE,
        lambda: 0 in private_keys.load(member.store, MEETING_ID, "giin1"),
    )
    held = private_keys.load(member.store, MEETING_ID, "giin1")
    assert 0 not in held
    assert all(key.export() != evil.export() for key in held.values())


# -- a member abusing the relay's key slots (finding 6) --------------------------------------------


async def test_a_members_huge_epoch_envelope_is_refused_by_relay_and_clients(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    clerk, (member, other) = await meeting_with_keys(hostile_council, "giin1", "giin2")
    mine = await certificate(hostile, hostile_council, member)
    huge = MeetingKey.generate(MEETING_ID, 2**53 - 1)
    envelope = m.KeyEnvelope(
        device_id=mine.device_id,
        epoch=huge.epoch,
        envelope=seal_meeting_key(huge, mine),
        epoch_record=member_record(huge, member, mine),
        record_signer=mine.encoded,
    )
    async with await RelayConnection.connect(hostile.relay.url) as conn:
        await conn.authenticate(device_id(member), member.engine.account.token)
        with pytest.raises(RelayError) as refused:
            await conn.request(m.PutKeyEnvelopes(meeting_id=MEETING_ID, envelopes=(envelope,)))
        assert refused.value.code == "forbidden"
        other_cert = await certificate(hostile, hostile_council, other)
        pre_seal = dataclasses.replace(
            envelope, device_id=other_cert.device_id, epoch=2, envelope=b"pre-sealed"
        )
        with pytest.raises(RelayError):
            await conn.request(m.PutKeyEnvelopes(meeting_id=MEETING_ID, envelopes=(pre_seal,)))
    # A relay that delivers it anyway: the other member's device refuses it.
    await hostile.inject(
        TO_CLIENT,
        device_id(other),
        planted(huge, other_cert, epoch_record=envelope.epoch_record, record_signer=mine.encoded),
    )
    await logged(sync_warnings, REFUSED_KEY)
    assert {e for e, _ in other.store.meeting_key_epochs(MEETING_ID)} == {1}
    # The service still works: the clerk is still the key holder a new device is sent to.
    tablet = await hostile_council.device("giin1", "giin1-tablet")
    await wait_until(lambda: tablet.store.meeting_key_at(MEETING_ID, 1) is not None)
    assert clerk.store.meeting_key_at(MEETING_ID, 1) is not None


# -- membership: signed rosters ------------------------------------------------------------------


async def test_a_forged_roster_adds_nobody(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    clerk = await hostile_council.device("jimukyoku")
    assert await clerk.engine.set_roster(MEETING_ID, ["jimukyoku", "iincho", "giin1"]) == 1
    await clerk.engine.create_meeting_key(MEETING_ID)
    accomplice = await hostile_council.device("giin2")  # on the relay's list, not the roster
    signer = await certificate(hostile, hostile_council, accomplice)
    members = ["giin1", "giin2", "giin3", "iincho", "jimukyoku"]
    by_member = as_any_role(rosters.KIND).sign(
        {"meeting_id": MEETING_ID, "version": 2, "members": members, "note_editors": []},
        accomplice.engine.account.keys,
        signer,
    )
    # ... and one signed by a clerk certificate of the relay's own root.
    fake_root = OrgRootKey.generate()
    fake_cert = issue_device_certificate(
        fake_root,
        org_id=ORG_ID,
        user_id="jimukyoku",
        device_id="relay-clerk",
        role="clerk",
        public_bundle=accomplice.engine.account.keys.public_bundle(),
    )
    by_fake_root = as_any_role(rosters.KIND).sign(
        {"meeting_id": MEETING_ID, "version": 3, "members": members, "note_editors": []},
        accomplice.engine.account.keys,
        verify_device_certificate(fake_cert, fake_root.fingerprint()),
    )
    for forged, cert in ((by_member, signer.encoded), (by_fake_root, fake_cert)):
        push = m.RosterChanged(meeting_id=MEETING_ID, roster=forged, signer_certificate=cert)
        await hostile.inject(TO_CLIENT, device_id(clerk), push)
    await logged(sync_warnings, "key_substitution")
    await logged(sync_warnings, "unauthorised_signer")
    await logged(sync_warnings, NOT_SEALED)  # key_needed for the accomplice: ignored
    assert await clerk.engine.rotate_meeting_key(MEETING_ID) == 2
    envelopes = await hostile.relay.store.run(
        hostile.relay.store.envelopes_for, MEETING_ID, signer.device_id
    )
    assert [e for e in envelopes if e.purpose == "meeting"] == []
    assert accomplice.store.meeting_key_at(MEETING_ID, 1) is None


async def test_a_non_members_device_named_by_the_relay_gets_no_key(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    clerk = await hostile_council.device("jimukyoku")
    await clerk.engine.set_roster(MEETING_ID, ["jimukyoku", "giin1"])
    await clerk.engine.create_meeting_key(MEETING_ID)
    member = await hostile_council.device("giin1")
    await wait_until(lambda: member.store.meeting_key_at(MEETING_ID, 1) is not None)
    # The relay lists the administrator's device (not even a meeting member) among the
    # meeting's devices and asks the clerk to seal for it and for giin3's new tablet.
    admin = hostile_council.devices[0]
    admin_info = m.DeviceKeyInfo(
        user_id="admin",
        device_id=device_id(admin),
        public_keys=admin.engine.account.keys.public_bundle().to_bytes(),
        certificate=(await certificate_any(hostile, hostile_council, admin)).encoded,
        role="admin",
    )
    hostile.replace(
        TO_CLIENT,
        m.DeviceKeysListed,
        lambda listed: dataclasses.replace(listed, devices=(*listed.devices, admin_info)),
        device=device_id(clerk),
    )
    stranger = await hostile_council.device("giin3")  # relay member, not on the roster
    await logged(sync_warnings, NOT_SEALED)
    await hostile.inject(
        TO_CLIENT, device_id(clerk), m.KeyNeeded(meeting_id=MEETING_ID, devices=(admin_info,))
    )
    await wait_until(lambda: sum(NOT_SEALED in r.getMessage() for r in sync_warnings.records) >= 2)
    assert await clerk.engine.rotate_meeting_key(MEETING_ID) == 2
    for target in (stranger, admin):
        held = await hostile.relay.store.run(
            hostile.relay.store.envelopes_for, MEETING_ID, device_id(target)
        )
        assert [e for e in held if e.purpose == "meeting"] == []
    assert stranger.store.meeting_key_at(MEETING_ID, 1) is None


async def certificate_any(
    hostile: HostileRelay, council: Council, device: Device
) -> DeviceCertificate:
    """Any device's certificate from the relay's devices table (members or not)."""

    def read(db: object) -> bytes:
        row = hostile.relay.store.db.execute(
            "SELECT certificate FROM devices WHERE device_id = ?", (device_id(device),)
        ).fetchone()
        return bytes(row[0])

    return verify_device_certificate(await hostile.rows(read), council.fingerprint)


async def test_removal_from_the_roster_shuts_a_member_out_whatever_the_relay_forwards(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    """The relay keeps giin2 a member (it forwards everything to them) and replays the old
    roster to the clerk; the clerk's rotation still leaves giin2 behind."""
    clerk, (staying, leaving) = await meeting_with_keys(hostile_council, "giin1", "giin2")
    first = await hostile.wait_seen(TO_RELAY, m.PutRoster)
    everyone = rosters.KIND.peek(first.roster)["members"]
    assert "giin2" in everyone
    remaining = [u for u in everyone if u != "giin2"]
    assert await clerk.engine.set_roster(MEETING_ID, remaining) == 2
    replay = m.RosterChanged(
        meeting_id=MEETING_ID, roster=first.roster, signer_certificate=first.signer_certificate
    )
    await hostile.replay(TO_CLIENT, device_id(clerk), replay)
    message = await logged(sync_warnings, REFUSED_ROSTER)
    assert "stale" in message
    assert await clerk.engine.rotate_meeting_key(MEETING_ID) == 2
    await wait_until(lambda: staying.store.meeting_key_at(MEETING_ID, 2) is not None)
    # giin2's device asks again (the relay forwards its key_needed); the clerk says no.
    await hostile_council.restart(leaving)
    await wait_until(
        lambda: (
            sum(
                NOT_SEALED in r.getMessage() and device_id(leaving) in r.getMessage()
                for r in sync_warnings.records
            )
            >= 2
        )  # at the rotation, and for the key_needed the relay forwards
    )
    held = await hostile.relay.store.run(
        hostile.relay.store.envelopes_for, MEETING_ID, device_id(leaving)
    )
    assert {e.epoch for e in held if e.purpose == "meeting"} == {1}
    assert leaving.store.meeting_key_at(MEETING_ID, 2) is None
    pdf = generate_agenda_pack(title="新議案書", pages=3)
    doc = await clerk.engine.publish_document(MEETING_ID, pdf, title="新議案書")
    await staying.wait_for(DocumentReady, lambda e: e.document_id == doc.document_id)


async def test_the_clerk_signs_the_roster_from_the_command_line(
    council: Council, relay: Relay
) -> None:
    """``furano-meet roster MEETING USER...`` on the clerk's profile: the relay holds it and
    the clerk's device refuses an older one afterwards (membership moved off the relay)."""
    args = await clerk_on_the_command_line(council, relay)
    assert await asyncio.to_thread(cli_main, [*args, "jimukyoku", "giin1", "iincho"]) == 0
    signed, _ = await relay.store.run(relay.store.roster, MEETING_ID)
    assert rosters.KIND.peek(signed)["members"] == ["giin1", "iincho", "jimukyoku"]
    assert rosters.KIND.peek(signed)["version"] == 1
    assert await asyncio.to_thread(cli_main, [*args, "jimukyoku", "giin1"]) == 0
    signed, _ = await relay.store.run(relay.store.roster, MEETING_ID)
    assert rosters.KIND.peek(signed)["version"] == 2
