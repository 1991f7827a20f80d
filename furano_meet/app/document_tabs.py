"""Beside the agenda: the open document's 目次 and ページ, and the notes to 確認 after a 差し替え.

Three tabs with large labels under the agenda pack (:class:`~.outline_panel.OutlinePanel`,
:class:`~.thumbnails.ThumbnailStrip`, :class:`~.review_list.ReviewList`). The review tab
names how many notes wait (「確認 2」) and is the one shown when a replacement leaves some, so
a reader who never opens tabs still meets them. Composition only: each panel owns its work.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from .outline_panel import OutlinePanel
from .review_list import ReviewList
from .session import Session
from .thumbnails import ThumbnailStrip
from .viewer import Viewer


class DocumentTabs(QTabWidget):
    """See the module docstring. ``set_meeting`` follows the window's chosen meeting."""

    def __init__(self, session: Session, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentTabs")
        self.outline = OutlinePanel(session, viewer)
        self.thumbnails = ThumbnailStrip(session, viewer)
        self.review = ReviewList(session)
        self.addTab(self.outline, self.tr("目次"))
        self.addTab(self.thumbnails, self.tr("ページ"))
        self.addTab(self.review, self.tr("確認"))
        self.review.note_opened.connect(viewer.open_document)
        self.review.counted.connect(self._count_review)
        self._waiting = 0

    def set_meeting(self, meeting_id: str) -> None:
        self.review.set_meeting(meeting_id)

    def _count_review(self, waiting: int) -> None:
        label = self.tr("確認 {n}").format(n=waiting) if waiting else self.tr("確認")
        self.setTabText(self.indexOf(self.review), label)
        if waiting > self._waiting:
            self.setCurrentWidget(self.review)  # new notes to look at: show them
        self._waiting = waiting
