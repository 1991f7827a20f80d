"""Search: a large field, the pages of the meeting's documents that contain the words, and the
hits highlighted on the page.

Theory of operation
-------------------
*Across documents*: every cached page's text is indexed in the encrypted store, so the engine's
``search(query, meeting_id=...)`` answers from the device, online or not, Japanese one- and
two-character queries included (:mod:`furano_meet.store.search`). Each hit is one page with a
snippet; tapping it emits :attr:`SearchPanel.hit_chosen` and the window opens that page.

*On the page*: the render service's ``search`` gives the query's quads on the page shown, in
page points; the canvas draws them over the page at any zoom. Whenever the viewer paints a
new page the panel asks again, so the hits follow the reader. 前の一致 / 次の一致 step hit by
hit: to the next hit on the page shown (drawn stronger, :mod:`.hit_mark`, and scrolled into
view when zoomed), and past the page's last one to the nearest page with a hit in the open
document (looked for one page at a time on the render worker), arriving on its first hit —
or, going back, its last.

*My notes*: the same words are looked for in the text of the 付箋 the reader can see — their
own and the shared ones — in memory (:mod:`.note_search`; nothing is indexed on disk). They
are listed after the pages under the heading 「メモ」; a tap opens the note's page.

Typing is debounced (:data:`DEBOUNCE_MS`) and each new query supersedes the one before: its
op is cancelled and a late answer is dropped by its generation number, so the list never shows
the results of a word the reader has already changed. Nothing here blocks the GUI thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from furano_meet.pagespace import Quad
from furano_meet.render import DocumentNotOpen
from furano_meet.store import SearchHit

from .hit_mark import HitMark
from .note_search import NoteHit, find_notes
from .session import Session
from .viewer import Viewer
from .whole_rows import wrap_whole

DEBOUNCE_MS = 300
"""Long enough that typing 予算 searches once, short enough to feel immediate."""
LIMIT = 50
PageKey = tuple[str, int, int]
ROW_ROLE = Qt.ItemDataRole.UserRole
"""Each row's ``("page", i)``, ``("note", i)`` or ``("heading", 0)``."""


def snippet_text(hit: SearchHit) -> str:
    """The hit's snippet with the matched words in 【】 (plain text wraps and sizes reliably
    in a list, and the brackets read well at any size)."""
    return marked(hit.fragments())


def marked(fragments: list[tuple[str, bool]]) -> str:
    text = "".join(f"【{text}】" if match else text for text, match in fragments)
    return " ".join(text.split())  # line breaks mean nothing in a snippet


