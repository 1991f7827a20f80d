"""Certificates and keys: which devices are trusted, and the meeting and private keys they share.

A device opens meeting keys sealed to it and keeps one only if a clerk-signed epoch record
vouches for it (:mod:`.trust`); a private-note key only if one of the user's own certified
devices signed the envelope. A clerk's or administrator's device that holds a key seals it for
waiting devices, but only to those whose certificate verifies against the root fingerprint from
the invitation *and* binds them to a user on the meeting's signed roster — a relay that
substitutes a device key, or names a device of a non-member, gets nothing. Certificate checks,
signatures and HPKE sealing are CPU-bound (ML-DSA, ML-KEM) and run in worker threads.

:meth:`Keys.open_envelopes` says which keys arrived (:class:`Opened`) and does nothing more:
what a new key unlocks (waiting downloads, ops to fetch again) is the loop's to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from furano_meet.crypto import (
    CryptoError,
    DeviceCertificate,
    MeetingKey,
    PrivateAnnotationKey,
    open_meeting_key,
    seal_annotation_key,
    seal_meeting_key,
    verify_device_certificate,
)
from furano_meet.crypto.authority import KEY_AUTHORITY_ROLES
from furano_meet.crypto.epochs import EpochRecord, sign_epoch_record
from furano_meet.crypto.roster import Roster, qualifies
from furano_meet.crypto.signed_envelopes import open_private_key, read_sender, sign_envelope
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m

from . import private_keys
from .admin import certify_enrolled
from .context import SyncContext
from .events import KeyWaiting
from .receiving import document_key, stored_meeting_key
from .trust import Trust

log = logging.getLogger("furano.sync")


@dataclass(frozen=True, slots=True)
class Opened:
    """Which kinds of key a batch of envelopes brought that this device did not hold."""

    meeting_key: bool = False
    private_key: bool = False

    def __bool__(self) -> bool:
        return self.meeting_key or self.private_key


class Keys:
    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx
        self.trust = Trust(ctx)
        self._certificates: dict[str, DeviceCertificate] = {}
        self._private_key_made = asyncio.Lock()
        self._relay_members: dict[str, tuple[str, ...]] = {}
        """The member list of each meeting's last ``meeting_joined``: only the seed of a first
        roster (:meth:`new_meeting_key`), never what keys are sealed to."""

    def joined(self, joined: m.MeetingJoined) -> None:
        self._relay_members[joined.meeting.meeting_id] = tuple(u.user_id for u in joined.members)

    @property
    def own_certificate(self) -> DeviceCertificate | None:
        """This device's verified certificate, once the member list was loaded."""
        return self._certificates.get(self._ctx.account.device_id)

    # -- certificates ------------------------------------------------------------------------

    def _verify_certificate(self, info: m.DeviceKeyInfo) -> DeviceCertificate | None:
        """The device's verified certificate, or ``None`` (uncertified, forged or substituted)."""
        if not info.certificate:
            return None
        known = self._certificates.get(info.device_id)
        if (
            known is not None
            and known.encoded == info.certificate
            and known.public_bundle.to_bytes() == info.public_keys
        ):
            return known  # verified before: same certificate, same keys
        account = self._ctx.account
        try:
            cert = verify_device_certificate(
                info.certificate, account.root_fingerprint, expected_org_id=account.org_id
            )
        except CryptoError as exc:
            log.warning("refusing the certificate of device %s: %s", info.device_id, exc.code)
            return None
        if (cert.device_id, cert.user_id) != (info.device_id, info.user_id):
            log.warning("certificate of %s names another device", info.device_id)
            return None
        if cert.public_bundle.to_bytes() != info.public_keys:
            log.warning("device %s presents keys its certificate does not cover", info.device_id)
            return None
        self._certificates[cert.device_id] = cert
        return cert

    async def load_certificates(
        self, conn: RelayConnection, meeting_id: str
    ) -> tuple[m.DeviceKeyInfo, ...]:
        """Fetch and verify the member devices' certificates (signature checks off the loop)."""
        devices = await self._device_keys(conn, meeting_id)
        await asyncio.to_thread(lambda: [self._verify_certificate(i) for i in devices])
        return devices

    async def publisher(
        self, conn: RelayConnection, meeting_id: str, device_id: str
    ) -> DeviceCertificate | None:
        """The verified certificate of a member device, fetched when not known yet."""
        if device_id not in self._certificates:
            await self.load_certificates(conn, meeting_id)
        return self._certificates.get(device_id)

    async def certificates_of(
        self, meeting_id: str, device_ids: set[str]
    ) -> dict[str, DeviceCertificate]:
        """The verified certificates of ``device_ids`` that are known, fetching the meeting's
        devices once if some are not (while connected)."""
        conn = self._ctx.conn
        if conn is not None and not device_ids <= self._certificates.keys():
            with contextlib.suppress(RelayError):
                await self.load_certificates(conn, meeting_id)
        return {d: self._certificates[d] for d in device_ids if d in self._certificates}

    async def load_own_certificate(self, meeting_id: str) -> DeviceCertificate | None:
        """This device's certificate (what other devices check its signed ops against);
        ``None`` until the organisation has certified it."""
        device_id = self._ctx.account.device_id
        return (await self.certificates_of(meeting_id, {device_id})).get(device_id)

    async def _device_keys(
        self, conn: RelayConnection, meeting_id: str
    ) -> tuple[m.DeviceKeyInfo, ...]:
        """Every member device's keys, in as many pages as the relay's frame limit needs
        (one request to a relay older than protocol 1.2, which cannot page)."""
        devices: list[m.DeviceKeyInfo] = []
        while True:
            listed = await conn.request(
                m.ListDeviceKeys(meeting_id=meeting_id, offset=len(devices))
            )
            assert isinstance(listed, m.DeviceKeysListed)
            devices += listed.devices
            if not listed.more or not listed.devices or conn.session.peer_minor < 2:
                return tuple(devices)

    async def certify(self, conn: RelayConnection, devices: tuple[m.DeviceKeyInfo, ...]) -> None:
        """(Admin, with ``auto_certify``) certify devices whose enrolment claim checks out
        (the certifier is :func:`.admin.certify_enrolled`)."""
        await certify_enrolled(conn, self._ctx, devices)

    # -- keys held ---------------------------------------------------------------------------

    async def meeting_key(self, meeting_id: str, epoch: int | None = None) -> MeetingKey | None:
        """The newest key of a meeting, or the key of one ``epoch`` (older documents need it)."""
        return await self._ctx.db(stored_meeting_key, self._ctx.store, meeting_id, epoch)

    async def document_key(self, meeting_id: str, sealed_manifest: bytes) -> MeetingKey | None:
        """The key of the epoch a document was published under (named in its manifest)."""
        return await self._ctx.db(document_key, self._ctx.store, meeting_id, sealed_manifest)

    async def all_meeting_keys(self, meeting_id: str) -> list[MeetingKey]:
        return [
            MeetingKey(raw, meeting_id=meeting_id, epoch=epoch)
            for epoch, raw in await self._ctx.db(self._ctx.store.meeting_key_epochs, meeting_id)
        ]

    async def private_keys(self, meeting_id: str) -> dict[int, PrivateAnnotationKey]:
        """Every private-annotation key of this member for a meeting (see :mod:`.private_keys`)."""
        user_id = self._ctx.account.user_id
        return await self._ctx.db(private_keys.load, self._ctx.store, meeting_id, user_id)

    async def ensure_private_key(self, meeting_id: str) -> PrivateAnnotationKey:
        """This member's private-annotation key for a meeting, made (and shared with their
        other devices, best effort: every join shares it again) if there is none yet."""
        async with self._private_key_made:  # two callers at once must not make two keys
            held = await self.private_keys(meeting_id)
            writing = private_keys.writing_key(held)
            if writing is not None:
                return writing
            # None yet: another device of this member may have made one while we were apart;
            # both are kept once they meet (see .private_keys), so no note becomes unreadable.
            key = private_keys.new_key(self._ctx.account.user_id, set(held))
            await self._ctx.db(private_keys.add, self._ctx.store, meeting_id, key)
            self._ctx.private_keys_learned.set()
        conn = self._ctx.conn
        if conn is not None:
            with contextlib.suppress(RelayError):
                listed = await self._device_keys(conn, meeting_id)
                mine = tuple(d for d in listed if d.user_id == self._ctx.account.user_id)
                await self.seal_for(conn, meeting_id, mine)
        return key

    # -- receiving keys ----------------------------------------------------------------------

    async def receive_envelopes(self, conn: RelayConnection, meeting_id: str) -> Opened:
        """Fetch and open the envelopes waiting for this device; say when no key is held."""
        reply = await conn.request(m.GetKeyEnvelopes(meeting_id=meeting_id))
        assert isinstance(reply, m.KeyEnvelopesDelivered)
        opened = await self.open_envelopes(meeting_id, reply.envelopes)
        if await self.meeting_key(meeting_id) is None:
            self._ctx.emit(KeyWaiting(meeting_id))
        return opened

    async def open_envelopes(self, meeting_id: str, envelopes: tuple[m.KeyEnvelope, ...]) -> Opened:
        """Open and store the envelopes sealed to this device; a bad one is refused and logged.

        Oldest epoch first, so a device catching up accepts epoch 1 before epoch 2.
        """
        account = self._ctx.account
        new_meeting_key = new_private_key = False
        mine = sorted(
            (e for e in envelopes if e.device_id == account.device_id),
            key=lambda e: (e.purpose, e.epoch),
        )
        for envelope in mine:
            try:
                if envelope.purpose == "meeting":
                    opened = await self._open_meeting_key(meeting_id, envelope)
                    new_meeting_key = opened or new_meeting_key
                else:
                    opened = await self._open_private_key(meeting_id, envelope)
                    new_private_key = opened or new_private_key
                    if opened:
                        self._ctx.private_keys_learned.set()  # the recovery box follows
            except CryptoError as exc:
                log.warning(
                    "refusing a %s key envelope for %s: %s (%s)",
                    envelope.purpose,
                    meeting_id,
                    exc.code,
                    exc,
                )
        return Opened(new_meeting_key, new_private_key)

    async def _open_meeting_key(self, meeting_id: str, envelope: m.KeyEnvelope) -> bool:
        """Open a meeting key and keep it if its epoch record vouches for it (:mod:`.trust`)."""
        account = self._ctx.account
        key = await asyncio.to_thread(
            open_meeting_key,
            envelope.envelope,
            account.keys,
            meeting_id=meeting_id,
            device_id=account.device_id,
        )
        return await self.trust.accept_key(key, envelope.epoch_record, envelope.record_signer)

    async def _open_private_key(self, meeting_id: str, envelope: m.KeyEnvelope) -> bool:
        """Keep a private-note key only if one of this user's own certified devices sent it."""
        own = self.own_certificate
        sender_id, _ = read_sender(envelope.envelope)
        sender = self._certificates.get(sender_id)
        conn = self._ctx.conn
        if sender is None and conn is not None:
            sender = await self.publisher(conn, meeting_id, sender_id)
        if own is None or sender is None:
            log.warning("private key envelope from %s: no verified certificate", sender_id)
            return False
        private = await asyncio.to_thread(
            open_private_key,
            envelope.envelope,
            sender,
            self.trust.anchor,
            self._ctx.account.keys,
            own,
        )
        return await self._ctx.db(private_keys.add, self._ctx.store, meeting_id, private)

    # -- sealing keys for others -------------------------------------------------------------

    def _seal_envelopes(
        self,
        devices: tuple[m.DeviceKeyInfo, ...],
        keys: list[tuple[MeetingKey, EpochRecord]],
        private: list[PrivateAnnotationKey],
        roster: Roster | None,
    ) -> list[m.KeyEnvelope]:
        """(Worker thread) Envelopes of the keys we hold for each device whose certificate
        verifies: meeting keys (with their records) only to devices that qualify for the
        meeting's roster, private-note keys (signed as sent by this device) only to this
        user's own devices. A device the relay names that fails either test gets nothing —
        that is what stops a relay that substitutes device keys or adds a non-member."""
        account, own = self._ctx.account, self.own_certificate
        envelopes: list[m.KeyEnvelope] = []
        for info in devices:
            cert = self._verify_certificate(info)
            if cert is None or info.device_id == account.device_id:
                continue
            if keys and (roster is None or not qualifies(cert, roster)):
                log.warning(
                    "not sealing the meeting key to device %s: user %s is not on the meeting's"
                    " signed roster",
                    cert.device_id,
                    cert.user_id,
                )
            elif keys:
                envelopes.extend(
                    m.KeyEnvelope(
                        device_id=cert.device_id,
                        epoch=key.epoch,
                        envelope=seal_meeting_key(key, cert),
                        epoch_record=record.encoded,
                        record_signer=record.signer.encoded,
                    )
                    for key, record in keys
                )
            if cert.user_id == account.user_id and own is not None:
                envelopes.extend(
                    m.KeyEnvelope(
                        device_id=cert.device_id,
                        epoch=key.epoch,
                        envelope=sign_envelope(seal_annotation_key(key, cert), account.keys, own),
                        purpose="private",
                    )
                    for key in private
                )
        return envelopes

    def _may_make_keys(self) -> bool:
        own = self.own_certificate
        return own is not None and own.role in KEY_AUTHORITY_ROLES

    async def seal_for(
        self, conn: RelayConnection, meeting_id: str, devices: tuple[m.DeviceKeyInfo, ...]
    ) -> None:
        """Seal the keys we hold for waiting devices that may have them (see
        :meth:`_seal_envelopes`). Only a clerk's or administrator's device hands out meeting
        keys (every epoch, each with its record); any device shares its user's private keys."""
        keys: list[tuple[MeetingKey, EpochRecord]] = []
        if self._may_make_keys():
            records = await self.trust.records(meeting_id)
            keys = [
                (key, records[key.epoch])
                for key in await self.all_meeting_keys(meeting_id)
                if key.epoch in records
            ]
        roster = await self.trust.roster(meeting_id)
        private = list((await self.private_keys(meeting_id)).values())
        envelopes = await asyncio.to_thread(self._seal_envelopes, devices, keys, private, roster)
        if envelopes:
            await put_envelopes(conn, meeting_id, envelopes)

    async def share_private_key(
        self, conn: RelayConnection, meeting_id: str, devices: tuple[m.DeviceKeyInfo, ...]
    ) -> None:
        """Seal this member's private-annotation key to their other certified devices.

        ``key_needed`` only covers devices waiting for the *meeting* key; a member's second
        device that got the meeting key while this one was offline would otherwise never see
        its owner's private notes. Re-sealing on every join is cheap and harmless: the relay
        keeps the first envelope for a slot.
        """
        if not await self.private_keys(meeting_id):
            return
        account = self._ctx.account
        mine = tuple(
            d for d in devices if d.user_id == account.user_id and d.device_id != account.device_id
        )
        if mine:
            await self.seal_for(conn, meeting_id, mine)

    def _require_authority(self, conn: RelayConnection) -> DeviceCertificate:
        """This device's certificate, if it may make meeting keys and rosters here."""
        own = self.own_certificate
        if own is None:
            raise RelayError(
                "not_certified",
                "This device has no certificate from the organisation yet; ask the administrator.",
            )
        if own.role not in KEY_AUTHORITY_ROLES:
            raise RelayError(
                "forbidden", "Only a clerk's or an administrator's device can do this."
            )
        if conn.session.peer_minor < 3:
            raise RelayError(
                "version_unsupported",
                "The relay is too old for signed keys and rosters (it needs protocol 1.3).",
            )
        return own

    async def set_roster(
        self,
        meeting_id: str,
        user_ids: Iterable[str],
        note_editors: Iterable[str],
        export_allowed: bool | None = None,
        committee: str | None = None,
    ) -> Roster:
        """(Clerk/admin) Sign the meeting's next roster and hand it to the relay
        (``None``: keep the held rule and committee, see :meth:`Trust.sign_roster`)."""
        conn = self._ctx.require_connection()
        await self.load_certificates(conn, meeting_id)
        own = self._require_authority(conn)
        roster = await self.trust.sign_roster(
            meeting_id, user_ids, note_editors, own, export_allowed, committee
        )
        await conn.request(
            m.PutRoster(
                meeting_id=meeting_id, roster=roster.encoded, signer_certificate=own.encoded
            )
        )
        return roster

    async def new_meeting_key(self, meeting_id: str, *, epoch: int) -> None:
        """(Clerk) Make a meeting key of ``epoch``, sign its epoch record, and seal it to this
        device and to every certified device that qualifies for the meeting's roster.

        A meeting without a roster gets its first one here, signed from the members the relay
        listed when this device joined: the clerk making the first key is the moment the
        membership is confirmed (the clerk's screens will show it; later changes go through
        :meth:`set_roster`, never through the relay).
        """
        conn = self._ctx.require_connection()
        devices = await self.load_certificates(conn, meeting_id)
        own = self._require_authority(conn)
        roster = await self.trust.roster(meeting_id)
        if roster is None:
            members = (*self._relay_members.get(meeting_id, ()), own.user_id)
            roster = await self.set_roster(meeting_id, members, ())
        key = MeetingKey.generate(meeting_id, epoch)
        record = await asyncio.to_thread(
            sign_epoch_record, key, roster.hash, self._ctx.account.keys, own
        )
        await self.trust.accept_key(key, record, own.encoded)
        accepted = await self.trust.record_of(meeting_id, epoch)
        assert accepted is not None
        mine = m.KeyEnvelope(
            device_id=own.device_id,
            epoch=key.epoch,
            envelope=seal_meeting_key(key, own),
            epoch_record=record,
            record_signer=own.encoded,
        )
        others = await asyncio.to_thread(
            self._seal_envelopes, devices, [(key, accepted)], [], roster
        )
        await put_envelopes(conn, meeting_id, [mine, *others])


async def put_envelopes(
    conn: RelayConnection, meeting_id: str, envelopes: list[m.KeyEnvelope]
) -> None:
    """Hand envelopes to the relay, each epoch's record (and its signer's ~10 KB certificate)
    on the first envelope of that epoch only: the relay keeps one record per epoch and adds
    it to every envelope it delivers, so a put for many devices still fits one frame."""
    sent: set[int] = set()
    slim: list[m.KeyEnvelope] = []
    for envelope in envelopes:
        repeated = envelope.purpose == "meeting" and envelope.epoch in sent
        slim.append(
            replace(envelope, epoch_record=b"", record_signer=b"") if repeated else envelope
        )
        if envelope.purpose == "meeting":
            sent.add(envelope.epoch)
    await conn.request(m.PutKeyEnvelopes(meeting_id=meeting_id, envelopes=tuple(slim)))
