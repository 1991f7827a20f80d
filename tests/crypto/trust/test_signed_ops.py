"""Signed annotation ops and the ledger: the note-rewriting, replay and reorder attacks."""

from __future__ import annotations

import dataclasses
import json

import pytest

from furano_meet.crypto import MeetingKey, decrypt_annotation, encrypt_annotation
from furano_meet.crypto.authority import StaleObject
from furano_meet.crypto.errors import (
    BadSignature,
    KeySubstitution,
    TamperedData,
    UnauthorisedSigner,
    UsageError,
    WrongContext,
)
from furano_meet.crypto.roster import Roster
from furano_meet.crypto.signed_ops import (
    KIND,
    OpHeader,
    OpKind,
    OpLedger,
    OpVisibility,
    VerifiedOp,
    op_hash,
    op_id_for,
    payload_hash,
    require_payload_annotation,
    sign_op,
    signed_op_hash,
    verify_op,
    verify_op_chain,
)

from .conftest import MEETING, Council

NOTE = "a-0001"


class Author:
    """One device writing ops, numbering them as the engine will."""

    def __init__(self, council: Council, device_id: str, key: MeetingKey) -> None:
        self.council = council
        self.device = council[device_id]
        self.key = key
        self.streams: dict[str, tuple[int, str]] = {}  # visibility -> (counter, prev hash)

    def op(
        self, kind: OpKind, text: str = "", *, note: str = NOTE, visibility: str = "shared"
    ) -> tuple[bytes, bytes]:
        vis: OpVisibility = "private" if visibility == "private" else "shared"
        counter, prev = self.streams.get(vis, (0, ""))
        op_id = op_id_for(note, kind)
        body = json.dumps({"annotation_id": note, "content": {"text": text}}).encode()
        payload = encrypt_annotation(body, self.key, meeting_id=MEETING, annotation_id=op_id)
        header = OpHeader(
            op_id=op_id,
            annotation_id=note,
            meeting_id=MEETING,
            document_id="d-agenda",
            version=1,
            page=3,
            kind=kind,
            visibility=vis,
            counter=counter + 1,
            prev_sha256=prev,
        )
        signed = sign_op(header, payload, self.device.keys, self.device.cert, signed_at=1)
        self.streams[vis] = (counter + 1, signed_op_hash(signed))
        return signed, payload

    def verified(self, signed: bytes, payload: bytes) -> VerifiedOp:
        return verify_op(signed, self.device.cert_bytes, self.council.anchor, payload=payload)


@pytest.fixture
def giin1(council: Council, meeting_key: MeetingKey) -> Author:
    return Author(council, "giin1-tablet", meeting_key)


@pytest.fixture
def giin2(council: Council, meeting_key: MeetingKey) -> Author:
    return Author(council, "giin2-tablet", meeting_key)


@pytest.fixture
def chair(council: Council, meeting_key: MeetingKey) -> Author:
    return Author(council, "iincho-tablet", meeting_key)


@pytest.fixture
def roster(council: Council) -> Roster:
    return council.roster()


def test_author_is_the_certificate_user_not_a_label(giin1: Author) -> None:
    op = giin1.verified(*giin1.op("add", "反対"))
    assert (op.author_user_id, op.author_device_id) == ("giin1", "giin1-tablet")
    assert op.header.op_id == op.header.annotation_id == NOTE
    assert KIND.signer_of(giin1.op("add")[0]) == "giin1-tablet"


def test_op_verifies_only_with_its_own_payload(giin1: Author) -> None:
    signed, payload = giin1.op("add", "反対")
    _, other = giin1.op("add", "賛成")
    with pytest.raises(WrongContext, match="did not sign"):
        giin1.verified(signed, other)
    assert payload_hash(payload) in signed.decode("utf-8", "replace")


def test_op_checked_against_another_authors_certificate_fails(
    council: Council, giin1: Author
) -> None:
    signed, payload = giin1.op("add")
    with pytest.raises(BadSignature):
        verify_op(signed, council["giin2-tablet"].cert, council.anchor, payload=payload)


def test_op_signed_by_the_relays_device_fails(council: Council, meeting_key: MeetingKey) -> None:
    fake = Author(council, "giin1-tablet", meeting_key)
    fake.device = council.relay.devices["giin1-tablet"]
    signed, payload = fake.op("add")
    with pytest.raises(KeySubstitution):
        fake.verified(signed, payload)


def test_edit_by_a_non_author_is_refused(giin1: Author, giin2: Author, roster: Roster) -> None:
    """giin2 rewrites giin1's shared 「反対」 as 「賛成」, then tries to delete it."""
    ledger = OpLedger()
    ledger.accept(giin1.verified(*giin1.op("add", "反対")), roster)
    for kind in ("update", "delete"):
        with pytest.raises(UnauthorisedSigner, match="giin2"):
            ledger.accept(giin2.verified(*giin2.op(kind, "賛成")), roster)
    assert ledger.notes[NOTE].author_user_id == "giin1"
    assert not ledger.notes[NOTE].deleted
    ledger.accept(giin1.verified(*giin1.op("update", "保留")), roster)


