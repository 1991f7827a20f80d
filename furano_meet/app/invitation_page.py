"""First run's enrolment step: the relay's address, the invitation, and the device's name.

Why it exists: the invitation from the clerk's office arrives in three forms — pasted as
``CODE/FINGERPRINT/ORG``, as a ``furano-meet://invite?…`` link (which may name the relay too,
and then fills the address in: what the member sees is what enrols), or as the invitation
file — and this page takes each, with the name the device asks for (:mod:`.device_name`).
It only gathers and says; :class:`~.first_run.FirstRunWindow` enrols with what it emits.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QPushButton, QVBoxLayout, QWidget

from furano_meet.errors import FuranoError
from furano_meet.sync.account import LINK_PREFIX, Invitation

from .device_name import DeviceNameField
from .labels import label

__all__ = ["InvitationPage"]


class InvitationPage(QWidget):
    """The relay's address and the invitation (pasted, a link, or the invitation file)."""

    submitted = Signal(str, str)
    """(relay address, invitation text)"""
    open_file = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.relay = QLineEdit(self)
        self.relay.setPlaceholderText(self.tr("例：meet.example.jp"))  # as the office gives it
        self.relay.setAccessibleName(self.tr("サーバーのアドレス"))
        self.invitation = QLineEdit(self)
        self.invitation.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX/ABCD-…/furano")
        self.invitation.setAccessibleName(self.tr("招待"))
        self.invitation.textChanged.connect(self._link_pasted)
        self.from_file = QPushButton(self.tr("招待ファイルを開く…"), self)
        self.from_file.clicked.connect(self.open_file)
        self.enrol = QPushButton(self.tr("この端末を登録する"), self)
        self.enrol.setObjectName("primary")
        self.enrol.clicked.connect(self._submit)
        self.hint = label("", "explain")
        self.hint.hide()  # shown with words only: empty, it pushed 登録 further down
        # -- device name: what the administrator and the clerk's desk will call this device --
        self.device_name = DeviceNameField(self)
        # -- end device name --
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            label(self.tr("ようこそ"), "title"),
            label(
                self.tr(
                    "議会事務局から受け取った招待で、この端末を登録します。"
                    "招待のリンクを貼り付けると、サーバーのアドレスも入ります。"
                ),
                "explain",
            ),
            label(self.tr("招待"), "fieldLabel"),
            self.invitation,
            self.from_file,
            label(self.tr("サーバーのアドレス"), "fieldLabel"),
            self.relay,
            self.device_name,  # device name
            self.hint,
            self.enrol,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)

    def _link_pasted(self, text: str) -> None:
        """A link names the relay: fill the address in (what the user sees is what enrols)."""
        if text.strip().startswith(LINK_PREFIX):
            try:
                relay = Invitation.parse(text).relay_url
            except FuranoError:
                return  # said when the user presses 登録
            if relay:
                self.relay.setText(relay)

    def _submit(self) -> None:
        self.submitted.emit(self.relay.text().strip(), self.invitation.text().strip())

    def ask_for_relay(self) -> None:
        self.hint.setText(
            self.tr("サーバーのアドレスを入力してください（招待と一緒に届いています）。")
        )
        self.hint.show()
        self.relay.setFocus()

    def set_busy(self, busy: bool) -> None:
        if busy:
            self.hint.clear()
            self.hint.hide()
        for widget in (self.enrol, self.from_file, self.relay, self.invitation, self.device_name):
            widget.setEnabled(not busy)
        self.enrol.setText(self.tr("登録しています…") if busy else self.tr("この端末を登録する"))
