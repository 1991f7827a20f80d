"""What this device accepts as genuine: clerk-signed epoch records and meeting rosters.

Theory of operation (issue #8)
------------------------------
HPKE tells a device who may *open* an envelope, never who sealed it, and the relay holds every
device's public key. So a key is kept only if a clerk's or an administrator's device vouches
for it, checked against the root fingerprint from this device's invitation — never against
anything only the relay says:

* **Meeting keys** go through :func:`~furano_meet.crypto.epochs.accept_meeting_key`: the
  envelope must travel with an epoch record signed by a clerk/admin certificate of our root
  that commits to exactly this key; epochs are bounded (1..2^31-1) and monotonic per meeting.
  An older epoch not seen before is kept for *reading* only: the store makes a key current
  only when its epoch is above the current one, so no replay rolls a meeting back.
* **Rosters** (who may receive the meeting's keys) are accepted only if signed by a clerk/admin
  and newer than the one held (:func:`~furano_meet.crypto.roster.require_newer_roster`). The
  clerk's device seals keys only to devices that :func:`~furano_meet.crypto.roster.qualifies`
  for the newest roster; the relay's member list only decides who may *join*.

Accepted records and rosters are stored (:mod:`furano_meet.store.trust`) and verified again
(off the event loop) when first needed after a start, so the checks survive restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from furano_meet.crypto import CryptoError, DeviceCertificate, MeetingKey, UsageError
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.epochs import EpochRecord, accept_meeting_key, verify_epoch_record
from furano_meet.crypto.roster import Roster, require_newer_roster, sign_roster, verify_roster

from .context import SyncContext
from .events import RosterAccepted

log = logging.getLogger("furano.sync")


class Trust:
    """The accepted epoch records and rosters of every meeting (one per engine)."""

    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx
        account = ctx.account
        self.anchor = TrustAnchor(account.org_id, account.root_fingerprint)
        self._records: dict[str, dict[int, EpochRecord]] = {}
        self._rosters: dict[str, Roster | None] = {}
        self._lock = asyncio.Lock()

    # -- epoch records -----------------------------------------------------------------------

    async def records(self, meeting_id: str) -> dict[int, EpochRecord]:
        """The records this device accepted for a meeting, by epoch (verified once per run)."""
        held = self._records.get(meeting_id)
        if held is None:
            rows = await self._ctx.db(self._ctx.store.epoch_records, meeting_id)
            held = await asyncio.to_thread(self._verify_stored, meeting_id, rows)
            self._records[meeting_id] = held
        return held

    def _verify_stored(
        self, meeting_id: str, rows: Iterable[tuple[int, bytes, bytes]]
    ) -> dict[int, EpochRecord]:
        verified: dict[int, EpochRecord] = {}
        for epoch, record, signer in rows:
            try:
                verified[epoch] = verify_epoch_record(
                    record, signer, self.anchor, expected_meeting_id=meeting_id
                )
            except CryptoError as exc:  # a store written by an older build, or damaged
                log.warning("stored record of epoch %d of %s: %s", epoch, meeting_id, exc.code)
        return verified

    async def accept_key(self, key: MeetingKey, record: bytes | None, signer: bytes) -> bool:
        """Keep an opened meeting key if its record vouches for it; ``True`` if it was new.

        Raises the :class:`CryptoError` that explains a refusal (the caller logs it).
        """
        async with self._lock:  # one key at a time: each check sees the previous one
            seen = await self.records(key.meeting_id)
            accepted = await asyncio.to_thread(
                accept_meeting_key,
                record or None,
                signer,
                key,
                self.anchor,
                seen,
                allow_older=True,  # kept for reading only: the store never makes it current
            )
            fresh = key.epoch not in seen
            await self._ctx.db(
                self._ctx.store.accept_meeting_key,
                key.meeting_id,
                key.export(),
                key.epoch,
                accepted.record.encoded,
                accepted.record.signer.encoded,
            )
            seen[key.epoch] = accepted.record
            return fresh

    async def record_of(self, meeting_id: str, epoch: int) -> EpochRecord | None:
        """The accepted record of one epoch (to send beside an envelope of it)."""
        return (await self.records(meeting_id)).get(epoch)

    # -- rosters -----------------------------------------------------------------------------

    async def roster(self, meeting_id: str) -> Roster | None:
        """The newest roster this device accepted for a meeting, if any."""
        if meeting_id not in self._rosters:
            stored = await self._ctx.db(self._ctx.store.roster, meeting_id)
            roster = None
            if stored is not None:
                try:
                    roster = await asyncio.to_thread(
                        verify_roster,
                        stored[0],
                        stored[1],
                        self.anchor,
                        expected_meeting_id=meeting_id,
                    )
                except CryptoError as exc:
                    log.warning("stored roster of %s: %s", meeting_id, exc.code)
            self._rosters[meeting_id] = roster
        return self._rosters[meeting_id]

    async def roster_received(self, meeting_id: str, roster: bytes, signer: bytes) -> bool:
        """Keep a roster the relay handed over if it verifies and is newer; ``True`` if kept.

        A forged roster (not a clerk/admin of our root), one of another meeting, or an older
        one than held (the relay replaying the roster from before a removal) is refused and
        logged; the roster held stays.
        """
        if not roster:
            return False
        async with self._lock:
            held = await self.roster(meeting_id)
            try:
                new = await asyncio.to_thread(
                    verify_roster, roster, signer, self.anchor, expected_meeting_id=meeting_id
                )
                if not require_newer_roster(new, held):
                    return False
            except CryptoError as exc:
                log.warning("refusing a roster for %s: %s (%s)", meeting_id, exc.code, exc)
                return False
            await self._ctx.db(
                self._ctx.store.set_roster, meeting_id, new.version, new.encoded, signer
            )
            self._rosters[meeting_id] = new
            log.info("roster %d of %s accepted", new.version, meeting_id)
        self._ctx.emit(RosterAccepted(meeting_id, new.version))
        return True

    async def sign_roster(
        self,
        meeting_id: str,
        members: Iterable[str],
        note_editors: Iterable[str],
        own: DeviceCertificate,
        export_allowed: bool | None = None,
        committee: str | None = None,
    ) -> Roster:
        """(Clerk/admin) Sign the next version of a meeting's roster and keep it.

        ``export_allowed=None`` keeps the held roster's export rule (allowed for a first
        roster), so changing the members never lifts a ban by accident; ``committee=None``
        keeps the held roster's committee (``""`` removes it).
        """
        held = await self.roster(meeting_id)
        version = 1 if held is None else held.version + 1
        if export_allowed is None:
            export_allowed = held is None or held.export_allowed
        if committee is None:
            committee = None if held is None else held.committee
        signed_committee = committee or None
        keys = self._ctx.account.keys

        def sign() -> Roster:
            signed = sign_roster(
                meeting_id=meeting_id,
                version=version,
                members=frozenset(members),
                note_editors=frozenset(note_editors),
                device_keys=keys,
                signer=own,
                export_allowed=export_allowed,
                committee=signed_committee,
            )
            return verify_roster(signed, own, self.anchor, expected_meeting_id=meeting_id)

        roster = await asyncio.to_thread(sign)
        if not await self.roster_received(meeting_id, roster.encoded, own.encoded):
            raise UsageError(f"roster {version} of {meeting_id!r} could not be kept")
        return roster
