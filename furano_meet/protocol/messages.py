"""Every message of the Furano Meet wire protocol, as frozen dataclasses.

Naming rule (from h11 and our style guide): what a client *asks* is an imperative
(``PresentPage``); what the relay *reports* is a fact in the past tense (``PresenterChanged``).
Each class declares its wire ``TYPE`` and who may send it (``SENDER``); the codec refuses a
message travelling the wrong way.  Every request carries a client-chosen ``rid`` that the reply
echoes; pushes the relay sends on its own have ``rid == 0``.

Positions are in unrotated PDF page space (points), so zoom, rotation and screen size never change
what a pointer or an annotation means.  Fields typed ``Opaque`` are ciphertext or public keys that
only clients interpret: the relay never needs a document's or a private annotation's plaintext.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from .fields import (
    Coordinate,
    Ident,
    Length,
    Message,
    Name,
    Opaque,
    Page,
    Pattern,
    Range,
    RequestId,
    Seq,
    Sha256,
    Since,
    Timestamp,
    Version,
)

Role = Literal["admin", "clerk", "chair", "member"]
KeyPurpose = Literal["meeting", "private"]
"""``meeting``: the meeting key (all member devices). ``private``: a member's private-annotation
key, sealed only between that member's own devices."""
Visibility = Literal["shared", "private"]
OpKind = Literal["add", "update", "delete"]
SignatureMode = Literal["all", "heads"]
Sender = Literal["client", "relay"]

ROLES: tuple[Role, ...] = ("admin", "clerk", "chair", "member")


@dataclass(frozen=True, slots=True, kw_only=True)
class Msg:
    """Base of all messages. ``rid`` ties a reply to its request (0 for unsolicited pushes)."""

    TYPE: ClassVar[str] = ""
    SENDER: ClassVar[Sender] = "client"
    rid: RequestId = 0


