"""What the sync engine reports: its status and the changes it made, as plain values.

Following the style of Anki's core, the engine never calls into a widget: it emits *changes*
and each screen decides what to redraw.  Observers registered with
:meth:`SyncEngine.subscribe` receive them through a queue (see :mod:`.observers`); the Qt
layer forwards them to signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .follow import View
from .queries import AnnotationView


class Connectivity(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    SYNCING = "syncing"
    ONLINE = "online"
    WIPED = "wiped"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    connectivity: Connectivity
    message: str = ""
    """Plain words for the status bar (English; the GUI translates by ``connectivity``)."""
    progress: float | None = None
    pending_ops: int = 0
    waiting_for_key: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusChanged:
    status: SyncStatus


@dataclass(frozen=True, slots=True)
class PresenterMoved:
    meeting_id: str
    view: View


@dataclass(frozen=True, slots=True)
class PresenceUpdated:
    meeting_id: str
    user_id: str
    device_id: str
    online: bool
    following: bool


@dataclass(frozen=True, slots=True)
class PresenterRequested:
    """Someone asks to present (told to the presenter, the chair and the clerks)."""

    meeting_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class DocumentReady:
    meeting_id: str
    document_id: str
    version: int
    title: str


@dataclass(frozen=True, slots=True)
class DocumentIndexed:
    """Full-text search now covers this document version.

    Comes after :class:`DocumentReady`: a document can be opened as soon as it is verified and
    decrypted, while extracting and indexing its text (about a millisecond per page) goes on.
    """

    meeting_id: str
    document_id: str
    version: int
    pages: int


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Ciphertext bytes of a document stored so far (for a progress bar; resumes count on)."""

    meeting_id: str
    document_id: str
    version: int
    received: int
    total: int


@dataclass(frozen=True, slots=True)
class DocumentRefused:
    """A document failed verification (tampered, truncated, forged): never shown."""

    meeting_id: str
    document_id: str
    version: int
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class AnnotationsCarried:
    """差し替え: this user's notes on an older version were carried to the new one.

    ``carried`` maps old annotation ids to new ones; ``needs_review`` are notes left on the old
    version because their page's text changed (or has no text) — the reader should look.
    """

    meeting_id: str
    document_id: str
    from_version: int
    to_version: int
    carried: tuple[tuple[str, str], ...]
    needs_review: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentWithdrawn:
    meeting_id: str
    document_id: str


@dataclass(frozen=True, slots=True)
class AnnotationsChanged:
    meeting_id: str
    annotation_ids: tuple[str, ...]
    notes: tuple[AnnotationView, ...] = ()
    """Of those, the added or edited notes as now stored — received through the log, or
    written on this device (a deleted note is named in ``annotation_ids`` only): a screen may
    show them at once and read the store afterwards, which stays the truth."""


@dataclass(frozen=True, slots=True)
class RosterAccepted:
    """This device accepted a newer clerk-signed roster of the meeting: its members or its
    rules (e.g. whether members may save annotated copies, ``export_rule``) may have changed."""

    meeting_id: str
    version: int


@dataclass(frozen=True, slots=True)
class KeyWaiting:
    """This device has no key for the meeting yet: documents stay closed until one arrives."""

    meeting_id: str


@dataclass(frozen=True, slots=True)
class MeetingShredded:
    """閲覧期限: the meeting expired and its key and cached documents were destroyed."""

    meeting_id: str


@dataclass(frozen=True, slots=True)
class MeetingAccessLost:
    """The relay says this user is no longer a member of the meeting (removed by the clerk).

    What is already cached stays readable until the meeting expires; nothing new arrives.
    """

    meeting_id: str
    message: str


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """(Clerk) Ciphertext bytes of a document being published handed to the relay so far."""

    meeting_id: str
    document_id: str
    version: int
    sent: int
    total: int


@dataclass(frozen=True, slots=True)
class DocumentPublished:
    """(Clerk) A document this device published was accepted by the relay.

    ``warnings`` are the PDF check's notes on a file that was accepted all the same
    (:class:`~furano_meet.sync.pdf_check.PdfWarning` values such as ``repaired``): the clerk's
    screen shows them so a damaged original can be looked at before the meeting.
    """

    meeting_id: str
    document_id: str
    version: int
    title: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeviceWiped:
    reason: str


@dataclass(frozen=True, slots=True)
class RecoveryBoxSaved:
    """The relay now keeps this member's recovery box ``version`` (every private key held)."""

    version: int
    keys: int


SyncEvent = (
    StatusChanged
    | PresenterMoved
    | PresenceUpdated
    | PresenterRequested
    | DocumentReady
    | DocumentPublished
    | UploadProgress
    | DocumentIndexed
    | DownloadProgress
    | DocumentRefused
    | DocumentWithdrawn
    | AnnotationsCarried
    | AnnotationsChanged
    | RosterAccepted
    | KeyWaiting
    | MeetingShredded
    | MeetingAccessLost
    | DeviceWiped
    | RecoveryBoxSaved
)