class SearchPanel(QWidget):
    """See the module docstring. ``set_meeting`` scopes the search to one meeting."""

    hit_chosen = Signal(object)
    """The :class:`SearchHit` the reader tapped: open its page."""
    results_shown = Signal(int)
    """How many hits the list shows now (after each finished search)."""

    def __init__(self, session: Session, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.viewer = session, viewer
        self.meeting_id: str | None = None
        self.query = ""
        """The query whose results are shown (and highlighted on the page)."""
        self.hits: tuple[SearchHit, ...] = ()
        self.notes: tuple[NoteHit, ...] = ()
        """The 付箋 whose text has the query (listed under 「メモ」 after the pages)."""
        self.current: tuple[object, int] | None = None
        """(page key, index) of the hit the reader is at, among the page's marked hits."""
        self._arrive_at_last = False
        self._generation = 0
        self._task: asyncio.Future[Any] | None = None
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self._build()
        self.mark = HitMark(viewer.canvas)
        viewer.page_painted.connect(lambda key, _at: self.highlight(key))

    def _build(self) -> None:
        self.field = QLineEdit(self)
        self.field.setObjectName("searchField")
        self.field.setPlaceholderText(self.tr("資料の中を検索（例：予算）"))
        self.field.setAccessibleName(self.tr("検索する言葉"))
        self.field.setClearButtonEnabled(True)
        self.field.setStyleSheet(
            "#searchField { font-size: 17pt; min-height: 52px; padding: 0 12px;"
            " border: 2px solid #5f6368; border-radius: 8px; background: #ffffff; }"
        )
        self.field.textEdited.connect(lambda _text: self._timer.start())
        self.field.returnPressed.connect(self.search_now)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 13pt; color: #5f6368;")
        self.position = QLabel(self)
        self.position.setStyleSheet("font-size: 13pt; color: #5f6368;")
        self.results = QListWidget(self)
        self.results.setAccessibleName(self.tr("検索結果"))
        self.results.setSpacing(4)
        wrap_whole(self.results)  # a long snippet wraps whole, never 「…」 (whole_rows.py)
        self.results.itemClicked.connect(lambda item: self.choose(self.results.row(item)))
        self.results.itemActivated.connect(lambda item: self.choose(self.results.row(item)))
        self.previous_hit = QPushButton(self.tr("◀ 前の一致"), self)
        self.next_hit = QPushButton(self.tr("次の一致 ▶"), self)
        self.previous_hit.clicked.connect(lambda: self.step(-1))
        self.next_hit.clicked.connect(lambda: self.step(1))
        steps = QHBoxLayout()
        steps.addWidget(self.previous_hit)
        steps.addWidget(self.next_hit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addLayout(steps)
        layout.addWidget(self.position)
        layout.addWidget(self.summary)
        layout.addWidget(self.results, 1)
        self._update_steps()

    # -- intents -------------------------------------------------------------------------------

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        if self.field.text().strip():
            self.search_now()

    def search_now(self) -> None:
        """Search for the field's words now, superseding any search still running."""
        self._timer.stop()
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None
        query = self.field.text().strip()
        if not query:
            self._show(self._generation, "", ())
            return
        generation = self._generation

        engine, meeting_id = self.session.engine, self.meeting_id

        async def find() -> tuple[tuple[SearchHit, ...], tuple[NoteHit, ...]]:
            pages = await engine.search(query, limit=LIMIT, meeting_id=meeting_id)
            notes = await find_notes(engine, meeting_id, query) if meeting_id else ()
            return pages, notes

        self._task = self.session.ops.run(
            find(), on_done=lambda found: self._show(generation, query, *found)
        )

    def choose(self, row: int) -> None:
        """A tap on a row: a page hit opens its page, a note opens the note's page."""
        item = self.results.item(row)
        kind, index = item.data(ROW_ROLE) if item is not None else ("", 0)
        if kind == "page":
            self.hit_chosen.emit(self.hits[index])
        elif kind == "note":
            note = self.notes[index].note
            self.viewer.open_document(note.document_id, note.version, note.page)
        else:
            return
        self.current = None  # arrive on the page's first hit
        self.highlight(self.viewer.canvas.key)  # the page may be on screen already

    def step(self, direction: int) -> None:
        """The next (+1) or previous (-1) hit: on this page while it has one, else the
        nearest page with a hit in that direction."""
        doc, query = self.viewer.document, self.query
        if doc is None or not query:
            return
        key, count = self.viewer.canvas.key, len(self.viewer.canvas.highlights)
        if self.current is not None and self.current[0] == key:
            index = self.current[1] + direction
            if 0 <= index < count:
                self._mark(key, index)
                return
        pages = (
            range(self.viewer.page + 1, doc.page_count)
            if direction > 0
            else range(self.viewer.page - 1, -1, -1)
        )

        async def nearest() -> int | None:
            for page in pages:
                if await self.session.render.search(doc.doc_id, doc.version, page, query):
                    return page
            return None

        def found(page: int | None) -> None:
            if page is None:
                self.summary.setText(self.tr("この先には見つかりません"))
            elif self.viewer.document is doc:
                self._arrive_at_last = direction < 0
                self.viewer.turn_page(page)

        self.session.ops.run(nearest(), on_done=found)

    # -- showing -------------------------------------------------------------------------------

    def _show(
        self,
        generation: int,
        query: str,
        hits: tuple[SearchHit, ...],
        notes: tuple[NoteHit, ...] = (),
    ) -> None:
        if generation != self._generation:
            return  # the reader typed on meanwhile
        self._task = None
        self.query, self.hits, self.notes = query, hits, notes
        self.current = None
        self.position.setText("")
        self.results.clear()
        for index, hit in enumerate(hits):
            page = self.tr("{page}ページ").format(page=hit.page_no + 1)
            self._add_row(f"{hit.title}　{page}\n{snippet_text(hit)}", ("page", index))
        if notes:
            self._add_row(self.tr("メモ（{n}件）").format(n=len(notes)), ("heading", 0))
        for index, note in enumerate(notes):
            page = self.tr("{page}ページ").format(page=note.note.page + 1)
            text = marked(note.fragments(query))
            label = self.tr("付箋")
            self._add_row(f"{note.title}　{page}\n{label}：{text}", ("note", index))
        if not query:
            self.summary.setText("")
        elif hits or notes:
            more = self.tr("（先頭の{n}件）").format(n=LIMIT) if len(hits) >= LIMIT else ""
            said = self.tr("「{q}」は{n}ページにあります").format(q=query, n=len(hits)) + more
            if notes:
                said += self.tr("・メモ{n}件").format(n=len(notes))
            self.summary.setText(said)
        else:
            self.summary.setText(self.tr("「{q}」は見つかりませんでした").format(q=query))
        self._update_steps()
        self.highlight(self.viewer.canvas.key)
        self.results_shown.emit(len(hits))

    def _add_row(self, text: str, role: tuple[str, int]) -> None:
        item = QListWidgetItem(text)
        item.setData(ROW_ROLE, role)
        if role[0] == "heading":  # 「メモ」: a heading, not a place to go
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.results.addItem(item)

    def _update_steps(self) -> None:
        """Without a query only the field shows, and the meeting lists below get the room."""
        searching = bool(self.query)
        for widget in (self.previous_hit, self.next_hit, self.position, self.summary, self.results):
            widget.setVisible(searching)
        vertical = QSizePolicy.Policy.Preferred if searching else QSizePolicy.Policy.Maximum
        self.setSizePolicy(QSizePolicy.Policy.Preferred, vertical)

    def highlight(self, key: object) -> None:
        """Mark the query's hits on the page ``key`` (the page the viewer shows)."""
        if not isinstance(key, tuple):
            return
        page_key: PageKey = key
        query = self.query
        if not query:
            self.viewer.canvas.set_highlights(page_key, ())
            self.mark.set_index(None)
            return

        def found(quads: tuple[Quad, ...]) -> None:
            if query != self.query:
                return
            self.viewer.canvas.set_highlights(page_key, quads)
            if self.current is None or self.current[0] != page_key:  # arrived on this page
                last, self._arrive_at_last = self._arrive_at_last, False
                self._mark(page_key, len(quads) - 1 if last else 0)

        self.session.ops.run(self._quads(page_key, query), on_done=found)

    def _mark(self, key: object, index: int) -> None:
        """Make hit ``index`` of the page shown the current one: stronger, and in view."""
        count = len(self.viewer.canvas.highlights)
        self.current = (key, index) if count else None
        self.mark.set_index(index if count else None)
        self.position.setText(
            self.tr("このページの{i}件目／{n}件").format(i=index + 1, n=count) if count else ""
        )
        rect = self.mark.rect_on_canvas()
        if rect is not None:  # zoomed in: bring it into view (a margin around it to read)
            centre = rect.center()
            self.viewer.page_area.ensureVisible(
                round(centre.x()), round(centre.y()), round(rect.width() / 2) + 60, 120
            )

    async def _quads(self, key: PageKey, query: str) -> tuple[Quad, ...]:
        try:
            quads: tuple[Quad, ...] = await self.session.render.search(*key, query)
        except DocumentNotOpen:
            return ()  # the reader moved on to another document meanwhile
        return quads