def test_chair_may_edit_shared_notes_when_the_roster_says_so(
    giin1: Author, chair: Author, roster: Roster
) -> None:
    ledger = OpLedger()
    ledger.accept(giin1.verified(*giin1.op("add", "反対")), roster)
    with pytest.raises(UnauthorisedSigner):  # no roster: only the author
        ledger.accept(chair.verified(*chair.op("update", "x")))
    no_policy = dataclasses.replace(roster, note_editors=frozenset())
    with pytest.raises(UnauthorisedSigner):
        ledger.accept(chair.verified(*chair.op("update", "x")), no_policy)
    ledger.accept(chair.verified(*chair.op("delete")), roster)
    assert ledger.notes[NOTE].deleted


def test_nobody_else_may_touch_a_private_note(giin1: Author, chair: Author, roster: Roster) -> None:
    ledger = OpLedger()
    ledger.accept(giin1.verified(*giin1.op("add", visibility="private")), roster)
    with pytest.raises(UnauthorisedSigner, match="private"):
        ledger.accept(chair.verified(*chair.op("delete", visibility="private")), roster)


def test_replayed_op_is_refused(giin1: Author, roster: Roster) -> None:
    """The relay re-sends giin1's old add after the delete, to bring the note back."""
    ledger = OpLedger()
    add = giin1.verified(*giin1.op("add", "反対"))
    ledger.accept(add, roster)
    with pytest.raises(StaleObject, match="replayed"):
        ledger.accept(add, roster)
    ledger.accept(giin1.verified(*giin1.op("delete")), roster)
    with pytest.raises(StaleObject):
        ledger.accept(add, roster)
    assert ledger.notes[NOTE].deleted


def test_reordered_op_is_refused(giin1: Author, roster: Roster) -> None:
    ledger = OpLedger()
    add = giin1.verified(*giin1.op("add", "反対"))  # counter 1
    update = giin1.verified(*giin1.op("update", "賛成"))  # counter 2
    later = giin1.verified(*giin1.op("add", note="a-2"))  # counter 3
    ledger.accept(later, roster)  # the relay delivers counter 3 first
    with pytest.raises(StaleObject, match="reordered"):
        ledger.accept(add, roster)
    with pytest.raises(StaleObject):
        ledger.accept(update, roster)


def test_counters_are_per_device(giin1: Author, council: Council, meeting_key: MeetingKey) -> None:
    laptop = Author(council, "giin1-laptop", meeting_key)
    ledger = OpLedger()
    ledger.accept(giin1.verified(*giin1.op("add")))
    ledger.accept(laptop.verified(*laptop.op("update")))  # its own counter 1; same user
    assert ledger.counters == {
        ("giin1-tablet", MEETING, "shared"): 1,
        ("giin1-laptop", MEETING, "shared"): 1,
    }


def test_private_ops_form_their_own_stream(giin1: Author, giin2: Author) -> None:
    """giin2 never sees giin1's private ops; giin1's shared stream still has no gaps for it."""
    own, member = OpLedger(), OpLedger()
    shared_add = giin1.verified(*giin1.op("add", note="a-shared"))
    private_add = giin1.verified(*giin1.op("add", note="a-private", visibility="private"))
    shared_update = giin1.verified(*giin1.op("update", note="a-shared"))
    assert [own.accept(op) for op in (shared_add, private_add, shared_update)] == [True] * 3
    assert [member.accept(op) for op in (shared_add, shared_update)] == [True, True]
    assert shared_update.header.counter == 2 and private_add.header.counter == 1


def test_op_ids_of_edits_are_unique_and_bound() -> None:
    ids = {op_id_for(NOTE, "update") for _ in range(50)} | {op_id_for(NOTE, "delete")}
    assert len(ids) == 51
    assert all(i.startswith(NOTE + ".") for i in ids)
    engine_style = "a-" + "0" * 32  # the engine's f"a-{uuid4().hex}"
    assert len(op_id_for(engine_style, "delete")) <= 64  # the protocol's Ident limit
    assert op_id_for(NOTE, "add") == NOTE


def test_op_with_a_mismatched_annotation_id_is_refused(giin1: Author, giin2: Author) -> None:
    """giin2's own op (id 'a-mine') carries an update of giin1's note."""
    header = OpHeader(
        op_id="a-mine",
        annotation_id=NOTE,
        meeting_id=MEETING,
        document_id="d-agenda",
        version=1,
        page=3,
        kind="update",
        visibility="shared",
        counter=1,
    )
    with pytest.raises(UsageError):
        sign_op(header, b"payload", giin2.device.keys, giin2.device.cert)
    content = {
        "op_id": "a-mine",
        "annotation_id": NOTE,
        "meeting_id": MEETING,
        "document_id": "d-agenda",
        "version": 1,
        "page": 3,
        "kind": "add",
        "visibility": "shared",
        "counter": 1,
        "prev_sha256": "",
        "payload_sha256": payload_hash(b"payload"),
    }
    forged = KIND.sign(content, giin2.device.keys, giin2.device.cert)
    with pytest.raises(WrongContext, match="not bound"):
        giin2.verified(forged, b"payload")


