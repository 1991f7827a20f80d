"""An outbox entry in its plain form, signed exactly once, and sent in frame-sized batches.

Why a module of its own: these are the rules that keep a device's op chain sound, apart from
when :class:`~.notes.Notes` writes, sends or receives. An op waits in the encrypted outbox as a
:class:`PendingOp` (the note's canonical encoding, never a free dict), possibly for days
offline. It is encrypted and signed only when first sent, because the meeting key or this
device's certificate may arrive after the note was written; :func:`sign_and_keep` then takes
the stream's next counter and previous hash and keeps the signed op, the ciphertext and the new
counter in one transaction, so a crash before the commit leaves no trace of the signature, and
after it every resend sends the same bytes: no counter ever signs two ops. :func:`batches`
cuts what is sent into frames the relay accepts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

from furano_meet.annotations import body_from_legacy, encode
from furano_meet.crypto import DeviceCertificate, DeviceKeys
from furano_meet.crypto.signed_ops import OpHeader, OpKind, sign_op, signed_op_hash
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore

__all__ = ["PendingOp", "Signer", "batches", "sign_and_keep"]


@dataclass(frozen=True, slots=True)
class PendingOp:
    """The plaintext form of an outbox entry (the outbox lives in the encrypted store)."""

    op_id: str
    annotation_id: str
    meeting_id: str
    document_id: str
    version: int
    page: int
    visibility: m.Visibility
    kind: OpKind
    body: str
    """The canonical encoding of the note ("" for a delete)."""

    def to_bytes(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PendingOp:
        fields = json.loads(data)
        if "content" in fields:  # queued by a build before typed notes: same note, typed
            content = fields.pop("content")
            fields["body"] = (
                "" if fields["kind"] == "delete" else encode(body_from_legacy(content)).decode()
            )
        return cls(**fields)

    def header(self, counter: int, prev_sha256: str) -> OpHeader:
        return OpHeader(
            self.op_id,
            self.annotation_id,
            self.meeting_id,
            self.document_id,
            self.version,
            self.page,
            self.kind,
            self.visibility,
            counter,
            prev_sha256,
        )


Signer = Callable[[OpHeader, bytes, DeviceKeys, DeviceCertificate], bytes]


def sign_and_keep(
    store: LocalStore,
    op: PendingOp,
    payload: bytes,
    keys: DeviceKeys,
    cert: DeviceCertificate,
    *,
    sign: Signer = sign_op,
) -> bytes:
    """(Store thread) Sign ``op`` with its stream's next counter and keep it, atomically."""
    with store.atomic():
        counter, prev = store.own_stream_head(op.meeting_id, op.visibility)
        signed = sign(op.header(counter + 1, prev), payload, keys, cert)
        store.keep_signed(
            op.op_id,
            op.meeting_id,
            op.visibility,
            signed=signed,
            payload=payload,
            counter=counter + 1,
            op_sha256=signed_op_hash(signed),
        )
    return signed


def batches(ops: list[m.NewOp], budget: int) -> list[tuple[m.NewOp, ...]]:
    """``ops`` in order, in batches whose frame stays within ``budget`` bytes (a signed op is
    ~4.5 KB, so the relay's frame limit, not the 500-op cap, bounds a batch)."""
    batches: list[tuple[m.NewOp, ...]] = []
    batch: list[m.NewOp] = []
    size = 0
    for op in ops:
        cost = (len(op.payload) + len(op.signed)) * 4 // 3 + 400
        if batch and (size + cost > budget or len(batch) == 500):
            batches.append(tuple(batch))
            batch, size = [], 0
        batch.append(op)
        size += cost
    if batch:
        batches.append(tuple(batch))
    return batches
