"""Signed rosters: membership decided on the clerk's device; forged and stale rosters refused."""

from __future__ import annotations

import dataclasses

import pytest

from furano_meet.crypto import canonical_json, framing
from furano_meet.crypto.authority import Equivocation, StaleObject
from furano_meet.crypto.errors import (
    BadSignature,
    KeySubstitution,
    MalformedData,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)
from furano_meet.crypto.roster import (
    KIND,
    qualifies,
    require_newer_roster,
    roster_hash,
    sign_roster,
    verify_roster,
)

from .conftest import MEETING, MEMBERS, Council


def test_roster_round_trip_and_qualification(council: Council) -> None:
    roster = council.roster()
    assert roster.members == MEMBERS
    assert roster.note_editors == {"chair", "clerk"}
    assert (roster.meeting_id, roster.version, roster.org_id) == (MEETING, 1, "furano-city")
    assert KIND.signer_of(roster.encoded) == "sato-tablet"
    assert roster.hash == roster_hash(roster.body)
    # Members are users: both of giin1's devices qualify, without a new roster.
    assert qualifies(council["giin1-tablet"].cert, roster)
    assert qualifies(council["giin1-laptop"].cert, roster)
    # A certified device of the organisation that is not on the roster does not.
    assert not qualifies(council["giin9-tablet"].cert, roster)
    # Nor the relay's own "giin1" (certified by the relay's root).
    assert not qualifies(council.relay.devices["giin1-tablet"].cert, roster)


def test_roster_hash_ignores_the_randomised_signature(council: Council) -> None:
    assert council.roster().hash == council.roster().hash
    assert council.roster().encoded != council.roster().encoded
    assert council.roster(version=2).hash != council.roster().hash


def test_forged_roster_from_the_relays_root_is_refused(council: Council) -> None:
    clerk = council.relay.devices["sato-tablet"]
    forged = sign_roster(
        meeting_id=MEETING,
        version=99,
        members=MEMBERS | {"giin9"},
        note_editors=(),
        device_keys=clerk.keys,
        signer=clerk.cert,
    )
    with pytest.raises(KeySubstitution):
        verify_roster(forged, clerk.cert_bytes, council.anchor)


def test_roster_signed_by_a_member_or_chair_is_refused(council: Council) -> None:
    for device_id in ("giin1-tablet", "iincho-tablet"):
        device = council[device_id]
        with pytest.raises(UsageError):
            sign_roster(
                meeting_id=MEETING,
                version=2,
                members=MEMBERS,
                note_editors=(),
                device_keys=device.keys,
                signer=device.cert,
            )
        lax = dataclasses.replace(KIND, signer_roles=None)
        content = {
            "meeting_id": MEETING,
            "version": 2,
            "members": sorted(MEMBERS | {"giin9"}),
            "note_editors": [],
        }
        forged = lax.sign(content, device.keys, device.cert)
        with pytest.raises(UnauthorisedSigner):
            verify_roster(forged, device.cert_bytes, council.anchor)


def test_edited_roster_is_refused(council: Council) -> None:
    roster = council.roster()
    body, signature = framing.decode(roster.encoded, b"FMRO", 2, "roster")
    edited = body.replace(b'"giin1"', b'"giin9"')
    assert edited != body
    with pytest.raises(BadSignature):
        verify_roster(
            framing.encode(b"FMRO", edited, signature), roster.signer.encoded, council.anchor
        )


def test_stale_roster_is_refused(council: Council) -> None:
    """The relay replays the roster from before giin2 was removed."""
    before = council.roster(version=1)
    after = council.roster(version=2, members=MEMBERS - {"giin2"})
    assert require_newer_roster(before, None)
    assert require_newer_roster(after, before)
    assert not require_newer_roster(after, after)
    with pytest.raises(StaleObject):
        require_newer_roster(before, after)
    rival = council.roster(version=2)
    with pytest.raises(Equivocation):
        require_newer_roster(rival, after)
    with pytest.raises(WrongContext):
        require_newer_roster(dataclasses.replace(after, meeting_id="m-other"), before)


def _banned(council: Council) -> bytes:
    clerk = council["sato-tablet"]
    return sign_roster(
        meeting_id=MEETING,
        version=2,
        members=MEMBERS,
        note_editors=(),
        device_keys=clerk.keys,
        signer=clerk.cert,
        export_allowed=False,
    )


