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
new page the panel asks again, so the hits follow the reader. 前の一致 / 次の一致 look for the
nearest page with a hit in the open document, one page at a time on the render worker.

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

from .session import Session
from .viewer import Viewer

DEBOUNCE_MS = 300
"""Long enough that typing 予算 searches once, short enough to feel immediate."""
LIMIT = 50
PageKey = tuple[str, int, int]


def snippet_text(hit: SearchHit) -> str:
    """The hit's snippet with the matched words in 【】 (plain text wraps and sizes reliably
    in a list, and the brackets read well at any size)."""
    text = "".join(f"【{text}】" if match else text for text, match in hit.fragments())
    return " ".join(text.split())  # the page's line breaks mean nothing in a snippet


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
        self._generation = 0
        self._task: asyncio.Task[Any] | None = None
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self._build()
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
        self.results = QListWidget(self)
        self.results.setAccessibleName(self.tr("検索結果"))
        self.results.setWordWrap(True)
        self.results.setSpacing(4)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.results.itemClicked.connect(lambda item: self.choose(self.results.row(item)))
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

        async def find() -> tuple[SearchHit, ...]:
            return await self.session.engine.search(query, limit=LIMIT, meeting_id=self.meeting_id)

        self._task = self.session.ops.run(
            find(), on_done=lambda hits: self._show(generation, query, hits)
        )

    def choose(self, row: int) -> None:
        if 0 <= row < len(self.hits):
            self.hit_chosen.emit(self.hits[row])
            self.highlight(self.viewer.canvas.key)  # the page may be on screen already

    def step(self, direction: int) -> None:
        """Go to the nearest page before (-1) or after (+1) this one with a hit."""
        doc, query = self.viewer.document, self.query
        if doc is None or not query:
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
                self.viewer.turn_page(page)

        self.session.ops.run(nearest(), on_done=found)

    # -- showing -------------------------------------------------------------------------------

    def _show(self, generation: int, query: str, hits: tuple[SearchHit, ...]) -> None:
        if generation != self._generation:
            return  # the reader typed on meanwhile
        self._task = None
        self.query, self.hits = query, hits
        self.results.clear()
        for hit in hits:
            page = self.tr("{page}ページ").format(page=hit.page_no + 1)
            item = QListWidgetItem(f"{hit.title}　{page}\n{snippet_text(hit)}")
            self.results.addItem(item)
        if not query:
            self.summary.setText("")
        elif hits:
            more = self.tr("（先頭の{n}件）").format(n=LIMIT) if len(hits) >= LIMIT else ""
            self.summary.setText(
                self.tr("「{q}」は{n}ページにあります").format(q=query, n=len(hits)) + more
            )
        else:
            self.summary.setText(self.tr("「{q}」は見つかりませんでした").format(q=query))
        self._update_steps()
        self.highlight(self.viewer.canvas.key)
        self.results_shown.emit(len(hits))

    def _update_steps(self) -> None:
        """Without a query only the field shows, and the meeting lists below get the room."""
        searching = bool(self.query)
        for widget in (self.previous_hit, self.next_hit, self.summary, self.results):
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
            return

        def found(quads: tuple[Quad, ...]) -> None:
            if query == self.query:
                self.viewer.canvas.set_highlights(page_key, quads)

        self.session.ops.run(self._quads(page_key, query), on_done=found)

    async def _quads(self, key: PageKey, query: str) -> tuple[Quad, ...]:
        try:
            quads: tuple[Quad, ...] = await self.session.render.search(*key, query)
        except DocumentNotOpen:
            return ()  # the reader moved on to another document meanwhile
        return quads
