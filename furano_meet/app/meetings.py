"""The meeting list and the agenda pack: what there is, and whether it can be read yet.

Both show the engine's read models (:class:`MeetingSummary`, :class:`DocumentSummary`) and
reload them when an event says something changed; they never read the store themselves. A
tap emits an intent (:attr:`MeetingList.meeting_chosen`, :attr:`AgendaPack.document_chosen`).

The meeting list is in two groups, 今後の会議 (soonest first) and 過去の会議 (latest first), each
row the date and the 会議体 (signed in the roster, else read from the title: :mod:`furano_meet.sync.committee`),
the session and its state. The agenda pack is in the
clerk's order — the signed ``agenda_position`` the engine already sorts by — under each
item's label (「議案第3号」); documents published without a position follow, by title.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from furano_meet.sync.committee import committee_of, session_of
from furano_meet.sync.engine import DocumentSummary, MeetingSummary
from furano_meet.sync.events import (
    AnnotationsCarried,
    DocumentReady,
    DocumentRefused,
    DocumentWithdrawn,
    DownloadProgress,
    KeyWaiting,
    MeetingAccessLost,
    MeetingShredded,
    RosterAccepted,
    StatusChanged,
    SyncEvent,
)

from .session import Session
from .states import ICON_SIZE, StateBook, latest
from .whole_rows import wrap_whole

RELOAD_ON = (
    AnnotationsCarried,
    MeetingAccessLost,
    DocumentReady,
    DocumentRefused,
    DocumentWithdrawn,
    DownloadProgress,
    KeyWaiting,
    MeetingShredded,
    RosterAccepted,  # the signed committee (会議体) may have changed
    StatusChanged,
)
STATE_ROLE = Qt.ItemDataRole.UserRole + 1
"""Each row's :class:`~.states.State` (Qt hands it back as its ``str`` value)."""
COMMITTEE_ROLE = Qt.ItemDataRole.UserRole + 2
"""Each meeting row's :class:`~furano_meet.sync.committee.Committee` (or ``None``): what it names, and whether
the clerk signed it."""
RELOAD_DELAY_MS = 250
"""Events come in bursts (a download reports every chunk): reload once per burst."""


@dataclass(frozen=True, slots=True)
class MeetingRow:
    meeting: MeetingSummary
    documents: tuple[DocumentSummary, ...]
    committee: str | None = None
    """The committee the clerk signed in the roster (``engine.committee``), if any."""


def entries(listing: QListWidget) -> list[QListWidgetItem]:
    """A list's rows that carry something to tap (``UserRole`` data): no headings, no notes."""
    rows = (listing.item(i) for i in range(listing.count()))
    return [row for row in rows if row.data(Qt.ItemDataRole.UserRole)]


def add_heading(listing: QListWidget, text: str) -> None:
    """A group's title in a list: bold, not a tap target."""
    heading = QListWidgetItem(text)
    heading.setFlags(Qt.ItemFlag.NoItemFlags)
    font = heading.font()
    font.setBold(True)
    heading.setFont(font)
    heading.setForeground(QColor("#3c4043"))
    listing.addItem(heading)


def meeting_lines(meeting: MeetingSummary, signed: str | None) -> tuple[str, ...]:
    """How a meeting is named wherever it is listed (the meeting list, the clerk's chooser):
    「2026年12月8日　総務文教委員会」 over the session (「令和8年第4回富良野市議会定例会」) when
    the committee is known — ``signed`` in the roster, else read from the title — and without
    one the date over the whole title."""
    when = meeting.starts_at
    day = QCoreApplication.translate("MeetingList", "{y}年{m}月{d}日").format(
        y=when.year, m=when.month, d=when.day
    )
    committee = committee_of(meeting.title, signed)
    if committee is None:
        return (day, meeting.title)
    session = session_of(meeting.title, committee)
    lines = (f"{day}\u3000{committee.name}", session)
    return tuple(line for line in lines if line)


