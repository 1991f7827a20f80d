"""The side column's four tabs (会議 / 資料 / この資料 / 検索): one row, or two where a row
does not fit — never scroll arrows.

Why not a ``QTabBar``: it has one row only. In English with large text, with the lists opened
beside the page at 1280 px (the room gives the column what the page leaves), the row needed
≈460 px in a ≈300 px bar, so a reader had to find the fourth tab behind scroll arrows. Here
each tab is a large checkable button (exactly one checked); the buttons stand in one row when
the width allows (:meth:`SideTabs.sizeHint` is that row, what :mod:`.room` plans with) and in a
2×2 grid otherwise (:meth:`SideTabs.minimumSizeHint`), each column as wide as its longest word.
The calls the column makes are the ``QTabBar`` ones it used (``addTab``, ``currentIndex``,
``tabText``, ``tabRect``, ``currentChanged``, ``tabBarClicked``).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QPushButton, QSizePolicy, QWidget

COLUMNS = 2
"""Tabs a row holds when they do not fit in one (four tabs: a 2×2 grid)."""
STYLE = """
#sideTab { font-size: 15pt; min-height: 52px; padding: 4px 4px; border-radius: 6px;
    border: 2px solid #dadce0; background: #eef0f2; }
#sideTab:checked { background: #d2e3fc; color: #202124; border: 2px solid #1a4fa0;
    border-bottom: 5px solid #1a4fa0; padding: 4px 4px 1px 4px; }
#sideTab:focus { border: 4px solid #1a4fa0; padding: 2px 2px; }
"""


class SideTabs(QWidget):
    """See the module docstring."""

    currentChanged = Signal(int)  # noqa: N815 - QTabBar's name, kept for its callers
    """The checked tab changed (by a tap or by :meth:`setCurrentIndex`)."""
    tabBarClicked = Signal(int)  # noqa: N815 - QTabBar's name, kept for its callers
    """The reader tapped a tab (not a programme's switch)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.buttons: list[QPushButton] = []
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.idClicked.connect(self._clicked)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(3)
        self.rows = 1
        """How many rows the tabs stand in now."""

    # -- QTabBar's calls -----------------------------------------------------------------------

    def addTab(self, title: str) -> int:  # noqa: N802 - QTabBar's name
        index = len(self.buttons)
        button = QPushButton(title, self)
        button.setObjectName("sideTab")
        button.setCheckable(True)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.group.addButton(button, index)
        self.buttons.append(button)
        if index == 0:
            button.setChecked(True)
        self._place(self.rows)
        return index

    def count(self) -> int:
        return len(self.buttons)

    def tabText(self, index: int) -> str:  # noqa: N802 - QTabBar's name
        return self.buttons[index].text()

    def tabRect(self, index: int) -> QRect:  # noqa: N802 - QTabBar's name
        return self.buttons[index].geometry()

    def currentIndex(self) -> int:  # noqa: N802 - QTabBar's name
        return max(self.group.checkedId(), 0)

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802 - QTabBar's name
        if index != self.currentIndex():
            self.buttons[index].setChecked(True)
            self.currentChanged.emit(index)

    def _clicked(self, index: int) -> None:
        self.tabBarClicked.emit(index)
        self.currentChanged.emit(index)

    # -- one row or two ------------------------------------------------------------------------

    def _row_width(self) -> int:
        spacing = self.grid.horizontalSpacing() * max(len(self.buttons) - 1, 0)
        return sum(b.sizeHint().width() for b in self.buttons) + spacing

    def _grid_width(self) -> int:
        columns = [self.buttons[c::COLUMNS] for c in range(COLUMNS)]
        widest = [max((b.sizeHint().width() for b in column), default=0) for column in columns]
        return sum(widest) + self.grid.horizontalSpacing() * (COLUMNS - 1)

    def _height(self, rows: int) -> int:
        tallest = max((b.sizeHint().height() for b in self.buttons), default=0)
        return rows * tallest + (rows - 1) * self.grid.verticalSpacing()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._row_width(), self._height(self.rows))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(min(self._row_width(), self._grid_width()), self._height(self.rows))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        rows = 1 if event.size().width() >= self._row_width() else 2
        if rows != self.rows:
            self._place(rows)

    def _place(self, rows: int) -> None:
        """Stand the tabs in one row or in rows of :data:`COLUMNS`."""
        self.rows = rows
        for button in self.buttons:
            self.grid.removeWidget(button)
        columns = len(self.buttons) if rows == 1 else COLUMNS
        for index, button in enumerate(self.buttons):
            self.grid.addWidget(button, index // columns, index % columns)
        for column in range(len(self.buttons)):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        self.updateGeometry()