def test_payload_naming_another_annotation_is_refused(
    giin1: Author, meeting_key: MeetingKey
) -> None:
    signed, payload = giin1.op("add", "反対")
    op = giin1.verified(signed, payload)
    body = json.loads(
        decrypt_annotation(payload, meeting_key, meeting_id=MEETING, annotation_id=op.header.op_id)
    )
    require_payload_annotation(op, body["annotation_id"])
    with pytest.raises(WrongContext):
        require_payload_annotation(op, "a-someone-elses")


def test_edits_may_not_move_notes_or_touch_unknown_or_deleted_ones(
    giin1: Author, roster: Roster
) -> None:
    ledger = OpLedger()
    with pytest.raises(WrongContext, match="unknown"):
        ledger.accept(giin1.verified(*giin1.op("update")), roster)
    ledger.accept(giin1.verified(*giin1.op("add")), roster)
    with pytest.raises(WrongContext, match="already exists"):
        ledger.accept(giin1.verified(*giin1.op("add")), roster)
    with pytest.raises(WrongContext, match="elsewhere"):
        ledger.accept(giin1.verified(*giin1.op("update", visibility="private")), roster)
    ledger.accept(giin1.verified(*giin1.op("delete")), roster)
    with pytest.raises(WrongContext, match="deleted"):
        ledger.accept(giin1.verified(*giin1.op("update")), roster)


def test_refused_op_changes_no_note_but_counts_as_seen(giin1: Author, giin2: Author) -> None:
    ledger = OpLedger()
    ledger.accept(giin1.verified(*giin1.op("add")))
    notes = dict(ledger.notes)
    refused = giin2.verified(*giin2.op("delete"))
    with pytest.raises(UnauthorisedSigner):
        ledger.accept(refused)
    assert ledger.notes == notes
    assert ledger.heads[("giin2-tablet", MEETING, "shared")] == (1, refused.sha256)
    with pytest.raises(StaleObject):  # and its replay is refused as such
        ledger.accept(refused)


def _chain(author: Author, count: int) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """``count`` consecutive ops of one device: (bodies, payloads, signatures)."""
    ops = [author.op("add" if i == 0 else "update", f"v{i}") for i in range(count)]
    split = [KIND.split(signed) for signed, _ in ops]
    return [b for b, _ in split], [p for _, p in ops], [sig for _, sig in split]


def test_a_chain_verifies_with_the_newest_signature_only(giin1: Author, council: Council) -> None:
    bodies, payloads, signatures = _chain(giin1, 5)
    ops = verify_op_chain(bodies, payloads, signatures[-1], giin1.device.cert, council.anchor)
    assert [op.header.counter for op in ops] == [1, 2, 3, 4, 5]
    assert [op.sha256 for op in ops] == [op_hash(b) for b in bodies]
    assert all(op.author_user_id == "giin1" for op in ops)
    ledger = OpLedger()
    assert all(ledger.accept(op) for op in ops)  # each follows on the last


def test_a_chain_with_an_op_left_out_or_swapped_is_refused(
    giin1: Author, giin2: Author, council: Council
) -> None:
    bodies, payloads, signatures = _chain(giin1, 4)
    cert, anchor = giin1.device.cert, council.anchor
    with pytest.raises(TamperedData, match="left out"):
        verify_op_chain(
            bodies[:1] + bodies[2:], payloads[:1] + payloads[2:], signatures[-1], cert, anchor
        )
    other_bodies, other_payloads, _ = _chain(giin1, 1)  # a genuine op, not in this chain
    with pytest.raises(TamperedData):
        verify_op_chain(
            [other_bodies[0], *bodies[1:]],
            [other_payloads[0], *payloads[1:]],
            signatures[-1],
            cert,
            anchor,
        )
    with pytest.raises(WrongContext, match="did not sign"):
        verify_op_chain(bodies, [payloads[1], *payloads[1:]], signatures[-1], cert, anchor)
    with pytest.raises(BadSignature):  # the head signature must be the last op's
        verify_op_chain(bodies, payloads, signatures[-2], cert, anchor)
    g2_bodies, g2_payloads, _ = _chain(giin2, 1)
    with pytest.raises(UnauthorisedSigner):  # another device's op vouched for by this chain
        verify_op_chain(
            [g2_bodies[0], *bodies[1:]],
            [g2_payloads[0], *payloads[1:]],
            signatures[-1],
            cert,
            anchor,
        )


def test_ledger_reports_a_withheld_op(giin1: Author) -> None:
    ledger = OpLedger()
    first = giin1.verified(*giin1.op("add"))
    giin1.op("update")  # the relay withholds this one
    third = giin1.verified(*giin1.op("update"))
    assert ledger.accept(first)
    assert not ledger.accept(third)


@pytest.mark.parametrize("counter", [0, 2**53])
def test_counter_bounds(giin1: Author, counter: int) -> None:
    giin1.streams["shared"] = (counter - 1, "")
    with pytest.raises(UsageError):
        giin1.op("update")
