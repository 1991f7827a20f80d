"""Who has it (受け取りの状況): for one document, each member and their devices.

The rows come from ``engine.delivery(meeting_id)`` — a :class:`~furano_meet.sync.delivery.
DeliveryReport` built by the core from the meeting's *signed* roster, the clerk's signed
manifests and the relay's receipts, each receipt checked on this device (a receipt a hostile
relay invented never reaches the report). One report covers every document of the meeting, so
the desk asks once and this panel shows the document chosen in the pack.

Each member is one row, in the roster's order so rows never jump, with the state in words and a
calm colour *and* a mark: 「✓ 受領済み」 (green) — a device of theirs confirmed the newest
version; 「△ 旧版のみ（第1版）」 (amber) — only an older one; 「– 未受領」 (grey) — nothing yet.
Under the name, each device by the name its root-signed certificate carries:
「会議室タブレット 12：第2版　12月3日 20:31」 (「端末 …a1b2」, the end of its id, for a device
certified before devices had names). A receipt from an older app
that could not sign it is shown, marked 「（署名なし：古いアプリからの報告です）」, and a member
whose newest version no device has *signed* reads 「✓ 受領の報告あり（署名なし・第2版）」, never
受領済み: only signed receipts prove delivery (a hostile relay can invent or strip the rest). The clerk at the desk is left out (the publisher holds the file itself).

It refreshes when the clerk asks (「いま確かめる」), when the desk sees a document event, and
every :data:`REFRESH_MS` while the desk is open (members' receipts arrive as no event here).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from furano_meet.sync.delivery import (
    DeliveryReport,
    DeviceReceipt,
    DocumentDelivery,
    MemberDelivery,
)
from furano_meet.sync.events import (
    Connectivity,
    DocumentPublished,
    DocumentReady,
    DocumentRefused,
    DocumentWithdrawn,
    StatusChanged,
    SyncEvent,
)

from .labels import label
from .session import Session
from .whole_rows import wrap_whole

REFRESH_MS = 15_000

RECEIVED, OLDER_ONLY, NOT_RECEIVED = "received", "older", "missing"
"""A member row's state (``Qt.UserRole`` of its item), for tests and screen readers."""

DOCUMENT_EVENTS = (DocumentPublished, DocumentReady, DocumentRefused, DocumentWithdrawn)
"""Events after which the pack or its receipts may have changed."""
ONLINE = (Connectivity.ONLINE, Connectivity.SYNCING)

COLOURS = {RECEIVED: "#0b6e3b", OLDER_ONLY: "#8a4b00", NOT_RECEIVED: "#5f6368"}


def member_state(member: MemberDelivery) -> str:
    if member.has_latest:
        return RECEIVED
    return OLDER_ONLY if member.has_older is not None else NOT_RECEIVED


class DeliveryFeed(QObject):
    """The meeting's newest :class:`DeliveryReport`, asked for off the GUI thread.

    One report lists the pack (the relay's published documents whose signed manifests verify
    here, withdrawn ones left out) and who holds each."""

    arrived = Signal(object)
    """A new :class:`DeliveryReport` for :attr:`meeting_id`."""
    failed = Signal()
    """Asking failed (the presenter has said why, e.g. offline)."""

    def __init__(self, session: Session, *, refresh_ms: int = REFRESH_MS) -> None:
        super().__init__(session)
        self.session = session
        self.meeting_id = ""
        self.report: DeliveryReport | None = None
        self._busy = False
        self._again = False
        self._online = session.engine.status.connectivity in ONLINE
        self.timer = QTimer(self, interval=refresh_ms)
        self.timer.timeout.connect(self.refresh)
        session.engine_event.connect(self._on_event)

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id, self.report = meeting_id, None
        self.refresh()

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, DOCUMENT_EVENTS) and event.meeting_id == self.meeting_id:
            self.refresh()
        elif isinstance(event, StatusChanged):
            online = event.status.connectivity in ONLINE
            if online and not self._online:
                self.refresh()  # back online: the pack and the receipts may have moved on
            self._online = online

    def refresh(self) -> None:
        """Ask again unless this device is offline — offline is a state the status bar shows,
        not an error to repeat every few seconds (:meth:`ask` always asks)."""
        if self.session.engine.status.connectivity in ONLINE:
            self.ask()
        else:
            self.failed.emit()

    def ask(self) -> None:
        """Ask the relay again (one request at a time; one more if asked meanwhile, so the
        newest change is never missed); a failure goes to the error presenter."""
        if not self.meeting_id:
            return
        if self._busy:
            self._again = True
            return
        self._busy, self._again = True, False
        task = self.session.ops.run(
            self.session.engine.delivery(self.meeting_id),
            on_done=self._arrived,
            on_failed=self.failed.emit,
        )
        task.add_done_callback(lambda _: self._finished())

    def _finished(self) -> None:
        self._busy = False
        if self._again:
            self.ask()

    def _arrived(self, report: DeliveryReport) -> None:
        if report.meeting_id == self.meeting_id:  # not a meeting the clerk left meanwhile
            self.report = report
            self.arrived.emit(report)


