"""The clerk's desk (議会事務局): withdraw a document, and see who holds which version.

Theory of operation
-------------------
:meth:`Delivery.report` builds a :class:`DeliveryReport` from three sources, none of which the
relay alone can forge into a "delivered":

* **who should have it** — the members of the meeting's *signed* roster (:mod:`.trust`), every
  one of them, including those who hold nothing yet. Display names are the relay's labels (a
  name, not a fact: the user id comes from the roster);
* **what was published** — every version the relay lists, each checked against the clerk's
  signed manifest (title, agenda item, the blob's SHA-256). A version whose manifest does not
  verify on this device is left out; the latest *verified* version is the one members should
  hold;
* **who received it** — the relay's receipts (``list_receipts``). Each is checked with
  :func:`judge`: the device must hold a root-signed certificate for the user the receipt names,
  and a signed receipt (protocol 1.5, :mod:`furano_meet.crypto.receipts`) must verify against
  that certificate for exactly this meeting, document and version and name the blob the clerk's
  manifest names. A receipt that fails any of this is *dropped* (counted in
  :attr:`DeliveryReport.dropped` and logged), never shown. A receipt without a signature — from
  a device of an older build (protocol 1.4/1.3), or one whose signature a relay stripped — is
  shown as ``verified=False``: the screen may show it, but only a verified receipt proves
  delivery.

  Each device is named by the name its root-signed certificate carries (fifth session;
  :attr:`DeviceReceipt.device_name`), so the relay cannot rename it either.

  The certificates are those of the meeting's *active* devices (``list_device_keys``): a
  device revoked since (a lost tablet) is no longer vouched for, so its receipts are dropped
  and counted too.

Withdrawing (:meth:`Delivery.withdraw`) is the relay's ``withdraw_document`` (clerk and
administrator devices only); this device marks the document withdrawn at once (the relay tells
only the others).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from furano_meet.crypto import CryptoError, DeviceCertificate
from furano_meet.crypto.authority import TrustAnchor, same_digest
from furano_meet.crypto.manifest import DocumentManifest
from furano_meet.crypto.receipts import verify_receipt
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m

from . import documents as docs
from .context import SyncContext, parse_time
from .keys import Keys
from .library import Library, published_documents
from .presenting import Presenting

log = logging.getLogger("furano.sync")

__all__ = [
    "DeliveryReport",
    "DeviceReceipt",
    "DocumentDelivery",
    "MemberDelivery",
    "judge",
]


@dataclass(frozen=True, slots=True)
class DeviceReceipt:
    """One device's newest receipt of a document."""

    device_id: str
    version: int
    received_at: datetime | None
    """When the relay recorded it (the relay's clock; ``None`` if unreadable)."""
    verified: bool
    """Signed by the device and checked here (protocol 1.5); ``False``: an older device's
    unsigned receipt (or one whose signature was stripped), the relay's word only."""
    device_name: str = ""
    """The name in the device's root-signed certificate (「会議室タブレット 12」); ``""`` for
    a device certified before names (the desk shows the end of its id instead)."""


@dataclass(frozen=True, slots=True)
class MemberDelivery:
    user_id: str
    display_name: str
    has_latest: bool
    """A device of this member confirmed the latest version (verified or not: see
    :attr:`latest_verified`)."""
    has_older: int | None
    """The newest older version a device of this member confirmed, or ``None``."""
    devices: tuple[DeviceReceipt, ...]
    """Each device's newest receipt of this document, by device id."""
    latest_verified: bool = False
    """A *signed, verified* receipt of the latest version exists (proof of delivery)."""


@dataclass(frozen=True, slots=True)
class DocumentDelivery:
    document_id: str
    version: int
    """The latest published (and not withdrawn) version whose signed manifest verified."""
    title: str
    members: tuple[MemberDelivery, ...]
    """Every member of the signed roster, in the roster's (user id) order."""
    agenda_item: str = ""
    agenda_position: int | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    meeting_id: str
    documents: tuple[DocumentDelivery, ...]
    """In agenda order (as :meth:`SyncEngine.documents`), withdrawn documents left out."""
    dropped: int = 0
    """Receipts refused: a bad or replayed signature, or a device not certified for the user
    named (what a hostile relay would invent). Never shown as delivered."""
    roster_version: int | None = None
    """The signed roster the members come from; ``None``: no roster yet, so the members are
    the relay's list (unverified)."""


