"""Page thumbnails of the open document: small pictures of the pages, a tap goes there.

Theory of operation
-------------------
One cell per page (a grid, so two or three pages show side by side), made at once with its caption (「3ページ（印刷 i）」) and a blank picture of
the page's shape, so the list has its full length before anything is drawn. Pictures are
rendered by the render service — on its worker, at :data:`THUMB_WIDTH` pixels wide — only for
the rows in view: whenever the list scrolls, is resized or gets a new document, the strip
asks ``RenderService`` for the visible rows' pages at ``Priority.BACKGROUND`` under its own
view name, superseding what it asked for before (leafing through 600 pages renders the rows
the reader stops at, and never delays the page in the viewer). A finished render becomes a
``QPixmap`` when it arrives and is kept in the row's icon. The row of the page in the viewer
is selected, so the reader sees where they are.

Memory: the pictures drawn are kept up to :data:`PICTURE_BYTES` — never less than the rows in
view and one more — (least recently drawn or seen go first: their row shows its blank page again and is asked for again when scrolled back to),
and a blank page is one icon per page shape shared by its cells — a pixmap per cell was 31 MB
for the 612 pages of the budget book before a single picture was drawn, and every picture
kept would have been 31 MB more by the time the reader had scrolled through.
"""

from __future__ import annotations

import asyncio
import math

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from furano_meet.render import (
    DocumentInfo,
    DocumentNotOpen,
    PageInfo,
    Pixels,
    Priority,
    RenderFuture,
    RenderRequest,
)
from furano_meet.render.cache import ByteLRU

from .page_labels import caption
from .page_pixels import to_pixmap
from .pixmap_cache import pixmap_bytes
from .session import Session
from .viewer import Viewer
from .whole_rows import fit_cells, wrap_whole

THUMB_WIDTH = 96
"""Logical pixels: large enough to tell a table from text, small enough for many rows."""
THUMB_HEIGHT = 136
"""Room for an A4 portrait page at :data:`THUMB_WIDTH` (landscape pages are shorter)."""
PICTURE_BYTES = 8 * 2**20
"""Drawn pictures kept: about 160 at 96×136 (40 on a high-DPI screen), several strips full."""
CELL_WIDTH = THUMB_WIDTH + 64
"""A cell's width: the picture and a caption's words either side of it."""
SCROLL_SETTLE_MS = 80
"""Ask for pictures once scrolling pauses, not for every pixel scrolled."""


