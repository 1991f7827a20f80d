"""The connection status: always in view, never alarming.

Why calm: a councillor at home with no network can still read everything already received and
write notes that are sent later, so "offline" is a state to know, not an error to fix. The area
sits in the window's status bar, says in words what the colour dot says, and counts changes
still waiting to be sent so nobody wonders whether a note is lost.

It is fed by :class:`~furano_meet.sync.events.StatusChanged` only (the engine's
:class:`~furano_meet.sync.events.SyncStatus`); it never asks the network itself.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QLabel, QWidget

from furano_meet.sync.events import Connectivity, StatusChanged, SyncEvent, SyncStatus

from .session import Session

CONTEXT = "StatusArea"
WORDS = {
    Connectivity.ONLINE: QT_TRANSLATE_NOOP("StatusArea", "オンライン"),
    Connectivity.SYNCING: QT_TRANSLATE_NOOP("StatusArea", "同期中"),
    Connectivity.CONNECTING: QT_TRANSLATE_NOOP("StatusArea", "接続しています…"),
    Connectivity.OFFLINE: QT_TRANSLATE_NOOP("StatusArea", "オフライン — 保存済みの資料は読めます"),
    Connectivity.WIPED: QT_TRANSLATE_NOOP("StatusArea", "この端末のデータは消去されました"),
}
COLOURS = {
    Connectivity.ONLINE: "#0b6e3b",
    Connectivity.SYNCING: "#1a4fa0",
    Connectivity.CONNECTING: "#5f6368",
    Connectivity.OFFLINE: "#8a5a00",
    Connectivity.WIPED: "#5f6368",
}


def status_text(status: SyncStatus) -> str:
    """The words for ``status``: the state, and how many changes still wait to be sent."""
    words = QCoreApplication.translate(CONTEXT, str(WORDS[status.connectivity]))
    pending = status.pending_ops
    if not pending or status.connectivity is Connectivity.WIPED:
        return words
    if status.connectivity is Connectivity.OFFLINE:
        more = QCoreApplication.translate("StatusArea", "（未送信{n}件 — つながると送ります）")
        return words + more.format(n=pending)
    return QCoreApplication.translate("StatusArea", "同期中 {n}件").format(n=pending)


class StatusArea(QLabel):
    """A dot and a few words in the status bar; see the module docstring."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusArea")
        self.setAccessibleName(self.tr("接続の状態"))
        self.connectivity = Connectivity.OFFLINE
        self.show_status(session.engine.status)
        session.engine_event.connect(self._on_event)

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, StatusChanged):
            self.show_status(event.status)

    def show_status(self, status: SyncStatus) -> None:
        self.connectivity = status.connectivity
        self.setText(f"● {status_text(status)}")
        self.setStyleSheet(
            f"#statusArea {{ color: {COLOURS[status.connectivity]}; font-size: 14pt;"
            " padding: 2px 12px; }"
        )
