"""The side column: one panel at a time under large tabs, or folded away behind 「≡」.

Why tabs rather than everything stacked: at 1280×860 the meeting list, the agenda, the
document's 目次/ページ/確認 and the search all on one column left each a few rows — one meeting,
two agenda items. A councillor reads one of them at a time, so each gets the whole height:
**会議** (the meeting list), **資料** (the agenda pack in the clerk's order), **この資料** (the
open document's 目次 / ページ / 確認 and 書き込み入りで保存 — not 「目次」, which is the first tab
inside it), **検索** — short words, so the column stays narrow enough beside the chair's tools
and the presenter panel at 1280 px. The large 「≡」 button folds the column to a narrow strip so
the page takes the whole window.

*What is remembered*: the reader's reading layout — the tab they last chose among 資料,
この資料 and 検索 (by the panel's key, which never changes with its title: a profile saved while
この資料 was called 目次 keeps its choice), and whether the column was folded — in the encrypted store's app
settings (:data:`SETTING`; nothing here is secret, but the store is where a profile's settings
live and the preferences file belongs to 設定). It is applied when a meeting is chosen from the
list: the app starts on 会議 (nothing to read before a meeting is chosen), then turns to the
reader's layout. Reads and writes go through ``session.ops`` (the engine's store hop).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .session import Session
from .setting_writer import SettingWriter
from .side_tabs import SideTabs

SETTING = "app:side_column"
"""The app setting holding the reading layout as JSON: ``{"open": bool, "tab": key}``."""
OPEN_WIDTH = 420
"""The column's width when open, at the normal text size (wider if its tabs need more)."""
STYLE = """
#sideToggle { min-width: 52px; padding: 4px 8px; font-size: 18pt; }
#sideToggle:focus { padding: 4px 6px; }
"""


@dataclass(frozen=True, slots=True)
class Panel:
    """One tab: a stable ``key`` (what is remembered), its title and its widget."""

    key: str
    title: str
    widget: QWidget