class _Reloading(QListWidget):
    """A list that reloads (debounced) when the engine reports a change."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.states = StateBook.of(session)  # download progress, notes to review, access lost
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setSpacing(4)
        wrap_whole(self)  # a state line wraps, never 「…」 (whole_rows.py)
        self._timer = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._timer.timeout.connect(self.reload)
        session.engine_event.connect(self._on_event)
        self.states.looked.connect(self._timer.start)  # a mark was cleared

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, RELOAD_ON) and not self._timer.isActive():
            self._timer.start()

    def reload(self) -> None:
        raise NotImplementedError

    def entries(self) -> list[QListWidgetItem]:
        """The rows that stand for something (a meeting, a document), without the headings."""
        return entries(self)


class MeetingList(_Reloading):
    meeting_chosen = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setAccessibleName(self.tr("会議の一覧"))
        self.chosen = ""
        self.itemClicked.connect(self._chosen)
        self.reload()

    def reload(self) -> None:
        self.session.ops.run(self._rows(), on_done=self._show)

    def _chosen(self, item: QListWidgetItem) -> None:
        meeting_id = item.data(Qt.ItemDataRole.UserRole)
        if meeting_id:  # not a group's heading
            self.meeting_chosen.emit(meeting_id)

    async def _rows(self) -> list[MeetingRow]:
        engine = self.session.engine
        meetings = await engine.meetings()
        documents = await asyncio.gather(*(engine.documents(mt.meeting_id) for mt in meetings))
        committees = await asyncio.gather(*(engine.committee(mt.meeting_id) for mt in meetings))
        await asyncio.gather(*(self.states.read_seen(mt.meeting_id) for mt in meetings))
        rows = zip(meetings, documents, committees, strict=True)
        return [MeetingRow(mt, docs, name) for mt, docs, name in rows]

    def _show(self, rows: list[MeetingRow]) -> None:
        self.clear()
        today = date.today()
        upcoming = [r for r in rows if r.meeting.starts_at.astimezone().date() >= today]
        past = [r for r in rows if r.meeting.starts_at.astimezone().date() < today]
        for heading, group in (
            (self.tr("今後の会議"), upcoming),
            (self.tr("過去の会議"), past[::-1]),  # the engine lists soonest first
        ):
            if group:
                add_heading(self, heading)
                self._show_group(group)

    def _show_group(self, rows: list[MeetingRow]) -> None:
        for row in rows:
            mt = row.meeting
            badge = self.states.meeting(mt, row.documents)  # states.py: icon, colour, words
            committee = committee_of(mt.title, row.committee)
            text = "\n".join((*meeting_lines(mt, row.committee), badge.shown))
            item = QListWidgetItem(badge.icon(), text)
            item.setData(STATE_ROLE, badge.state)
            item.setData(COMMITTEE_ROLE, committee)
            item.setData(Qt.ItemDataRole.UserRole, mt.meeting_id)
            self.addItem(item)
            if mt.meeting_id == self.chosen:
                self.setCurrentItem(item)


class AgendaPack(_Reloading):
    """The meeting's documents by agenda item; a tap opens one in the viewer."""

    document_chosen = Signal(str, int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setAccessibleName(self.tr("議事と資料"))
        self.meeting_id = ""
        self.current: tuple[str, int] | None = None
        self.itemClicked.connect(self._chosen)

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.reload()

    def show_current(self, document_id: str, version: int) -> None:
        """Mark the document the viewer shows (the chair may have opened it for everyone);
        the reader has now seen its "updated" mark."""
        self.current = (document_id, version)
        self.states.opened(self.meeting_id, document_id, version)
        self.reload()

    def reload(self) -> None:
        if self.meeting_id:
            self.session.ops.run(self._documents(self.meeting_id), on_done=self._show)

    async def _documents(self, meeting_id: str) -> tuple[DocumentSummary, ...]:
        await self.states.read_seen(meeting_id)
        return await self.session.engine.documents(meeting_id)

    def _show(self, documents: tuple[DocumentSummary, ...]) -> None:
        self.clear()
        item_title: str | None = None
        for doc in latest(documents):  # in agenda order (the engine sorts by signed position)
            if doc.agenda_item and doc.agenda_item != item_title:
                item_title = doc.agenda_item
                add_heading(self, item_title)
            badge = self.states.document(doc)  # states.py: icon, colour, words
            title = doc.title or self.tr("（受信中の資料）")
            item = QListWidgetItem(badge.icon(), f"{title}\n{badge.shown}")
            item.setData(STATE_ROLE, badge.state)
            item.setData(Qt.ItemDataRole.UserRole, (doc.document_id, doc.version))
            if not doc.ready:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
            if (doc.document_id, doc.version) == self.current:
                self.setCurrentItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if data:
            self.document_chosen.emit(data[0], data[1])
