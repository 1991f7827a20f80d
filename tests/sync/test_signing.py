"""Signing outbox ops: one counter per op, even across a crash (:func:`pending_ops.sign_and_keep`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.annotations import AnnotationBody, Point, StickyNote, decode
from furano_meet.crypto import DeviceCertificate, DeviceKeys
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.signed_ops import OpHeader, sign_op, signed_op_hash, verify_op
from furano_meet.store import LocalStore
from furano_meet.sync.pending_ops import PendingOp, sign_and_keep
from tests.crypto.conftest import ORG_ID, Org

MEETING = "m1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore.open(tmp_path, "giin1") as opened:
        yield opened


@pytest.fixture(scope="module")
def org() -> Org:
    from furano_meet.crypto.keys import OrgRootKey

    org = Org(OrgRootKey.generate())
    org.enrol("giin1", "giin1-tablet", "member")
    return org


def pending(n: int) -> PendingOp:
    return PendingOp(f"a-{n}", f"a-{n}", MEETING, "pack", 1, 2, "shared", "add", "{}")


class Crash(Exception):
    """The process dies between making the signature and committing it."""


def test_a_crash_after_signing_spends_no_counter(store: LocalStore, org: Org) -> None:
    device = org.devices["giin1-tablet"]
    made: list[bytes] = []

    def sign_then_crash(
        header: OpHeader, payload: bytes, keys: DeviceKeys, cert: DeviceCertificate
    ) -> bytes:
        made.append(sign_op(header, payload, keys, cert))
        raise Crash

    with pytest.raises(Crash):
        sign_and_keep(store, pending(1), b"c1", device.keys, device.cert, sign=sign_then_crash)
    assert store.own_stream_head(MEETING, "shared") == (0, "")  # rolled back with the op
    assert store.signed_op("a-1") is None and len(made) == 1  # that signature never left
    first = sign_and_keep(store, pending(1), b"c1", device.keys, device.cert)
    second = sign_and_keep(store, pending(2), b"c2", device.keys, device.cert)
    anchor = TrustAnchor(ORG_ID, org.fingerprint)
    ops = [
        verify_op(s, device.cert, anchor, payload=p) for s, p in ((first, b"c1"), (second, b"c2"))
    ]
    assert [op.header.counter for op in ops] == [1, 2]
    assert ops[1].header.prev_sha256 == ops[0].sha256 == signed_op_hash(first)
    assert store.own_stream_head(MEETING, "shared") == (2, signed_op_hash(second))


def test_a_kept_op_is_sent_again_as_it_was(store: LocalStore, org: Org, tmp_path: Path) -> None:
    """A crash after the commit (before the send): the next start sends the same bytes."""
    device = org.devices["giin1-tablet"]
    signed = sign_and_keep(store, pending(1), b"c1", device.keys, device.cert)
    store.close()
    with LocalStore.open(tmp_path, "giin1") as reopened:
        assert reopened.signed_op("a-1") == (signed, b"c1")
        assert reopened.own_stream_head(MEETING, "shared")[0] == 1
        private = PendingOp("a-9", "a-9", MEETING, "pack", 1, 2, "private", "add", "{}")
        sign_and_keep(reopened, private, b"c9", device.keys, device.cert)
        assert reopened.own_stream_head(MEETING, "private")[0] == 1  # a stream of its own


def test_an_op_queued_before_typed_notes_is_sent_typed() -> None:
    legacy = (
        b'{"annotation_id": "a-1", "content": {"kind": "note", "text": "\\u30e1\\u30e2"},'
        b' "document_id": "pack", "kind": "add", "meeting_id": "m1", "op_id": "a-1",'
        b' "page": 2, "version": 1, "visibility": "shared"}'
    )
    op = PendingOp.from_bytes(legacy)
    assert decode(op.body.encode()) == AnnotationBody(StickyNote(Point(0, 0), "メモ"))
    assert PendingOp.from_bytes(op.to_bytes()) == op