@dataclass(frozen=True, slots=True)
class _Published:
    """A version whose signed manifest verified here: what its receipts must name."""

    info: m.DocumentInfo
    manifest: DocumentManifest


def judge(
    receipt: m.Receipt,
    meeting_id: str,
    certificates: Mapping[str, DeviceCertificate],
    published: Mapping[tuple[str, int], str],
    anchor: TrustAnchor,
) -> DeviceReceipt | None:
    """(Worker thread) One relay receipt as the clerk may show it, or ``None`` to drop it.

    ``certificates``: verified certificates by device id; ``published``: the blob SHA-256 the
    clerk's signed manifest names, by (document, version). Dropped: a device with no
    certificate, or one certified for another user; a signature that does not verify, or
    verifies for another meeting, document, version or blob (a replay).
    """
    cert = certificates.get(receipt.device_id)
    if cert is None or cert.user_id != receipt.user_id:
        log.warning(
            "dropping a receipt of %s v%d: device %s is not certified for %s",
            receipt.document_id,
            receipt.version,
            receipt.device_id,
            receipt.user_id,
        )
        return None
    shown = DeviceReceipt(
        receipt.device_id,
        receipt.version,
        parse_time(receipt.received_at),
        False,
        cert.device_name,
    )
    if not receipt.signed:
        return shown
    expected = published.get((receipt.document_id, receipt.version))
    try:
        signed = verify_receipt(
            receipt.signed,
            cert,
            anchor,
            meeting_id=meeting_id,
            document_id=receipt.document_id,
            version=receipt.version,
        )
    except CryptoError as exc:
        log.warning(
            "dropping the receipt of %s v%d by %s: %s",
            receipt.document_id,
            receipt.version,
            receipt.device_id,
            exc.code,
        )
        return None
    if expected is None or not same_digest(signed.ciphertext_sha256, expected):
        log.warning(
            "dropping the receipt of %s v%d by %s: it names other bytes than were published",
            receipt.document_id,
            receipt.version,
            receipt.device_id,
        )
        return None
    return dataclasses.replace(shown, verified=True)


def _member(
    user_id: str, name: str, latest: int, receipts: Sequence[DeviceReceipt]
) -> MemberDelivery:
    """One member's line for a document whose latest version is ``latest``."""
    mine = [r for r in receipts if r.version <= latest]
    newest: dict[str, DeviceReceipt] = {}
    for r in mine:
        held = newest.get(r.device_id)
        if held is None or (r.version, r.verified) > (held.version, held.verified):
            newest[r.device_id] = r
    older = [r.version for r in mine if r.version < latest]
    return MemberDelivery(
        user_id=user_id,
        display_name=name,
        has_latest=any(r.version == latest for r in mine),
        has_older=max(older, default=None),
        devices=tuple(newest[d] for d in sorted(newest)),
        latest_verified=any(r.version == latest and r.verified for r in mine),
    )


def _document(
    latest: _Published,
    shown: Sequence[tuple[m.Receipt, DeviceReceipt]],
    members: Sequence[str],
    names: Mapping[str, str],
) -> DocumentDelivery:
    """One document's delivery, every member of ``members`` included."""
    info, manifest = latest.info, latest.manifest
    mine = [(r.user_id, d) for r, d in shown if r.document_id == info.document_id]
    return DocumentDelivery(
        document_id=info.document_id,
        version=info.version,
        title=manifest.title,
        members=tuple(
            _member(user, names.get(user, user), info.version, [d for u, d in mine if u == user])
            for user in members
        ),
        agenda_item=manifest.agenda_item,
        agenda_position=manifest.agenda_position,
    )


def _agenda_order(doc: DocumentDelivery) -> tuple[bool, int, str, str]:
    """As the document list: by signed agenda position, then title (no position last)."""
    return (doc.agenda_position is None, doc.agenda_position or 0, doc.title, doc.document_id)


