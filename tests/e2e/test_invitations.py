"""Invitations the relay cannot mint, and certification that binds user and role (issue #8).

The relay is real; the tests play its operator turned attacker the way ``test_sync_security``
does — through the relay's own store, as someone with the relay's disk and process could — and
the administrator's device is a real engine with ``auto_certify`` (or the manual ``certify``).
"Never auto-certified" is checked on a positive marker: a genuine device enrolled *after* the
rogue one is certified by the same engine, which handles enrolments in order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
from pathlib import Path

import pytest

from furano_meet.crypto import CryptoError, DeviceKeys, OrgRootKey
from furano_meet.crypto import invitations as iv
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.certificates import issue_device_certificate, verify_device_certificate
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.sync.account import Account, Invitation, InvitationUntrusted, enrol
from furano_meet.sync.admin import (
    NO_INVITATION,
    CertificationRefused,
    certify,
    device_fingerprint,
    pending_devices,
)
from server.relay import Relay
from server.store import DeviceIdentity
from tests.conftest import Connect
from tests.e2e.council import Council, Device

ORG = "furano"


async def certificate_of(relay: Relay, device_id: str) -> bytes:
    def read() -> bytes:
        row = relay.store.db.execute(
            "SELECT certificate FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        return bytes(row[0])

    return await relay.store.run(read)


async def wait_certified(relay: Relay, device_id: str, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not await certificate_of(relay, device_id):
            await asyncio.sleep(0.01)


async def marker_certified(council: Council, relay: Relay) -> Device:
    """A genuine device enrolled now, once the administrator's engine has certified it: every
    enrolment before it has been decided on."""
    marker = await council.device("giin3", start=False)
    await wait_certified(relay, marker.engine.account.device_id)
    return marker


async def sql(relay: Relay, statement: str, *params: object) -> None:
    """The relay's operator edits its database."""
    await relay.store.run(lambda: relay.store.db.execute(statement, params))


def new_store(council: Council, label: str) -> LocalStore:
    return LocalStore.open(council.root / label, label)


async def raw_enrol(relay: Relay, claim: bytes, keys: DeviceKeys) -> str:
    """Enrol through the real relay's protocol with a given claim and keys (the relay's own
    client, or a replay of what it saw); returns the device id."""
    async with await RelayConnection.connect(relay.url) as conn:
        enrolled = await conn.enrol("", "replayed", keys.public_bundle().to_bytes(), claim=claim)
    return enrolled.device_id


