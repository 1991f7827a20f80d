"""The 差し替え "needs review" list: my notes a replacement could not carry, a tap to each.

When the clerk replaces a document, the engine carries the reader's notes onto pages that did
not change and reports the rest (:class:`~furano_meet.sync.events.AnnotationsCarried`
``needs_review``; :class:`~.states.StateBook` remembers them). Those notes stay where they
were written — on the older version's page — so the list names the document, the page and
what the note is, and a tap opens that version at that page in the viewer, where the note is
drawn. Opening it is looking at it: the note leaves the list and the agenda's 「確認が必要」
mark counts one fewer, remembered in the store (``seen_marks``) so it stays gone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from furano_meet.annotations import Highlight, StickyNote
from furano_meet.store.seen_marks import ReviewNote, note_mark
from furano_meet.sync.events import AnnotationsCarried, SyncEvent
from furano_meet.sync.queries import AnnotationView

from .meetings import entries
from .session import Session
from .states import StateBook
from .whole_rows import wrap_whole

NOTE_ROLE = Qt.ItemDataRole.UserRole
SNIPPET = 24
"""Characters of a 付箋's text shown in its row."""


@dataclass(frozen=True, slots=True)
class ReviewRow:
    note: ReviewNote
    title: str
    page: int
    what: str


class ReviewList(QListWidget):
    """See the module docstring. ``set_meeting`` first; the state book drives it."""

    note_opened = Signal(str, int, int)
    """(document, version, page) the reader tapped: the window opens it in the viewer."""
    counted = Signal(int)
    """How many notes wait, each time the list is shown."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.states = StateBook.of(session)
        self.meeting_id = ""
        self.setAccessibleName(self.tr("確認が必要なメモ"))
        wrap_whole(self)  # a long title wraps whole, never 「…」 (whole_rows.py)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.reload)
        self.states.looked.connect(self._timer.start)
        session.engine_event.connect(self._on_event)
        self.itemClicked.connect(self._chosen)
        self.reload()

    def entries(self) -> list[QListWidgetItem]:
        """The notes listed (without the 「ありません」 line)."""
        return entries(self)

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.reload()

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, AnnotationsCarried):
            self._timer.start()  # the book took it in first (it was connected before us)

    def reload(self) -> None:
        self.session.ops.run(self._rows(self.meeting_id), on_done=self._show)

    async def _rows(self, meeting_id: str) -> list[ReviewRow]:
        if not meeting_id:
            return []
        await self.states.read_seen(meeting_id)
        notes = self.states.to_review(meeting_id)
        engine = self.session.engine
        documents = await engine.documents(meeting_id)
        titles = {d.document_id: d.title for d in documents if d.title}
        places = {(n.document_id, n.from_version) for n in notes}
        found = await asyncio.gather(*(engine.annotations(doc, v) for doc, v in places))
        views = {view.annotation_id: view for views in found for view in views}
        return [
            ReviewRow(note, titles.get(note.document_id, ""), view.page, self._what(view))
            for note in notes
            if (view := views.get(note.annotation_id)) is not None
        ]

    def _what(self, view: AnnotationView) -> str:
        mark = view.body.mark
        if isinstance(mark, StickyNote):
            text = " ".join(mark.text.split())
            short = text[:SNIPPET] + ("…" if len(text) > SNIPPET else "")
            return self.tr("付箋「{text}」").format(text=short)
        if isinstance(mark, Highlight):
            return self.tr("マーカー")
        return self.tr("手書きのメモ")  # Ink

    def _show(self, rows: list[ReviewRow]) -> None:
        self.clear()
        if not rows:
            item = QListWidgetItem(self.tr("確認が必要なメモはありません"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
        for row in rows:
            text = self.tr("{title}（第{v}版）{page}ページ\n{what} — タップして確認").format(
                title=row.title, v=row.note.from_version, page=row.page + 1, what=row.what
            )
            item = QListWidgetItem(text)
            item.setData(NOTE_ROLE, (row.note, row.page))
            self.addItem(item)
        self.counted.emit(len(rows))

    def _chosen(self, item: QListWidgetItem) -> None:
        data = item.data(NOTE_ROLE)
        if not data:
            return
        note, page = data
        self.note_opened.emit(note.document_id, note.from_version, page)
        self.states.look(
            note.meeting_id, note.document_id, note.to_version, note_mark(note.annotation_id)
        )
