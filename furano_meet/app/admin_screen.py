"""The administrator's screen: devices waiting for a certificate, certified after comparing.

Why the administrator types (or reads back) the fingerprint instead of pressing "OK": the list
comes from the relay, so its fingerprint alone proves nothing. The person at the new device
reads the fingerprint from *their* screen; only when what the administrator enters matches the
listed device is 承認する enabled, and :func:`~furano_meet.sync.admin.certify` checks it once
more against the keys the relay presents (a substituted key is refused as
``key_substitution``). Each card also says who the relay enrolled, who the device itself
claimed to be, and why it was not certified automatically. A device whose claim checks out is
headed by the name its member gave it (「会議室タブレット 12」): the device signed that name, so
the relay cannot have changed it, and the certificate will carry it. The name is a label the
member chose, never who the device belongs to — the user and role below it say that.

Below the waiting devices, 承認済みの端末: every device the organisation root has certified
(relay 1.6, ``list_certified``), each certificate verified here and named by the name it
carries (the end of its id for devices certified before names).

The list refreshes itself every few seconds while the screen is open (no engine event tells of
new enrolments). The core's admin helpers read the store between network awaits, so they run
through :func:`.offload.off_gui_thread`; failures go to the session's error presenter.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from furano_meet.crypto import normalise_fingerprint
from furano_meet.net import RelayError
from furano_meet.sync.admin import NO_INVITATION, CertifiedDevice, PendingDevice

from .device_name import shown_name
from .labels import label
from .notice_bar import NoticeBar
from .session import Session
from .window import STYLE

REFRESH_MS = 5000

ADMIN_STYLE = """
#deviceCard { background: #ffffff; border: 2px solid #dadce0; border-radius: 10px; }
#deviceTitle { font-size: 17pt; font-weight: bold; }
#section { font-size: 17pt; font-weight: bold; margin-top: 16px; }
#certifiedDevice { font-size: 14pt; background: #f8f9fa; border: 1px solid #dadce0;
    border-radius: 8px; padding: 8px 12px; }
