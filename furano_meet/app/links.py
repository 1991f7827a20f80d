"""Links in a document: a tap on a 目次 entry or a 「資料3参照」 goes to that page; a tap on a
web link asks first (「外部のサイトを開きますか？」, :mod:`.external_links`).

The render service returns internal links (:class:`~furano_meet.render.PageLink`) and, apart,
plain web links (:class:`~furano_meet.render.WebLink`: ``http``/``https`` only). Launch actions
(start a program), JavaScript, ``file:`` addresses, embedded files and links into other files
are dropped in the render process and never reach the app, so nothing here can run or open
them, whatever a document holds. The links of the page in view are asked for once per page;
in reading mode a tap (a press and release without a drag; a finger's tap comes from
:mod:`.gestures`) on one turns to its page or offers the web page, and the mouse pointer becomes
a hand over one. Pointer and pen modes keep the canvas's own input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent

from furano_meet.pagespace import Point
from furano_meet.render import DocumentNotOpen, PageLink, WebLink

from .external_links import ExternalLinks
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
        self.web: tuple[WebLink, ...] = ()
        """The page's web links (page points): offered after a confirmation only."""
        self.external = ExternalLinks(viewer)
        self._key: tuple[str, int, int] | None = None
        self._pressed: tuple[QPointF, PageLink | WebLink] | None = None
        viewer.canvas.setMouseTracking(True)
        viewer.canvas.installEventFilter(self)

    def page_changed(self, key: tuple[str, int, int] | None) -> None:
        """The page in view is ``key`` (document, version, page) now; ask for its links."""
        if key == self._key:
            return
        self._key, self.links, self.web = key, (), ()
        if key is None:
            return

        def arrived(found: tuple[tuple[PageLink, ...], tuple[WebLink, ...]]) -> None:
            if self._key == key:
                self.links, self.web = found

        self.viewer.session.ops.run(self._read(*key), on_done=arrived)

    async def _read(
        self, doc_id: str, version: int, page: int
    ) -> tuple[tuple[PageLink, ...], tuple[WebLink, ...]]:
        render = self.viewer.session.render
        try:
            inside = await render.links(doc_id, version, page)
            web = await render.web_links(doc_id, version, page)
        except DocumentNotOpen:  # the reader opened another document meanwhile: no links
            return (), ()
        return inside, web

    def at(self, position: QPointF) -> PageLink | WebLink | None:
        """The link under ``position`` (canvas pixels), if any (a page's own link first)."""
        point = self.viewer.canvas.page_point(position)
        if point is None:
            return None
        links: tuple[PageLink | WebLink, ...] = (*self.links, *self.web)
        return next((link for link in links if _inside(point, link)), None)

    def follow(self, link: PageLink | WebLink) -> None:
        """Turn to a link's page, or ask before opening a web page (external_links.py)."""
        if isinstance(link, WebLink):
            self.external.offer(link.url)
        else:
            self.viewer.turn_page(link.target_page)

    def tap(self, position: QPointF) -> bool:
        """A finger's tap at ``position`` (canvas pixels), in reading mode: the gestures take
        every touch then, so Qt makes no mouse click of it. Whether it was on a link."""
        link = self.at(position) if self.viewer.canvas.mode is InputMode.READ else None
        if link is not None:
            self.follow(link)
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
                self.follow(link)
                return True
        return False


def _inside(point: Point, link: PageLink | WebLink) -> bool:
    r = link.rect
    return r.x0 <= point.x <= r.x1 and r.y0 <= point.y <= r.y1
