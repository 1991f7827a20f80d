"""The main window: meetings and the agenda pack on the left, the page on the right.

It only composes: the session owns the engine and the renderer, the lists and the viewer own
their presentation, and the :class:`.notice_bar.NoticeBar` shows what the one error presenter says. Large
targets and calm, high-contrast colours are set once here in :data:`STYLE`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from furano_meet.store import SearchHit
from furano_meet.sync.events import DocumentRefused, DocumentWithdrawn, SyncEvent

from .app_lock import AppLock
from .document_tabs import DocumentTabs
from .exporting import ExportBar
from .meetings import AgendaPack, MeetingList
from .notice_bar import FloatingNotice, NoticeBar
from .presenter_panel import PresenterPanel
from .room import Room
from .screen_fit import resize_within_screen
from .search_panel import SearchPanel
from .session import Session
from .side_column import Panel, SideColumn
from .status_area import StatusArea
from .viewer import Viewer

if TYPE_CHECKING:
    from .settings_screen import SettingsScreen

PUBLISHING_ROLES = frozenset({"clerk", "admin"})
"""Roles the relay lets publish and withdraw (``server/state.py``, ``PUBLISHERS``): they get
「資料の管理…」. A chair may not publish, so a chair's window has no desk."""

STYLE = """
QWidget { color: #202124; }
QMainWindow, #side { background: #f8f9fa; }
QPushButton {
    min-height: 52px; padding: 4px 16px; font-size: 15pt;
    border: 2px solid #5f6368; border-radius: 8px; background: #ffffff;
}
QPushButton:checked { background: #d0021b; color: #ffffff; border-color: #d0021b; }
QPushButton:disabled { color: #9aa0a6; border-color: #dadce0; }
#compact { padding: 4px 10px; }
#returnButton { background: #202124; color: #ffffff; border-color: #202124; min-width: 140px; }
QListWidget { font-size: 14pt; border: 1px solid #dadce0; border-radius: 8px; background: #fff; }
QListWidget::item { padding: 10px; border-bottom: 1px solid #e8eaed; }
QListWidget::item:selected { background: #d2e3fc; color: #202124; }
#heading { font-size: 13pt; font-weight: bold; color: #5f6368; }
#pageLabel { font-size: 16pt; min-width: 96px; qproperty-alignment: AlignCenter; }
QTabBar::tab { font-size: 14pt; min-height: 40px; padding: 4px 14px; }
QSlider::groove:horizontal { height: 10px; background: #dadce0; border-radius: 5px; }
QSlider::handle:horizontal { width: 36px; margin: -14px 0; border-radius: 18px;
    background: #1a4fa0; }
#noticeBar { background: #fef7e0; border: 2px solid #f9ab00; border-radius: 8px; }
#noticeText { font-size: 15pt; }
/* a focus ring 2 px thicker takes 2 px of padding, never of the words */
QPushButton:focus { border: 4px solid #1a4fa0; padding: 2px 14px; }
#compact:focus { padding: 2px 8px; }
QLineEdit:focus, QListWidget:focus { border: 3px solid #1a4fa0; }
"""


