"""The recovery code on screen: shown large, once, to be copied by hand onto paper.

The code (:meth:`SyncEngine.set_up_recovery`) brings back a member's private notes if every
device is lost; the device keeps only a key derived from it, so this is the one moment a person
can write it down. First run shows :class:`RecoveryPage` once the device is certified; 設定 can
make one later with the same large label (:class:`RecoverySettings`).

A member who lost the paper can make a new code in 設定 — 「作り直す」, offered only once the
engine said one exists (``recovery_exists``), and only after a confirm that says what it costs:
the old code stops working (the relay keeps one box; the new code opens it). The confirm is a
calm block in the screen, never a modal box.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from furano_meet.sync.recovery import RecoveryAlreadySetUp

from .labels import label, two_lines
from .session import Session

RECOVERY_STYLE = """
#recoveryCode { font-size: 28pt; font-weight: bold; font-family: monospace; background: #ffffff;
    border: 3px solid #0b6e3b; border-radius: 12px; padding: 20px; }
#remakeWarning { font-size: 15pt; color: #5c2b00; background: #fef7e0;
    border: 2px solid #f9ab00; border-radius: 8px; padding: 10px; }
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


class RecoverySettings(QWidget):
    """設定's 回復コード section: 「回復コードを作る」; once the engine says one exists, the
    words and 「作り直す」; its confirm (the old code stops working); the new code, large."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.make = QPushButton(self.tr("回復コードを作る"), self)
        self.exists = label(
            self.tr(
                "回復コードは、この端末ですでに作ってあります。書き留めたコードはそのまま使えます。"
                "紙をなくしたときは、作り直せます。"
            ),
            "explain",
        )
        self.remake = QPushButton(self.tr("作り直す…"), self)
        self.remake.setAccessibleName(self.tr("回復コードを作り直す（確認があります）"))
        self.warning = label(
            self.tr(
                "作り直すと、前に書き留めた回復コードは使えなくなります。"
                "メモを取り戻せるのは新しいコードだけです。"
                "新しいコードを紙に書き写し、前のコードの紙は処分してください。"
            ),
            "remakeWarning",
        )
        self.confirm = QPushButton(self.tr("前のコードを無効にして作り直す"), self)
        self.cancel = QPushButton(self.tr("やめる"), self)
        self.code = code_label()
        confirm_row = QHBoxLayout()
        confirm_row.addWidget(self.confirm)
        confirm_row.addWidget(self.cancel)
        confirm_row.addStretch(1)
        confirm_row.setContentsMargins(0, 0, 0, 0)
        self._confirm_buttons = QWidget(self)
        self._confirm_buttons.setLayout(confirm_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.make,
            self.exists,
            self.remake,
            self.warning,
            self._confirm_buttons,
            self.code,
        ):
            layout.addWidget(widget)
        self.make.clicked.connect(lambda: self._run(replace=False))
        self.remake.clicked.connect(self._ask)
        self.confirm.clicked.connect(lambda: self._run(replace=True))
        self.cancel.clicked.connect(lambda: self._show("exists"))
        self._show("start")

    def _show(self, step: str) -> None:
        """One step at a time: start, exists (作り直す offered), confirm, code."""
        self.exists.setVisible(step in ("exists", "confirm"))
        self.remake.setVisible(step == "exists")
        self.warning.setVisible(step == "confirm")
        self._confirm_buttons.setVisible(step == "confirm")
        self.code.setVisible(step == "code")
        if step == "confirm":
            self.cancel.setFocus()  # the safe choice under the finger and the keyboard
        elif step == "exists":
            self.remake.setFocus()
        shown = {"exists": self.remake, "confirm": self._confirm_buttons, "code": self.code}
        if step in shown:
            self._bring_into_view(shown[step])

    def _bring_into_view(self, widget: QWidget) -> None:
        """設定 scrolls: what this step asks of the reader must not wait below the fold (once
        it is laid out, on the next turn of the loop)."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None:
            scroll = area
            QTimer.singleShot(0, lambda: scroll.ensureWidgetVisible(widget, 0, 24))

    def _ask(self) -> None:
        self._show("confirm")

    def _run(self, *, replace: bool) -> None:
        for button in (self.make, self.confirm):
            button.setEnabled(False)
        task = self.session.ops.run(self._made(replace), on_done=self._made_done)
        task.add_done_callback(lambda _t: self._enable())

    def _enable(self) -> None:
        for button in (self.make, self.confirm):
            button.setEnabled(True)

    async def _made(self, replace: bool) -> str | None:
        """The new code; ``None`` when one exists (said here, with 作り直す, not as a notice)."""
        try:
            return await self.session.engine.set_up_recovery(replace=replace)
        except RecoveryAlreadySetUp:
            return None

    def _made_done(self, code: str | None) -> None:
        if code is None:
            self._show("exists")
            return
        show_code(self.code, code)
        self._show("code")
