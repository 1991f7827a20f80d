"""Received annotation ops: verified against their author's certificate, then let through the
op ledger, then stored — or refused and logged, never trusted on the relay's word.

Theory of operation
-------------------
Every op in the log carries its author's signed header (protocol 1.3, ``docs/trust.md``):
op id, annotation id, meeting, document, version, page, kind, visibility, a per-stream
counter, the previous op's hash and the hash of the encrypted payload. A received page goes
through three steps:

1. **Verify** (:func:`verify_page`, worker thread). Ops are grouped by stream (signer,
   visibility); each run of a stream ends at an op that carries a signature, and
   :func:`~furano_meet.crypto.signed_ops.verify_op_chain` checks that one signature and the
   hash links behind it (a ``"heads"`` page sends one signature per stream; a live push
   sends all). Unsigned ops, unknown signers and broken chains are refused.
2. **Open** (:func:`open_bodies`, worker thread). The payload is decrypted with the op id
   and meeting the *signature* names and decoded into the typed
   :class:`~furano_meet.annotations.AnnotationBody`; a payload that does not decode is the
   peer's fault and is refused. A delete needs no payload; an op whose key this device lacks
   waits (the loop fetches again when the key arrives).
3. **Decide** (:func:`store_received`, store thread, one transaction).
   :class:`~furano_meet.crypto.signed_ops.OpLedger` — loaded from and saved to the store,
   only the heads of the signing devices and the records of the notes the ops name (what
   ``accept`` reads and changes), so an op costs the same early or late in a meeting —
   refuses replays and reorders (``StaleObject``), edits and deletes by anyone but the author
   (or a ``note_editors`` role of the roster, for shared notes), and ops that move a note. The
   author stored is the **signer's certificate user**; the relay's ``author_user_id`` label is
   never read. An op refused as stale is still applied when it is the newest accepted op of
   its note (a re-delivery, e.g. after its key arrived), never otherwise: so an old "add"
   replayed after a delete cannot bring the note back.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from furano_meet.annotations import AnnotationBody, AnnotationError, decode, encode
from furano_meet.crypto import (
    CryptoError,
    DeviceCertificate,
    MeetingKey,
    PrivateAnnotationKey,
    decrypt_annotation,
    framing,
    read_annotation_header,
)
from furano_meet.crypto.authority import StaleObject, TrustAnchor
from furano_meet.crypto.errors import UnauthorisedSigner, WrongContext
from furano_meet.crypto.roster import Roster
from furano_meet.crypto.signed_ops import (
    KIND,
    NoteOwner,
    OpLedger,
    OpVisibility,
    VerifiedOp,
    verify_op_chain,
)
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.store.ledger import LedgerState, NoteRecord
from furano_meet.store.records import Annotation, Visibility

from .context import parse_time
from .queries import AnnotationView, view_of

log = logging.getLogger("furano.sync")

OPS_STREAM = "ops"
"""The sync cursor of a meeting's op log."""

HeldKeys = dict[str, dict[int, MeetingKey | PrivateAnnotationKey]]
"""The annotation keys this device holds for a meeting, by visibility and epoch."""


@dataclass(frozen=True, slots=True)
class Received:
    """One verified op on its way to the ledger."""

    logged: m.LoggedOp
    op: VerifiedOp
    body: AnnotationBody | None = None
    """The decoded note (``None`` for a delete, or while the key is missing)."""
    waiting: bool = False
    """True when this device lacks the op's key: the ledger still sees it, the note waits."""


def as_logged(
    user_id: str, device_id: str, ops: tuple[m.NewOp, ...], results: tuple[m.OpResult, ...]
) -> tuple[m.LoggedOp, ...]:
    """This device's acknowledged ops as the log holds them (its own signed headers): the relay
    does not push a device's ops back to it, yet its ledger must know its own notes."""
    seqs = {r.op_id: r.seq for r in results}
    logged = []
    for op in ops:
        if op.op_id not in seqs or not op.signed:
            continue
        header, signature = KIND.split(op.signed)
        logged.append(
            m.LoggedOp.of(
                op,
                seq=seqs[op.op_id],
                author_user_id=user_id,
                author_device_id=device_id,
                logged_at="",
                header=header,
                signature=signature,
            )
        )
    return tuple(logged)


