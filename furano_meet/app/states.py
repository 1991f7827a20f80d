"""Meeting and document states as the lists show them: an icon, a colour *and* words.

The engine's read models (:class:`MeetingSummary`, :class:`DocumentSummary`) say what is on the
device; a few things only its events say — how many bytes of a download are still to come
(:class:`DownloadProgress`), which notes a replacement left for review
(:class:`AnnotationsCarried` ``needs_review``), that the relay took this user off a meeting
(:class:`MeetingAccessLost`). :class:`StateBook` remembers those, one per session, and turns
a summary into a :class:`Badge`. One state per row, the most important first: a reader who
glances sees the colour and the icon, one who reads sees plain Japanese.

"Updated" and "needs review" last until the reader has looked: opening the new version clears
the first, opening a note's page from the review list clears that note. What was looked at is
a record in the store (``seen_marks``), read with the lists and written when the reader looks,
so the marks stay cleared after a restart. The notes to review are kept in the store as well
(``engine.needs_review``, read with the marks), so a restart before looking keeps the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from furano_meet.store.records import DocumentState
from furano_meet.store.seen_marks import UPDATED, ReviewNote, note_mark
from furano_meet.sync.engine import DocumentSummary, MeetingSummary
from furano_meet.sync.events import (
    AnnotationsCarried,
    Connectivity,
    DownloadProgress,
    MeetingAccessLost,
    StatusChanged,
    SyncEvent,
)

from .session import Session
from .whole_rows import kept_whole

_CONTEXT = "States"


class State(StrEnum):
    SHREDDED = "shredded"
    ACCESS_LOST = "access_lost"
    KEY_WAITING = "key_waiting"
    DOWNLOADING = "downloading"
    NEEDS_REVIEW = "needs_review"
    WITHDRAWN = "withdrawn"
    UPDATED = "updated"
    READY = "ready"
    EMPTY = "empty"


LOOKS: dict[State, tuple[object, str]] = {
    State.SHREDDED: (QT_TRANSLATE_NOOP("States", "消"), "#3c4043"),
    State.ACCESS_LOST: ("✕", "#8c1d18"),
    State.KEY_WAITING: (QT_TRANSLATE_NOOP("States", "鍵"), "#a15c00"),
    State.DOWNLOADING: ("↓", "#1a4fa0"),
    State.NEEDS_REVIEW: ("!", "#b3261e"),
    State.WITHDRAWN: (QT_TRANSLATE_NOOP("States", "取"), "#5f6368"),
    State.UPDATED: (QT_TRANSLATE_NOOP("States", "新"), "#5b3cc4"),
    State.READY: ("✓", "#0b6e3b"),
    State.EMPTY: ("–", "#80868b"),
}
"""The glyph and colour of each state's icon (the words are in the badge's text)."""

MEETING_TEXT: dict[State, object] = {
    State.SHREDDED: QT_TRANSLATE_NOOP("States", "閲覧期限切れ（端末から消去済み）"),
    State.ACCESS_LOST: QT_TRANSLATE_NOOP(
        "States", "閲覧できなくなりました — 端末にある資料は期限まで読めます"
    ),
    State.KEY_WAITING: QT_TRANSLATE_NOOP("States", "鍵の到着待ち — 届くと自動で開けます"),
    State.DOWNLOADING: QT_TRANSLATE_NOOP("States", "受信中 {percent}%（{done}/{all}件）"),
    State.NEEDS_REVIEW: QT_TRANSLATE_NOOP("States", "差し替え — メモの確認が必要です（{n}件）"),
    State.WITHDRAWN: QT_TRANSLATE_NOOP("States", "取り下げられた資料があります（{n}件）"),
    State.UPDATED: QT_TRANSLATE_NOOP("States", "資料が更新されました（{n}件）"),
    State.READY: QT_TRANSLATE_NOOP("States", "オフラインで閲覧できます（資料{n}件）"),
    State.EMPTY: QT_TRANSLATE_NOOP("States", "資料はまだありません"),
}
DOCUMENT_TEXT: dict[State, object] = {
    State.WITHDRAWN: QT_TRANSLATE_NOOP("States", "取り下げられました"),
    State.DOWNLOADING: QT_TRANSLATE_NOOP("States", "受信中 {percent}%"),
    State.NEEDS_REVIEW: QT_TRANSLATE_NOOP(
        "States", "差し替え（第{v}版） — メモ{n}件の確認が必要です"
    ),
    State.UPDATED: QT_TRANSLATE_NOOP("States", "{pages}ページ　更新版（第{v}版）"),
    State.READY: QT_TRANSLATE_NOOP("States", "{pages}ページ"),
}
PAUSED = QT_TRANSLATE_NOOP("States", "{state} — つながると続きを受信します")
"""A download while the engine is offline: it stopped, and says when it goes on."""
PAUSED_WHEN = (Connectivity.OFFLINE, Connectivity.CONNECTING)


def tr(text: object) -> str:
    return QCoreApplication.translate(_CONTEXT, str(text))


@dataclass(frozen=True, slots=True)
class Badge:
    """One row's state: :attr:`text` in words, :meth:`icon` in colour."""

    state: State
    text: str

    def icon(self) -> QIcon:
        return state_icon(self.state)

    @property
    def shown(self) -> str:
        """:attr:`text` as a list row shows it: each bracket kept whole on a line."""
        return kept_whole(self.text)


