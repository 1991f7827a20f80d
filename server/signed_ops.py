"""The relay's service checks on signed annotation ops (protocol 1.3, ``docs/trust.md`` §3).

The relay cannot tell a genuine op from a forged one — clients verify every signature against
their organisation's root — but it can keep the log *serviceable*: it refuses an op whose
signed header names another device than the authenticated one, another op id, meeting,
place or kind than the frame, or a payload that is not the one signed, and (in
:meth:`server.store.OpLog.append_ops`) an op that does not continue its stream's chain
(``stale``). Without these checks a member could fill the log with ops every reader refuses,
or break another device's chain for everyone. The signature itself is not checked here: it
costs the relay an ML-DSA verification per op and proves nothing a client does not re-check.
"""

from __future__ import annotations

from dataclasses import dataclass

from furano_meet.crypto import CryptoError
from furano_meet.crypto.signed_ops import KIND, op_hash, payload_hash
from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from .errors import Refusal
from .store import DeviceIdentity


@dataclass(frozen=True, slots=True)
class SignedRow:
    """What the op log stores of a signed op besides the frame's own fields."""

    header: bytes
    signature: bytes
    counter: int
    prev_sha256: str
    op_sha256: str


def check_signed(meeting_id: str, author: DeviceIdentity, op: m.NewOp) -> SignedRow | None:
    """The signed parts of ``op`` if they match the frame and the sender; ``None`` if unsigned
    (a client older than 1.3, whose ops 1.3 readers refuse). Raises :class:`Refusal`."""
    if not op.signed:
        return None
    try:
        header, signature = KIND.split(op.signed)
        fields = KIND.peek(op.signed)
    except CryptoError as exc:
        raise Refusal(ErrorCode.INVALID_FIELD, f"op {op.op_id!r}: {exc.message}") from exc
    if fields["signer_device_id"] != author.device_id:
        raise Refusal(ErrorCode.FORBIDDEN, f"op {op.op_id!r} is signed by another device")
    frame = (meeting_id, op.op_id, op.document_id, op.version, op.page, op.kind, op.visibility)
    signed = tuple(
        fields.get(k)
        for k in ("meeting_id", "op_id", "document_id", "version", "page", "kind", "visibility")
    )
    if signed != frame or fields.get("payload_sha256") != payload_hash(op.payload):
        raise Refusal(
            ErrorCode.INVALID_FIELD, f"op {op.op_id!r}: the signed header does not match the op"
        )
    counter, prev = fields.get("counter"), fields.get("prev_sha256")
    if type(counter) is not int or not isinstance(prev, str):
        raise Refusal(ErrorCode.INVALID_FIELD, f"op {op.op_id!r}: no counter or chain")
    return SignedRow(header, signature, counter, prev, op_hash(header))