# ---------------------------------------------------------------------------------------------
# Shared value objects (nested inside messages)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Pointer:
    """The presenter's laser pointer, in PDF page points."""

    x: Coordinate
    y: Coordinate


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingInfo:
    meeting_id: Ident
    title: Name
    starts_at: Timestamp = ""
    expires_at: Timestamp = ""
    my_role: Role = "member"


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberInfo:
    user_id: Ident
    display_name: Name
    role: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    user_id: Ident
    device_id: Ident
    following: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenterState:
    """What the audience sees. ``seq`` grows with every change, so stale updates are ignored."""

    seq: Seq
    presenter_user_id: Annotated[str, Length(0, 64)] = ""
    document_id: Annotated[str, Length(0, 64)] = ""
    version: Seq = 0
    page: Page = 0
    pointer: Pointer | None = None
    summon: Annotated[Seq, Since(4)] = 0
    """(1.4) How many times the presenter has asked *everyone* here ("bring everyone here").
    The relay bumps it; a reader who browses on their own follows again when it grows (a reader
    can still turn away right after: a summons moves the view, it never locks it). Not saved by
    the relay: after a restart it starts again at 0, and the join snapshot resets the count."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentInfo:
    """One published version of a document. ``manifest`` is the client-signed, encrypted manifest."""

    document_id: Ident
    version: Version
    size: Seq
    sha256: Sha256
    manifest: Opaque
    published_by: Ident
    published_at: Timestamp
    withdrawn: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceKeyInfo:
    """A member device's public keys and certificate, for sealing meeting keys to it."""

    user_id: Ident
    device_id: Ident
    public_keys: Opaque
    certificate: Opaque = b""
    role: Role = "member"
    """The member's role as the relay records it (an admin checks it before certifying)."""
    claim: Annotated[bytes, Length(0, 64 * 1024), Since(3)] = b""
    """(1.3, ``certificates_needed`` only) The enrolment claim the device sent (``FMEC``): its
    keys bound to one invitation and the user and role it names; empty for a device enrolled
    with a relay-made code."""
    invitation: Annotated[bytes, Length(0, 64 * 1024), Since(3)] = b""
    """(1.3, ``certificates_needed`` only) The admin-signed invitation the claim redeems."""
    issuer_certificate: Annotated[bytes, Length(0, 64 * 1024), Since(3)] = b""
    """(1.3, ``certificates_needed`` only) The certificate of the admin device that signed it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyEnvelope:
    """A meeting key sealed (by a client) to one device. ``epoch`` grows when the key rotates."""

    device_id: Ident
    epoch: Seq
    envelope: Opaque
    sealed_by: Annotated[str, Length(0, 64)] = ""
    purpose: KeyPurpose = "meeting"
    epoch_record: Annotated[Opaque, Since(3)] = b""
    """(1.3) For a ``meeting`` envelope: the epoch record (``FMER``) a clerk's or an
    administrator's device signed for this epoch. The relay stores one per epoch and hands it
    out beside every envelope of that epoch; clients accept the key only if it matches."""
    record_signer: Annotated[Opaque, Since(3)] = b""
    """(1.3) The certificate of the device that signed ``epoch_record``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewOp:
    """An annotation operation as the author's client submits it (payload is ciphertext)."""

    op_id: Ident
    document_id: Ident
    version: Version
    page: Page
    visibility: Visibility
    kind: OpKind
    payload: Opaque
    signed: Annotated[Opaque, Since(3)] = b""
    """(1.3) The author's signed op (``FMOP``, :mod:`furano_meet.crypto.signed_ops`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedOp:
    """An annotation operation as the relay's log holds it."""

    seq: Seq
    op_id: Ident
    author_user_id: Ident
    author_device_id: Ident
    document_id: Ident
    version: Version
    page: Page
    visibility: Visibility
    kind: OpKind
    payload: Opaque
    logged_at: Timestamp
    header: Annotated[Opaque, Since(3)] = b""
    """(1.3) The signed op's canonical body: it, not the relay's labels, says what the op is."""
    signature: Annotated[Opaque, Since(3)] = b""
    """(1.3) The body's signature; empty in a ``"heads"`` page for all but each stream's last."""

    @classmethod
    def of(
        cls,
        op: NewOp,
        *,
        seq: int,
        author_user_id: str,
        author_device_id: str,
        logged_at: str,
        header: bytes = b"",
        signature: bytes = b"",
    ) -> LoggedOp:
        """``op`` as the log holds it once appended (the relay logging it; a device keeping
        its own acknowledged op)."""
        return cls(
            seq=seq,
            op_id=op.op_id,
            author_user_id=author_user_id,
            author_device_id=author_device_id,
            document_id=op.document_id,
            version=op.version,
            page=op.page,
            visibility=op.visibility,
            kind=op.kind,
            payload=op.payload,
            logged_at=logged_at,
            header=header,
            signature=signature,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OpResult:
    op_id: Ident
    seq: Seq
    duplicate: bool


# ---------------------------------------------------------------------------------------------
# Session: version handshake, enrolment, authentication
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello(Msg):
    """First frame of every connection: the client's protocol version."""

    TYPE = "hello"
    major: Annotated[int, Range(0, 1000)]
    minor: Annotated[int, Range(0, 1000)]
    client: Annotated[str, Length(0, 100)] = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome(Msg):
    """The relay accepts the version. ``max_frame``/``max_chunk`` tell the client the limits."""

    TYPE = "welcome"
    SENDER = "relay"
    major: Annotated[int, Range(0, 1000)]
    minor: Annotated[int, Range(0, 1000)]
    server: Annotated[str, Length(0, 100)]
    max_frame: Seq
    max_chunk: Seq
    max_document: Seq


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrol(Msg):
    """Trade a one-time enrolment code for a device identity and a long-lived token."""

    TYPE = "enrol"
    code: Annotated[str, Length(0, 64)]
    """A relay-made one-time code (legacy); empty when ``claim`` is given."""
    device_name: Name
    public_keys: Opaque
    claim: Annotated[bytes, Length(0, 64 * 1024), Since(3)] = b""
    """(1.3) An enrolment claim (``FMEC``) redeeming an admin-made invitation: the relay checks
    its code proof against the invitation's stored ``code_key`` and takes user and role from the
    invitation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FindInvitation(Msg):
    """(1.3, before enrolment) Fetch the invitation whose code key is ``code_key``.

    The device derives ``code_key`` from the code it was handed; the relay, which stores only
    that key, cannot work back to the code."""

    TYPE = "find_invitation"
    code_key: Annotated[bytes, Length(32, 32)]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationFound(Msg):
    """(1.3) The signed invitation and its issuer's certificate, for the device to verify
    against the root fingerprint it was handed with the code."""

    TYPE = "invitation_found"
    SENDER = "relay"
    invitation: Annotated[bytes, Length(1, 64 * 1024)]
    issuer_certificate: Annotated[bytes, Length(1, 64 * 1024)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrolled(Msg):
    """The device exists now. ``token`` is shown exactly once; the relay keeps only its hash."""

    TYPE = "enrolled"
    SENDER = "relay"
    org_id: Ident
    user_id: Ident
    device_id: Ident
    role: Role
    display_name: Name
    token: Annotated[str, Length(16, 200)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Authenticate(Msg):
    TYPE = "authenticate"
    device_id: Ident
    token: Annotated[str, Length(1, 200)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Authenticated(Msg):
    TYPE = "authenticated"
    SENDER = "relay"
    org_id: Ident
    user_id: Ident
    device_id: Ident
    role: Role
    display_name: Name


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRevoked(Msg):
    """Pushed just before the relay closes the connection of a device that was revoked."""

    TYPE = "device_revoked"
    SENDER = "relay"
    device_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class CertifyDevice(Msg):
    """An admin device attaches the organisation's certificate to a device's public keys."""

    TYPE = "certify_device"
    device_id: Ident
    certificate: Opaque


# ---------------------------------------------------------------------------------------------
# Meetings, presence and the presenter
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ListMeetings(Msg):
    TYPE = "list_meetings"


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingsListed(Msg):
    TYPE = "meetings_listed"
    SENDER = "relay"
    meetings: Annotated[tuple[MeetingInfo, ...], Length(0, 1000)]


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinMeeting(Msg):
    """Enter a meeting room: from now on the relay pushes its changes to this connection."""

    TYPE = "join_meeting"
    meeting_id: Ident
    following: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingJoined(Msg):
    """Everything a late joiner needs at once: members, presence, presenter, documents, keys."""

    TYPE = "meeting_joined"
    SENDER = "relay"
    meeting: MeetingInfo
    members: Annotated[tuple[MemberInfo, ...], Length(0, 1000)]
    presence: Annotated[tuple[Presence, ...], Length(0, 5000)]
    presenter: PresenterState
    documents: Annotated[tuple[DocumentInfo, ...], Length(0, 1000)]
    last_op_seq: Seq
    """The highest seq among the ops this user may fetch (shared ones and their own private)."""
    has_key_envelope: bool
    awaiting_key: Annotated[tuple[DeviceKeyInfo, ...], Length(0, 1000)] = ()
    truncated: Annotated[bool, Since(1)] = False
    """(1.1) Entries were left out so the frame fits ``welcome.max_frame``: ``awaiting_key``
    first (``list_device_keys`` has every device), then the oldest ``documents``."""
    roster: Annotated[Opaque, Since(3)] = b""
    """(1.3) The newest signed roster (``FMRO``) the relay holds for the meeting, if any."""
    roster_signer: Annotated[Opaque, Since(3)] = b""
    """(1.3) The certificate of the device that signed ``roster``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDocuments(Msg):
    """(1.2) A page of a meeting's documents, oldest first, from ``offset``.

    For a meeting whose ``meeting_joined`` was ``truncated``: the client pages through until
    ``more`` is false, so no document is missed however many versions a meeting has.
    """

    TYPE = "list_documents"
    meeting_id: Ident
    offset: Seq = 0
    limit: Annotated[int, Range(1, 1000)] = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentsListed(Msg):
    """(1.2) One page (it may hold fewer than ``limit`` to fit the frame, but at least one
    document while any remain); ask again from ``next_offset`` while ``more``."""

    TYPE = "documents_listed"
    SENDER = "relay"
    meeting_id: Ident
    documents: Annotated[tuple[DocumentInfo, ...], Length(0, 1000)]
    next_offset: Seq
    more: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveMeeting(Msg):
    TYPE = "leave_meeting"
    meeting_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class SetFollowing(Msg):
    """Follow the presenter, or browse on my own (others see which)."""

    TYPE = "set_following"
    meeting_id: Ident
    following: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceChanged(Msg):
    TYPE = "presence_changed"
    SENDER = "relay"
    meeting_id: Ident
    user_id: Ident
    device_id: Ident
    online: bool
    following: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentPage(Msg):
    """The presenter shows a page (and optionally points at something on it)."""

    TYPE = "present_page"
    meeting_id: Ident
    document_id: Ident
    version: Version
    page: Page
    pointer: Pointer | None = None
    summon: Annotated[bool, Since(4)] = False
    """(1.4) Bring everyone here: browsers too are moved to this page (``PresenterState.summon``).
    Sent only to a relay of minor >= 4; an older relay just presents the page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenterChanged(Msg):
    """The audience view changed: a page turn, a pointer move, or a new presenter."""

    TYPE = "presenter_changed"
    SENDER = "relay"
    meeting_id: Ident
    state: PresenterState


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestPresenter(Msg):
    TYPE = "request_presenter"
    meeting_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenterRequested(Msg):
    """Told to the current presenter, chair and clerks: someone asks to present."""

    TYPE = "presenter_requested"
    SENDER = "relay"
    meeting_id: Ident
    user_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantPresenter(Msg):
    """Hand the presenter role to a member (by the presenter, the chair or a clerk)."""

    TYPE = "grant_presenter"
    meeting_id: Ident
    user_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class TakePresenter(Msg):
    """The chair or a clerk takes the presenter role (back)."""

    TYPE = "take_presenter"
    meeting_id: Ident


# ---------------------------------------------------------------------------------------------
# Documents: chunked, resumable transfers of opaque blobs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BeginUpload(Msg):
    """Start (or resume) uploading one version of a document; ``sha256`` covers the whole blob."""

    TYPE = "begin_upload"
    meeting_id: Ident
    document_id: Ident
    version: Version
    size: Seq
    sha256: Sha256
    manifest: Opaque


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadReady(Msg):
    """Send binary chunks for ``transfer`` starting at ``offset`` (> 0 when resuming)."""

    TYPE = "upload_ready"
    SENDER = "relay"
    transfer: Seq
    offset: Seq
    max_chunk: Seq


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishUpload(Msg):
    TYPE = "finish_upload"
    transfer: Seq


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadProgress(Msg):
    """Durable progress: bytes up to ``offset`` are on the relay's disk (fsynced)."""

    TYPE = "upload_progress"
    SENDER = "relay"
    transfer: Seq
    offset: Seq


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentPublished(Msg):
    """A new document or a new version (差し替え) is available. Also the reply to FinishUpload."""

    TYPE = "document_published"
    SENDER = "relay"
    meeting_id: Ident
    document: DocumentInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawDocument(Msg):
    TYPE = "withdraw_document"
    meeting_id: Ident
    document_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentWithdrawn(Msg):
    TYPE = "document_withdrawn"
    SENDER = "relay"
    meeting_id: Ident
    document_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class BeginDownload(Msg):
    """Fetch a blob from ``offset`` (resume after an interruption by asking for the rest)."""

    TYPE = "begin_download"
    meeting_id: Ident
    document_id: Ident
    version: Version
    offset: Seq = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadReady(Msg):
    """Binary chunks for ``transfer`` follow, then ``download_finished``."""

    TYPE = "download_ready"
    SENDER = "relay"
    transfer: Seq
    size: Seq
    sha256: Sha256
    offset: Seq


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadFinished(Msg):
    TYPE = "download_finished"
    SENDER = "relay"
    transfer: Seq


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTransfer(Msg):
    TYPE = "cancel_transfer"
    transfer: Seq


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmReceipt(Msg):
    """The client verified and stored a document version (clerks see who has it)."""

    TYPE = "confirm_receipt"
    meeting_id: Ident
    document_id: Ident
    version: Version
    signed: Annotated[Opaque, Since(5)] = b""
    """(1.5) The receipt signed by this device (``FMRC``, :mod:`furano_meet.crypto.receipts`):
    meeting, document, version and the blob's SHA-256 it verified. Empty from older clients
    (and from a device not certified yet): the clerk then shows the receipt as unverified."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListReceipts(Msg):
    TYPE = "list_receipts"
    meeting_id: Ident
    offset: Annotated[Seq, Since(5)] = 0
    """(1.5) Skip this many receipts (paging: see ``receipts_listed.more``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    user_id: Ident
    device_id: Ident
    document_id: Ident
    version: Version
    received_at: Timestamp
    signed: Annotated[Opaque, Since(5)] = b""
    """(1.5) The device's signed receipt as it confirmed it (empty: an older device's)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptsListed(Msg):
    TYPE = "receipts_listed"
    SENDER = "relay"
    meeting_id: Ident
    receipts: Annotated[tuple[Receipt, ...], Length(0, 100_000)]
    next_offset: Annotated[Seq, Since(5)] = 0
    """(1.5) Where the next page starts, when ``more``."""
    more: Annotated[bool, Since(5)] = False
    """(1.5) More receipts than fit one frame (signed receipts are ~4.5 KB each): ask again
    from ``next_offset``. A peer below 1.5 gets every receipt in one reply, as before."""


# ---------------------------------------------------------------------------------------------
# Key envelopes and rosters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PutRoster(Msg):
    """(1.3) A clerk's or administrator's device hands the relay the meeting's signed roster.

    The relay keeps the newest version (refusing an older one with ``stale``) and pushes it
    as ``roster_changed``; clients verify it themselves.
    """

    TYPE = "put_roster"
    meeting_id: Ident
    roster: Opaque
    signer_certificate: Opaque


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterChanged(Msg):
    """(1.3) Pushed to the meeting's attendees (of minor >= 3) when a newer roster arrives."""

    TYPE = "roster_changed"
    SENDER = "relay"
    meeting_id: Ident
    roster: Opaque
    signer_certificate: Opaque


@dataclass(frozen=True, slots=True, kw_only=True)
class PutKeyEnvelopes(Msg):
    """Store meeting-key envelopes that this device sealed for other member devices."""

    TYPE = "put_key_envelopes"
    meeting_id: Ident
    envelopes: Annotated[tuple[KeyEnvelope, ...], Length(1, 1000)]


@dataclass(frozen=True, slots=True, kw_only=True)
class GetKeyEnvelopes(Msg):
    TYPE = "get_key_envelopes"
    meeting_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyEnvelopesDelivered(Msg):
    """This device's envelopes for a meeting (reply to GetKeyEnvelopes, or pushed when new)."""

    TYPE = "key_envelopes_delivered"
    SENDER = "relay"
    meeting_id: Ident
    envelopes: Annotated[tuple[KeyEnvelope, ...], Length(0, 1000)]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyNeeded(Msg):
    """Told to online devices holding the meeting key: these member devices still wait for it."""

    TYPE = "key_needed"
    SENDER = "relay"
    meeting_id: Ident
    devices: Annotated[tuple[DeviceKeyInfo, ...], Length(1, 1000)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDeviceKeys(Msg):
    """Public keys and certificates of every active member device (to seal keys, to verify)."""

    TYPE = "list_device_keys"
    meeting_id: Ident
    offset: Annotated[Seq, Since(2)] = 0
    """(1.2) Skip this many devices (paging: see ``device_keys_listed.more``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceKeysListed(Msg):
    TYPE = "device_keys_listed"
    SENDER = "relay"
    meeting_id: Ident
    devices: Annotated[tuple[DeviceKeyInfo, ...], Length(0, 5000)]
    next_offset: Annotated[Seq, Since(2)] = 0
    """(1.2) Where the next page starts, when ``more``."""
    more: Annotated[bool, Since(2)] = False
    """(1.2) More devices than fit one frame: ask again from ``next_offset``. A peer below
    1.2 gets every device in one reply, as before."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PutInvitation(Msg):
    """(1.3, admin) Store an invitation signed on the administrator's device, so that the
    invitee's device can find it by its code key; answered with ``done``."""

    TYPE = "put_invitation"
    invitation: Annotated[bytes, Length(1, 64 * 1024)]
    issuer_certificate: Annotated[bytes, Length(1, 64 * 1024)]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetireDevice(Msg):
    """(1.3) This device is being wiped: revoke it (answered ``done``, then the connection
    closes with ``device_revoked``), so its token is useless even if a copy of it survives."""

    TYPE = "retire_device"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListUncertified(Msg):
    """An admin device asks which devices of its organisation still lack a certificate."""

    TYPE = "list_uncertified"


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificatesNeeded(Msg):
    """Devices waiting for the organisation's certificate (reply, or pushed to admin devices)."""

    TYPE = "certificates_needed"
    SENDER = "relay"
    devices: Annotated[tuple[DeviceKeyInfo, ...], Length(0, 5000)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListCertified(Msg):
    """(1.6, admin) The organisation's active devices that hold a certificate, so the
    administrator's screen can list them by the name each certificate carries (the relay
    cannot rename them: the name is signed by the root). A relay below 1.6 does not know it."""

    TYPE = "list_certified"
    offset: Seq = 0
    """Skip this many devices (paging: see ``certified_listed.more``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CertifiedListed(Msg):
    """(1.6) The reply to ``list_certified``, oldest enrolment first."""

    TYPE = "certified_listed"
    SENDER = "relay"
    devices: Annotated[tuple[DeviceKeyInfo, ...], Length(0, 5000)]
    next_offset: Seq = 0
    """Where the next page starts, when ``more``."""
    more: bool = False
    """More devices than fit one frame: ask again from ``next_offset``."""


# ---------------------------------------------------------------------------------------------
# Annotation log
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendOps(Msg):
    """Append annotation ops; client-generated ``op_id`` makes a replay harmless."""

    TYPE = "append_ops"
    meeting_id: Ident
    ops: Annotated[tuple[NewOp, ...], Length(1, 500)]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpsAppended(Msg):
    TYPE = "ops_appended"
    SENDER = "relay"
    meeting_id: Ident
    results: Annotated[tuple[OpResult, ...], Length(0, 500)]


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOps(Msg):
    """Ops this device may see with ``seq > since`` (resume after being offline)."""

    TYPE = "fetch_ops"
    meeting_id: Ident
    since: Seq
    limit: Annotated[int, Range(1, 1000)] = 500
    signatures: Annotated[SignatureMode, Since(3)] = "all"
    """(1.3) ``"heads"``: a signature only on the last op of each stream in the page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpsFetched(Msg):
    TYPE = "ops_fetched"
    SENDER = "relay"
    meeting_id: Ident
    ops: Annotated[tuple[LoggedOp, ...], Length(0, 1000)]
    last_seq: Seq
    more: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OpsAdded(Msg):
    """Live push of new ops: shared ones to the meeting, private ones to the author's devices."""

    TYPE = "ops_added"
    SENDER = "relay"
    meeting_id: Ident
    ops: Annotated[tuple[LoggedOp, ...], Length(1, 500)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResyncNeeded(Msg):
    """This connection fell behind and pushes were skipped: fetch ops since your last seq."""

    TYPE = "resync_needed"
    SENDER = "relay"
    meeting_id: Ident


# ---------------------------------------------------------------------------------------------
# Generic replies
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Done(Msg):
    """A request succeeded and has nothing else to say."""

    TYPE = "done"
    SENDER = "relay"


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed(Msg):
    """A request (``rid``), a frame (``rid == 0``) or the session failed; ``code`` is stable."""

    TYPE = "failed"
    SENDER = "relay"
    code: Annotated[str, Length(1, 64)]
    message: Message
    fatal: bool = False
    transfer: Seq = 0
    resume_offset: Seq = 0
    retry_after: Annotated[float, Range(0, 3600)] = 0.0
    meeting_id: Annotated[
        str, Length(0, 64), Pattern.of(r"(?:[A-Za-z0-9][A-Za-z0-9_.:-]*)?"), Since(1)
    ] = ""
    """(1.1) The meeting the failure concerns, when it concerns one (e.g. a removal push)."""


# ---------------------------------------------------------------------------------------------
# Recovery boxes (1.3): one opaque box per user keeping their private-note keys
# ---------------------------------------------------------------------------------------------

MAX_RECOVERY_BOX = 256 * 1024
"""A box holds 32 bytes (base64) per private key and meeting; 256 KiB is thousands of
meetings, and still a small frame."""

RecoveryBoxBytes = Annotated[bytes, Length(0, MAX_RECOVERY_BOX)]
"""A recovery box sealed under the member's recovery code (``furano_meet.crypto.recovery``):
the relay stores it and hands it back, and can never open it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PutRecoveryBox(Msg):
    """(1.3) Keep this box for ``user_id`` (the sender's own user), replacing an older version."""

    TYPE = "put_recovery_box"
    user_id: Ident
    version: Annotated[int, Range(1, 2**53 - 1)]
    box: RecoveryBoxBytes


@dataclass(frozen=True, slots=True, kw_only=True)
class GetRecoveryBox(Msg):
    """(1.3) Ask for the box of ``user_id`` (the sender's own user)."""

    TYPE = "get_recovery_box"
    user_id: Ident


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryBox(Msg):
    """(1.3) The user's box as stored; ``version`` 0 and no bytes when there is none."""

    TYPE = "recovery_box"
    SENDER = "relay"
    user_id: Ident
    version: Seq = 0
    box: RecoveryBoxBytes = b""