class DeliveryPanel(QWidget):
    """The chosen document's members, from the feed's newest :class:`DeliveryReport`."""

    def __init__(self, feed: DeliveryFeed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.feed = feed
        self.document_id = ""
        heading = label(self.tr("受け取りの状況"), "section")
        self.refresh_button = QPushButton(self.tr("いま確かめる"), self)
        self.refresh_button.setAccessibleName(self.tr("受け取りの状況をいま確かめる"))
        self.refresh_button.clicked.connect(feed.ask)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.refresh_button)
        self.summary = label("", "explain")
        self.rows = QListWidget(self)
        self.rows.setAccessibleName(self.tr("委員ごとの受け取りの状況"))
        wrap_whole(self.rows)  # a long name or device line wraps whole (whole_rows.py)
        self.rows.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.summary)
        column.addWidget(self.rows, 1)
        feed.arrived.connect(lambda _report: self._show())

    def show_document(self, document_id: str) -> None:
        self.document_id = document_id
        self._show()

    def delivery(self) -> DocumentDelivery | None:
        """The shown document's part of the report (``None``: not known to the relay yet)."""
        report = self.feed.report
        if report is None:
            return None
        return next((d for d in report.documents if d.document_id == self.document_id), None)

    def others(self, found: DocumentDelivery) -> list[MemberDelivery]:
        """The roster without the clerk at this desk: the publisher holds the file itself
        (its device keeps what it publishes, and confirms it too)."""
        return [m for m in found.members if m.user_id != self.feed.session.user_id]

    def _show(self) -> None:
        self.rows.clear()
        found = self.delivery()
        if found is None:
            self.summary.setText(self.tr("この資料の受け取りの状況はまだわかりません。"))
            return
        members = self.others(found)
        have = sum(m.has_latest for m in members)
        self.summary.setText(
            self.tr("{n}人中 {k}人が最新の第{v}版を受け取っています。").format(
                n=len(members), k=have, v=found.version
            )
        )
        unsigned = sum(m.has_latest and not m.latest_verified for m in members)
        if unsigned:
            self.summary.setText(
                self.summary.text() + self.tr("うち{u}人は署名のない報告です。").format(u=unsigned)
            )
        for member in members:
            self.rows.addItem(self._row(member, found.version))

    def _row(self, member: MemberDelivery, latest: int) -> QListWidgetItem:
        state = member_state(member)
        words = {
            RECEIVED: self.tr("✓ 受領済み（第{v}版）").format(v=latest)
            if member.latest_verified
            # no device's signature proves it: an older app's receipt, or the relay's word
            else self.tr("✓ 受領の報告あり（署名なし・第{v}版）").format(v=latest),
            OLDER_ONLY: self.tr("△ 旧版のみ（第{v}版）").format(v=member.has_older),
            NOT_RECEIVED: self.tr("– 未受領"),
        }[state]
        lines = [f"{member.display_name}　{words}"]
        lines += [self._device(r) for r in member.devices]
        if not member.devices:
            lines.append(self.tr("　受け取った端末はまだありません"))
        item = QListWidgetItem("\n".join(lines))
        item.setData(Qt.ItemDataRole.UserRole, state)
        item.setData(Qt.ItemDataRole.UserRole + 1, member.user_id)
        item.setForeground(QColor(COLOURS[state]))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        return item

    def _device(self, receipt: DeviceReceipt) -> str:
        """One device's line, by the name its certificate carries (the end of its id for a
        device certified before names)."""
        at = ""
        if receipt.received_at is not None:
            local = receipt.received_at.astimezone()
            at = self.tr("{m}月{d}日 {t}").format(
                m=local.month, d=local.day, t=local.strftime("%H:%M")
            )
        if receipt.device_name:
            line = self.tr("　{name}：第{v}版　{at}").format(
                name=receipt.device_name, v=receipt.version, at=at
            )
        else:
            line = self.tr("　端末 …{tail}：第{v}版　{at}").format(
                tail=receipt.device_id[-4:], v=receipt.version, at=at
            )
        if receipt.verified:
            return line
        return line + self.tr("（署名なし：古いアプリからの報告です）")

    def rows_by_user(self) -> dict[str, str]:
        """user id → the row's state (for tests and the probe)."""
        items = (self.rows.item(i) for i in range(self.rows.count()))
        return {
            item.data(Qt.ItemDataRole.UserRole + 1): item.data(Qt.ItemDataRole.UserRole)
            for item in items
        }
