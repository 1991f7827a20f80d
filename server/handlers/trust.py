"""Signed keys and rosters (protocol 1.3): the relay's service checks, never the real defence.

Issue #8, finding 6: any member could put a "meeting" envelope at epoch 2^53-1 for their own
device (after which the clerk's client no longer counted as holding the newest key) or seal
another device's next-epoch slot before the clerk. Now the relay accepts meeting-key envelopes
only

* from a clerk's or an administrator's device (the role the relay itself recorded),
* with an epoch in 1..2^31-1,
* with an epoch record for exactly that meeting and epoch — verified against the
  organisation's root fingerprint when the relay knows it — and the first record of an epoch
  is the one kept, so the slot an envelope fills is named by the signed record, not by a
  number the sender chose.

Rosters are kept newest-first (``stale`` for an older version) and pushed to the attendees.

Clients verify every record and roster themselves against the root fingerprint from their
invitation (:mod:`furano_meet.sync.trust`); these checks only keep an honest relay's service
right when a member misbehaves.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from furano_meet.crypto import CryptoError, epochs, roster
from furano_meet.crypto.authority import KEY_AUTHORITY_ROLES, MAX_EPOCH, TrustAnchor
from furano_meet.protocol import ErrorCode, encode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from ..fanout import fan_out
from ..state import Client, RelayState


def _require_authority(client: Client, action: str) -> None:
    if client.who.role not in KEY_AUTHORITY_ROLES:
        raise Refusal(
            ErrorCode.FORBIDDEN, f"Only a clerk's or an administrator's device can {action}."
        )


async def _anchor(state: RelayState, client: Client) -> TrustAnchor | None:
    """The organisation's anchor, if the relay was told its root fingerprint."""
    fingerprint = await state.store.run(state.store.root_fingerprint, client.who.org_id)
    return TrustAnchor(client.who.org_id, fingerprint) if fingerprint else None


def _record_body(
    envelope: m.KeyEnvelope, meeting_id: str, anchor: TrustAnchor | None
) -> tuple[bytes, str]:
    """(canonical body, signer device) of the envelope's record, checked (worker thread)."""
    try:
        if anchor is not None:
            verified = epochs.verify_epoch_record(
                envelope.epoch_record, envelope.record_signer, anchor
            )
            body, signer = verified.body, verified.signer.device_id
        else:
            body = epochs.KIND.split(envelope.epoch_record)[0]
            signer = epochs.KIND.signer_of(envelope.epoch_record)
        fields = epochs.KIND.peek(envelope.epoch_record)
    except CryptoError as exc:
        raise Refusal(
            ErrorCode.FORBIDDEN, f"the epoch record does not verify ({exc.code})"
        ) from exc
    if fields["meeting_id"] != meeting_id or fields["epoch"] != envelope.epoch:
        raise Refusal(ErrorCode.FORBIDDEN, "the epoch record is for another meeting or epoch")
    return body, signer


async def checked_envelopes(
    state: RelayState, client: Client, msg: m.PutKeyEnvelopes
) -> tuple[m.KeyEnvelope, ...]:
    """The envelopes of ``msg`` if the sender may hand them out; meeting envelopes come back
    carrying the record the relay keeps for their epoch (the first one it was given)."""
    meeting = [e for e in msg.envelopes if e.purpose == "meeting"]
    if not meeting:
        return msg.envelopes
    _require_authority(client, "hand out meeting keys")
    anchor = await _anchor(state, client)
    kept: dict[int, tuple[bytes, bytes]] = {}
    for envelope in meeting:
        if not 1 <= envelope.epoch <= MAX_EPOCH:
            raise Refusal(ErrorCode.INVALID_FIELD, f"key epoch must be within 1..{MAX_EPOCH}")
        if envelope.epoch in kept:
            continue
        held = await state.store.run(state.store.epoch_record, msg.meeting_id, envelope.epoch)
        if not envelope.epoch_record:
            if held is None:
                raise Refusal(
                    ErrorCode.FORBIDDEN, f"epoch {envelope.epoch} has no signed epoch record"
                )
            kept[envelope.epoch] = held
            continue
        body, signer = await asyncio.to_thread(_record_body, envelope, msg.meeting_id, anchor)
        if held is None and signer != client.who.device_id:
            raise Refusal(ErrorCode.FORBIDDEN, "a new epoch's record must be signed by its sender")
        record = await state.store.run(
            state.store.keep_epoch_record,
            msg.meeting_id,
            envelope.epoch,
            envelope.epoch_record,
            envelope.record_signer,
            body,
        )
        kept[envelope.epoch] = (record, envelope.record_signer if held is None else held[1])
    return tuple(
        replace(e, epoch_record=kept[e.epoch][0], record_signer=kept[e.epoch][1])
        if e.purpose == "meeting"
        else e
        for e in msg.envelopes
    )


def _roster_version(data: bytes, meeting_id: str, anchor: TrustAnchor | None, cert: bytes) -> int:
    """The version of a roster put for ``meeting_id``, checked (worker thread)."""
    try:
        if anchor is not None:
            return roster.verify_roster(data, cert, anchor, expected_meeting_id=meeting_id).version
        fields = roster.KIND.peek(data)
    except CryptoError as exc:
        raise Refusal(ErrorCode.FORBIDDEN, f"the roster does not verify ({exc.code})") from exc
    version = fields["version"]
    if fields["meeting_id"] != meeting_id or not isinstance(version, int):
        raise Refusal(ErrorCode.FORBIDDEN, "the roster is for another meeting")
    return version


async def put_roster(state: RelayState, client: Client, msg: m.PutRoster) -> None:
    await state.membership(client, msg.meeting_id)
    _require_authority(client, "sign the meeting's roster")
    anchor = await _anchor(state, client)
    version = await asyncio.to_thread(
        _roster_version, msg.roster, msg.meeting_id, anchor, msg.signer_certificate
    )
    if not 1 <= version <= MAX_EPOCH:
        raise Refusal(ErrorCode.INVALID_FIELD, f"roster version must be within 1..{MAX_EPOCH}")
    await state.store.run(
        state.store.put_roster, msg.meeting_id, version, msg.roster, msg.signer_certificate
    )
    client.outbox.send(m.Done(rid=msg.rid))
    room = state.rooms.get(msg.meeting_id)
    if room is not None:
        push = m.RosterChanged(
            meeting_id=msg.meeting_id, roster=msg.roster, signer_certificate=msg.signer_certificate
        )
        frame = encode(push)
        fan_out([o for o in room.outboxes.values() if o.minor >= 3], frame)
