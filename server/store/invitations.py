"""Invitations made on the administrator's device, and enrolment by redeeming one (1.3).

The relay cannot mint an invitation (it is signed by an admin device under the organisation
root, which devices verify) and cannot redeem one it stores: it keeps only the invitation's
``code_key``, a one-way function of the code, and accepts an enrolment only with a claim whose
code proof verifies against that key (:func:`~furano_meet.crypto.invitations.check_code_proof`).
Everything here is a *service* check — the relay keeping itself consistent; the certifying
administrator re-checks the claim against the signed invitation whatever the relay says.
"""

from __future__ import annotations

import time

from furano_meet.crypto import CryptoError
from furano_meet.crypto import invitations as iv
from furano_meet.protocol import ErrorCode

from ..errors import Refusal
from .accounts import AccountQueries, DeviceIdentity
from .database import utc_now

_UNUSABLE = (
    "This invitation is unknown, expired or already used, or the code does not match it. "
    "Ask the clerk's office for a new one."
)


class InvitationQueries(AccountQueries):
    """Store, find and redeem invitations."""

    def put_invitation(self, sender: DeviceIdentity, invitation: bytes, issuer: bytes) -> None:
        """Keep an invitation the admin device ``sender`` signed, indexed by its code key.

        Refused: a body that does not parse, one signed by another device, for another
        organisation, already expired, or naming a user the relay does not know under that role
        (the relay's own permissions follow the role it records for the user)."""
        try:
            fields = iv.KIND.peek(invitation)
            issuer_id, invitation_id, code_key = iv.read_invitation_unverified(invitation)
        except CryptoError as exc:
            raise Refusal(ErrorCode.INVALID_FIELD, f"not an invitation: {exc}") from exc
        user_id, role = str(fields["user_id"]), str(fields["role"])
        expires_at = fields["expires_at"]
        if issuer_id != sender.device_id or fields["org_id"] != sender.org_id:
            raise Refusal(
                ErrorCode.FORBIDDEN, "An invitation must be signed by the device that sends it."
            )
        if not isinstance(expires_at, int) or expires_at <= time.time():
            raise Refusal(ErrorCode.INVALID_FIELD, "This invitation has already expired.")
        row = self.db.execute(
            "SELECT role FROM users WHERE user_id = ? AND org_id = ?", (user_id, sender.org_id)
        ).fetchone()
        if row is None:
            raise Refusal(ErrorCode.NOT_FOUND, f"no user {user_id!r} in this organisation")
        if row[0] != role:
            raise Refusal(
                ErrorCode.CONFLICT,
                f"The relay records {user_id} as {row[0]}, not {role}: invite with that role, "
                "or change the user's role on the relay first.",
            )
        with self._tx() as db:
            db.execute(
                "INSERT INTO invitations (invitation_id, code_key, org_id, user_id, role,"
                " expires_at, invitation, issuer_certificate, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invitation_id,
                    code_key,
                    sender.org_id,
                    user_id,
                    role,
                    expires_at,
                    invitation,
                    issuer,
                    utc_now(),
                ),
            )

    def find_invitation(self, code_key: bytes) -> tuple[bytes, bytes]:
        """(invitation, issuer certificate) of an unredeemed, unexpired invitation."""
        row = self.db.execute(
            "SELECT invitation, issuer_certificate FROM invitations"
            " WHERE code_key = ? AND redeemed_at IS NULL AND expires_at >= ?",
            (code_key, int(time.time())),
        ).fetchone()
        if row is None:
            raise Refusal(ErrorCode.ENROLMENT_CODE_INVALID, _UNUSABLE)
        return bytes(row[0]), bytes(row[1])

    def enrol_with_claim(
        self, claim: bytes, device_name: str, public_keys: bytes
    ) -> tuple[DeviceIdentity, str]:
        """Redeem an invitation with a claim whose code proof checks; user and role are the
        invitation's. Returns the new device's identity and its token (shown once)."""
        try:
            parsed = iv.read_claim_unverified(claim)
        except CryptoError as exc:
            raise Refusal(ErrorCode.INVALID_FIELD, f"not an enrolment claim: {exc}") from exc
        with self._tx() as db:
            row = db.execute(
                "SELECT code_key, org_id, user_id, role, expires_at, redeemed_at"
                " FROM invitations WHERE invitation_id = ?",
                (parsed.invitation_id,),
            ).fetchone()
            if row is None or row[5] is not None or row[4] < time.time():
                raise Refusal(ErrorCode.ENROLMENT_CODE_INVALID, _UNUSABLE)
            try:
                iv.check_code_proof(claim, bytes(row[0]))
            except CryptoError as exc:
                raise Refusal(ErrorCode.ENROLMENT_CODE_INVALID, _UNUSABLE) from exc
            if (parsed.org_id, parsed.user_id, parsed.role) != tuple(row[1:4]) or (
                parsed.public_bundle.to_bytes() != public_keys
            ):
                raise Refusal(
                    ErrorCode.INVALID_FIELD,
                    "The claim does not match its invitation or the keys sent with it.",
                )
            device_id, token = self._new_device(
                db,
                row[2],
                device_name,
                public_keys,
                claim=claim,
                invitation_id=parsed.invitation_id,
            )
            db.execute(
                "UPDATE invitations SET redeemed_at = ?, redeemed_by = ? WHERE invitation_id = ?",
                (utc_now(), device_id, parsed.invitation_id),
            )
        return self.identity(device_id), token
