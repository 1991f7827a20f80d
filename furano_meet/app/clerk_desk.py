"""The clerk's desk (資料の管理): publish, replace and withdraw a meeting's documents, set the
export rule and the committee (会議体), and see who has each document.

Opened from the status bar's 「資料の管理…」 on a profile whose role may publish (the relay's
publishers: the clerk's office, and the administrator), in a window of its own beside the
meeting, like the administrator's screen. The chooser names each meeting as the meeting list does
(:func:`~.meetings.meeting_lines`: date, 会議体, session). Left, the pack in agenda order with
the meeting's settings summed up in two short lines under it (「会議の設定…」); right, one thing at a
time: the chosen document (差し替える…, 取り下げる…, who has it), the publishing form
(:mod:`.clerk_publish`) or the meeting's settings (:class:`~.clerk_rules.MeetingSettings`: the
export rule and the 会議体). Why the settings moved right: beside the pack they left it two rows
at 1280×800, and the demo's three documents under their items scrolled.

What the pack lists is the relay's published documents as the core verified them
(``engine.delivery``, :class:`~.clerk_delivery.DeliveryFeed`): one report gives the pack and
who holds each document (the relay's receipts, which no store holds). Every action is one op:
publishing and the PDF check (:mod:`.clerk_publish`), ``withdraw_document`` after a confirmation
that names the document, ``set_export_allowed``, ``set_committee``; failures go to the one error
presenter, and the desk's banner shows them. A PDF dropped anywhere on the desk goes to the publishing form.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from furano_meet.sync.delivery import DeliveryReport, DocumentDelivery

from .clerk_delivery import REFRESH_MS, DeliveryFeed, DeliveryPanel
from .clerk_publish import MAX_FILE_BYTES, PublishForm, Target
from .clerk_rules import MeetingSettings
from .labels import answers, label
from .meetings import add_heading, meeting_lines
from .notice_bar import NoticeBar
from .screen_fit import resize_within_screen
from .session import Session
from .whole_rows import kept_whole, wrap_whole
from .window import STYLE

DESK_STYLE = """
#title { font-size: 20pt; font-weight: bold; }
#section { font-size: 16pt; font-weight: bold; }
#explain, #fileLine, #field, #hint { font-size: 14pt; color: #3c4043; }
#docTitle { font-size: 18pt; font-weight: bold; }
#warning { font-size: 14pt; color: #5c3b00; background: #fef7e0;
    border: 2px solid #f9ab00; border-radius: 8px; padding: 8px; }