class Delivery:
    """The clerk's desk: withdrawal and the delivery report (one per engine)."""

    def __init__(
        self, ctx: SyncContext, keys: Keys, library: Library, presenting: Presenting
    ) -> None:
        self._ctx = ctx
        self._keys = keys
        self._library = library
        self._presenting = presenting

    async def withdraw(self, meeting_id: str, document_id: str) -> None:
        """(Clerk/admin) Withdraw every version of a document; see the module docstring."""
        conn = self._ctx.require_connection()
        await conn.request(m.WithdrawDocument(meeting_id=meeting_id, document_id=document_id))
        await self._library.withdrawn(meeting_id, document_id)

    async def report(self, meeting_id: str) -> DeliveryReport:
        """(Clerk/chair/admin) Who holds which version; see the module docstring."""
        conn = self._ctx.require_connection()
        receipts = await _all_receipts(conn, meeting_id)
        published = await self._verified_versions(conn, meeting_id)
        devices = {r.device_id for r in receipts}
        certificates = await self._keys.certificates_of(meeting_id, devices)
        hashes = {
            (p.info.document_id, p.info.version): p.manifest.ciphertext_sha256 for p in published
        }
        anchor = self._keys.trust.anchor

        def judge_all() -> list[tuple[m.Receipt, DeviceReceipt | None]]:
            return [(r, judge(r, meeting_id, certificates, hashes, anchor)) for r in receipts]

        judged = await asyncio.to_thread(judge_all)
        shown = [(r, d) for r, d in judged if d is not None]
        roster = await self._keys.trust.roster(meeting_id)
        names = {u.user_id: u.display_name for u in self._presenting.view(meeting_id).members}
        members = sorted(roster.members) if roster is not None else sorted(names)
        latest: dict[str, _Published] = {}
        for p in published:
            held = latest.get(p.info.document_id)
            if held is None or p.info.version > held.info.version:
                latest[p.info.document_id] = p
        documents = [_document(p, shown, members, names) for p in latest.values()]
        return DeliveryReport(
            meeting_id=meeting_id,
            documents=tuple(sorted(documents, key=_agenda_order)),
            dropped=len(judged) - len(shown),
            roster_version=None if roster is None else roster.version,
        )

    async def _verified_versions(self, conn: RelayConnection, meeting_id: str) -> list[_Published]:
        """Every published, not withdrawn version whose signed manifest verifies here."""
        verified: list[_Published] = []
        async for info in published_documents(conn, meeting_id):
            if info.withdrawn:
                continue
            key = await self._keys.document_key(meeting_id, info.manifest)
            if key is None:
                log.warning(
                    "no key for %s v%d: left out of the report", info.document_id, info.version
                )
                continue
            try:
                opened, unverified = await asyncio.to_thread(
                    docs.open_published, info.manifest, key, info.document_id, info.version
                )
                publisher = await self._keys.publisher(
                    conn, meeting_id, unverified.publisher_device_id
                )
                if publisher is None:
                    log.warning(
                        "the publisher of %s v%d is not certified", info.document_id, info.version
                    )
                    continue
                manifest = await asyncio.to_thread(
                    docs.verify_published,
                    info.manifest,
                    meeting_key=key,
                    publisher=publisher,
                    meeting_id=meeting_id,
                    doc_id=info.document_id,
                    version=info.version,
                    opened=opened,
                )
            except CryptoError as exc:
                log.warning(
                    "%s v%d left out of the report: %s", info.document_id, info.version, exc.code
                )
                continue
            verified.append(_Published(info, manifest))
        return verified


async def _all_receipts(conn: RelayConnection, meeting_id: str) -> list[m.Receipt]:
    """Every receipt of a meeting, in as many pages as the relay's frame limit needs (one
    reply from a relay older than protocol 1.5, which cannot page)."""
    receipts: list[m.Receipt] = []
    while True:
        listed = await conn.request(m.ListReceipts(meeting_id=meeting_id, offset=len(receipts)))
        assert isinstance(listed, m.ReceiptsListed)
        receipts += listed.receipts
        if not listed.more or not listed.receipts or conn.session.peer_minor < 5:
            return receipts
