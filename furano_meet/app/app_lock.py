"""The app lock: after an idle time the window is covered until the PIN is typed.

Why an overlay and not a modal dialog: a modal ``exec()`` would start a nested event loop and
the meeting would stop for this tablet — no page turns, no notes. The :class:`LockScreen` is a
child widget over the whole window; the widgets under it are disabled (no clicks, no keys, no
tab focus) but keep receiving the engine's events, so the chair's page turns arrive while the
tablet is locked and are there when it is unlocked.

Idle is "no input": an application event filter (:class:`IdleWatch`) counts every key, click,
touch, pen or wheel event. A timer looks every :data:`CHECK_MS`; :meth:`AppLock.check` notes
new input and compares the injected clock with the last, so tests move the clock and call it
rather than wait. The PIN is checked
off the GUI thread (scrypt is slow on purpose), and wrong guesses are paced by
:class:`furano_meet.pin.Attempts`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from furano_meet import preferences
from furano_meet.pin import SETTING, Attempts, PinRecord

from .session import Session

CHECK_MS = 5_000
"""How often the idle time is looked at (a lock may come up to this much late)."""
INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
    }
)

LOCK_STYLE = """
#lockScreen { background: #202124; }
#lockScreen QLabel { color: #ffffff; }
#lockTitle { font-size: 26pt; font-weight: bold; }
#lockExplain { font-size: 16pt; }
#lockScreen #lockMessage { font-size: 16pt; color: #ffd600; }
#lockScreen QLineEdit { font-size: 24pt; min-height: 60px; max-width: 360px; padding: 4px 12px;
    border: 3px solid #ffffff; border-radius: 8px; background: #ffffff; color: #202124;
    letter-spacing: 6px; }
#lockScreen QLineEdit:focus { border: 4px solid #ffd600; }
#lockScreen QPushButton { max-width: 360px; }
"""


class LockScreen(QWidget):
    """What covers the window: why it is locked, the PIN field and 「ロックを解除」."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(LOCK_STYLE)
        title = QLabel(self.tr("画面をロックしています"), self)
        title.setObjectName("lockTitle")
        explain = QLabel(
            self.tr(
                "しばらく操作がなかったので、画面を隠しました。暗証番号を入力すると元の画面に"
                "戻ります。会議の資料とページは、ロック中も受け取り続けています。"
            ),
            self,
        )
        explain.setObjectName("lockExplain")
        explain.setWordWrap(True)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.pin.setMaxLength(8)
        self.pin.setAccessibleName(self.tr("暗証番号"))
        self.pin.setPlaceholderText(self.tr("暗証番号"))
        self.pin.returnPressed.connect(self._submit)
        self.unlock = QPushButton(self.tr("ロックを解除"), self)
        self.unlock.clicked.connect(self._submit)
        self.message = QLabel(self)
        self.message.setObjectName("lockMessage")
        self.message.setWordWrap(True)
        middle = QWidget(self)
        middle.setMaximumWidth(760)
        column = QVBoxLayout(middle)
        column.setSpacing(20)
        for widget in (title, explain, self.pin, self.unlock, self.message):
            column.addWidget(widget)
        middle.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(middle, 10)
        row.addStretch(1)
        centred = QVBoxLayout(self)
        centred.addStretch(1)
        centred.addLayout(row)
        centred.addStretch(2)
        self.hide()

    def _submit(self) -> None:
        self.submitted.emit(self.pin.text().strip())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """(Installed on the window while locked) keep covering all of it when it resizes."""
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
        return False


class IdleWatch(QObject):
    """Counts input events application-wide; one per application, owned by it.

    Why a counter and not a timestamp: a window's lock compares it with what it saw at its last
    look, on its own clock (which tests move). Why owned by the application and not by a
    window: an application-wide filter must outlive every window it reports to.
    """

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("furanoIdleWatch")
        self.inputs = 0
        app.installEventFilter(self)

    @classmethod
    def of(cls, app: QApplication) -> IdleWatch:
        found = app.findChild(IdleWatch, "furanoIdleWatch")
        return found if isinstance(found, IdleWatch) else cls(app)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802, ARG002 - Qt's
        if event.type() in INPUT_EVENTS:
            self.inputs += 1
        return False


