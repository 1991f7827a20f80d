"""Signed annotation ops, and the ledger that decides which ops may change which notes.

Theory of operation
-------------------
Encryption (:mod:`.annotations`) hides a note from the relay but says nothing about who wrote
it: every member holds the meeting key, so any member could encrypt an "update" of another
member's shared note (「反対」 → 「賛成」) and the relay's ``author`` label would still name the
original author. Each op is therefore signed by its author's device::

    b"FMOP" [body, hybrid signature]      (see :mod:`.authority`)
    body = {"type": "furano-meet/annotation-op", "format": 1, "op_id", "annotation_id",
            "meeting_id", "document_id", "version", "page", "kind", "visibility",
            "counter", "prev_sha256", "payload_sha256", "signer_device_id", "signed_at"}

``payload_sha256`` is the hash of the *encrypted* payload, so the relay (and a member
without the key) can check the binding without decrypting, and the signature covers the
content. :func:`verify_op` yields a :class:`VerifiedOp` whose author is the signer's
**certificate** user and role — never a label the relay supplies.

**Streams.** A device's ops are numbered and chained per *stream*: (device, meeting,
visibility) — exactly the ops one reader sees in full. (Members of a meeting never see the
author's private ops nor another meeting's ops, so a per-device chain would look broken to
them.) :func:`stream_of` names it.

**A hash chain per stream.** ``prev_sha256`` is :func:`op_hash` of the previous op of the
same stream ("" for its first), so a stream forms a chain and one verified signature vouches
for every op behind it. That is what makes a catch-up cheap: :func:`verify_op_chain` checks
the hybrid signature of the newest op of each device (a handful) and one SHA-256 per op,
instead of one ML-DSA verification per op — the relay need only send the signature of each
device's last op in a page (protocol 1.3, ``docs/trust.md``). It also makes withholding
visible: a missing op in the middle breaks the chain (:class:`~.errors.TamperedData`), and
the ledger reports an op that does not follow on the last one seen from its device.

**Op id ↔ annotation id.** An ``add`` has ``op_id == annotation_id``; an ``update`` or a
``delete`` has ``op_id == annotation_id + "." + suffix`` (:func:`op_id_for`). The engine must
also check that the annotation id inside the decrypted payload is the signed one
(:func:`require_payload_annotation`): the "edit another note through my own op" attack read
the target from the encrypted body.

**The ledger.** :class:`OpLedger` is a pure state machine a device feeds every verified op
into, in log order:

* **replay / reorder** — each stream numbers its ops with a strictly increasing ``counter``;
  an op whose counter is not greater than the last one seen in its stream is refused
  (:class:`~.authority.StaleObject`): re-sending an old "add" no longer brings a deleted
  note back. Gaps are allowed (a withheld op must not block the rest) but reported:
  :meth:`OpLedger.accept` returns False when the op does not chain onto its stream's last;
* **authority** — an ``update``/``delete`` must come from the note's author (the user who
  signed its ``add``), or, for a *shared* note, from a user whose certified role the
  meeting's signed roster names in ``note_editors``; a private note is its author's alone
  (:class:`~.errors.UnauthorisedSigner`);
* **consistency** — an edit must stay in the note's meeting, document, version and
  visibility; nothing may follow a delete; an ``add`` may not reuse an id
  (:class:`~.errors.WrongContext`).

Cost: one hybrid signature per op (3,373 bytes; a signed op is ~3.8 KB) and ~0.7 ms to sign,
~0.25 ms to verify; a chain costs one SHA-256 per op. See ``bench/signed_ops.py``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from . import canonical_json, framing
from .authority import (
    SignedKind,
    StaleObject,
    TrustAnchor,
    Verified,
    get_hex64,
    require_bounded,
    require_meeting,
    same_digest,
    sha256_hex,
)
from .certificates import DeviceCertificate
from .errors import MalformedData, TamperedData, UnauthorisedSigner, UsageError, WrongContext
from .framing import Buffer
from .keys import DeviceKeys
from .roster import Roster

PURPOSE = "furano-meet annotation op"
OpKind = Literal["add", "update", "delete"]
OpVisibility = Literal["shared", "private"]
_KINDS: tuple[OpKind, ...] = ("add", "update", "delete")
_VISIBILITIES: tuple[OpVisibility, ...] = ("shared", "private")
#: Counters stay exact in every JSON implementation (IEEE doubles hold 2^53 exactly).
MAX_COUNTER = 2**53 - 1
_HASH_MAGIC = b"FMoh"

KIND = SignedKind(
    magic=b"FMOP",
    purpose=PURPOSE,
    type="furano-meet/annotation-op",
    what="annotation op",
    fields=frozenset(
        {
            "op_id",
            "annotation_id",
            "meeting_id",
            "document_id",
            "version",
            "page",
            "kind",
            "visibility",
            "counter",
            "prev_sha256",
            "payload_sha256",
        }
    ),
    signer_roles=None,
    action="write annotations",
)


@dataclass(frozen=True)
class OpHeader:
    """What an op says about itself; everything here is signed."""

    op_id: str
    annotation_id: str
    meeting_id: str
    document_id: str
    version: int
    page: int
    kind: OpKind
    visibility: OpVisibility
    counter: int
    #: :func:`op_hash` of the previous op of its stream ("" for the first; :func:`stream_of`).
    prev_sha256: str = ""


@dataclass(frozen=True)
class VerifiedOp:
    """An op whose signature (or chain), author certificate and payload hash checked out."""

    header: OpHeader
    author: DeviceCertificate = field(repr=False)
    signed_at: int
    #: :func:`op_hash` of this op: what the author's next op names as ``prev_sha256``.
    sha256: str

    @property
    def author_user_id(self) -> str:
        """The author as the organisation root certified it — the only author to show."""
        return self.author.user_id

    @property
    def author_device_id(self) -> str:
        return self.author.device_id


Stream = tuple[str, str, str]
"""(author device id, meeting id, visibility): what one counter and one hash chain cover."""


def stream_of(op: VerifiedOp) -> Stream:
    """The stream an op belongs to (module docstring)."""
    return (op.author_device_id, op.header.meeting_id, op.header.visibility)


def op_id_for(annotation_id: str, kind: OpKind) -> str:
    """A fresh op id that satisfies the binding rule: the annotation id for an add, else the
    annotation id, a dot and a random suffix — unique, because the relay drops a second op
    with the same id as a duplicate, and two devices of one user may edit the same note.
    (A uuid-based annotation id of 34 characters gives a 55-character op id; ids are ≤ 64.)"""
    if kind == "add":
        return annotation_id
    return f"{annotation_id}.{'del' if kind == 'delete' else 'u'}-{secrets.token_hex(8)}"


def _require_binding(header: OpHeader) -> None:
    bound = (
        header.op_id == header.annotation_id
        if header.kind == "add"
        else header.op_id.startswith(header.annotation_id + ".")
        and len(header.op_id) > len(header.annotation_id) + 1
    )
    if not bound:
        raise WrongContext(
            f"{header.kind} op {header.op_id!r} is not bound to annotation {header.annotation_id!r}"
        )


def op_hash(body: Buffer) -> str:
    """The chain hash of an op's canonical body (see :meth:`SignedKind.split`)."""
    return sha256_hex(framing.text(PURPOSE), body, magic=_HASH_MAGIC)