def signed_bytes(op: m.LoggedOp) -> bytes:
    """The signed op (``FMOP``) a logged op's header and signature make up."""
    return framing.encode(KIND.magic, op.header, op.signature)


def signers(ops: tuple[m.LoggedOp, ...]) -> set[str]:
    """The device ids the signed headers name (unverified: which certificates to fetch)."""
    found: set[str] = set()
    for op in ops:
        if op.header:
            with contextlib.suppress(CryptoError):  # refused in verify_page
                found.add(KIND.signer_of(signed_bytes(op)))
    return found


def verify_page(
    meeting_id: str,
    ops: tuple[m.LoggedOp, ...],
    certificates: dict[str, DeviceCertificate],
    anchor: TrustAnchor,
) -> list[tuple[m.LoggedOp, VerifiedOp]]:
    """(Worker thread) The ops whose signature or chain checks out, in log order."""
    verified: dict[int, VerifiedOp] = {}
    runs: dict[tuple[str, str], list[int]] = {}
    for index, op in enumerate(ops):
        if not op.header:
            log.warning("refusing unsigned op %s", op.op_id)
            continue
        try:
            fields = KIND.peek(signed_bytes(op))
        except CryptoError as exc:
            log.warning("refusing op %s: %s", op.op_id, exc.code)
            continue
        stream = (str(fields["signer_device_id"]), str(fields.get("visibility")))
        runs.setdefault(stream, []).append(index)
        if not op.signature:
            continue  # vouched for by a later op of its stream ("heads" page)
        run = runs.pop(stream)
        cert = certificates.get(stream[0])
        if cert is None:
            log.warning("refusing %d op(s) of uncertified device %s", len(run), stream[0])
            continue
        try:
            chain = verify_op_chain(
                [ops[i].header for i in run],
                [ops[i].payload for i in run],
                op.signature,
                cert,
                anchor,
                expected_meeting_id=meeting_id,
            )
        except CryptoError as exc:
            log.warning("refusing %d op(s) ending at %s: %s", len(run), op.op_id, exc.code)
            continue
        verified.update(zip(run, chain, strict=True))
    for stream, run in runs.items():
        log.warning("refusing %d op(s) of %s without a signature to vouch", len(run), stream)
    return [(ops[i], verified[i]) for i in sorted(verified)]


def verify_and_open(
    meeting_id: str,
    ops: tuple[m.LoggedOp, ...],
    certificates: dict[str, DeviceCertificate],
    anchor: TrustAnchor,
    keys: HeldKeys,
) -> list[Received]:
    """(Worker thread) :func:`verify_page`, then :func:`open_bodies`: one hop off the loop."""
    return open_bodies(meeting_id, verify_page(meeting_id, ops, certificates, anchor), keys)


def open_bodies(
    meeting_id: str, ops: list[tuple[m.LoggedOp, VerifiedOp]], keys: HeldKeys
) -> list[Received]:
    """(Worker thread) Decrypt and decode each op's note with the key of its epoch."""
    received: list[Received] = []
    for logged, op in ops:
        if op.header.kind == "delete":
            received.append(Received(logged, op))
            continue
        held = keys[op.header.visibility]
        try:
            key = held.get(read_annotation_header(logged.payload)[2])
        except CryptoError as exc:
            log.warning("refusing op %s: %s", op.header.op_id, exc.code)
            continue
        if key is None:
            received.append(Received(logged, op, waiting=True))
            continue
        try:
            plain = decrypt_annotation(
                logged.payload, key, meeting_id=meeting_id, annotation_id=op.header.op_id
            )
            received.append(Received(logged, op, decode(plain)))
        except (CryptoError, AnnotationError) as exc:
            log.warning("refusing op %s: %s", op.header.op_id, exc.code)
    return received


def _ledger(meeting_id: str, state: LedgerState) -> tuple[OpLedger, dict[str, tuple[str, str]]]:
    ledger = OpLedger()
    ledger.heads = {(d, meeting_id, v): head for (d, v), head in state.heads.items()}
    ledger.notes = {
        a: NoteOwner(
            n.author_user_id,
            n.meeting_id,
            n.doc_id,
            n.version,
            cast(OpVisibility, n.visibility),
            n.deleted,
        )
        for a, n in state.notes.items()
    }
    latest = {a: (n.last_op_id, n.last_op_sha256) for a, n in state.notes.items()}
    return ledger, latest


