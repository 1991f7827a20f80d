"""First run's passphrase step: why the app asks, and the passphrase (twice for a new cache).

Why it exists: only a device without an OS keychain (``PassphraseRequired``) meets it, and the
councillor must understand in plain words why a passphrase guards the meeting papers on this
device — never the core's English. A new cache asks twice, so a typo does not lock the
papers away; a weak one is refused by the store and said by the error presenter.
:class:`~.first_run.FirstRunWindow` shows it and opens the store with what it emits.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QPushButton, QVBoxLayout, QWidget

from furano_meet.store import PassphraseRequired

from .labels import label

__all__ = ["PassphrasePage"]


class PassphrasePage(QWidget):
    """Why the app asks, and the passphrase (twice for a new cache)."""

    entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.explain = label("", "explain")
        self.first = QLineEdit(self)
        self.second = QLineEdit(self)
        for field, name in (
            (self.first, self.tr("パスフレーズ")),
            (self.second, self.tr("もう一度")),
        ):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setAccessibleName(name)
        self.second_label = label(self.tr("確認のため、もう一度入力してください"), "fieldLabel")
        self.mismatch = label("", "explain")
        self.ok = QPushButton(self.tr("次へ"), self)
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self._submit)
        self.first.returnPressed.connect(self._submit)
        self.second.returnPressed.connect(self._submit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            label(self.tr("パスフレーズ"), "title"),
            self.explain,
            label(self.tr("パスフレーズ"), "fieldLabel"),
            self.first,
            self.second_label,
            self.second,
            self.mismatch,
            self.ok,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.new_store = True

    def ask(self, required: PassphraseRequired) -> None:
        """Explain in plain words why a passphrase is needed (never the core's English)."""
        self.new_store = required.new_store
        if required.new_store:
            text = self.tr(
                "この端末には、資料を守る鍵を安全にしまっておく仕組み（キーチェーン）が"
                "見つかりませんでした。そのため、この端末に保存する会議資料をパスフレーズで"
                "守ります。10文字以上の、ご自分だけが思いつく短い文を決めてください。"
                "アプリを開くたびに入力します。"
            )
        else:
            text = self.tr(
                "この端末の会議資料はパスフレーズで守られています。"
                "登録のときに決めたパスフレーズを入力してください。"
            )
        self.explain.setText(text)
        self.second_label.setVisible(required.new_store)
        self.second.setVisible(required.new_store)
        self.mismatch.clear()
        self.first.clear()
        self.second.clear()
        self.first.setFocus()

    def _submit(self) -> None:
        if self.new_store and self.first.text() != self.second.text():
            self.mismatch.setText(self.tr("2回の入力が一致しません。もう一度入力してください。"))
            return
        self.mismatch.clear()
        self.entered.emit(self.first.text())
