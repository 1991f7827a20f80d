"""The device's name, as first run asks for it and the other screens show it.

Why the member names the device: the administrator certifies a device by comparing a
fingerprint, and the clerk's desk lists who received a document on which device; 「会議室タブレ
ット 12」 says more to both than the end of an id. The name is signed into the enrolment claim
and, once certified, into the certificate (:mod:`furano_meet.crypto.device_names`), so the
rules are checked here as the member types — a name the rules refuse is said in plain words
under the field, never sent. A device certified before names has none; :func:`shown_name`
falls back to the end of its id, as the screens did before.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from furano_meet.crypto.device_names import (
    EMPTY,
    MAX_LENGTH,
    TOO_LONG,
    DeviceNameInvalid,
    clean_device_name,
    default_device_name,
)

from .labels import label


def shown_name(device_name: str, device_id: str) -> str:
    """The device's name, or 「端末 …a1b2」 (the end of its id) for one that has none."""
    if device_name:
        return device_name
    return QCoreApplication.translate("DeviceName", "端末 …{tail}").format(tail=device_id[-4:])


class DeviceNameField(QWidget):
    """The name field of first run: a sensible default, editable, checked as typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setAccessibleName(self.tr("この端末の名前"))
        self.edit.setPlaceholderText(self.tr("例：会議室タブレット 12"))
        self.edit.setText(default_device_name(self.tr("このタブレット")))
        self.problem = label("", "explain")
        self.problem.setStyleSheet("color: #b3261e;")
        self.edit.textChanged.connect(lambda _: self.checked())
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(label(self.tr("この端末の名前"), "fieldLabel"))
        column.addWidget(
            label(
                self.tr("管理者と事務局の画面に出る名前です。"),
                "explain",
            )
        )
        column.addWidget(self.edit)
        column.addWidget(self.problem)

    def checked(self) -> str | None:
        """The name as it will be signed, or ``None`` with the reason shown under the field."""
        try:
            name = clean_device_name(self.edit.text())
        except DeviceNameInvalid as exc:
            self.problem.setText(self._explain(exc))
            self.problem.show()
            return None
        self.problem.clear()
        self.problem.hide()
        return name

    def _explain(self, exc: DeviceNameInvalid) -> str:
        if exc.problem == EMPTY:
            return self.tr("端末の名前を入力してください。")
        if exc.problem == TOO_LONG:
            return self.tr("名前は{max}文字までです（いま{n}文字）。").format(
                max=MAX_LENGTH, n=len(self.edit.text().strip())
            )
        return self.tr("名前に使えない見えない文字（制御文字など）が入っています。")
