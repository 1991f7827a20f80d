"""What folds when the window is narrow: the presenter panel, then the side column — never words.

At 1280 px the chair's window holds the side column, the page with its tools and the presenter
panel only just, in Japanese with normal text; in English or with large text it did not, and
Qt's layouts then squeezed buttons below their words ("Zoom −" cut to "Zoom") or the window
asked 1426 px. Now the side column and the panel can be as narrow as their folded strips
(「≡ 一覧」, 「◂ 参加者」), and :class:`Room` decides, whenever the window's width or its
contents change, which of them show open: the first arrangement that fits beside the page's
own minimum (its bars wrap or keep every word whole), in this order —

1. both open (as the reader left them);
2. the one the reader opened last open, the other folded (the side column folds first by
   default: the panel is the chair's and the clerks' tool for the meeting in progress, and
   the lists are one tap on 「≡」 away — which then folds the panel);
3. both folded.

A fold made here is the room's, not the reader's: the reader's choice (the remembered side
column, the panel's 「▸」) is kept and comes back when the window is wide enough again, and a
tap on a folded strip opens it at once, folding the other one if that makes it fit. A 付箋
being written beside the page is the reader's newest act: what was opened before gives way.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QStyle, QWidget

from .presenter_panel import PANEL_WIDTH, PresenterPanel
from .side_column import SideColumn
from .viewer import Viewer


class Room(QObject):
    """See the module docstring. Watches ``central`` (the window's central widget)."""

    def __init__(
        self, central: QWidget, side: SideColumn, viewer: Viewer, panel: PresenterPanel
    ) -> None:
        super().__init__(central)
        self.central, self.side, self.viewer, self.panel = central, side, viewer, panel
        self.prefer = "panel"
        """Which of the two stays open when only one fits: the one the reader opened last."""
        self.insist = ""
        """What the reader opened where even it alone does not fit: it opens (squeezed)."""
        self._arranging = False
        self._insisted = ""
        """What the reader had opened before a 付箋 beside the page took the width."""
        central.installEventFilter(self)
        side.opened_by_reader.connect(lambda: self._opened("side"))
        panel.opened_by_reader.connect(lambda: self._opened("panel"))
        viewer.note_panel.shown.connect(self._writing)

    def _writing(self, shown: bool) -> None:
        """A 付箋 being written is the reader's newest act: beside the page its panel needs the
        width (``Viewer._place_note_panel``), so a column the reader opened earlier folds for it
        now rather than staying squeezed — and opens again when the panel closes."""
        if shown and self.viewer.note_panel.beside:
            self._insisted, self.insist = self.insist, ""
        elif not shown and self._insisted:
            self.insist, self._insisted = self._insisted, ""
        self.arrange()  # with the page's wish (``Viewer.page_wish``) made or gone

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self.arrange()
        return False

    def _opened(self, which: str) -> None:
        self.prefer = self.insist = which
        self.arrange()

    def arrange(self) -> None:
        """Fold what does not fit (see the module docstring); idempotent, cheap."""
        if self._arranging:
            return
        self._arranging = True
        try:
            side_open, panel_open = self.choose(self.central.width())
            self.side.set_room_folded(self.side.is_open and not side_open)
            self.panel.set_room_folded(not self.panel.user_folded and not panel_open)
        finally:
            self._arranging = False

    def choose(self, width: int) -> tuple[bool, bool]:
        """(side column open, panel open) for a central area ``width`` px wide."""
        want_side = self.side.is_open
        has_panel = not self.panel.isHidden()
        want_panel = has_panel and not self.panel.user_folded
        spacing = self.central.style().pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing)
        page = self.viewer.minimumSizeHint().width() + self.viewer.page_wish
        page += 2 * max(spacing, 6) + 4

        def needed(side: bool, panel: bool) -> int:
            side_width = self.side.open_width() if side else self.side.folded_width()
            panel_width = 0
            if has_panel:
                panel_width = PANEL_WIDTH if panel else self.panel.folded_width()
            return side_width + page + panel_width

        one_side = [(want_side, False), (False, want_panel)]
        if self.prefer == "panel":
            one_side.reverse()
        choices = [(want_side, want_panel), *one_side, (False, False)]
        if self.insist == "side":  # opened by the reader: it stays open, even squeezed
            choices = [c for c in choices if c[0] == want_side] + [(want_side, False)]
        elif self.insist == "panel":
            choices = [c for c in choices if c[1] == want_panel] + [(False, want_panel)]
        return next((c for c in choices if needed(*c) <= width), choices[-1])