def signed_op_hash(signed_op: Buffer) -> str:
    """:func:`op_hash` of a signed op: the author stores it as its next ``prev_sha256``."""
    return op_hash(KIND.split(signed_op)[0])


def payload_hash(payload: Buffer) -> str:
    """SHA-256 of an encrypted payload, as signed in ``payload_sha256``."""
    return hashlib.sha256(payload).hexdigest()


def sign_op(
    header: OpHeader,
    payload: Buffer,
    device_keys: DeviceKeys,
    author: DeviceCertificate,
    *,
    signed_at: int | None = None,
) -> bytes:
    """Sign one op on the author's device; ``payload`` is the encrypted annotation."""
    try:
        _require_binding(header)
        _check_ranges(header)
    except (WrongContext, MalformedData) as exc:
        raise UsageError(f"refusing to sign a malformed op: {exc.message}") from exc
    content = {
        "op_id": header.op_id,
        "annotation_id": header.annotation_id,
        "meeting_id": header.meeting_id,
        "document_id": header.document_id,
        "version": header.version,
        "page": header.page,
        "kind": header.kind,
        "visibility": header.visibility,
        "counter": header.counter,
        "prev_sha256": header.prev_sha256,
        "payload_sha256": payload_hash(payload),
    }
    return KIND.sign(content, device_keys, author, signed_at)


