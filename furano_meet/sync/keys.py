"""Certificates and keys: which devices are trusted, and the meeting and private keys they share.

A device opens meeting keys sealed to it; a device that holds a key seals it for member devices
that are still waiting, but only after their certificate verifies against the root fingerprint
from the invitation — a relay that substitutes a device key gets nothing. Certificate checks
and HPKE sealing are CPU-bound (ML-DSA, ML-KEM) and run in worker threads.

:meth:`Keys.open_envelopes` says which keys arrived (:class:`Opened`) and does nothing more:
what a new key unlocks (waiting downloads, ops to fetch again) is the loop's to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from furano_meet.crypto import (
    CryptoError,
    DeviceCertificate,
    MeetingKey,
    OrgRootKey,
    PrivateAnnotationKey,
    issue_device_certificate,
    open_annotation_key,
    open_meeting_key,
    seal_annotation_key,
    seal_meeting_key,
    verify_device_certificate,
)
from furano_meet.crypto.keys import DevicePublicBundle
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m

from . import private_keys
from .context import SyncContext
from .events import KeyWaiting
from .receiving import document_key, stored_meeting_key

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
        self._certificates: dict[str, DeviceCertificate] = {}
        self._private_key_made = asyncio.Lock()

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

    async def own_certificate(self, meeting_id: str) -> DeviceCertificate | None:
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
        """(Admin, with ``auto_certify``) certify devices enrolled with a valid one-time code."""
        account = self._ctx.account
        root = await self._ctx.db(account.org_root, self._ctx.store)
        if root is None:
            return
        for info in devices:
            if not info.certificate:
                bundle = DevicePublicBundle.from_bytes(info.public_keys)
                await send_certificate(conn, root, account.org_id, info, bundle)

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
        """Open and store the envelopes sealed to this device; a bad one is refused and logged."""
        ctx, account = self._ctx, self._ctx.account
        new_meeting_key = new_private_key = False
        for envelope in envelopes:
            if envelope.device_id != account.device_id:
                continue
            try:
                if envelope.purpose == "meeting":
                    key = await asyncio.to_thread(
                        open_meeting_key,
                        envelope.envelope,
                        account.keys,
                        meeting_id=meeting_id,
                        device_id=account.device_id,
                    )
                    stored = await ctx.db(
                        ctx.store.set_meeting_key, meeting_id, key.export(), key.epoch
                    )
                    new_meeting_key = new_meeting_key or stored
                else:
                    private = await asyncio.to_thread(
                        open_annotation_key,
                        envelope.envelope,
                        account.keys,
                        user_id=account.user_id,
                        device_id=account.device_id,
                    )
                    added = await ctx.db(private_keys.add, ctx.store, meeting_id, private)
                    new_private_key = new_private_key or added
            except CryptoError as exc:
                log.warning("refusing a key envelope for %s: %s", meeting_id, exc.code)
        return Opened(new_meeting_key, new_private_key)

    # -- sealing keys for others -------------------------------------------------------------

    def _seal_envelopes(
        self,
        devices: tuple[m.DeviceKeyInfo, ...],
        keys: list[MeetingKey],
        private: list[PrivateAnnotationKey],
    ) -> list[m.KeyEnvelope]:
        """(Worker thread) Envelopes of the keys we hold for each device whose certificate
        verifies. A device without a valid certificate gets nothing — that is what stops a
        relay that substitutes device keys."""
        account = self._ctx.account
        envelopes: list[m.KeyEnvelope] = []
        for info in devices:
            cert = self._verify_certificate(info)
            if cert is None or info.device_id == account.device_id:
                continue
            envelopes.extend(
                m.KeyEnvelope(
                    device_id=cert.device_id, epoch=key.epoch, envelope=seal_meeting_key(key, cert)
                )
                for key in keys
            )
            if cert.user_id == account.user_id:
                envelopes.extend(
                    m.KeyEnvelope(
                        device_id=cert.device_id,
                        epoch=key.epoch,
                        envelope=seal_annotation_key(key, cert),
                        purpose="private",
                    )
                    for key in private
                )
        return envelopes

    async def seal_for(
        self, conn: RelayConnection, meeting_id: str, devices: tuple[m.DeviceKeyInfo, ...]
    ) -> None:
        """Seal the keys we hold (every epoch) for waiting devices whose certificates verify."""
        keys = await self.all_meeting_keys(meeting_id)
        private = list((await self.private_keys(meeting_id)).values())
        envelopes = await asyncio.to_thread(self._seal_envelopes, devices, keys, private)
        if envelopes:
            await conn.request(m.PutKeyEnvelopes(meeting_id=meeting_id, envelopes=tuple(envelopes)))

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

    async def new_meeting_key(self, meeting_id: str, *, epoch: int) -> None:
        """(Clerk) Make a meeting key of ``epoch`` and seal it to every certified member device
        and to this one."""
        conn = self._ctx.require_connection()
        devices = await self.load_certificates(conn, meeting_id)
        own_certificate = self._certificates.get(self._ctx.account.device_id)
        if own_certificate is None:
            raise RelayError(
                "not_certified",
                "This device has no certificate from the organisation yet; ask the administrator.",
            )
        key = MeetingKey.generate(meeting_id, epoch)
        await self._ctx.db(self._ctx.store.set_meeting_key, meeting_id, key.export(), key.epoch)
        own = m.KeyEnvelope(
            device_id=own_certificate.device_id,
            epoch=key.epoch,
            envelope=seal_meeting_key(key, own_certificate),
        )
        others = await asyncio.to_thread(self._seal_envelopes, devices, [key], [])
        await conn.request(m.PutKeyEnvelopes(meeting_id=meeting_id, envelopes=(own, *others)))


async def send_certificate(
    conn: RelayConnection,
    root: OrgRootKey,
    org_id: str,
    info: m.DeviceKeyInfo,
    bundle: DevicePublicBundle,
) -> None:
    """(Admin) Issue the certificate of an enrolled device's keys (in a worker thread: ML-DSA)
    and hand it to the relay."""
    certificate = await asyncio.to_thread(
        issue_device_certificate,
        root,
        org_id=org_id,
        user_id=info.user_id,
        device_id=info.device_id,
        role=info.role,
        public_bundle=bundle,
    )
    await conn.request(m.CertifyDevice(device_id=info.device_id, certificate=certificate))