class AppLock(QObject):
    """Locks ``window`` after ``minutes`` without input, once a PIN is set."""

    locked_changed = Signal(bool)

    def __init__(self, window: QWidget, session: Session) -> None:
        super().__init__(window)
        self.window, self.session = window, session
        self.record: PinRecord | None = None
        self.idle_seconds = 0.0
        self.set_clock(time.monotonic)
        self.screen = LockScreen(window)
        self.screen.submitted.connect(self.try_pin)
        self._disabled: list[QWidget] = []
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.watch = IdleWatch.of(app)
        self._inputs = self.watch.inputs

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Use ``clock`` for idle time and pacing from now on (tests move time with it)."""
        self.clock = clock
        self.attempts = Attempts(clock)
        self.last_input: float = clock()

    @property
    def locked(self) -> bool:
        return self.screen.isVisible()

    @property
    def enabled(self) -> bool:
        return self.record is not None and self.idle_seconds > 0

    def start(self) -> None:
        """Read the idle time (preferences) and the PIN record (encrypted store), then arm."""
        minutes = preferences.load(preferences.beside(self.session.engine.profile_directory))

        def loaded(raw: str | None) -> None:
            self.configure(minutes.lock_minutes, PinRecord.from_json(raw) if raw else None)

        self.session.ops.run(self.session.engine.app_setting(SETTING), on_done=loaded)

    def configure(self, minutes: int, record: PinRecord | None) -> None:
        """Lock after ``minutes`` idle (0: never) with ``record``'s PIN (``None``: no lock)."""
        self.idle_seconds, self.record = minutes * 60.0, record
        self.last_input = self.clock()
        if self.enabled:
            self.timer.start()
        else:
            self.timer.stop()

    def check(self) -> None:
        """Lock if the idle time has passed (the timer calls this; tests too). Input seen since
        the last look counts as input now, so a lock comes at most :data:`CHECK_MS` late."""
        if self.watch.inputs != self._inputs:
            self._inputs = self.watch.inputs
            self.last_input = self.clock()
        if self.enabled and not self.locked and self.clock() - self.last_input >= self.idle_seconds:
            self.lock()

    def lock(self) -> None:
        window = self.window
        self._disabled = [
            w
            for w in window.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if w is not self.screen and w.isEnabled()
        ]
        for widget in self._disabled:
            widget.setEnabled(False)
        self.screen.setGeometry(window.rect())
        window.installEventFilter(self.screen)  # resizes, while locked
        self.screen.message.clear()
        self.screen.pin.clear()
        self.screen.show()
        self.screen.raise_()
        self.screen.pin.setFocus()
        self.locked_changed.emit(True)

    def unlock(self) -> None:
        self.window.removeEventFilter(self.screen)
        self.screen.hide()
        for widget in self._disabled:
            widget.setEnabled(True)
        self._disabled = []
        self.attempts.succeeded()
        self.last_input, self._inputs = self.clock(), self.watch.inputs
        self.locked_changed.emit(False)

    def try_pin(self, pin: str) -> None:
        """Check ``pin`` off the GUI thread; a wrong one is said calmly, and paced."""
        wait = self.attempts.wait_left()
        if wait > 0:
            self._say_wait(wait)
            return
        if self.record is None:
            self.unlock()
            return
        self.screen.unlock.setEnabled(False)
        self.session.ops.run(asyncio.to_thread(self.record.matches, pin), on_done=self._checked)

    def _checked(self, right: bool) -> None:
        self.screen.unlock.setEnabled(True)
        self.screen.pin.clear()
        if right:
            self.unlock()
            return
        self.attempts.failed()
        wait = self.attempts.wait_left()
        if wait > 0:
            self._say_wait(wait)
        else:
            self.screen.message.setText(
                self.tr("暗証番号が違います。もう一度ゆっくり入力してください。")
            )

    def _say_wait(self, wait: float) -> None:
        self.screen.message.setText(
            self.tr(
                "暗証番号が何度か違いました。念のため、{seconds}秒ほど待ってから"
                "もう一度入力してください。"
            ).format(seconds=max(1, round(wait)))
        )
