"""The recovery code on screen: shown large, once, to be copied by hand onto paper.

The code (:meth:`SyncEngine.set_up_recovery`) brings back a member's private notes if every
device is lost; the device keeps only a key derived from it, so this is the one moment a person
can write it down. First run shows :class:`RecoveryPage` once the device is certified; 設定 can
make one later with the same large label (:func:`code_label`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from .labels import label, two_lines

RECOVERY_STYLE = """
#recoveryCode { font-size: 28pt; font-weight: bold; font-family: monospace; background: #ffffff;
    border: 3px solid #0b6e3b; border-radius: 12px; padding: 20px; }
"""


def code_label(text: str = "") -> QLabel:
    """The large, selectable, labelled label a recovery code is shown in."""
    shown = label(text, "recoveryCode")
    shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
    shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    shown.setAccessibleName(QCoreApplication.translate("RecoveryPage", "回復コード"))
    return shown


def show_code(shown: QLabel, code: str) -> None:
    shown.setText(two_lines(code))
    shown.show()


class RecoveryPage(QWidget):
    """The recovery code, large, once; 「書き留めました」 or 「後で」."""

    done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = code_label(self.tr("回復コードを用意しています…"))
        self.value = ""
        """The code shown (as one string), empty until it is made."""
        self.written = QPushButton(self.tr("書き留めました"), self)
        self.written.setObjectName("primary")
        self.written.setEnabled(False)
        self.later = QPushButton(self.tr("後で"), self)
        self.later.setAccessibleName(self.tr("後で（設定からいつでも作れます）"))
        for button in (self.written, self.later):
            button.clicked.connect(self.done)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            label(self.tr("承認されました — 回復コード"), "title"),
            label(
                self.tr(
                    "この端末は使えるようになりました。最後にひとつだけ。"
                    "下の回復コードは、万一すべての端末をなくしたときに、ご自分だけのメモを"
                    "取り戻すためのものです。紙に書き写して、端末とは別の場所に"
                    "大切にしまってください。このコードが表示されるのは今回だけです。"
                ),
                "explain",
            ),
            self.code,
            self.written,
            self.later,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_code(self, code: str) -> None:
        """Groups of five, split over two lines, as they are easiest to copy by hand."""
        self.value = code
        show_code(self.code, code)
        self.written.setEnabled(True)
        self.written.setFocus()

    def unavailable(self) -> None:
        self.code.setText(self.tr("いまは回復コードを作れません。後で設定から作れます。"))