def _check_ranges(header: OpHeader) -> None:
    require_bounded(header.counter, "op counter", high=MAX_COUNTER)
    if header.kind not in _KINDS or header.visibility not in _VISIBILITIES:
        raise MalformedData(f"op kind {header.kind!r} / visibility {header.visibility!r}")
    if not all((header.op_id, header.annotation_id, header.meeting_id, header.document_id)):
        raise MalformedData("op ids must be non-empty")
    if header.prev_sha256:
        get_hex64({"prev_sha256": header.prev_sha256}, "prev_sha256", "annotation op")


def verify_op(
    signed_op: Buffer,
    author_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    payload: Buffer,
    expected_meeting_id: str | None = None,
) -> VerifiedOp:
    """Verify one op and its encrypted ``payload`` against the author's certificate.

    Raises BadSignature, KeySubstitution, UnauthorisedSigner (another device's certificate),
    WrongContext (unbound op id, another meeting, payload not the signed one), MalformedData.
    """
    return _checked(KIND.verify(signed_op, author_cert, anchor), payload, expected_meeting_id)


def verify_op_chain(
    bodies: Sequence[bytes],
    payloads: Sequence[bytes],
    head_signature: bytes,
    author_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    expected_meeting_id: str | None = None,
) -> list[VerifiedOp]:
    """Verify consecutive ops of one stream, oldest first, with one signature: the newest's.

    ``bodies`` are the ops' canonical bodies (:meth:`SignedKind.split`), ``head_signature``
    the signature of the last one. Each earlier body is vouched for by the hash its successor
    names. Raises what :func:`verify_op` raises, and :class:`TamperedData` when a link does
    not match (an op altered, left out or put in between).
    """
    if not bodies or len(bodies) != len(payloads):
        raise UsageError("a chain needs as many payloads as bodies, and at least one op")
    head = framing.encode(KIND.magic, bodies[-1], head_signature)
    cert = anchor.certificate(author_cert)
    ops = [_checked(KIND.verify(head, cert, anchor), payloads[-1], expected_meeting_id)]
    for body, payload in zip(reversed(bodies[:-1]), reversed(payloads[:-1]), strict=True):
        op = _checked(KIND.vouched(body, cert), payload, expected_meeting_id)
        if not same_digest(op.sha256, ops[-1].header.prev_sha256):
            raise TamperedData(
                f"op {ops[-1].header.op_id!r} of device {cert.device_id!r} does not follow"
                f" {op.header.op_id!r}: an op was altered, left out or slipped in"
            )
        ops.append(op)
    ops.reverse()
    return ops


def _checked(verified: Verified, payload: Buffer, expected_meeting_id: str | None) -> VerifiedOp:
    obj, what = verified.fields, KIND.what
    s, n = canonical_json.get_str, canonical_json.get_int
    header = OpHeader(
        op_id=s(obj, "op_id", what),
        annotation_id=s(obj, "annotation_id", what),
        meeting_id=s(obj, "meeting_id", what),
        document_id=s(obj, "document_id", what),
        version=n(obj, "version", what),
        page=n(obj, "page", what),
        kind=obj["kind"],
        visibility=obj["visibility"],
        counter=n(obj, "counter", what),
        prev_sha256=s(obj, "prev_sha256", what, allow_empty=True),
    )
    _check_ranges(header)
    _require_binding(header)
    if not same_digest(s(obj, "payload_sha256", what), payload_hash(payload)):
        raise WrongContext(f"op {header.op_id!r} came with a payload its author did not sign")
    require_meeting(header.meeting_id, expected_meeting_id, KIND.what)
    return VerifiedOp(header, verified.signer, n(obj, "signed_at", what), op_hash(verified.body))


