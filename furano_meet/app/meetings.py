"""The meeting list and the agenda pack: what there is, and whether it can be read yet.

Both show the engine's read models (:class:`MeetingSummary`, :class:`DocumentSummary`) and
reload them when an event says something changed; they never read the store themselves. A
tap emits an intent (:attr:`MeetingList.meeting_chosen`, :attr:`AgendaPack.document_chosen`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from furano_meet.store.records import DocumentState
from furano_meet.sync.engine import DocumentSummary, MeetingSummary
from furano_meet.sync.events import (
    DocumentReady,
    DocumentRefused,
    DocumentWithdrawn,
    DownloadProgress,
    KeyWaiting,
    MeetingShredded,
    StatusChanged,
    SyncEvent,
)

from .session import Session

RELOAD_ON = (
    DocumentReady,
    DocumentRefused,
    DocumentWithdrawn,
    DownloadProgress,
    KeyWaiting,
    MeetingShredded,
    StatusChanged,
)
RELOAD_DELAY_MS = 250
"""Events come in bursts (a download reports every chunk): reload once per burst."""


@dataclass(frozen=True, slots=True)
class MeetingRow:
    meeting: MeetingSummary
    documents: tuple[DocumentSummary, ...]


def latest(documents: tuple[DocumentSummary, ...]) -> list[DocumentSummary]:
    """The newest version of each document, in the order the clerk published them."""
    newest: dict[str, DocumentSummary] = {}
    for doc in documents:
        if doc.document_id not in newest or doc.version > newest[doc.document_id].version:
            newest[doc.document_id] = doc
    return list(newest.values())


class _Reloading(QListWidget):
    """A list that reloads (debounced) when the engine reports a change."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.setSpacing(4)
        self._timer = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._timer.timeout.connect(self.reload)
        session.engine_event.connect(self._on_event)

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, RELOAD_ON) and not self._timer.isActive():
            self._timer.start()

    def reload(self) -> None:
        raise NotImplementedError


class MeetingList(_Reloading):
    meeting_chosen = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setAccessibleName(self.tr("会議の一覧"))
        self.chosen = ""
        self.itemClicked.connect(
            lambda item: self.meeting_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.reload()

    def reload(self) -> None:
        self.session.ops.run(self._rows(), on_done=self._show)

    async def _rows(self) -> list[MeetingRow]:
        engine = self.session.engine
        meetings = await engine.meetings()
        documents = await asyncio.gather(*(engine.documents(mt.meeting_id) for mt in meetings))
        return [MeetingRow(mt, docs) for mt, docs in zip(meetings, documents, strict=True)]

    def _show(self, rows: list[MeetingRow]) -> None:
        self.clear()
        for row in rows:
            mt = row.meeting
            date = self.tr("{y}年{m}月{d}日").format(
                y=mt.starts_at.year, m=mt.starts_at.month, d=mt.starts_at.day
            )
            item = QListWidgetItem(f"{date}\n{mt.title}\n{self._state(row)}")
            item.setData(Qt.ItemDataRole.UserRole, mt.meeting_id)
            self.addItem(item)
            if mt.meeting_id == self.chosen:
                self.setCurrentItem(item)

    def _state(self, row: MeetingRow) -> str:
        if row.meeting.shredded:
            return self.tr("閲覧期限切れ（端末から消去済み）")
        if not row.meeting.has_key:
            return self.tr("鍵の到着待ち")
        docs = latest(row.documents)
        waiting = [d for d in docs if d.state is DocumentState.DOWNLOADING]
        if waiting:
            return self.tr("受信中（{done}/{all}件）").format(
                done=len(docs) - len(waiting), all=len(docs)
            )
        if not docs:
            return self.tr("資料はまだありません")
        return self.tr("✓ オフラインで閲覧できます（資料{n}件）").format(n=len(docs))


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
        """Mark the document the viewer shows (the chair may have opened it for everyone)."""
        self.current = (document_id, version)
        self.reload()

    def reload(self) -> None:
        if self.meeting_id:
            engine = self.session.engine
            self.session.ops.run(engine.documents(self.meeting_id), on_done=self._show)

    def _show(self, documents: tuple[DocumentSummary, ...]) -> None:
        self.clear()
        item_title: str | None = None
        for doc in latest(documents):
            if doc.agenda_item and doc.agenda_item != item_title:
                item_title = doc.agenda_item
                heading = QListWidgetItem(item_title)
                heading.setFlags(Qt.ItemFlag.NoItemFlags)
                self.addItem(heading)
            item = QListWidgetItem(
                f"{doc.title or self.tr('（受信中の資料）')}\n{self._state(doc)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, (doc.document_id, doc.version))
            if not doc.ready:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
            if (doc.document_id, doc.version) == self.current:
                self.setCurrentItem(item)

    def _state(self, doc: DocumentSummary) -> str:
        if doc.state is DocumentState.WITHDRAWN:
            return self.tr("取り下げられました")
        if not doc.ready:
            return self.tr("受信中…")
        updated = self.tr("　更新版（第{v}版）").format(v=doc.version) if doc.version > 1 else ""
        return self.tr("{n}ページ").format(n=doc.page_count) + updated

    def _chosen(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if data:
            self.document_chosen.emit(data[0], data[1])
