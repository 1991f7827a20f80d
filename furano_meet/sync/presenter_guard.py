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
up after joining), is not shown yet but *held back*: :class:`Guard` hands it to
:mod:`.presenting` when the version has been received and verified (``DocumentReady``) —
checked again then — unless a newer frame or a join came meanwhile (only the newest is held).
Any other frame that fails is ignored whole by :mod:`.presenting` (the reader stays where they
are), logged and counted; it never reaches the screen, so nothing raises into the UI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore, StoreError
from furano_meet.store.records import DocumentState

from .context import SyncContext
from .events import (
    DocumentReady,
    DocumentWithdrawn,
    MeetingAccessLost,
    MeetingShredded,
    SyncEvent,
)
from .receiving import needs_receiving

log = logging.getLogger("furano.sync")

Show = Callable[[str, m.PresenterState, bool], None]
"""Show a frame that was held back and now passes: (meeting id, state, from a join snapshot)."""


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
    problem = version_problem(store, meeting_id, state)
    return problem if isinstance(problem, Problem) else outside(state.page, problem)


def outside(page: int, page_count: int) -> Problem | None:
    """A page beyond a verified version's ``page_count`` (zero-based pages), or ``None``."""
    if 0 <= page < page_count:
        return None
    return Problem(f"page {page} of a {page_count}-page document")


def version_problem(store: LocalStore, meeting_id: str, state: m.PresenterState) -> Problem | int:
    """(Store thread) Why ``state``'s version must not be shown in ``meeting_id``, or else its
    verified page count (the page itself is :func:`outside`'s to judge)."""
    if not state.document_id:
        return 0
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
    return doc.page_count


class Guard:
    """One engine's check of presenter frames: counts the frames it stops (per meeting), and
    holds back the newest one whose version is still arriving, to ``show`` once it has."""

    def __init__(self, ctx: SyncContext, show: Show) -> None:
        self._ctx = ctx
        self._show = show
        self.ignored: dict[str, int] = {}
        """Frames not shown when they came, per meeting (held back ones included)."""
        self._waiting: dict[str, tuple[m.PresenterState, bool]] = {}
        self._passed: dict[tuple[str, str, int], int] = {}
        """(meeting, document, version) → page count, for versions that passed: a chair's
        turns name the same version page after page, and a store read per turn on every
        device (30 engines in one process in the benchmark) delayed the follower's paint.
        Forgotten when the version is withdrawn or the meeting shredded or lost."""
        ctx.events.subscribe(self._arrived)
        ctx.events.subscribe(self._forget)

    def superseded(self, meeting_id: str, seq: int | None = None) -> None:
        """A newer frame (``seq``) or a join snapshot (``None``) came: a frame held back for
        the meeting is history — the reader must not jump to it later."""
        held = self._waiting.get(meeting_id)
        if held is not None and (seq is None or seq > held[0].seq):
            del self._waiting[meeting_id]

    async def allows(
        self, meeting_id: str, state: m.PresenterState, *, from_join: bool = False
    ) -> bool:
        """Whether ``state``'s page may be shown to this reader now; a refusal is logged and
        counted (a store that cannot be read refuses too), a page of a version not arrived
        yet is held back."""
        if not state.document_id:
            return True
        key = (meeting_id, state.document_id, state.version)
        problem: Problem | None
        if key in self._passed:
            problem = outside(state.page, self._passed[key])
        else:
            try:
                verdict = await self._ctx.db(version_problem, self._ctx.store, meeting_id, state)
            except StoreError as exc:
                verdict = Problem(f"a page the store cannot check now ({exc.code})")
            if isinstance(verdict, Problem):
                problem = verdict
            else:
                self._passed[key] = verdict
                problem = outside(state.page, verdict)
        if problem is None:
            return True
        self.ignored[meeting_id] = self.ignored.get(meeting_id, 0) + 1
        if problem.arriving:
            self._waiting[meeting_id] = (state, from_join)
        log.warning(
            "%s a presenter frame of %s (seq %d): it names %s (%s v%d p%d)",
            "held back" if problem.arriving else "ignored",
            meeting_id,
            state.seq,
            problem.reason,
            state.document_id,
            state.version,
            state.page,
        )
        return False

    def _forget(self, event: SyncEvent) -> None:
        """(Observer) A version withdrawn, a meeting shredded or lost: checked afresh from now."""
        if isinstance(event, DocumentWithdrawn):
            stale = [key for key in self._passed if key[1] == event.document_id]  # every version
        elif isinstance(event, MeetingShredded | MeetingAccessLost):
            stale = [key for key in self._passed if key[0] == event.meeting_id]
        else:
            return
        for key in stale:
            del self._passed[key]

    async def _arrived(self, event: SyncEvent) -> None:
        """(Observer) A version was received and verified: show the frame held back for it,
        checked again — unless a newer frame or a join came meanwhile."""
        if not isinstance(event, DocumentReady):
            return
        held = self._waiting.get(event.meeting_id)
        if held is None:
            return
        state, from_join = held
        if (state.document_id, state.version) != (event.document_id, event.version):
            return
        allowed = await self.allows(event.meeting_id, state, from_join=from_join)
        if self._waiting.get(event.meeting_id) is not held:
            return  # superseded (or held back again) while it was being checked
        del self._waiting[event.meeting_id]
        if allowed:
            self._show(event.meeting_id, state, from_join)