async def stored_claim(relay: Relay, device_id: str) -> tuple[bytes, str]:
    def read() -> tuple[bytes, str]:
        row = relay.store.db.execute(
            "SELECT claim, invitation_id FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        return bytes(row[0]), str(row[1])

    return await relay.store.run(read)


async def relay_minted_invitation(relay: Relay, user_id: str, role: str) -> tuple[str, str]:
    """The relay signs an invitation with an 'admin' certificate of a root of its own and
    stores it; returns the code and that root's fingerprint."""
    fake_root, fake_admin = OrgRootKey.generate(), DeviceKeys.generate()
    cert = issue_device_certificate(
        fake_root,
        org_id=ORG,
        user_id="admin",
        device_id="dev-relays-admin",
        role="admin",
        public_bundle=fake_admin.public_bundle(),
    )
    verified = verify_device_certificate(cert, fake_root.fingerprint(), expected_org_id=ORG)
    signed, code = iv.create_invitation(
        fake_admin, verified, user_id=user_id, role=role, expires_at=int(time.time()) + 600
    )
    sender = DeviceIdentity(ORG, "admin", "dev-relays-admin", "admin", "relay")
    await relay.store.run(relay.store.put_invitation, sender, signed, cert)
    return code, fake_root.fingerprint()


async def test_a_device_the_relay_enrols_with_its_own_code_is_never_auto_certified(
    council: Council, relay: Relay
) -> None:
    code = await relay.store.run(relay.store.issue_enrolment_code, "giin1")
    store = new_store(council, "relays-own")
    try:
        rogue = await enrol(store, relay.url, Invitation(code, council.fingerprint), "rogue")
    finally:
        store.close()
    await marker_certified(council, relay)
    assert await certificate_of(relay, rogue.device_id) == b""
    assert council.admin is not None
    listed = await pending_devices(council.admin.engine.account, council.admin.store)
    shown = next(d for d in listed if d.device_id == rogue.device_id)
    assert shown.problem == NO_INVITATION and not shown.claimed_user_id


async def test_an_invitation_the_relay_minted_itself_is_never_auto_certified(
    council: Council, relay: Relay
) -> None:
    """The relay signs an invitation with an 'admin' certificate of a root of its own, stores
    it, and enrols its own device with it: the device side passes (the relay chose the root it
    was given), the administrator's certifier does not."""
    code, fake_root = await relay_minted_invitation(relay, "jimukyoku", "clerk")
    store = new_store(council, "relays-clerk")
    try:
        rogue = await enrol(store, relay.url, Invitation(code, fake_root, ORG), "rogue")
    finally:
        store.close()
    assert rogue.role == "clerk"
    await marker_certified(council, relay)
    assert await certificate_of(relay, rogue.device_id) == b""
    listed = await pending_devices(admin_account(council), member_admin_store(council))
    shown = next(d for d in listed if d.device_id == rogue.device_id)
    assert shown.claimed_role == "clerk" and "the key was replaced" in shown.problem


async def test_a_genuine_device_refuses_an_invitation_under_another_root(
    council: Council, relay: Relay
) -> None:
    """The root fingerprint comes with the code, never from the relay: an invitation the relay
    serves that does not chain to it stops the enrolment with a plain message."""
    code, _ = await relay_minted_invitation(relay, "giin1", "member")
    store = new_store(council, "giin1-victim")
    try:
        with pytest.raises(InvitationUntrusted) as refused:
            await enrol(store, relay.url, Invitation(code, council.fingerprint, ORG), "tablet")
        assert Account.load(store) is None
    finally:
        store.close()
    assert "root fingerprint" in refused.value.message and refused.value.next_step


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ("UPDATE users SET role = 'clerk' WHERE user_id = 'giin1'", "giin1 (clerk)"),
        ("UPDATE devices SET user_id = 'giin2' WHERE device_id = ?", "giin2 (member)"),
    ],
    ids=["swapped-role", "another-user"],
)
async def test_certification_refuses_when_the_relay_reports_another_user_or_role(
    council: Council, relay: Relay, edit: str, says: str
) -> None:
    assert council.admin is not None
    admin = council.admin
    await admin.stop()  # the administrator looks first, by hand
    member = await council.device("giin1", start=False)
    device_id = member.engine.account.device_id
    await sql(relay, edit, *((device_id,) if "?" in edit else ()))
    listed = await pending_devices(admin.engine.account, admin.store)
    shown = next(d for d in listed if d.device_id == device_id)
    assert (shown.claimed_user_id, shown.claimed_role) == ("giin1", "member")
    assert says in shown.problem
    with pytest.raises(CertificationRefused) as refused:
        await certify(
            admin.engine.account, admin.store, device_id, device_fingerprint(member.engine.account)
        )
    assert says in refused.value.message and "claimed giin1 (member)" in refused.value.message
    await council.restart(admin)  # and the automatic certifier refuses it too
    await marker_certified(council, relay)
    assert await certificate_of(relay, device_id) == b""


async def test_a_claim_made_after_the_invitation_expired_is_refused(
    council: Council, relay: Relay
) -> None:
    assert council.admin is not None
    invitation = await council.invitation("giin1")
    keys = DeviceKeys.generate()
    async with await RelayConnection.connect(relay.url) as conn:
        found = await conn.request(m.FindInvitation(code_key=iv.code_key(invitation.code)))
    assert isinstance(found, m.InvitationFound)
    anchor = TrustAnchor(ORG, council.fingerprint)
    named = iv.verify_invitation(found.invitation, found.issuer_certificate, anchor, now=0)
    late = iv.make_claim(named, invitation.code, keys, claimed_at=named.expires_at + 1)
    device_id = await raw_enrol(relay, late, keys)  # the relay does not read the device's clock
    await marker_certified(council, relay)
    assert await certificate_of(relay, device_id) == b""
    with pytest.raises(CryptoError) as refused:  # what the administrator is told by hand
        await certify(
            admin_account(council),
            council.admin.store,
            device_id,
            keys.public_bundle().fingerprint(),
        )
    assert refused.value.code == "expired"


async def test_an_expired_invitation_does_not_enrol(council: Council, relay: Relay) -> None:
    invitation = await council.invitation("giin1")
    await sql(relay, "UPDATE invitations SET expires_at = ?", int(time.time()) - 1)
    store = new_store(council, "late")
    try:
        with pytest.raises(RelayError) as refused:
            await enrol(store, relay.url, invitation, "tablet")
    finally:
        store.close()
    assert refused.value.code == "enrolment_code_invalid"


