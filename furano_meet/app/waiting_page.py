"""First run's waiting step: this device's fingerprint, large, and the visible wait.

Why it exists: an enrolled device is not trusted until the administrator certifies it, and
the administrator does so by comparing the fingerprint shown here with the one on the
administrator's screen (shown, or read out). It names the device too — the name it asked for
at enrolment, as the administrator's card shows it — so the councillor can say which of the
waiting devices is theirs when several are enrolled at once. The page keeps the wait visibly alive — when the
relay was last asked — so a councillor does not think the app has hung.
:class:`~.first_run.FirstRunWindow` polls the relay and feeds it the state.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from furano_meet.sync.certification import Certification

from .device_name import shown_name
from .labels import label, two_lines

__all__ = ["WaitingPage"]


class WaitingPage(QWidget):
    """The device's name, its fingerprint, large, and the visible wait for the administrator."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device_name = label("", "deviceName")
        self.device_name.setTextFormat(Qt.TextFormat.PlainText)  # a name is text, not markup
        self.device_name.hide()  # until :meth:`show_device_name`
        self.fingerprint = label("", "fingerprint")
        self.fingerprint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setAccessibleName(self.tr("この端末の指紋"))
        self.status = label("", "waiting")
        self.value = ""
        """The fingerprint shown (as one string)."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            label(self.tr("登録しました"), "title"),
            label(
                self.tr(
                    "管理者に、この端末の指紋を見せてください（または読み上げてください）。"
                    "管理者の画面の指紋と同じであれば、管理者が承認します。"
                ),
                "explain",
            ),
            self.device_name,
            self.fingerprint,
            self.status,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_device_name(self, device_name: str, device_id: str) -> None:
        """The name this device asked for (the end of its id for one enrolled before names)."""
        self.device_name.setText(
            self.tr("この端末の名前：{name}").format(name=shown_name(device_name, device_id))
        )
        self.device_name.show()

    def show_fingerprint(self, fingerprint: str) -> None:
        """Two lines split between groups, so no group is ever broken when read out."""
        self.value = fingerprint
        self.fingerprint.setText(two_lines(fingerprint))
        self.show_state(Certification.WAITING)

    def show_state(self, state: Certification) -> None:
        """The wait, and when the relay was last asked (so the screen is visibly alive)."""
        fingerprint = self.value
        text = self.tr("● 管理者がこの端末を認証するのを待っています（指紋 {fp}）").format(
            fp=fingerprint
        )
        if state is Certification.UNKNOWN:
            text += "\n" + self.tr("この端末が参加する会議はまだありません。")
        checked = self.tr("最終確認 {time}").format(time=time.strftime("%H:%M:%S"))
        self.status.setText(f"{text}\n{checked}")
