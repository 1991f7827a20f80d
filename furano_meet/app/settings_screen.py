"""設定: this device's name, language, large text, high contrast, the app lock and the
recovery code.

The device's name is shown, not edited: it was signed into the certificate when the
administrator certified the device (:mod:`.device_name`).

Every choice takes effect at once and is saved in the profile's preferences file
(:mod:`furano_meet.preferences`, written off the GUI thread). Text size and contrast go through
:class:`~.appearance.Appearance` (every window restyled in place). A new language cannot be
poured into widgets that already hold their text, so :func:`rebuild` makes a new main window on
the same session — the engine keeps syncing, nothing is reloaded from the relay — and closes the
old one; this screen is opened again on the new window, in the new language.

The PIN is asked twice, hashed off the GUI thread (:class:`furano_meet.pin.PinRecord`) and kept
in the encrypted store (``engine.set_app_setting``), never in the preferences file.
"""

from __future__ import annotations

import asyncio
import unicodedata
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from furano_meet import pin as pins
from furano_meet import preferences
from furano_meet.preferences import LOCK_MINUTES, Preferences

from .appearance import Appearance
from .device_name import shown_name
from .labels import label
from .language import set_language
from .recovery_code import RECOVERY_STYLE, RecoverySettings
from .window import STYLE

if TYPE_CHECKING:
    from .window import MainWindow

SETTINGS_STYLE = """
#title { font-size: 22pt; font-weight: bold; }
#section { font-size: 17pt; font-weight: bold; margin-top: 12px; }
#explain { font-size: 14pt; color: #3c4043; }
QRadioButton, QCheckBox { font-size: 15pt; min-height: 44px; spacing: 12px; }
QRadioButton::indicator, QCheckBox::indicator { width: 28px; height: 28px; }
QLineEdit { font-size: 18pt; min-height: 48px; max-width: 280px; padding: 2px 10px;
    border: 2px solid #5f6368; border-radius: 8px; background: #ffffff; }
"""


