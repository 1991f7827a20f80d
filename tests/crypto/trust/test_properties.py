"""Hypothesis: every trust object round-trips, and no single flipped bit gets through."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.crypto import (
    DeviceKeys,
    MeetingKey,
    PrivateAnnotationKey,
    seal_annotation_key,
)
from furano_meet.crypto.authority import ALL_ROLES, MAX_EPOCH
from furano_meet.crypto.epochs import sign_epoch_record, verify_epoch_record
from furano_meet.crypto.errors import CryptoError
from furano_meet.crypto.invitations import (
    accept_claim,
    create_invitation,
    make_claim,
    verify_invitation,
)
from furano_meet.crypto.roster import sign_roster, verify_roster
from furano_meet.crypto.signed_envelopes import open_private_key, sign_envelope
from furano_meet.crypto.signed_ops import (
    MAX_COUNTER,
    OpHeader,
    OpKind,
    OpVisibility,
    sign_op,
    verify_op,
)

from .conftest import MEETING, Council

ids = st.text(min_size=1, max_size=24).filter(lambda s: "." not in s)
hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
NOW = 1_760_000_000


@settings(max_examples=25, deadline=None)
@given(meeting=ids, epoch=st.integers(1, MAX_EPOCH), roster=hex64, at=st.integers(0, 2**40))
def test_epoch_record_round_trip(
    council: Council, meeting: str, epoch: int, roster: str, at: int
) -> None:
    clerk = council["sato-tablet"]
    key = MeetingKey.generate(meeting, epoch=epoch)
    record = verify_epoch_record(
        sign_epoch_record(key, roster, clerk.keys, clerk.cert, signed_at=at),
        clerk.cert,
        council.anchor,
    )
    assert (record.meeting_id, record.epoch, record.roster_hash, record.signed_at) == (
        meeting,
        epoch,
        roster,
        at,
    )


@settings(max_examples=25, deadline=None)
@given(
    version=st.integers(1, MAX_EPOCH),
    members=st.frozensets(ids, max_size=20),
    editors=st.frozensets(st.sampled_from(sorted(ALL_ROLES))),
)
def test_roster_round_trip(
    council: Council, version: int, members: frozenset[str], editors: frozenset[str]
) -> None:
    clerk = council["sato-tablet"]
    signed = sign_roster(
        meeting_id=MEETING,
        version=version,
        members=members,
        note_editors=editors,
        device_keys=clerk.keys,
        signer=clerk.cert,
    )
    roster = verify_roster(signed, clerk.cert, council.anchor)
    assert (roster.version, roster.members, roster.note_editors) == (version, members, editors)


@settings(max_examples=25, deadline=None)
@given(
    note=ids,
    kind=st.sampled_from(["add", "update", "delete"]),
    visibility=st.sampled_from(["shared", "private"]),
    numbers=st.tuples(st.integers(0, 2**31), st.integers(0, 100_000)),
    counter=st.integers(1, MAX_COUNTER),
    prev=st.one_of(st.just(""), hex64),
    payload=st.binary(max_size=200),
)
def test_op_round_trip(
    council: Council,
    note: str,
    kind: OpKind,
    visibility: OpVisibility,
    numbers: tuple[int, int],
    counter: int,
    prev: str,
    payload: bytes,
) -> None:
    author = council["giin1-tablet"]
    header = OpHeader(
        op_id=note if kind == "add" else f"{note}.x{counter}",
        annotation_id=note,
        meeting_id=MEETING,
        document_id="d-1",
        version=numbers[0],
        page=numbers[1],
        kind=kind,
        visibility=visibility,
        counter=counter,
        prev_sha256=prev,
    )
    signed = sign_op(header, payload, author.keys, author.cert)
    op = verify_op(signed, author.cert, council.anchor, payload=payload)
    assert op.header == header
    assert op.author_user_id == "giin1"


@settings(max_examples=15, deadline=None)
@given(user=ids, role=st.sampled_from(sorted(ALL_ROLES)), expires=st.integers(NOW, 2**40))
def test_invitation_round_trip(council: Council, user: str, role: str, expires: int) -> None:
    admin = council["kato-pc"]
    signed, _ = create_invitation(
        admin.keys, admin.cert, user_id=user, role=role, expires_at=expires
    )
    inv = verify_invitation(signed, admin.cert, council.anchor, now=NOW)
    assert (inv.user_id, inv.role, inv.expires_at) == (user, role, expires)


# --- one genuine object of each kind, and the check that must refuse any altered copy -------

Check = Callable[[bytes], object]


@cache
def _samples(council: Council) -> dict[str, tuple[bytes, Check]]:
    clerk, admin = council["sato-tablet"], council["kato-pc"]
    tablet, laptop = council["giin1-tablet"], council["giin1-laptop"]
    anchor = council.anchor
    key = MeetingKey.generate(MEETING, epoch=3)
    record = sign_epoch_record(key, "ab" * 32, clerk.keys, clerk.cert)
    roster = council.roster().encoded
    payload = b"encrypted payload"
    header = OpHeader("a-1", "a-1", MEETING, "d-1", 1, 2, "add", "shared", 5)
    op = sign_op(header, payload, tablet.keys, tablet.cert)
    private = PrivateAnnotationKey.generate("giin1", epoch=9)
    envelope = sign_envelope(seal_annotation_key(private, tablet.cert), laptop.keys, laptop.cert)
    invitation, code = create_invitation(
        admin.keys, admin.cert, user_id="giin3", role="member", expires_at=NOW + 99
    )
    inv = verify_invitation(invitation, admin.cert, anchor, now=NOW)
    claim = make_claim(inv, code, DeviceKeys.generate(), claimed_at=NOW)
    return {
        "epoch record": (record, lambda b: verify_epoch_record(b, clerk.cert, anchor)),
        "roster": (roster, lambda b: verify_roster(b, clerk.cert, anchor)),
        "op": (op, lambda b: verify_op(b, tablet.cert, anchor, payload=payload)),
        "signed envelope": (
            envelope,
            lambda b: open_private_key(b, laptop.cert, anchor, tablet.keys, tablet.cert),
        ),
        "invitation": (invitation, lambda b: verify_invitation(b, admin.cert, anchor, now=NOW)),
        "claim": (
            claim,
            lambda b: accept_claim(b, invitation, admin.cert, anchor, now=NOW, redeemed=()),
        ),
    }


@pytest.mark.parametrize(
    "kind", ["epoch record", "roster", "op", "signed envelope", "invitation", "claim"]
)
@settings(max_examples=60, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_any_flipped_bit_is_refused(council: Council, kind: str, position: float, bit: int) -> None:
    genuine, check = _samples(council)[kind]
    check(genuine)
    tampered = bytearray(genuine)
    tampered[int(position * len(genuine))] ^= 1 << bit
    with pytest.raises(CryptoError):
        check(bytes(tampered))