async def test_an_invitation_redeemed_twice_certifies_one_device(
    council: Council, relay: Relay
) -> None:
    member = await council.device("giin1", start=False)
    genuine = member.engine.account.device_id
    await wait_certified(relay, genuine)
    claim, invitation_id = await stored_claim(relay, genuine)
    # The relay replays the enrolment it saw (same claim, same keys) after forgetting it.
    await sql(
        relay, "UPDATE invitations SET redeemed_at = NULL WHERE invitation_id = ?", invitation_id
    )
    replayed = await raw_enrol(relay, claim, member.engine.account.keys)
    await marker_certified(council, relay)
    assert await certificate_of(relay, replayed) == b""
    listed = await pending_devices(admin_account(council), member_admin_store(council))
    assert "already redeemed" in next(d for d in listed if d.device_id == replayed).problem


async def test_a_replayed_enrolment_with_the_relays_own_keys_is_refused(
    council: Council, relay: Relay
) -> None:
    assert council.admin is not None
    await council.admin.stop()
    member = await council.device("giin1", start=False)
    genuine = member.engine.account.device_id
    claim, invitation_id = await stored_claim(relay, genuine)
    attacker = DeviceKeys.generate()
    await sql(
        relay, "UPDATE invitations SET redeemed_at = NULL WHERE invitation_id = ?", invitation_id
    )
    with pytest.raises(RelayError) as refused:  # an honest relay refuses it on the wire …
        await raw_enrol(relay, claim, attacker)
    assert refused.value.code == "invalid_field"
    # … a hostile one writes it in: the genuine claim beside its own keys.
    await sql(
        relay,
        "INSERT INTO devices (device_id, user_id, name, token_hash, public_keys, created_at,"
        " claim, invitation_id) VALUES ('dev-rogue', 'giin1', 'rogue', x'00', ?, '', ?, ?)",
        attacker.public_bundle().to_bytes(),
        claim,
        invitation_id,
    )
    listed = await pending_devices(admin_account(council), council.admin.store)
    shown = next(d for d in listed if d.device_id == "dev-rogue")
    assert "other keys" in shown.problem  # listed before the genuine one: not yet redeemed
    await council.restart(council.admin)
    await wait_certified(relay, genuine)
    await marker_certified(council, relay)
    assert await certificate_of(relay, "dev-rogue") == b""


def admin_account(council: Council) -> Account:
    assert council.admin is not None
    return council.admin.engine.account


def member_admin_store(council: Council) -> LocalStore:
    assert council.admin is not None
    return council.admin.store


async def furano_meet(data: Path, profile: str, *args: str) -> str:
    """Run the ``furano-meet`` command as a user would (its own process, no OS keychain)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "furano_meet.cli",
        "--data",
        str(data),
        "--profile",
        profile,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "FURANO_MEET_PASSPHRASE": "a cli test passphrase 7f3k",
            "HOME": str(data),
        },
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_the_invite_command_prints_a_link_the_new_device_enrols_with(
    relay: Relay, tmp_path: Path
) -> None:
    data = tmp_path / "cli"
    fingerprint = (await furano_meet(data, "admin", "init-root")).splitlines()[0]
    await relay.store.run(relay.store.set_root_fingerprint, ORG, fingerprint)
    code = await relay.store.run(relay.store.issue_enrolment_code, "admin")
    await furano_meet(data, "admin", "enrol", relay.url, f"{code}/{fingerprint}")
    link, text = (await furano_meet(data, "admin", "invite", "giin1", "--role", "member")).split()
    assert Invitation.parse(text) == dataclasses.replace(Invitation.parse(link), relay_url="")
    assert Invitation.parse(link).relay_url == relay.url and text.endswith(f"/{ORG}")
    enrolled = await furano_meet(data, "giin1", "enrol", link)  # the relay comes from the link
    assert "invitation names giin1 (member)" in enrolled
    pending = await furano_meet(data, "admin", "pending")
    assert "claims giin1 (member)" in pending and "no invitation" in pending  # the admin's own


async def test_only_an_administrators_device_may_store_invitations(connect_as: Connect) -> None:
    clerk = await connect_as("jimukyoku")
    with pytest.raises(RelayError) as refused:
        await clerk.request(m.PutInvitation(invitation=b"FMIV", issuer_certificate=b"FMCT"))
    assert refused.value.code == "forbidden"
