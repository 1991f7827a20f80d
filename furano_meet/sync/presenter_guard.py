"""Which presenter frames may move this reader: only to a page this device holds for the meeting.

Theory of operation
-------------------
The presenter state (who presents, the document, version and page, the pointer, the summons
count) is the relay's word: a page turn carries no signature (docs/trust.md). Before a frame
moves a follower, or a summons brings a browsing reader back, the engine checks the page it
names against the reader's *own* store — what this device verified itself, not what the relay
says about it:

* the document version is held here, received and verified (its signed manifest checked, so
  the row's meeting and page count are the publisher's, not the relay's);
* it belongs to *this* meeting: a relay must not use meeting A's frames to open a document the
  reader holds from meeting B (``SyncEngine.open_document`` takes no meeting id, the viewer
  would open it);
* it is not withdrawn (and not shredded: a shredded meeting's rows are gone);
* the page is within the version's page count (pages are zero-based on the wire; the codec
  already refuses a negative one).

*Any* version the store holds verified for the meeting passes, not only the newest: an older
version is a document the clerk published to this meeting, the chair may show it on purpose
(「前の版では」), and during a 差し替え the chair's device may still be on the old version while
a reader already has the new one — refusing it would strand every follower mid-replacement.
What the check stops is a page the reader was never given *in this meeting*; which of the
meeting's own pages is shown stays the presenter's (and so the relay's) choice, as before.

A frame naming no document (the role changed hands before any page was shown) passes: it moves
nobody. A frame naming a version this device does not hold yet, or one announced for this
meeting but still downloading (the clerk published it a moment ago, or this device is catching
up after joining) is not shown yet but *held*: :mod:`.presenting` shows it when the version has been received and verified — checked
again then — unless a newer frame came meanwhile. A frame that fails is ignored whole by :mod:`.presenting` (the reader stays where it is),
logged and counted; it never reaches the screen, so nothing raises into the UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.store.records import DocumentState

from .receiving import needs_receiving


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a frame may not move the reader now."""

    reason: str
    arriving: bool = False
    """The version is announced for this meeting and still being received (or verified): the
    frame may be shown once it is — and checked again then, against the verified manifest."""


NOT_YET = Problem("a document version not received and verified yet", arriving=True)
UNKNOWN = Problem("a document version this device does not hold (yet)", arriving=True)
"""Held back too: a join snapshot is applied before the documents it lists are recorded, and
a frame may overtake its ``document_published``; shown only if the version turns up verified
in this meeting, so a relay gains nothing by naming one it never publishes."""


def page_problem(store: LocalStore, meeting_id: str, state: m.PresenterState) -> Problem | None:
    """(Store thread) Why ``state`` must not move a reader of ``meeting_id``, or ``None``."""
    if not state.document_id:
        return None
    doc = store.document(state.document_id, state.version)
    if doc is None:
        return UNKNOWN
    if doc.meeting_id != meeting_id:
        return Problem("a document of another meeting")
    if doc.state is DocumentState.WITHDRAWN:
        return Problem("a withdrawn document")
    if needs_receiving(doc):
        return NOT_YET
    meeting = store.meeting(meeting_id)
    if meeting is None or meeting.shredded_at is not None:
        return Problem("a meeting this device no longer holds")
    if not 0 <= state.page < doc.page_count:
        return Problem(f"page {state.page} of a {doc.page_count}-page document")
    return None