def test_the_export_rule_is_signed_and_old_rosters_allow_export(council: Council) -> None:
    """Issue #9: ``export`` is written only to forbid; a roster without it allows."""
    allowing = council.roster()
    assert allowing.export_allowed and b"export" not in allowing.body
    clerk = council["sato-tablet"]
    banned = verify_roster(_banned(council), clerk.cert_bytes, council.anchor)
    assert not banned.export_allowed and b'"export":false' in banned.body
    # A roster as a build before the field signed it (no optional fields at all) allows.
    old_build = dataclasses.replace(KIND, optional=frozenset())
    content = {"meeting_id": MEETING, "version": 1, "members": sorted(MEMBERS)}
    old = old_build.sign({**content, "note_editors": []}, clerk.keys, clerk.cert)
    assert verify_roster(old, clerk.cert_bytes, council.anchor).export_allowed
    # That older build refuses a roster carrying the ban (and keeps the one it holds).
    with pytest.raises(MalformedData):
        old_build.verify(banned.encoded, clerk.cert_bytes, council.anchor)


def test_a_relay_stripping_the_ban_breaks_the_signature(council: Council) -> None:
    body, signature = KIND.split(_banned(council))
    stripped = body.replace(b',"export":false', b"").replace(b'"export":false,', b"")
    assert stripped != body and b"export" not in stripped
    for edited in (stripped, body.replace(b'"export":false', b'"export":true')):
        with pytest.raises(BadSignature):
            verify_roster(
                framing.encode(b"FMRO", edited, signature),
                council["sato-tablet"].cert_bytes,
                council.anchor,
            )


def test_roster_of_another_meeting_is_refused(council: Council) -> None:
    roster = council.roster()
    with pytest.raises(WrongContext):
        verify_roster(roster.encoded, roster.signer, council.anchor, expected_meeting_id="x")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("members", ["giin2", "giin1"]),  # not sorted
        ("members", ["giin1", "giin1"]),  # duplicate
        ("members", [""]),
        ("members", "giin1"),
        ("note_editors", ["chair", "mayor"]),  # unknown role
        ("version", 0),
        ("version", 2**31),
        ("export", True),  # only ``false`` is ever written: absent means allowed
        ("export", 0),
        ("export", "no"),
        ("committee", ""),
        ("committee", " 総務文教委員会"),
        ("committee", "委" * 201),
        ("committee", 3),
    ],
)
def test_malformed_rosters_are_refused(council: Council, field: str, value: object) -> None:
    clerk = council["sato-tablet"]
    content: dict[str, object] = {
        "meeting_id": MEETING,
        "version": 1,
        "members": sorted(MEMBERS),
        "note_editors": ["chair"],
    }
    content[field] = value
    signed = KIND.sign(content, clerk.keys, clerk.cert)
    with pytest.raises((MalformedData, WrongContext)):
        verify_roster(signed, clerk.cert, council.anchor)


def test_roster_body_is_canonical_json(council: Council) -> None:
    roster = council.roster()
    obj = canonical_json.parse(
        roster.body, "roster", KIND.fields | {"type", "format", "signer_device_id", "signed_at"}
    )
    assert obj["members"] == sorted(MEMBERS)


def test_the_committee_is_signed_optional_and_cannot_be_changed(council: Council) -> None:
    """Issue #9: the 会議体 is written only when the clerk sets it; inside the signature."""
    clerk = council["sato-tablet"]
    assert council.roster().committee is None and b"committee" not in council.roster().body
    signed = sign_roster(
        meeting_id=MEETING,
        version=1,
        members=MEMBERS,
        note_editors=set(),
        device_keys=clerk.keys,
        signer=clerk.cert,
        committee="総務文教委員会",
    )
    assert verify_roster(signed, clerk.cert_bytes, council.anchor).committee == "総務文教委員会"
    body, signature = KIND.split(signed)
    changed = body.replace("総務文教".encode(), "予算特別".encode())
    with pytest.raises(BadSignature):
        verify_roster(framing.encode(b"FMRO", changed, signature), clerk.cert, council.anchor)
    with pytest.raises(UsageError):
        sign_roster(
            meeting_id=MEETING,
            version=1,
            members=MEMBERS,
            note_editors=set(),
            device_keys=clerk.keys,
            signer=clerk.cert,
            committee="",
        )