_ICONS: dict[tuple[State, str], QIcon] = {}
ICON_SIZE = 40


def state_icon(state: State) -> QIcon:
    """A rounded square in the state's colour with its glyph (drawn once, on the GUI thread)."""
    glyph = tr(LOOKS[state][0])
    if (state, glyph) not in _ICONS:
        colour = LOOKS[state][1]
        pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        box = QRectF(1, 1, ICON_SIZE - 2, ICON_SIZE - 2)
        painter.drawRoundedRect(box, 9, 9)
        font = QFont(painter.font())
        font.setPixelSize(24)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, glyph)
        painter.end()
        _ICONS[state, glyph] = QIcon(pixmap)
    return _ICONS[state, glyph]


def latest(documents: tuple[DocumentSummary, ...]) -> list[DocumentSummary]:
    """The newest version of each document, in the engine's order (the clerk's signed agenda
    order, see ``AgendaPack``)."""
    newest: dict[str, DocumentSummary] = {}
    for doc in documents:
        if doc.document_id not in newest or doc.version > newest[doc.document_id].version:
            newest[doc.document_id] = doc
    return list(newest.values())


class StateBook(QObject):
    """What the events told about states (see the module docstring); one per session."""

    looked = Signal()
    """The reader looked at something marked: the lists show one mark fewer."""

    def __init__(self, session: Session | None = None) -> None:
        super().__init__(session)
        self.session = session
        """None only for a book tested on its own (nothing is then read or written)."""
        self.progress: dict[tuple[str, str, int], tuple[int, int]] = {}
        self.review: dict[tuple[str, str], tuple[int, tuple[str, ...]]] = {}
        """(meeting, document) → (the version the notes were carried to, notes to review)"""
        self.review_from: dict[tuple[str, str], int] = {}
        """(meeting, document) → the version the notes to review are on"""
        self.lost: set[str] = set()
        self.paused = False
        """The engine is offline: downloads wait for the connection (said in their words)."""
        self.seen: set[tuple[str, int, str]] = set()
        """(document, version, mark) the reader has looked at (the store's ``seen_marks``)."""

    @classmethod
    def of(cls, session: Session) -> StateBook:
        """The session's book, made (and fed its events) the first time a list asks."""
        book = session.findChild(StateBook)
        if book is None:
            book = cls(session)
            session.engine_event.connect(book.observe)
        return book

    async def read_seen(self, meeting_id: str) -> None:
        """Take in what the store says this reader has looked at in a meeting."""
        if self.session is not None:
            self.seen |= await self.session.engine.seen_marks(meeting_id)
            # issue #9 (policy helper): the review list as stored, so it outlives a restart
            self.recall(await self.session.engine.needs_review(meeting_id))

    def recall(self, notes: Iterable[ReviewNote]) -> None:
        """Take in stored notes to review; per document only the newest replacement counts
        (as with the events: the badge asks about the version the reader has)."""
        for note in notes:
            key = (note.meeting_id, note.document_id)
            version, held = self.review.get(key, (0, ()))
            if note.to_version < version or note.annotation_id in held:
                continue
            kept = held if note.to_version == version else ()
            self.review[key] = (note.to_version, (*kept, note.annotation_id))
            self.review_from[key] = note.from_version

    def look(self, meeting_id: str, document_id: str, version: int, mark: str) -> None:
        """The reader looked: clear the mark now, and remember it in the store."""
        if (document_id, version, mark) in self.seen:
            return
        self.seen.add((document_id, version, mark))
        if self.session is not None:
            engine = self.session.engine
            self.session.ops.run(engine.mark_seen(meeting_id, document_id, version, mark))
        self.looked.emit()

    def opened(self, meeting_id: str, document_id: str, version: int) -> None:
        """A document version was opened: its "updated" mark has been seen."""
        if version > 1:
            self.look(meeting_id, document_id, version, UPDATED)

    def to_review(self, meeting_id: str) -> list[ReviewNote]:
        """The notes still to look at in a meeting, document by document."""
        return [
            ReviewNote(mt, doc, self.review_from.get((mt, doc), version - 1), version, note)
            for (mt, doc), (version, notes) in self.review.items()
            if mt == meeting_id
            for note in notes
            if (doc, version, note_mark(note)) not in self.seen
        ]

    def observe(self, event: SyncEvent) -> None:
        if isinstance(event, DownloadProgress):
            key = (event.meeting_id, event.document_id, event.version)
            self.progress[key] = (event.received, event.total)
        elif isinstance(event, AnnotationsCarried) and event.needs_review:
            key2 = (event.meeting_id, event.document_id)
            self.review[key2] = (event.to_version, event.needs_review)
            self.review_from[key2] = event.from_version
        elif isinstance(event, MeetingAccessLost):
            self.lost.add(event.meeting_id)
        elif isinstance(event, StatusChanged):
            self.paused = event.status.connectivity in PAUSED_WHEN

    # -- meetings -----------------------------------------------------------------------------

    def meeting(self, meeting: MeetingSummary, documents: tuple[DocumentSummary, ...]) -> Badge:
        docs = latest(documents)
        if meeting.shredded:
            return self._meeting(State.SHREDDED)
        if meeting.meeting_id in self.lost:
            return self._meeting(State.ACCESS_LOST)
        if not meeting.has_key:
            return self._meeting(State.KEY_WAITING)
        live = [d for d in docs if d.state is not DocumentState.WITHDRAWN]
        loading = [d for d in live if d.state is DocumentState.DOWNLOADING]
        if loading:
            return self._meeting(
                State.DOWNLOADING,
                percent=self._percent(loading),
                done=len(live) - len(loading),
                all=len(live),
            )
        review = sum(len(self._review(d)) for d in live)
        if review:
            return self._meeting(State.NEEDS_REVIEW, n=review)
        withdrawn = len(docs) - len(live)
        if withdrawn:
            return self._meeting(State.WITHDRAWN, n=withdrawn)
        updated = sum(self._updated(d) for d in live)
        if updated:
            return self._meeting(State.UPDATED, n=updated)
        if not live:
            return self._meeting(State.EMPTY)
        return self._meeting(State.READY, n=len(live))

    # -- documents ----------------------------------------------------------------------------

    def document(self, doc: DocumentSummary) -> Badge:
        if doc.state is DocumentState.WITHDRAWN:
            return self._document(State.WITHDRAWN)
        if not doc.ready:
            return self._document(State.DOWNLOADING, percent=self._percent([doc]))
        review = self._review(doc)
        if review:
            return self._document(State.NEEDS_REVIEW, v=doc.version, n=len(review))
        if self._updated(doc):
            return self._document(State.UPDATED, pages=doc.page_count, v=doc.version)
        return self._document(State.READY, pages=doc.page_count)

    def needs_review(self, doc: DocumentSummary) -> tuple[str, ...]:
        """The note ids a replacement left for this reader to look at (for the agenda pack)."""
        return self._review(doc)

    # -- helpers --------------------------------------------------------------------------------

    def _review(self, doc: DocumentSummary) -> tuple[str, ...]:
        version, notes = self.review.get((doc.meeting_id, doc.document_id), (0, ()))
        if version != doc.version:
            return ()
        return tuple(n for n in notes if (doc.document_id, version, note_mark(n)) not in self.seen)

    def _updated(self, doc: DocumentSummary) -> bool:
        return doc.version > 1 and (doc.document_id, doc.version, UPDATED) not in self.seen

    def _percent(self, docs: list[DocumentSummary]) -> int:
        received = total = 0
        for doc in docs:
            got, size = self.progress.get(
                (doc.meeting_id, doc.document_id, doc.version), (doc.received_bytes, 0)
            )
            received, total = received + got, total + size
        return min(99, received * 100 // total) if total else 0

    def _meeting(self, state: State, **values: int) -> Badge:
        return self._badge(state, tr(MEETING_TEXT[state]).format(**values))

    def _document(self, state: State, **values: int) -> Badge:
        return self._badge(state, tr(DOCUMENT_TEXT[state]).format(**values))

    def _badge(self, state: State, text: str) -> Badge:
        if state is State.DOWNLOADING and self.paused:
            text = tr(PAUSED).format(state=text)
        return Badge(state, text)
