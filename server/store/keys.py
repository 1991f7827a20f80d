"""Key envelopes and device keys: who holds a meeting's key, who waits for it, who certifies.

Serves the key and certification handlers.  The relay never sees a key, only envelopes sealed
to one device each; these queries decide which devices to ask and what to hand out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from .accounts import AccountQueries
from .database import utc_now
from .meetings import MeetingQueries


class KeyQueries(AccountQueries, MeetingQueries):
    """Envelopes are checked against members and devices, hence both bases."""

    def put_envelopes(
        self, meeting_id: str, envelopes: Sequence[m.KeyEnvelope], sealed_by: str
    ) -> list[m.KeyEnvelope]:
        """Store envelopes sealed by device ``sealed_by``; returns those stored, as stored.

        An envelope replaces one for the same (device, purpose, epoch) only when the same device
        sealed it.  Another device's envelope for that slot is kept and the new one is skipped:
        the recipient already has that key epoch, and a member must not be able to swap the key
        another device handed out.
        """
        members = self.member_ids(meeting_id)
        stored: list[m.KeyEnvelope] = []
        sealer_user = self.identity(sealed_by).user_id
        with self._tx() as db:
            for env in envelopes:
                row = db.execute(
                    "SELECT user_id, revoked_at FROM devices WHERE device_id = ?", (env.device_id,)
                ).fetchone()
                if row is None or row[0] not in members or row[1] is not None:
                    raise Refusal(
                        ErrorCode.FORBIDDEN,
                        f"device {env.device_id!r} is not an active member device",
                    )
                if env.purpose == "private" and row[0] != sealer_user:
                    raise Refusal(
                        ErrorCode.FORBIDDEN,
                        "A private-annotation key can only be sealed to the same member's devices.",
                    )
                holder = db.execute(
                    "SELECT sealed_by FROM key_envelopes WHERE meeting_id = ? AND device_id = ?"
                    " AND purpose = ? AND epoch = ?",
                    (meeting_id, env.device_id, env.purpose, env.epoch),
                ).fetchone()
                if holder is not None and holder[0] != sealed_by:
                    continue
                stored.append(replace(env, sealed_by=sealed_by))
                db.execute(
                    "INSERT OR REPLACE INTO key_envelopes (meeting_id, device_id, purpose, epoch,"
                    " envelope, sealed_by, created_at) VALUES (?,?,?,?,?,?,?)",
                    (
                        meeting_id,
                        env.device_id,
                        env.purpose,
                        env.epoch,
                        env.envelope,
                        sealed_by,
                        utc_now(),
                    ),
                )
        return stored

    def envelopes_for(self, meeting_id: str, device_id: str) -> list[m.KeyEnvelope]:
        """A device's envelopes, each meeting envelope with its epoch's record (1.3)."""
        rows = self.db.execute(
            "SELECT k.device_id, k.epoch, k.envelope, k.sealed_by, k.purpose,"
            " coalesce(r.record, x''), coalesce(r.signer_certificate, x'') FROM key_envelopes k"
            " LEFT JOIN epoch_records r ON r.meeting_id = k.meeting_id AND r.epoch = k.epoch"
            " AND k.purpose = 'meeting'"
            " WHERE k.meeting_id = ? AND k.device_id = ? ORDER BY k.purpose, k.epoch",
            (meeting_id, device_id),
        )
        return [
            m.KeyEnvelope(
                device_id=r[0],
                epoch=r[1],
                envelope=r[2],
                sealed_by=r[3],
                purpose=r[4],
                epoch_record=bytes(r[5]),
                record_signer=bytes(r[6]),
            )
            for r in rows
        ]

    def devices_awaiting_key(self, meeting_id: str) -> list[m.DeviceKeyInfo]:
        """Active member devices that have no envelope for the meeting's newest key epoch."""
        rows = self.db.execute(
            f"SELECT {_DEVICE_KEY_COLUMNS}"
            " FROM meeting_members mm JOIN devices d USING (user_id) JOIN users u USING (user_id)"
            " WHERE mm.meeting_id = ?1 AND d.revoked_at IS NULL AND NOT EXISTS ("
            "   SELECT 1 FROM key_envelopes k WHERE k.meeting_id = ?1 AND k.device_id = d.device_id"
            "   AND k.purpose = 'meeting' AND k.epoch = (SELECT coalesce(max(epoch), 0)"
            "   FROM key_envelopes WHERE meeting_id = ?1 AND purpose = 'meeting'))"
            " ORDER BY d.created_at",
            (meeting_id,),
        )
        return [_device_key_info(r) for r in rows]

    def key_holders_among(self, meeting_id: str, device_ids: Sequence[str]) -> list[str]:
        """Of ``device_ids``, the active devices of current members holding the newest key.

        "Newest": a device still waiting for the newest epoch is not asked to seal it.  Devices
        of users removed from the meeting, and revoked devices, are never asked, and (1.3)
        only clerks' and administrators' devices are: nobody else may hand out meeting keys
        (:func:`server.handlers.keys.put_envelopes`).
        """
        waiting = {d.device_id for d in self.devices_awaiting_key(meeting_id)}
        return self._first_column_in(
            "SELECT d.device_id FROM devices d"
            " JOIN meeting_members mm ON mm.user_id = d.user_id AND mm.meeting_id = ?"
            " JOIN users u ON u.user_id = d.user_id AND u.role IN ('clerk', 'admin')"
            " WHERE d.revoked_at IS NULL AND d.device_id IN ({marks}) AND EXISTS ("
            "   SELECT 1 FROM key_envelopes k WHERE k.meeting_id = mm.meeting_id"
            "   AND k.device_id = d.device_id AND k.purpose = 'meeting')",
            [d for d in device_ids if d not in waiting],
            meeting_id,
        )

    def member_device_keys(self, meeting_id: str) -> list[m.DeviceKeyInfo]:
        return self._device_keys(
            "FROM meeting_members mm JOIN devices d USING (user_id) JOIN users u USING (user_id)"
            " WHERE mm.meeting_id = ? AND d.revoked_at IS NULL ORDER BY d.created_at, d.device_id",
            meeting_id,
        )

    def _device_keys(self, rest: str, *params: str) -> list[m.DeviceKeyInfo]:
        """``SELECT`` the device-key columns ``rest`` (the joins, the condition, the order)."""
        rows = self.db.execute(f"SELECT {_DEVICE_KEY_COLUMNS} {rest}", params)
        return [_device_key_info(r) for r in rows]

    def uncertified_devices(self, org_id: str) -> list[m.DeviceKeyInfo]:
        """Devices waiting for a certificate, each with its enrolment claim and the invitation
        it redeemed (empty for a device enrolled with a relay-made code)."""
        rows = self.db.execute(
            f"SELECT {_DEVICE_KEY_COLUMNS}, d.claim, coalesce(i.invitation, x''),"
            " coalesce(i.issuer_certificate, x'') FROM devices d JOIN users u USING (user_id)"
            " LEFT JOIN invitations i ON i.invitation_id = d.invitation_id"
            " WHERE u.org_id = ? AND d.revoked_at IS NULL"
            " AND length(d.certificate) = 0 ORDER BY d.created_at",
            (org_id,),
        )
        return [
            replace(_device_key_info(r), claim=r[5], invitation=r[6], issuer_certificate=r[7])
            for r in rows
        ]

    def certified_devices(self, org_id: str) -> list[m.DeviceKeyInfo]:
        """(1.6) The organisation's active devices that hold a certificate, oldest first."""
        return self._device_keys(
            "FROM devices d JOIN users u USING (user_id) WHERE u.org_id = ?"
            " AND d.revoked_at IS NULL AND length(d.certificate) > 0"
            " ORDER BY d.created_at, d.device_id",
            org_id,
        )

    def admin_devices(self, org_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT d.device_id FROM devices d JOIN users u USING (user_id)"
            " WHERE u.org_id = ? AND u.role = 'admin' AND d.revoked_at IS NULL",
            (org_id,),
        )
        return [r[0] for r in rows]


_DEVICE_KEY_COLUMNS = "d.user_id, d.device_id, d.public_keys, d.certificate, u.role"
"""What :func:`_device_key_info` reads (``d`` = devices, ``u`` = users)."""


def _device_key_info(row: Any) -> m.DeviceKeyInfo:
    return m.DeviceKeyInfo(
        user_id=row[0], device_id=row[1], public_keys=row[2], certificate=row[3], role=row[4]
    )