class SettingsScreen(QWidget):
    """The settings of one main window's profile (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.session = window.session
        self.path = preferences.beside(self.session.engine.profile_directory)
        self.prefs = preferences.load(self.path)
        self._dirty = False
        self._saver: asyncio.Future[None] | None = None
        self.setWindowTitle(self.tr("Furano Meet — 設定"))
        self.setStyleSheet(STYLE + SETTINGS_STYLE + RECOVERY_STYLE)
        self._build()
        self._show(self.prefs)
        self._connect()

    def _build(self) -> None:
        choices = (
            ("system", self.tr("パソコンの設定に合わせる")),
            ("ja", "日本語"),
            ("en", "English"),
        )
        self.languages = self._radio_group(choices)
        self.large_text = QCheckBox(self.tr("文字を大きくする"))
        self.high_contrast = QCheckBox(self.tr("はっきりした配色（黒・白・黄）"))
        self.lock_choices = self._radio_group(
            [
                (m, self.tr("ロックしない") if m == 0 else self.tr("{m}分").format(m=m))
                for m in LOCK_MINUTES
            ]  # fmt: skip
        )
        self.pin_first, self.pin_second = QLineEdit(), QLineEdit()
        pin_names = (self.tr("新しい暗証番号"), self.tr("もう一度"))
        for field, name in zip((self.pin_first, self.pin_second), pin_names, strict=True):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
            field.setMaxLength(pins.MAX_DIGITS)
            field.setAccessibleName(name)
            field.setPlaceholderText(self.tr(name))
        self.set_pin = QPushButton(self.tr("暗証番号を決める"))
        self.pin_state = label("", "explain")
        self.recovery = RecoverySettings(self.session)  # 作る, or 作り直す after a confirm
        self.make_code, self.code = self.recovery.make, self.recovery.code
        self.close_button = QPushButton(self.tr("閉じる"))
        pin_row = QHBoxLayout()
        for widget in (self.pin_first, self.pin_second, self.set_pin):
            pin_row.addWidget(widget)
        pin_row.addStretch(1)
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(label(self.tr("設定"), "title"))
        # -- this device's name (signed into its certificate at enrolment) --
        account = self.session.engine.account
        self.device_name = label(
            self.tr("この端末の名前：{name}").format(
                name=shown_name(account.device_name, account.device_id)
            ),
            "explain",
        )
        self.device_name.setTextFormat(Qt.TextFormat.PlainText)  # a name is text, not markup
        column.addWidget(self.device_name)
        # -- end device name --
        column.addWidget(label(self.tr("言語 / Language"), "section"))
        for button in self.languages.buttons():
            column.addWidget(button)
        column.addWidget(label(self.tr("見やすさ"), "section"))
        column.addWidget(self.large_text)
        column.addWidget(self.high_contrast)
        column.addWidget(label(self.tr("画面のロック"), "section"))
        column.addWidget(
            label(
                self.tr(
                    "しばらく操作がないと画面を隠し、暗証番号（4〜8桁の数字）で元に戻します。"
                    "ロック中も会議の同期は続きます。"
                ),
                "explain",
            )
        )
        for button in self.lock_choices.buttons():
            column.addWidget(button)
        column.addLayout(pin_row)
        column.addWidget(self.pin_state)
        column.addWidget(label(self.tr("回復コード"), "section"))
        column.addWidget(
            label(
                self.tr(
                    "すべての端末をなくしたときに、ご自分だけのメモを取り戻すためのコードです。"
                    "作ると一度だけ表示されます。紙に書き写して、端末とは別の場所にしまってください。"
                ),
                "explain",
            )
        )
        column.addWidget(self.recovery)
        column.addStretch(1)
        column.addWidget(self.close_button)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the controls inside take the focus
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.addWidget(scroll)

    def _radio_group(
        self, choices: list[tuple[object, str]] | tuple[tuple[object, str], ...]
    ) -> QButtonGroup:
        group = QButtonGroup(self)
        for value, text in choices:
            button = QRadioButton(text)
            button.setProperty("choice", value)
            group.addButton(button)
        return group

    def _connect(self) -> None:
        self.languages.buttonClicked.connect(lambda b: self.choose_language(b.property("choice")))
        self.large_text.toggled.connect(lambda on: self._change(large_text=on))
        self.high_contrast.toggled.connect(lambda on: self._change(high_contrast=on))
        self.lock_choices.buttonClicked.connect(
            lambda b: self._change(lock_minutes=int(b.property("choice")))
        )
        self.set_pin.clicked.connect(self.choose_pin)
        self.pin_second.returnPressed.connect(self.choose_pin)
        self.close_button.clicked.connect(self.close)

    def _show(self, prefs: Preferences) -> None:
        for group, value in (
            (self.languages, prefs.language),
            (self.lock_choices, prefs.lock_minutes),
        ):
            for button in group.buttons():
                button.setChecked(button.property("choice") == value)
        self.large_text.setChecked(prefs.large_text)
        self.high_contrast.setChecked(prefs.high_contrast)
        self._show_pin_state()

    def _show_pin_state(self) -> None:
        lock = self.window_.lock
        if lock.record is None:
            text = self.tr("暗証番号はまだ決まっていません。決めるまで画面はロックされません。")
        else:
            text = self.tr("暗証番号は決まっています。新しく決め直すこともできます。")
        self.pin_state.setText(text)

    # -- intents ----------------------------------------------------------------------------

    def _change(self, **changes: object) -> None:
        """Apply at once, save off the GUI thread."""
        self.prefs = self.prefs.with_(**changes)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        Appearance.of(app).apply(self.prefs)
        lock = self.window_.lock
        lock.configure(self.prefs.lock_minutes, lock.record)
        self._dirty = True
        if self._saver is None or self._saver.done():
            self._saver = self.session.ops.run(self._save_latest())

    async def _save_latest(self) -> None:
        """One writer at a time, and the newest preferences last (quick clicks never race)."""
        while self._dirty:
            self._dirty = False
            await asyncio.to_thread(preferences.save, self.path, self.prefs)

    def choose_language(self, choice: str) -> None:
        """Switch the language now: the main window and this screen are built again in it."""
        if choice == self.prefs.language:
            return
        self._change(language=choice)
        app = QApplication.instance()
        assert app is not None
        set_language(app, choice)
        window = rebuild(self.window_)
        geometry = self.geometry()
        self.close()
        screen = window.open_settings()
        screen.setGeometry(geometry)

    def choose_pin(self) -> None:
        first = unicodedata.normalize("NFKC", self.pin_first.text().strip())
        second = unicodedata.normalize("NFKC", self.pin_second.text().strip())
        if not pins.valid_pin(first):
            self.pin_state.setText(self.tr("暗証番号は4〜8桁の数字にしてください。"))
            return
        if first != second:
            self.pin_state.setText(self.tr("2回の入力が一致しません。もう一度入力してください。"))
            return
        self.set_pin.setEnabled(False)
        self.session.ops.run(self._save_pin(first), on_done=self._pin_saved)

    async def _save_pin(self, pin: str) -> pins.PinRecord:
        record = await asyncio.to_thread(pins.PinRecord.make, pin)
        await self.session.engine.set_app_setting(pins.SETTING, record.to_json())
        return record

    def _pin_saved(self, record: pins.PinRecord) -> None:
        self.set_pin.setEnabled(True)
        self.pin_first.clear()
        self.pin_second.clear()
        self.window_.lock.configure(self.prefs.lock_minutes, record)
        self._show_pin_state()


def rebuild(old: MainWindow) -> MainWindow:
    """A new main window on ``old``'s session, where ``old`` was (in the language now set)."""
    from .window import MainWindow  # noqa: PLC0415 - window imports this module lazily

    new = MainWindow(old.session)
    new.setGeometry(old.geometry())
    if old.viewer.meeting_id:
        new.choose_meeting(old.viewer.meeting_id)
    new.lock.configure(round(old.lock.idle_seconds / 60), old.lock.record)
    new.show()
    old.successor = new
    old.close()
    asyncio.ensure_future(_delete_when_settled(old))
    return new


async def _delete_when_settled(old: MainWindow) -> None:
    """Free the old window once no op of the session can still call back into it."""
    await old.session.ops.settle()
    old.deleteLater()
