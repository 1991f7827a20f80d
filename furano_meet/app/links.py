"""Links inside a document: a tap on a 目次 entry or a 「資料3参照」 goes to that page.

The render service returns internal links only (:class:`~furano_meet.render.PageLink`): web
addresses, Launch actions (start a program), JavaScript, embedded files and links into other
files are dropped in the render process and never reach the app, so nothing here can run or
open them, whatever a document holds. The links of the page in view are asked for once per page;
in reading mode a tap (a press and release without a drag; a finger's tap comes from
:mod:`.gestures`) on one turns to its page, and the mouse pointer becomes a hand over one. Pointer and pen modes keep the canvas's own input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent

from furano_meet.pagespace import Point
from furano_meet.render import DocumentNotOpen, PageLink

from .page_canvas import InputMode

if TYPE_CHECKING:
    from .viewer import Viewer

__all__ = ["PageLinks"]

_DRAG_PX = 10.0
"""A press that moves farther than this is a drag (a pan), not a tap."""


class PageLinks(QObject):
    """The internal links of the viewer's page in view (see the module docstring)."""

    def __init__(self, viewer: Viewer) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.links: tuple[PageLink, ...] = ()
        """The links of the page in view (page points), once they have arrived."""
        self._key: tuple[str, int, int] | None = None
        self._pressed: tuple[QPointF, PageLink] | None = None
        viewer.canvas.setMouseTracking(True)
        viewer.canvas.installEventFilter(self)

    def page_changed(self, key: tuple[str, int, int] | None) -> None:
        """The page in view is ``key`` (document, version, page) now; ask for its links."""
        if key == self._key:
            return
        self._key, self.links = key, ()
        if key is None:
            return

        def arrived(links: tuple[PageLink, ...]) -> None:
            if self._key == key:
                self.links = links

        self.viewer.session.ops.run(self._read(*key), on_done=arrived)

    async def _read(self, doc_id: str, version: int, page: int) -> tuple[PageLink, ...]:
        try:
            return await self.viewer.session.render.links(doc_id, version, page)
        except DocumentNotOpen:  # the reader opened another document meanwhile: no links
            return ()

    def at(self, position: QPointF) -> PageLink | None:
        """The link under ``position`` (canvas pixels), if any."""
        point = self.viewer.canvas.page_point(position)
        if point is None:
            return None
        return next((link for link in self.links if _inside(point, link)), None)

    def tap(self, position: QPointF) -> bool:
        """A finger's tap at ``position`` (canvas pixels), in reading mode: the gestures take
        every touch then, so Qt makes no mouse click of it. Whether it was on a link."""
        link = self.at(position) if self.viewer.canvas.mode is InputMode.READ else None
        if link is not None:
            self.viewer.turn_page(link.target_page)
        return link is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(event, QMouseEvent) or self.viewer.canvas.mode is not InputMode.READ:
            return super().eventFilter(watched, event)
        kind, position = event.type(), event.position()
        if kind == QEvent.Type.MouseMove and event.buttons() == Qt.MouseButton.NoButton:
            over = self.at(position) is not None
            shape = Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor
            self.viewer.canvas.setCursor(shape)
        elif kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            link = self.at(position)
            self._pressed = None if link is None else (position, link)
        elif kind == QEvent.Type.MouseButtonRelease and self._pressed is not None:
            start, link = self._pressed
            self._pressed = None
            moved = position - start
            if abs(moved.x()) + abs(moved.y()) <= _DRAG_PX and self.at(position) == link:
                self.viewer.turn_page(link.target_page)
                return True
        return False


def _inside(point: Point, link: PageLink) -> bool:
    r = link.rect
    return r.x0 <= point.x <= r.x1 and r.y0 <= point.y <= r.y1