def require_payload_annotation(op: VerifiedOp, decrypted_annotation_id: str) -> None:
    """The annotation id found inside the decrypted payload must be the signed one."""
    if decrypted_annotation_id != op.header.annotation_id:
        raise WrongContext(
            f"op {op.header.op_id!r} is signed for annotation {op.header.annotation_id!r} but"
            f" its payload names {decrypted_annotation_id!r}"
        )


@dataclass(frozen=True)
class NoteOwner:
    """What the ledger remembers of a note: who made it and where it lives."""

    author_user_id: str
    meeting_id: str
    document_id: str
    version: int
    visibility: OpVisibility
    deleted: bool = False


class OpLedger:
    """Which ops may apply, in log order (module docstring). Pure and in memory; the engine
    persists :attr:`heads` and :attr:`notes` (or rebuilds them by replaying its log)."""

    def __init__(self) -> None:
        #: Per stream (:func:`stream_of`): (counter, op hash) of the last genuine op seen.
        self.heads: dict[Stream, tuple[int, str]] = {}
        self.notes: dict[str, NoteOwner] = {}

    @property
    def counters(self) -> dict[Stream, int]:
        """The last counter seen per stream."""
        return {stream: head[0] for stream, head in self.heads.items()}

    def accept(self, op: VerifiedOp, roster: Roster | None = None) -> bool:
        """Apply ``op``, or raise; return whether it follows directly on the last op seen in its
        stream (False: some of the stream's ops are missing — fetch them, or warn).

        ``roster`` is the meeting's newest accepted roster; without one, only authors may
        edit. Raises StaleObject (replayed or reordered; nothing changes), or — after
        recording the op as seen from its device, since it is genuine and only its effect is
        refused — UnauthorisedSigner (not the author, nor a role the roster names for shared
        notes) or WrongContext (an edit that moves the note, touches an unknown or deleted
        note, or an add reusing an id).
        """
        h = op.header
        stream = stream_of(op)
        last_counter, last_hash = self.heads.get(stream, (0, ""))
        if h.counter <= last_counter:
            kind = "replayed" if h.counter == last_counter else "reordered or replayed"
            raise StaleObject(
                f"op {h.op_id!r} of stream {stream} has counter {h.counter},"
                f" not above {last_counter}: {kind}"
            )
        self.heads[stream] = (h.counter, op.sha256)
        note = self.notes.get(h.annotation_id)
        if h.kind == "add":
            if note is not None:
                raise WrongContext(f"annotation {h.annotation_id!r} already exists")
            new = NoteOwner(op.author_user_id, h.meeting_id, h.document_id, h.version, h.visibility)
        else:
            if note is None or note.deleted:
                state = "unknown" if note is None else "deleted"
                raise WrongContext(f"{h.kind} of {state} annotation {h.annotation_id!r}")
            where = (h.meeting_id, h.document_id, h.version, h.visibility)
            if where != (note.meeting_id, note.document_id, note.version, note.visibility):
                raise WrongContext(f"{h.kind} op {h.op_id!r} would move its note elsewhere")
            self._require_may_change(op, note, roster)
            new = replace(note, deleted=h.kind == "delete")
        self.notes[h.annotation_id] = new
        return h.prev_sha256 == last_hash

    @staticmethod
    def _require_may_change(op: VerifiedOp, note: NoteOwner, roster: Roster | None) -> None:
        if op.author_user_id == note.author_user_id:
            return
        if (
            note.visibility == "shared"
            and roster is not None
            and roster.meeting_id == note.meeting_id
            and op.author.role in roster.note_editors
            and op.author_user_id in roster.members
            and op.author.org_id == roster.org_id
        ):
            return
        raise UnauthorisedSigner(
            f"{op.author_user_id!r} ({op.author.role}) may not {op.header.kind} the"
            f" {note.visibility} note {op.header.annotation_id!r} of {note.author_user_id!r}"
        )
