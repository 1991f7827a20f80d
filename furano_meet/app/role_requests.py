"""Requests for the presenter role, as rows the presenter can answer — never a modal box.

Why rows and not a dialog: a request arrives in the middle of a meeting, while the chair is
talking and turning pages; a box that takes the keyboard and covers the page would stop the
meeting. Each :class:`~furano_meet.sync.events.PresenterRequested` adds one calm row,
「委員 北野から発表の希望があります」 with a large 「許可」 (hand over the role) and 「あとで」 (put the
row away). A person asks once: asking again keeps their one row. A row goes away by itself when
that person becomes the presenter (granted here or by someone else).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class RequestRow(QFrame):
    """One person asking to present."""

    def __init__(self, user_id: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user_id = user_id
        self.setObjectName("roleRequest")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        self.text = QLabel(self.tr("{name}から発表の希望があります").format(name=name), self)
        self.text.setObjectName("roleRequestText")
        self.text.setWordWrap(True)
        self.grant = QPushButton(self.tr("許可"), self)
        self.grant.setAccessibleName(self.tr("{name}に発表を任せる").format(name=name))
        self.later = QPushButton(self.tr("あとで"), self)
        self.later.setObjectName("compact")
        buttons = QHBoxLayout()
        buttons.addWidget(self.grant, 1)
        buttons.addWidget(self.later)
        layout.addWidget(self.text)
        layout.addLayout(buttons)


class RoleRequests(QWidget):
    """The open requests, newest last; emits :attr:`grant_requested` with the user id."""

    grant_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(
            "#roleRequest { background: #fef7e0; border: 2px solid #f9ab00; border-radius: 8px; }"
            "#roleRequestText { font-size: 15pt; }"
        )
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.rows: dict[str, RequestRow] = {}
        self.hide()

    def add(self, user_id: str, name: str) -> None:
        if user_id in self.rows:
            return
        row = RequestRow(user_id, name, self)
        row.grant.clicked.connect(lambda: self.grant_requested.emit(user_id))
        row.later.clicked.connect(lambda: self.remove(user_id))
        self.rows[user_id] = row
        self._layout.addWidget(row)
        self.show()

    def remove(self, user_id: str) -> None:
        row = self.rows.pop(user_id, None)
        if row is not None:
            row.hide()
            row.deleteLater()
        self.setVisible(bool(self.rows))

    def presenter_is(self, user_id: str) -> None:
        """Whoever presents now has nothing left to ask for."""
        self.remove(user_id)

    def clear(self) -> None:
        for user_id in list(self.rows):
            self.remove(user_id)