class MainWindow(QMainWindow):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.setWindowTitle(self.tr("Furano Meet — {name}").format(name=session.display_name))
        self.setStyleSheet(STYLE)
        self.meetings = MeetingList(session)
        self.agenda = AgendaPack(session)
        self.viewer = Viewer(session)
        self.notice = NoticeBar()
        # -- search, export, status (search_panel.py, exporting.py, status_area.py) --
        self.search = SearchPanel(session, self.viewer)
        self.export = ExportBar(session, self.viewer)
        self.status = StatusArea(session)
        # --
        # -- the open document's outline, thumbnails, notes to review (document_tabs.py) --
        self.contents = DocumentTabs(session, self.viewer)
        # --
        # -- one panel at a time beside the page, or folded behind ≡ (side_column.py) --
        self.side = self._side_column()
        # -- end side column --
        main = QWidget()
        right = QVBoxLayout(main)
        right.setContentsMargins(0, 0, 0, 0)
        # -- presenting: who follows / browses / is offline, role requests (presenter_panel.py) --
        self.presenter_panel = PresenterPanel(session, self.viewer)
        page_row = QHBoxLayout()
        page_row.addWidget(self.viewer, 1)
        page_row.addWidget(self.presenter_panel)
        right.addLayout(page_row, 1)
        # -- end presenting --
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.side)
        row.addWidget(main, 1)
        self.floating_notice = FloatingNotice(self.notice, main, self.viewer.page_area)
        self.setCentralWidget(central)
        # -- the room: the panel, then the side column fold where the window is narrow (room.py)
        self.room = Room(central, self.side, self.viewer, self.presenter_panel)
        # -- end room --
        self.statusBar().addWidget(self.status, 1)

        # -- the administrator's screen (admin_screen.py), for an admin profile only --
        self.admin_screen: QWidget | None = None
        if session.engine.account.role == "admin":
            admin = QPushButton(self.tr("端末の承認…"))
            admin.setObjectName("compact")
            admin.clicked.connect(self.open_admin_screen)
            self.statusBar().addWidget(admin)
        # -- end administrator's screen --

        # -- the clerk's desk (clerk_desk.py), for profiles the relay lets publish --
        self.clerk_desk: QWidget | None = None
        if session.engine.account.role in PUBLISHING_ROLES:
            desk = QPushButton(self.tr("資料の管理…"))
            desk.setObjectName("compact")
            desk.setAccessibleName(self.tr("資料の管理（配布・差し替え・取り下げ）"))
            desk.clicked.connect(self.open_clerk_desk)
            self.statusBar().addWidget(desk)
        # -- end clerk's desk --

        self._add_settings()  # settings and the app lock (settings_screen.py)

        self.meetings.meeting_chosen.connect(self.choose_meeting)
        self.agenda.document_chosen.connect(self.viewer.open_document)
        self.viewer.document_shown.connect(self.agenda.show_current)
        self.search.hit_chosen.connect(self.open_hit)
        session.errors.shown.connect(self.notice.show_notice)
        session.engine_event.connect(self._on_event)

    def choose_meeting(self, meeting_id: str) -> None:
        self.meetings.chosen = meeting_id
        self.meetings.reload()
        self.agenda.set_meeting(meeting_id)
        self.contents.set_meeting(meeting_id)  # document_tabs.py
        self.viewer.set_meeting(meeting_id)
        self.search.set_meeting(meeting_id)
        self.presenter_panel.set_meeting(meeting_id)  # presenting (presenter_panel.py)
        self.side.meeting_chosen()  # the reader's reading layout (side_column.py)

    def _side_column(self) -> SideColumn:
        """会議 / 資料 / この資料 / 検索, one at a time; lists with news come forward."""
        this_document = QWidget()
        document_column = QVBoxLayout(this_document)
        document_column.setContentsMargins(0, 0, 0, 0)
        document_column.addWidget(self.contents, 1)
        document_column.addWidget(self.export)
        side = SideColumn(
            self.session,
            [
                Panel("meetings", self.tr("会議"), self.meetings),
                Panel("agenda", self.tr("資料"), self.agenda),
                Panel("document", self.tr("この資料"), this_document),  # its key stays (saved)
                Panel("search", self.tr("検索"), self.search),
            ],
        )
        self.contents.currentChanged.connect(lambda _i: side.show_widget(self.contents))
        self.search.results_shown.connect(lambda _n: side.show_widget(self.search))
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.open_search)
        return side

    def open_search(self) -> None:
        """Ctrl+F: the 検索 panel, its field ready for the words."""
        self.side.show_panel("search")
        self.search.field.setFocus()
        self.search.field.selectAll()

    def open_hit(self, hit: SearchHit) -> None:
        """A search hit was tapped: its meeting, its document, its page."""
        if hit.meeting_id != self.viewer.meeting_id:
            self.choose_meeting(hit.meeting_id)
        self.viewer.open_document(hit.doc_id, hit.version, hit.page_no)

    def open_admin_screen(self) -> QWidget:
        """Devices waiting for a certificate, in a window of their own beside the meeting."""
        from .admin_screen import AdminScreen  # noqa: PLC0415 - only admins ever load it

        if self.admin_screen is None:
            self.admin_screen = AdminScreen(self.session)
            resize_within_screen(self.admin_screen, 900, 700)
        self.admin_screen.show()
        self.admin_screen.raise_()
        return self.admin_screen

    def open_clerk_desk(self) -> QWidget:
        """The clerk's desk for the meeting chosen here, in a window of its own (clerk_desk.py)."""
        from .clerk_desk import ClerkDesk  # noqa: PLC0415 - only publishers ever load it

        if self.clerk_desk is None:
            self.clerk_desk = ClerkDesk(self.session, self.meetings.chosen)  # sized to fit 1280×800
        self.clerk_desk.show()
        self.clerk_desk.raise_()
        return self.clerk_desk

    # -- settings and the app lock (settings_screen.py, app_lock.py) --

    def _add_settings(self) -> None:
        self.settings_screen: SettingsScreen | None = None
        self.successor: MainWindow | None = None
        """The window :func:`.settings_screen.rebuild` made in a new language."""
        self.lock = AppLock(self, self.session)
        settings = QPushButton(self.tr("設定"))
        settings.setObjectName("compact")
        settings.setAccessibleName(self.tr("設定（言語・文字の大きさ・画面のロック）"))
        settings.clicked.connect(self.open_settings)
        self.statusBar().addPermanentWidget(settings)
        self.lock.locked_changed.connect(self._lock_changed)
        self.lock.start()

    def _lock_changed(self, locked: bool) -> None:
        """Locking also closes the screens beside the window (設定 could change the PIN)."""
        if locked:
            self._close_screens()

    def _close_screens(self) -> None:
        for screen in (self.admin_screen, self.settings_screen, self.clerk_desk):
            if screen is not None:
                screen.close()

    def open_settings(self) -> SettingsScreen:
        """設定 beside the meeting (language, text size, contrast, lock, recovery code)."""
        from .settings_screen import SettingsScreen  # noqa: PLC0415 - it imports this module

        if self.settings_screen is None:
            self.settings_screen = SettingsScreen(self)
            resize_within_screen(self.settings_screen, 760, 860)
        self.settings_screen.show()
        self.settings_screen.raise_()
        return self.settings_screen

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self._close_screens()  # the administrator's screen and 設定 (settings: marked edit)
        super().closeEvent(event)

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, DocumentRefused):
            self.session.errors.document_refused(event.code)
        # -- withdrawn while open (app tests): say so; the open pages stay readable --
        shown = self.viewer.document
        if (
            isinstance(event, DocumentWithdrawn)
            and shown is not None
            and (event.meeting_id, event.document_id) == (self.viewer.meeting_id, shown.doc_id)
        ):
            self.session.errors.present_code("document_withdrawn")
        # --
