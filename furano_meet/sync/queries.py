"""What a screen reads from the device's store, as immutable values and never with key material.

Each function runs on the store's side of the hop (:meth:`.context.SyncContext.db`): the
engine's async query methods call them there, so no widget reads SQLCipher on a GUI thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from furano_meet.annotations import AnnotationBody, AnnotationError, decode
from furano_meet.store import LocalStore
from furano_meet.store.records import Annotation, DocumentState, Visibility

log = logging.getLogger("furano.sync")


@dataclass(frozen=True, slots=True)
class AnnotationView:
    """One live note as a screen shows it: typed, with the author its signature proved."""

    annotation_id: str
    meeting_id: str
    document_id: str
    version: int
    page: int
    visibility: Visibility
    author: str
    """The user id of the certificate that signed the note's add (never a relay label)."""
    body: AnnotationBody
    created_at: datetime
    updated_at: datetime


def stored_body(annotation: Annotation) -> AnnotationBody | None:
    """The typed body of a stored note, or ``None`` (logged) if its payload does not decode —
    payloads were checked when they arrived, so that means a newer app wrote this cache."""
    try:
        return decode(annotation.payload)
    except AnnotationError as exc:
        log.warning("cannot read note %s: %s", annotation.annotation_id, exc.code)
        return None


@dataclass(frozen=True, slots=True)
class MeetingSummary:
    meeting_id: str
    title: str
    starts_at: datetime
    expires_at: datetime | None
    """閲覧期限: after it, keys and cached documents are destroyed on this device."""
    has_key: bool
    """False while documents stay closed because no meeting key has arrived yet."""
    shredded: bool


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    meeting_id: str
    document_id: str
    version: int
    title: str
    """Empty until the document is received and verified (the title is inside the manifest)."""
    agenda_item: str | None
    page_count: int
    state: DocumentState
    received_bytes: int
    agenda_position: int | None = None
    """The clerk-signed place in the agenda; the list is already in this order."""

    @property
    def ready(self) -> bool:
        """Received, verified and described: it can be opened."""
        return self.state is DocumentState.COMPLETE and self.page_count > 0


def meetings(store: LocalStore) -> tuple[MeetingSummary, ...]:
    """(Store thread) Every meeting, soonest first, shredded ones included."""
    return tuple(
        MeetingSummary(
            mt.meeting_id,
            mt.title,
            mt.starts_at,
            mt.expires_at,
            mt.has_key,
            mt.shredded_at is not None,
        )
        for mt in store.meetings()
    )


def documents(store: LocalStore, meeting_id: str) -> tuple[DocumentSummary, ...]:
    """(Store thread) Every known version of a meeting's documents, with its status."""
    return tuple(
        DocumentSummary(
            d.meeting_id,
            d.doc_id,
            d.version,
            d.title,
            d.agenda_item,
            d.page_count,
            d.state,
            d.received_bytes,
            d.agenda_position,
        )
        for d in store.documents(meeting_id)
    )


def page_annotations(
    store: LocalStore, document_id: str, version: int, page: int | None
) -> tuple[AnnotationView, ...]:
    """(Store thread) The live annotations on a document version (or one page), oldest first."""
    return tuple(
        view_of(a, body)
        for a in store.annotations(document_id, version, page_no=page)
        if (body := stored_body(a)) is not None
    )


def view_of(annotation: Annotation, body: AnnotationBody) -> AnnotationView:
    """A stored note and its decoded body as a screen shows them."""
    a = annotation
    return AnnotationView(
        a.annotation_id,
        a.meeting_id,
        a.doc_id,
        a.version,
        a.page_no,
        a.visibility,
        a.author,
        body,
        a.created_at,
        a.updated_at,
    )