class ThumbnailStrip(QListWidget):
    """See the module docstring; follows whatever document the viewer opens."""

    def __init__(self, session: Session, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.viewer = session, viewer
        self.setAccessibleName(self.tr("ページ一覧"))
        self.setIconSize(QSize(THUMB_WIDTH, THUMB_HEIGHT))
        self.setViewMode(QListWidget.ViewMode.IconMode)  # a grid: two or three pages a row
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setGridSize(QSize(CELL_WIDTH, THUMB_HEIGHT + 64))
        self.setUniformItemSizes(True)
        wrap_whole(self)  # a long caption (「12ページ（印刷 付録-3）」) wraps whole: fit_cells
        self.document: DocumentInfo | None = None
        self.drawn: set[int] = set()
        """Rows whose picture has arrived (and is still kept)."""
        self.pictures: ByteLRU[int, QPixmap] = ByteLRU(PICTURE_BYTES)
        """The drawn pictures by row, bounded in bytes (see the module docstring)."""
        self._asked: set[RenderRequest] = set()
        self._blanks: dict[tuple[int, int], QIcon] = {}
        self._view_name = f"thumbnails-{id(self)}"
        self._timer = QTimer(self, singleShot=True, interval=SCROLL_SETTLE_MS)
        self._timer.timeout.connect(self.request_visible)
        self.verticalScrollBar().valueChanged.connect(self._timer.start)
        self.itemClicked.connect(lambda item: self.viewer.turn_page(self.row(item)))
        viewer.document_shown.connect(self._document_shown)
        viewer.page_painted.connect(self._page_painted)

    # -- the document ----------------------------------------------------------------------------

    def _document_shown(self, document_id: str, version: int) -> None:
        info = self.viewer.document
        if info is not None and (info.doc_id, info.version) == (document_id, version):
            self.show_document(info)

    def show_document(self, info: DocumentInfo) -> None:
        self.session.render.supersede(self._view_name)
        self.document, self.drawn, self._asked = info, set(), set()
        self.pictures = ByteLRU(self.pictures.capacity)
        self.clear()
        for page in info.pages:
            item = QListWidgetItem(self._blank(page), caption(page))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.addItem(item)
        fit_cells(self, CELL_WIDTH, THUMB_HEIGHT + 64)
        self._timer.start()

    def _page_painted(self, key: tuple[str, int, int], _when: float) -> None:
        doc = self.document
        if doc is not None and key[:2] == (doc.doc_id, doc.version) and key[2] < self.count():
            self.setCurrentRow(key[2])

    def _blank(self, page: PageInfo) -> QIcon:
        """A white page of the right shape, outlined, until its picture arrives: one icon per
        shape, shared by every cell of that shape (a pixmap each was 31 MB for the 612 pages
        of the budget book, drawn or not)."""
        size = _fitted(*page.transform(1.0).view_size)
        icon = self._blanks.get(size)
        if icon is None:
            pixmap = QPixmap(*size)
            pixmap.fill(QColor("#ffffff"))
            icon = self._blanks[size] = _icon(pixmap)
        return icon

    # -- pictures, for the rows in view ----------------------------------------------------------

    def visible_rows(self) -> list[int]:
        viewport: QRect = self.viewport().rect()
        return [
            row
            for row in range(self.count())
            if self.visualItemRect(self.item(row)).intersects(viewport)
        ]

    def request_visible(self) -> None:
        doc = self.document
        if doc is None or not self.isVisible():  # another tab, or the window closed
            return
        rows = self.visible_rows()
        ratio = self.devicePixelRatioF()
        # The rows in view never push each other out: the budget holds them and one more.
        largest = 4 * math.ceil(THUMB_WIDTH * ratio) * math.ceil(THUMB_HEIGHT * ratio)
        self.pictures.capacity = max(self.pictures.capacity, largest * (len(rows) + 1))
        for row in rows:
            self.pictures.get(row)  # in view: the last to go
        wanted = [r for r in rows if r not in self.drawn]
        requests = []
        for row in wanted:
            page = doc.pages[row]
            width, height = page.transform(1.0).view_size
            scale = min(THUMB_WIDTH / width, THUMB_HEIGHT / height) * ratio
            requests.append(RenderRequest(doc.doc_id, doc.version, row, round(scale, 4)))
        render = self.session.render
        render.supersede(self._view_name, keep=requests)
        for request in requests:
            if request in self._asked:
                continue  # already on its way
            self._asked.add(request)
            future = render.render(request, Priority.BACKGROUND, view=self._view_name)
            self.session.ops.run(self._picture(request, future))

    async def _picture(self, request: RenderRequest, future: RenderFuture[Pixels]) -> None:
        try:
            pixels = await future
        except (asyncio.CancelledError, DocumentNotOpen):
            if not future.done():
                raise  # the op itself was cancelled (the window closes), not the render
            self._asked.discard(request)  # scrolled away, or another document: ask again later
            return
        doc = self.document
        if doc is None or (doc.doc_id, doc.version) != (request.doc_id, request.version):
            return
        pixmap = to_pixmap(pixels, self.devicePixelRatioF())
        self.pictures.put(request.page, pixmap, pixmap_bytes(pixmap))
        self.item(request.page).setIcon(_icon(pixmap))
        self.drawn.add(request.page)
        self._forget(self.drawn.difference(self.pictures))

    def _forget(self, rows: set[int]) -> None:
        """Rows whose pictures left the budget: their blank page again, asked for anew."""
        doc = self.document
        if doc is None or not rows:
            return
        for row in rows:
            self.item(row).setIcon(self._blank(doc.pages[row]))
        self.drawn -= rows
        self._asked = {r for r in self._asked if r.page not in rows}

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._timer.start()  # a tab just shown: its rows are in view now

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            fit_cells(self, CELL_WIDTH, THUMB_HEIGHT + 64)  # large text: taller captions


def _icon(pixmap: QPixmap) -> QIcon:
    """The page as it is, selected or not (the selection shows as the row's colour; a tinted
    page would look like a different page)."""
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)
    return icon


def _fitted(width: float, height: float) -> tuple[int, int]:
    scale = min(THUMB_WIDTH / width, THUMB_HEIGHT / height)
    return max(1, round(width * scale)), max(1, round(height * scale))
