"""The open document's outline (目次) as a table of contents: a tap goes to that page.

The outline is the PDF's own (bookmarks the clerk's office made, or the generator of the
pack); the render service reads it on its worker (``RenderService.outline``), never the GUI
thread. Levels are shown by indentation; an entry that points outside the document is shown
but cannot be tapped. A document without an outline says so in words instead of an empty box.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from furano_meet.render import DocumentNotOpen, OutlineEntry

from .session import Session
from .viewer import Viewer
from .whole_rows import wrap_whole

PAGE_ROLE = Qt.ItemDataRole.UserRole
"""Each entry's target page index (``None`` for an entry that goes nowhere here)."""
INDENT = "　"
"""One full-width space per level below the first."""


class OutlinePanel(QListWidget):
    """See the module docstring; follows whatever document the viewer opens."""

    def __init__(self, session: Session, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.viewer = session, viewer
        self.setAccessibleName(self.tr("目次"))
        wrap_whole(self)  # a title that just fits keeps its words when a scroll bar appears
        self.document: tuple[str, int] | None = None
        viewer.document_shown.connect(self.show_document)
        self.itemClicked.connect(self._chosen)
        self._placeholder(self.tr("資料を開くと目次が出ます"))

    def show_document(self, document_id: str, version: int) -> None:
        self.document = (document_id, version)
        self.session.ops.run(self._outline(document_id, version), on_done=self._show)

    async def _outline(
        self, document_id: str, version: int
    ) -> tuple[tuple[str, int], tuple[OutlineEntry, ...]]:
        try:
            entries = await self.session.render.outline(document_id, version)
        except DocumentNotOpen:  # the reader opened another document meanwhile
            entries = ()
        return (document_id, version), entries

    def _show(self, answer: tuple[tuple[str, int], tuple[OutlineEntry, ...]]) -> None:
        document, entries = answer
        if document != self.document:
            return  # a late answer for a document no longer shown
        self.clear()
        if not entries:
            self._placeholder(self.tr("この資料には目次がありません"))
            return
        for entry in entries:
            item = QListWidgetItem(INDENT * (entry.level - 1) + entry.title)
            item.setData(PAGE_ROLE, entry.page)
            if entry.page is None:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            else:
                item.setToolTip(self.tr("{page}ページへ").format(page=entry.page + 1))
            self.addItem(item)

    def _placeholder(self, text: str) -> None:
        self.clear()
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        page = item.data(PAGE_ROLE)
        if isinstance(page, int):
            self.viewer.turn_page(page)