#deviceDetail { font-size: 13pt; color: #3c4043; }
#deviceProblem { font-size: 13pt; color: #8a4b00; }
#deviceOk { font-size: 13pt; color: #0b6e3b; }
#listedFingerprint { font-size: 18pt; font-family: monospace; font-weight: bold; }
#match { font-size: 14pt; }
QLineEdit { font-size: 15pt; min-height: 44px; padding: 2px 8px;
    border: 2px solid #5f6368; border-radius: 8px; background: #fff; }
#title { font-size: 20pt; font-weight: bold; }
#explain { font-size: 14pt; color: #3c4043; }
"""

ROLES: dict[str, object] = {
    "chair": QT_TRANSLATE_NOOP("DeviceCard", "委員長"),
    "member": QT_TRANSLATE_NOOP("DeviceCard", "委員"),
    "clerk": QT_TRANSLATE_NOOP("DeviceCard", "議会事務局"),
    "admin": QT_TRANSLATE_NOOP("DeviceCard", "管理者"),
    "staff": QT_TRANSLATE_NOOP("DeviceCard", "職員"),
}


def _same(typed: str, listed: str) -> bool:
    try:
        return normalise_fingerprint(typed) == normalise_fingerprint(listed)
    except Exception:  # noqa: BLE001 - half-typed text is simply "not yet the same"
        return False


class DeviceCard(QFrame):
    """One waiting device: who, what it claimed, why it waits, and the comparison."""

    certify_clicked = Signal(str, str)
    """(device id, the fingerprint the administrator entered)"""

    def __init__(self, device: PendingDevice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self.setObjectName("deviceCard")
        role = self.tr(str(ROLES.get(device.role, device.role)))
        owner = self.tr("{user}（{role}）の端末").format(user=device.user_id, role=role)
        title = QLabel(device.device_name or owner)
        title.setTextFormat(Qt.TextFormat.PlainText)  # a name is text, never markup
        title.setObjectName("deviceTitle")
        details = [self.tr("端末ID: {id}").format(id=device.device_id)]
        if device.device_name:  # the name heads the card; who it belongs to comes right after
            details.insert(0, owner)
        if device.claimed_user_id:
            details.append(
                self.tr("招待による申告: {user}（{role}）").format(
                    user=device.claimed_user_id,
                    role=self.tr(str(ROLES.get(device.claimed_role, device.claimed_role))),
                )
            )
        detail = QLabel("\n".join(details))
        detail.setTextFormat(Qt.TextFormat.PlainText)
        detail.setObjectName("deviceDetail")
        problem = QLabel(self._problem(device))
        problem.setToolTip(device.problem)  # the core's detail, for the IT department
        problem.setObjectName("deviceProblem" if device.problem else "deviceOk")
        problem.setWordWrap(True)
        listed = QLabel(self.tr("サーバーが示す指紋:\n{fp}").format(fp=device.fingerprint))
        listed.setObjectName("listedFingerprint")
        listed.setWordWrap(True)
        listed.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.entered = QLineEdit(self)
        self.entered.setPlaceholderText(self.tr("端末の画面に出ている指紋を入力"))
        self.entered.setAccessibleName(self.tr("端末の画面の指紋"))
        self.entered.textChanged.connect(self._compare)
        self.match = QLabel(self)
        self.match.setObjectName("match")
        self.certify = QPushButton(self.tr("指紋が一致 — 承認する"), self)
        self.certify.clicked.connect(
            lambda: self.certify_clicked.emit(device.device_id, self.entered.text())
        )
        row = QHBoxLayout()
        row.addWidget(self.entered, 1)
        row.addWidget(self.certify)
        column = QVBoxLayout(self)
        for widget in (title, detail, problem, listed):
            column.addWidget(widget)
        column.addLayout(row)
        column.addWidget(self.match)
        self._compare("")

    def _problem(self, device: PendingDevice) -> str:
        """Why it waits, in plain words (the core's English detail stays in the tooltip)."""
        if not device.problem:
            return self.tr("招待の確認は済んでいます。指紋を確かめて承認してください。")
        if device.problem == NO_INVITATION:
            return self.tr(
                "招待を使わずに登録された端末です。本人の端末であることを確かめてから承認してください。"
            )
        return self.tr(
            "招待の確認に失敗したため、自動では承認されませんでした。"
            "承認せず、本人に確かめてから新しい招待を作ってください。"
        )

    def _compare(self, typed: str) -> None:
        same = _same(typed, self.device.fingerprint)
        self.certify.setEnabled(same)
        if same:
            text, colour = self.tr("✓ 一致しました"), "#0b6e3b"
        elif typed.strip():
            text = self.tr("✕ まだ一致しません — 端末の画面をもう一度ご確認ください")
            colour = "#b3261e"
        else:
            text, colour = self.tr("端末の持ち主に指紋を読み上げてもらってください"), "#3c4043"
        self.match.setText(text)
        self.match.setStyleSheet(f"color: {colour};")


class CertifiedList(QWidget):
    """承認済みの端末: one line per certified device, its name first (module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.devices: list[CertifiedDevice] | None = None
        self.rows: list[QLabel] = []
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.note = label("", "explain")
        self.column.addWidget(self.note)

    def show_devices(self, devices: list[CertifiedDevice] | None) -> None:
        """``None``: the relay is older than 1.6 and cannot list them."""
        if devices == self.devices and self.rows:
            return
        self.devices = devices
        for row in self.rows:
            row.deleteLater()
        self.rows = []
        if devices is None:
            self.note.setText(self.tr("このサーバーは古いため、承認済みの端末を一覧できません。"))
            return
        self.note.setText(
            self.tr("{n}台の端末が承認されています。").format(n=len(devices))
            if devices
            else self.tr("承認済みの端末はまだありません。")
        )
        for device in devices:
            role = self.tr(str(ROLES.get(device.role, device.role)))
            row = label(
                self.tr("{name}\n　{user}（{role}）・指紋 {fp}").format(
                    name=shown_name(device.device_name, device.device_id),
                    user=device.user_id,
                    role=role,
                    fp=device.fingerprint,
                ),
                "certifiedDevice",
            )
            row.setTextFormat(Qt.TextFormat.PlainText)  # a name is text, never markup
            row.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.column.addWidget(row)
            self.rows.append(row)

    def names(self) -> list[str]:
        """The first line of each row (for tests and the probe)."""
        return [row.text().split("\n")[0] for row in self.rows]


class AdminScreen(QWidget):
    """Pending devices of the organisation, refreshed live; certify one after comparing."""

    def __init__(self, session: Session, *, refresh_ms: int = REFRESH_MS) -> None:
        super().__init__()
        self.session = session
        self.devices: list[PendingDevice] | None = None
        self.cards: list[DeviceCard] = []
        self.setWindowTitle(self.tr("端末の承認 — Furano Meet"))
        self.setStyleSheet(STYLE + ADMIN_STYLE)
        self.notice = NoticeBar(self)
        session.errors.shown.connect(self.notice.show_notice)
        title = QLabel(self.tr("承認を待っている端末"))
        title.setObjectName("title")
        self.summary = QLabel(self)
        self.summary.setObjectName("explain")
        self.summary.setWordWrap(True)
        refresh = QPushButton(self.tr("いま更新"), self)
        refresh.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(refresh)
        self.list = QWidget()
        self.list_layout = QVBoxLayout(self.list)
        self.certified = CertifiedList(self.list)
        self.list_layout.addWidget(label(self.tr("承認済みの端末"), "section"))
        self.list_layout.addWidget(self.certified)
        self.list_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list)
        column = QVBoxLayout(self)
        column.addWidget(self.notice)
        column.addLayout(header)
        column.addWidget(self.summary)
        column.addWidget(scroll, 1)
        self._busy = False
        self.timer = QTimer(self, interval=refresh_ms)
        self.timer.timeout.connect(self.refresh)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()
        super().closeEvent(event)

    def refresh(self) -> None:
        """Ask the relay again (one request at a time; the timer skips while one runs)."""
        if self._busy:
            return
        self._busy = True
        task = self.session.ops.run(self._lists(), on_done=self._show_lists)
        task.add_done_callback(lambda _: setattr(self, "_busy", False))

    async def _lists(self) -> tuple[list[PendingDevice], list[CertifiedDevice] | None]:
        """Both lists, one after the other (``None``: a relay too old to list certified ones)."""
        pending = await self.session.engine.pending_devices()
        try:
            certified = await self.session.engine.certified_devices()
        except RelayError as exc:
            if exc.code != "version_unsupported":
                raise
            certified = None
        return pending, certified

    def _show_lists(self, lists: tuple[list[PendingDevice], list[CertifiedDevice] | None]) -> None:
        self._show(lists[0])
        self.certified.show_devices(lists[1])

    def _show(self, devices: list[PendingDevice]) -> None:
        if devices == self.devices:
            return  # unchanged: keep what the administrator is typing
        self.devices = devices
        for card in self.cards:
            card.deleteLater()
        self.cards = []
        for device in devices:
            card = DeviceCard(device, self.list)
            card.certify_clicked.connect(self.certify)
            self.list_layout.insertWidget(len(self.cards), card)
            self.cards.append(card)
        self.summary.setText(
            self.tr("{n}台の端末が承認を待っています。").format(n=len(devices))
            if devices
            else self.tr("承認を待っている端末はありません。")
        )

    def certify(self, device_id: str, fingerprint: str) -> None:
        for card in self.cards:
            if card.device.device_id == device_id:
                card.certify.setEnabled(False)
        self.session.ops.run(
            self.session.engine.certify_device(device_id, fingerprint),
            on_done=lambda _: self.refresh(),
        )