class SideColumn(QWidget):
    """See the module docstring. ``panels`` are shown in order; the first is the meeting list."""

    layout_changed = Signal()
    """The shown panel or the folding changed (by the reader or by :meth:`show_panel`)."""
    opened_by_reader = Signal()
    """The reader opened the column (「≡」, a panel brought forward): the room makes space."""

    def __init__(
        self, session: Session, panels: list[Panel], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("side")
        self.setStyleSheet(STYLE)
        self.session, self.panels = session, panels
        self._writer = SettingWriter(session, SETTING)
        self.reading_tab = panels[1].key
        """The panel a chosen meeting opens on (the reader's last choice beyond 会議)."""
        self.fold_when_reading = False
        self.reading = False
        """A meeting is chosen (the reading layout applies)."""
        self.restored = False
        """The remembered layout has been read (tests wait for it)."""
        self.is_open = True
        """The reader's choice (remembered); :attr:`room_folded` may fold it for the room."""
        self.room_folded = False
        """Folded by :mod:`.room` because the window is too narrow for it beside the page."""
        self.toggle = QPushButton(self)
        self.toggle.setObjectName("sideToggle")
        self.toggle.clicked.connect(self._toggled)
        # One row of tabs, or two where even the room could not make space for a row (English,
        # large text, the column opened by the reader beside the page): never scroll arrows.
        self.tabs = SideTabs(self)
        self.tabs.setObjectName("sideTabs")
        self.tabs.setAccessibleName(self.tr("一覧の切り替え"))
        self.stack = QStackedWidget(self)
        for panel in panels:
            self.tabs.addTab(panel.title)
            self.stack.addWidget(panel.widget)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tabs.tabBarClicked.connect(self._reader_chose)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.tabs, 1)
        top.addStretch(0)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 6, 2, 6)
        column.addLayout(top)
        column.addWidget(self.stack, 1)
        column.addStretch(0)  # folded: the 「≡」 stays at the top, not in the middle
        self._show_open()
        session.ops.run(session.engine.app_setting(SETTING), on_done=self._restore)

    # -- intents -------------------------------------------------------------------------------

    @property
    def current(self) -> str:
        return self.panels[self.tabs.currentIndex()].key

    def show_panel(self, key: str) -> None:
        """Bring the panel ``key`` to the front (opening the column if it was folded)."""
        self.tabs.setCurrentIndex(next(i for i, p in enumerate(self.panels) if p.key == key))
        if not self.shown_open:
            self._toggled()

    def show_widget(self, widget: QWidget) -> None:
        """Bring forward the panel that holds ``widget`` (a list that has news to show)."""
        for index in range(self.stack.count()):
            page = self.stack.widget(index)
            if page is not None and (page is widget or page.isAncestorOf(widget)):
                self.show_panel(self.panels[index].key)
                return

    def set_open(self, is_open: bool) -> None:
        """Fold the column to the 「≡」 strip, or open it again; remembered."""
        self.is_open = is_open
        self._show_open()
        self.fold_when_reading = not is_open
        self._save()

    def meeting_chosen(self) -> None:
        """The reader chose a meeting in the list: turn to their reading layout."""
        self.reading = True
        if self.current == self.panels[0].key:
            self.tabs.setCurrentIndex(
                next(i for i, p in enumerate(self.panels) if p.key == self.reading_tab)
            )
        if self.fold_when_reading and self.is_open:
            self.is_open = False
            self._show_open()

    def _toggled(self) -> None:
        """The reader's 「≡」: fold, or open — even where the room had folded it."""
        if self.shown_open:
            self.set_open(False)
            return
        self.room_folded = False
        self.set_open(True)
        self.opened_by_reader.emit()

    def set_room_folded(self, folded: bool) -> None:
        """Fold (or give back) the column for the room's sake; the reader's choice stays."""
        if folded != self.room_folded:
            self.room_folded = folded
            self._show_open()

    # -- showing -------------------------------------------------------------------------------

    @property
    def shown_open(self) -> bool:
        return self.is_open and not self.room_folded

    def folded_width(self) -> int:
        return self.toggle.sizeHint().width() + 8

    def open_width(self) -> int:
        """The narrowest the open column can be: its toggle and tabs, every word whole."""
        return self.toggle.sizeHint().width() + self.tabs.sizeHint().width() + 14

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        if not self.shown_open:
            return QSize(self.folded_width(), 400)
        return QSize(max(OPEN_WIDTH, self.open_width()), 400)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The folded strip: whether the open column fits is the room's to say (room.py), so
        a narrow window folds it rather than squeezing the page's words."""
        return QSize(self.folded_width(), 200)

    def _show_open(self) -> None:
        shown = self.shown_open
        self.tabs.setVisible(shown)
        self.stack.setVisible(shown)
        self.toggle.setText(self.tr("≡") if shown else self.tr("≡\n一覧"))
        self.toggle.setAccessibleName(
            self.tr("一覧を閉じてページを広く表示する")
            if shown
            else self.tr("一覧（会議・資料・この資料・検索）を開く")
        )
        self.toggle.setToolTip(self.toggle.accessibleName())
        self.updateGeometry()
        self.layout_changed.emit()

    def _tab_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.layout_changed.emit()

    def _reader_chose(self, index: int) -> None:
        """A tap on a tab (not a programme's switch) is the reader's choice: remember it."""
        if 0 < index < len(self.panels):
            self.reading_tab = self.panels[index].key
            self._save()

    # -- remembering ---------------------------------------------------------------------------

    def _restore(self, saved: str | None) -> None:
        try:
            data = json.loads(saved) if saved else {}
        except ValueError:
            data = {}  # an unreadable layout is only a comfort lost
        if not isinstance(data, dict):
            data = {}
        keys = [p.key for p in self.panels[1:]]
        if data.get("tab") in keys:
            self.reading_tab = data["tab"]
        self.fold_when_reading = data.get("open") is False
        self.restored = True
        if self.reading:  # a meeting was chosen before the layout was read
            self.meeting_chosen()

    def _save(self) -> None:
        value = json.dumps({"open": not self.fold_when_reading, "tab": self.reading_tab})
        self._writer.write(value)  # latest last (setting_writer.py)