def _changes(
    ledger: OpLedger, latest: dict[str, tuple[str, str]], before: LedgerState
) -> LedgerState:
    """What differs from ``before``: only that is written back (a push changes one note)."""
    heads = {(d, v): head for (d, _, v), head in ledger.heads.items()}
    notes = {
        a: NoteRecord(
            n.author_user_id,
            n.meeting_id,
            n.document_id,
            n.version,
            n.visibility,
            n.deleted,
            *latest[a],
        )
        for a, n in ledger.notes.items()
        if a in latest
    }
    return LedgerState(
        {k: v for k, v in heads.items() if before.heads.get(k) != v},
        {a: n for a, n in notes.items() if before.notes.get(a) != n},
    )


def _admit(
    ledger: OpLedger, latest: dict[str, tuple[str, str]], op: VerifiedOp, roster: Roster | None
) -> bool:
    """Whether ``op`` may change its note now (module docstring, step 3)."""
    h = op.header
    try:
        if not ledger.accept(op, roster):
            log.info("op %s does not follow the last one seen from its device", h.op_id)
    except StaleObject:
        if latest.get(h.annotation_id) == (h.op_id, op.sha256):
            return True  # the newest op of its note, delivered again
        log.warning("ignoring op %s: replayed or reordered", h.op_id)
        return False
    except (UnauthorisedSigner, WrongContext) as exc:
        log.warning("refusing op %s: %s", h.op_id, exc.message)
        return False
    latest[h.annotation_id] = (h.op_id, op.sha256)
    return True


def store_received(
    store: LocalStore,
    meeting_id: str,
    received: list[Received],
    cursor: int,
    roster: Roster | None,
    now: datetime,
    *,
    own: bool = False,
) -> Stored:
    """(Store thread) Let ops through the ledger, store what they change, advance the cursor,
    all in one transaction; returns what changed (see :class:`Stored`).

    ``own`` ops are this device's, just acknowledged: the ledger learns them, but their notes
    were stored when they were written, and a later local edit or delete of the same note must
    not be undone by storing the older op again (it was, until that change's own
    acknowledgement came back: a deleted note reappeared meanwhile)."""
    changed: list[str] = []
    live: dict[str, AnnotationView] = {}
    with store.atomic():
        before = store.load_ledger(  # only the rows these ops can touch (issue #9, fifth session)
            meeting_id,
            notes={item.op.header.annotation_id for item in received},
            devices={item.op.author_device_id for item in received},
        )
        ledger, latest = _ledger(meeting_id, before)
        for item in received:
            h, logged = item.op.header, item.logged
            if not _admit(ledger, latest, item.op, roster) or own:
                continue
            when = parse_time(logged.logged_at) or now
            if h.kind == "delete":
                if store.annotation(h.annotation_id) is not None:
                    store.delete_annotation(h.annotation_id, when)
                live.pop(h.annotation_id, None)
            elif item.body is not None:
                note = Annotation(
                    annotation_id=h.annotation_id,
                    meeting_id=meeting_id,
                    doc_id=h.document_id,
                    version=h.version,
                    page_no=h.page,
                    visibility=Visibility(h.visibility),
                    # The signer's certificate user (of the note's add), never a relay label.
                    author=ledger.notes[h.annotation_id].author_user_id,
                    payload=encode(item.body),
                    created_at=when,
                    updated_at=when,
                    server_seq=logged.seq,
                )
                store.put_annotation(note)
                live[h.annotation_id] = view_of(note, item.body)
            else:
                continue  # waiting for its key
            changed.append(h.annotation_id)
        store.save_ledger(meeting_id, _changes(ledger, latest, before))
        if cursor:
            store.advance_cursor(meeting_id, OPS_STREAM, cursor)
    return Stored(tuple(changed), tuple(live.values()))


@dataclass(frozen=True, slots=True)
class Stored:
    """What one page of received ops changed in the store."""

    changed: tuple[str, ...]
    """Every note added, edited or deleted, in log order."""
    live: tuple[AnnotationView, ...]
    """The added or edited notes as now stored, so a screen can show them from the event
    without reading the store again (issue #9: on a busy device that read was a third of a
    shared stroke's way to another screen)."""