#deskPanel { background: #ffffff; border: 2px solid #dadce0; border-radius: 10px; }
#primary { background: #1a4fa0; color: #ffffff; border-color: #1a4fa0; }
#primary:disabled { background: #e8eaed; color: #9aa0a6; border-color: #dadce0; }
QLineEdit, QComboBox, QSpinBox { font-size: 15pt; min-height: 44px; padding: 2px 8px;
    border: 2px solid #5f6368; border-radius: 8px; background: #fff; }
QSpinBox::up-button, QSpinBox::down-button { width: 36px; }
QComboBox:focus, QSpinBox:focus { border: 3px solid #1a4fa0; }
QCheckBox { font-size: 15pt; spacing: 12px; min-height: 44px; }
QCheckBox::indicator { width: 30px; height: 30px; }
QCheckBox:focus { border: 3px solid #1a4fa0; border-radius: 6px; }
QProgressBar { font-size: 13pt; min-height: 30px; border: 2px solid #5f6368;
    border-radius: 8px; text-align: center; }
QProgressBar::chunk { background: #1a4fa0; border-radius: 6px; }
"""

DOCUMENT_ROLE = Qt.ItemDataRole.UserRole
"""A pack row's document id (headings carry none)."""
SIZE = QSize(1240, 740)
"""The desk's window at first: within a 1280×800 tablet's screen, its title bar included."""


class WithdrawConfirm(QDialog):
    """「取り下げますか？」 naming the document; 「やめる」 is the default (the safe answer)."""

    def __init__(self, doc: DocumentDelivery, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("資料の取り下げ"))
        self.setStyleSheet(STYLE + DESK_STYLE)
        question = label(
            self.tr("「{title}」（第{v}版）を取り下げますか？").format(
                title=doc.title, v=doc.version
            ),
            "section",
        )
        explain = label(
            self.tr(
                "委員の端末の一覧で「取り下げ」と表示され、新しく開くことはできなくなります。"
                "いま開いている方は、表示中のページをそのまま読めます。"
                "取り下げは元に戻せません。必要になったら、あらためて配布してください。"
            ),
            "explain",
        )
        self.withdraw, self.keep, buttons = answers(self, self.tr("取り下げる"), self.tr("やめる"))
        column = QVBoxLayout(self)
        column.addWidget(question)
        column.addWidget(explain)
        column.addLayout(buttons)
        self.resize(620, 300)


class DocumentPage(QFrame):
    """One document of the pack: its title and version, 差し替える… / 取り下げる…, who has it."""

    replace = Signal()
    withdraw = Signal()

    def __init__(self, feed: DeliveryFeed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskPanel")
        self.title = label("", "docTitle")
        self.detail = label("", "explain")
        self.replace_button = QPushButton(self.tr("差し替える…"), self)
        self.replace_button.setAccessibleName(self.tr("新しい版に差し替える"))
        self.replace_button.clicked.connect(self.replace.emit)
        self.withdraw_button = QPushButton(self.tr("取り下げる…"), self)
        self.withdraw_button.setAccessibleName(self.tr("この資料を取り下げる"))
        self.withdraw_button.clicked.connect(self.withdraw.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.replace_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        self.delivery = DeliveryPanel(feed, self)
        column = QVBoxLayout(self)
        column.addWidget(self.title)
        column.addWidget(self.detail)
        column.addLayout(buttons)
        column.addWidget(self.delivery, 1)

    def show_document(self, doc: DocumentDelivery) -> None:
        self.title.setText(kept_whole(doc.title))  # a wrapped title keeps （第3号） whole
        self.title.setAccessibleName(doc.title)
        item = doc.agenda_item or self.tr("（議事の指定なし）")
        self.detail.setText(self.tr("{item}　第{v}版").format(item=item, v=doc.version))
        self.delivery.show_document(doc.document_id)


class ClerkDesk(QWidget):
    """See the module docstring."""

    def __init__(
        self,
        session: Session,
        meeting_id: str = "",
        *,
        max_bytes: int = MAX_FILE_BYTES,
        refresh_ms: int = REFRESH_MS,
    ) -> None:
        super().__init__()
        self.session = session
        self.meeting_id = meeting_id
        self.chosen = ""
        """The document shown on the right (its id), kept across reports."""
        self.confirm: WithdrawConfirm | None = None
        self.setWindowTitle(self.tr("資料の管理 — Furano Meet"))
        self.setStyleSheet(STYLE + DESK_STYLE)
        self.setAcceptDrops(True)
        self.feed = DeliveryFeed(session, refresh_ms=refresh_ms)
        self.feed.arrived.connect(self._show_pack)
        self.feed.failed.connect(self._pack_unknown)
        self.notice = NoticeBar(self)
        session.errors.shown.connect(self.notice.show_notice)
        self.meetings = QComboBox(self)
        self.meetings.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.meetings.setMinimumContentsLength(16)  # never wider than the window for a long name
        self.meetings.setAccessibleName(self.tr("会議"))
        self.meetings.view().setAccessibleName(self.tr("会議の一覧"))
        self.meetings.activated.connect(self._meeting_chosen)
        header = QHBoxLayout()
        header.addWidget(label(self.tr("資料の管理"), "title"))
        header.addWidget(self.meetings, 1)
        self.form = PublishForm(session, max_bytes=max_bytes)
        self.form.published.connect(self._published)
        self.form.closed.connect(self._show_chosen)
        self.form.checking.connect(lambda _name: self.notice.hide())
        self.page = DocumentPage(self.feed)
        self.page.replace.connect(self.start_replace)
        self.page.withdraw.connect(self.ask_withdraw)
        self.empty = label(
            self.tr("左の一覧で資料を選ぶと、差し替え・取り下げ・受け取りの状況が表示されます。"),
            "explain",
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.settings = MeetingSettings(session)
        self.export, self.committee = self.settings.export, self.settings.committee
        self.settings.shown.connect(self._settings_shown)
        self.right = QStackedWidget(self)
        for widget in (self.empty, self.page, self.form, self.settings):
            self.right.addWidget(widget)
        body = QHBoxLayout()
        body.addLayout(self._left(), 5)
        body.addWidget(self.right, 6)
        column = QVBoxLayout(self)
        column.addWidget(self.notice)
        column.addLayout(header)
        column.addLayout(body, 1)
        resize_within_screen(self, SIZE.width(), SIZE.height())

    def _left(self) -> QVBoxLayout:
        self.add = QPushButton(self.tr("＋ 新しい資料を配布する…"), self)
        self.add.setObjectName("primary")
        self.add.clicked.connect(self.start_new)
        self.pack = QListWidget(self)
        self.pack.setAccessibleName(self.tr("配布した資料（議事の順）"))
        wrap_whole(self.pack)
        self.pack.itemClicked.connect(self._document_chosen)
        self.pack.currentItemChanged.connect(lambda item, _old: self._document_chosen(item))
        self.pack_state = label("", "hint")
        self.summary = label("", "hint")
        self.open_settings = QPushButton(self.tr("会議の設定…"), self)
        self.open_settings.setAccessibleName(self.tr("会議の設定（保存・会議体）を開く"))
        self.open_settings.clicked.connect(self.show_settings)
        rules = QHBoxLayout()
        rules.addWidget(self.summary, 1)
        rules.addWidget(self.open_settings)
        left = QVBoxLayout()
        left.addWidget(self.add)
        left.addWidget(label(self.tr("PDFをこの画面にドラッグしても配布できます。"), "hint"))
        left.addWidget(label(self.tr("配布した資料（議事の順）"), "section"))
        left.addWidget(self.pack_state)
        left.addWidget(self.pack, 1)
        left.addLayout(rules)
        return left

    # -- the meeting -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.session.ops.run(self._named_meetings(), on_done=self._list_meetings)
        self.feed.timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.feed.timer.stop()
        super().closeEvent(event)

    async def _named_meetings(self) -> list[tuple[str, str]]:
        """(id, name) of every meeting, named as the meeting list names them."""
        engine = self.session.engine
        meetings = await engine.meetings()
        signed = await asyncio.gather(*(engine.committee(mt.meeting_id) for mt in meetings))
        named = zip(meetings, signed, strict=True)
        return [(mt.meeting_id, "\u3000".join(meeting_lines(mt, name))) for mt, name in named]

    def _list_meetings(self, named: list[tuple[str, str]]) -> None:
        ids = [meeting_id for meeting_id, _ in named]
        if self.meeting_id not in ids and ids:
            self.meeting_id = ids[0]
        self._name_meetings(named)
        if self.meeting_id:
            self.set_meeting(self.meeting_id)

    def _name_meetings(self, named: list[tuple[str, str]]) -> None:
        """Fill the chooser (again: a committee changed), the chosen meeting kept."""
        self.meetings.clear()
        for meeting_id, name in named:
            self.meetings.addItem(name, meeting_id)
        ids = [meeting_id for meeting_id, _ in named]
        if self.meeting_id in ids:
            self.meetings.setCurrentIndex(ids.index(self.meeting_id))

    def _settings_shown(self) -> None:
        """The rule or the committee as the core answered: the summary line, and the chooser's
        names (the 会議体 is part of them)."""
        self.summary.setText(self.settings.summary())
        if self.meetings.count():
            self.session.ops.run(self._named_meetings(), on_done=self._name_meetings)

    def _meeting_chosen(self, index: int) -> None:
        self.set_meeting(str(self.meetings.itemData(index)))

    def set_meeting(self, meeting_id: str) -> None:
        if meeting_id != self.meeting_id:
            self.chosen = ""
            self.right.setCurrentWidget(self.empty)
        self.meeting_id = meeting_id
        self.pack.clear()
        self.pack_state.setText(self.tr("サーバーに確かめています…"))
        self.pack_state.show()
        self.feed.set_meeting(meeting_id)
        self.settings.set_meeting(meeting_id)

    def show_settings(self) -> MeetingSettings:
        """「会議の設定…」: the export rule and the 会議体 on the right."""
        self.right.setCurrentWidget(self.settings)
        self.pack.clearSelection()
        self.chosen = ""
        return self.settings

    # -- the pack ----------------------------------------------------------------------------

    def _show_pack(self, report: DeliveryReport) -> None:
        self.pack.blockSignals(True)  # rebuilding the rows is not the clerk choosing one
        self.pack.clear()
        item_title: str | None = None
        for doc in report.documents:  # in agenda order (the core's, from signed manifests)
            if doc.agenda_item and doc.agenda_item != item_title:
                item_title = doc.agenda_item
                add_heading(self.pack, item_title)
            members = self.page.delivery.others(doc)
            have = sum(m.has_latest for m in members)
            row = QListWidgetItem(
                self.tr("{title}\n第{v}版　受け取り {k}/{n}人").format(
                    title=doc.title, v=doc.version, k=have, n=len(members)
                )
            )
            row.setData(DOCUMENT_ROLE, doc.document_id)
            self.pack.addItem(row)
            if doc.document_id == self.chosen:
                self.pack.setCurrentItem(row)
        self.pack.blockSignals(False)
        self.pack_state.setText(self.tr("まだ配布した資料はありません。"))
        self.pack_state.setVisible(not report.documents)  # no empty gap above the rows
        if self.right.currentWidget() is self.page:
            self._show_chosen()

    def _pack_unknown(self) -> None:
        if self.feed.report is None:
            self.pack_state.setText(self.tr("サーバーにつながると、配布した資料が表示されます。"))

    def document(self, document_id: str) -> DocumentDelivery | None:
        report = self.feed.report
        found = (d for d in report.documents if d.document_id == document_id) if report else ()
        return next(iter(found), None)

    def _document_chosen(self, item: QListWidgetItem | None) -> None:
        document_id = item.data(DOCUMENT_ROLE) if item is not None else None
        if document_id and self.right.currentWidget() is not self.form:
            self.chosen = document_id
            self._show_chosen()

    def _show_chosen(self) -> None:
        """The chosen document on the right, or the hint when there is none (any more)."""
        doc = self.document(self.chosen)
        if doc is None:
            self.right.setCurrentWidget(self.empty)
            return
        self.page.show_document(doc)
        self.right.setCurrentWidget(self.page)

    # -- publish, replace, withdraw ----------------------------------------------------------

    def _target(self, replaces: DocumentDelivery | None) -> Target:
        docs = self.feed.report.documents if self.feed.report else ()
        items = dict.fromkeys(d.agenda_item for d in docs if d.agenda_item)
        places = [d.agenda_position for d in docs if d.agenda_position is not None]
        return Target(self.meeting_id, replaces, tuple(items), max(places, default=0) + 1)

    def start_new(self) -> PublishForm:
        """The publishing form for a new document (then 「PDFファイルを選ぶ…」 or a drop)."""
        self.form.start(self._target(None))
        self.right.setCurrentWidget(self.form)
        self.form.choose.setFocus()
        return self.form

    def start_replace(self) -> PublishForm:
        """The publishing form for the next version of the chosen document (差し替え)."""
        self.form.start(self._target(self.document(self.chosen)))
        self.right.setCurrentWidget(self.form)
        self.form.choose.setFocus()
        return self.form

    def _published(self, document_id: str, _version: int) -> None:
        self.chosen = document_id
        self.feed.refresh()

    def ask_withdraw(self) -> WithdrawConfirm | None:
        """The confirmation naming the document; withdrawn only on 「取り下げる」."""
        doc = self.document(self.chosen)
        if doc is None:
            return None
        self.confirm = WithdrawConfirm(doc, self)
        self.confirm.accepted.connect(lambda: self._withdraw(doc))
        self.confirm.open()  # window-modal, not exec(): the meeting window stays live
        return self.confirm

    def _withdraw(self, doc: DocumentDelivery) -> None:
        self.page.withdraw_button.setEnabled(False)

        def done(_: None) -> None:
            self.page.withdraw_button.setEnabled(True)
            self.chosen = ""
            self.feed.refresh()

        self.session.ops.run(
            self.session.engine.withdraw_document(self.meeting_id, doc.document_id),
            on_done=done,
            on_failed=lambda: self.page.withdraw_button.setEnabled(True),
        )

    # -- drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if _dropped_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        path = _dropped_file(event)
        if path is None:
            return
        event.acceptProposedAction()
        if self.right.currentWidget() is not self.form or self.form.step == "done":
            self.start_new()
        self.form.take_file(path)


def _dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """The first local file a drag carries (a folder or a web link is not a document)."""
    urls = event.mimeData().urls() if event.mimeData() is not None else []
    files = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
    return files[0] if files else None
