"""First run: open the profile, ask for a passphrase if there is no keychain, enrol, and wait.

What a councillor meets before the meeting list, one calm screen at a time:

1. **Passphrase** — only when the OS keychain is missing (``PassphraseRequired``): the screen
   says why the app asks, and asks twice for a new cache. A weak one is refused by the store
   (``passphrase_too_weak``) and the error presenter says what would do.
2. **Invitation** — the relay's address and the invitation from the clerk's office: pasted as
   ``CODE/FINGERPRINT/ORG``, as a ``furano-meet://invite?…`` link (which may carry the relay's
   address too), or read from the invitation file; and the device's name (the host name or
   「このタブレット」, editable; :mod:`.device_name`), signed into the enrolment claim.
3. **Waiting** — this device's key fingerprint, large, for the administrator to compare, and
   「管理者がこの端末を認証するのを待っています」 until
   :func:`~furano_meet.sync.certification.check_certification` says it is certified.

4. **Recovery code** — once certified, the app makes the member's recovery code (a short-lived
   engine, online for the moment it takes) and shows it large, once: it brings back private
   notes if every device is lost. 「書き留めました」 or 「後で」 (設定 can make one later).

The wait is remembered: :data:`AWAITING` is set in the encrypted store when the device enrols
and cleared when it is certified, so a profile closed while waiting opens on the waiting
screen again, not on an empty meeting list.

Then :attr:`FirstRunWindow.ready` carries the open store and the app shows the meeting list.
Everything slow runs off the GUI thread: opening the store in ``asyncio.to_thread``, enrolment
(which writes the store between network awaits) through :func:`.offload.off_gui_thread`, and
every failure goes to the one error presenter through :class:`~.session.Ops`.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from furano_meet.cli import PASSPHRASE_ENV
from furano_meet.commands.common import running
from furano_meet.errors import Fault, FuranoError
from furano_meet.net.relay_address import relay_url
from furano_meet.store import LocalStore, PassphraseRequired
from furano_meet.sync.account import LINK_PREFIX, Account, Invitation, enrol
from furano_meet.sync.admin import device_fingerprint
from furano_meet.sync.certification import Certification, check_certification
from furano_meet.sync.engine import SyncEngine

from .device_name import DeviceNameField
from .error_presenter import ErrorPresenter
from .labels import label, two_lines
from .offload import off_gui_thread
from .profile_open import AWAITING, open_enrolled, open_store
from .recovery_code import RECOVERY_STYLE, RecoveryPage
from .session import Ops
from .window import STYLE, NoticeBar

POLL_SECONDS = 3.0
"""How often the waiting screen asks the relay whether the administrator has certified us."""
ONLINE_SECONDS = 30.0
"""How long the recovery step waits for the relay before offering 「後で」 alone."""

FIRST_RUN_STYLE = """
QLineEdit { font-size: 16pt; min-height: 48px; padding: 4px 10px;
    border: 2px solid #5f6368; border-radius: 8px; background: #fff; }
#title { font-size: 22pt; font-weight: bold; }
#explain { font-size: 15pt; color: #3c4043; }
#fieldLabel { font-size: 14pt; font-weight: bold; }
#fingerprint { font-size: 26pt; font-weight: bold; font-family: monospace; letter-spacing: 2px;
    background: #ffffff; border: 3px solid #1a4fa0; border-radius: 12px; padding: 16px; }
#waiting { font-size: 16pt; color: #1a4fa0; background: #e8f0fe; border-radius: 8px;
    padding: 12px; }
#primary { background: #1a4fa0; color: #ffffff; border-color: #1a4fa0; }
"""


def _page(*widgets: QWidget) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.setSpacing(12)
    for widget in widgets:
        column.addWidget(widget)
    column.addStretch(1)
    return page


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
        self.relay.setFocus()

    def set_busy(self, busy: bool) -> None:
        if busy:
            self.hint.clear()
        for widget in (self.enrol, self.from_file, self.relay, self.invitation, self.device_name):
            widget.setEnabled(not busy)
        self.enrol.setText(self.tr("登録しています…") if busy else self.tr("この端末を登録する"))


class WaitingPage(QWidget):
    """The fingerprint, large, and the visible wait for the administrator."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
            self.fingerprint,
            self.status,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)

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


class FirstRunWindow(QWidget):
    """The three pages above. :attr:`ready` emits the open, enrolled, certified store."""

    ready = Signal(object)

    def __init__(
        self,
        data: Path | None,
        profile: str,
        errors: ErrorPresenter,
        *,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        super().__init__()
        self.data, self.profile, self.errors = data, profile, errors
        self.poll_seconds = poll_seconds
        self.ops = Ops(errors)
        self.store: LocalStore | None = None
        self.account: Account | None = None
        self.setWindowTitle(self.tr("Furano Meet — はじめての設定"))
        self.setStyleSheet(STYLE + FIRST_RUN_STYLE + RECOVERY_STYLE)
        self.notice = NoticeBar(self)
        self.passphrase = PassphrasePage(self)
        self.invitation = InvitationPage(self)
        self.waiting = WaitingPage(self)
        self.recovery = RecoveryPage(self)
        self.opening = label(self.tr("準備しています…"), "explain")
        self.pages = QStackedWidget(self)
        for page in self.steps:
            self.pages.addWidget(_page(page))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(self.notice)
        layout.addWidget(self.pages, 1)
        errors.shown.connect(self.notice.show_notice)
        self.passphrase.entered.connect(self.open_profile)
        self.invitation.submitted.connect(self.enrol)
        self.invitation.open_file.connect(self._choose_file)
        self.recovery.done.connect(self._finish)

    # -- steps ------------------------------------------------------------------------------

    def start(self, passphrase: str | None = None) -> None:
        """Open the profile; what comes next depends on what the store says."""
        self.open_profile(passphrase)

    def open_profile(self, passphrase: str | None) -> None:
        self.notice.hide()
        self.ops.run(self._open(passphrase))

    async def _open(self, passphrase: str | None) -> None:
        try:
            store = await asyncio.to_thread(open_store, self.data, self.profile, passphrase)
        except PassphraseRequired as required:
            self.passphrase.ask(required)
            self._show(self.passphrase)
            return
        self.store = store
        account = await asyncio.to_thread(Account.load, store)
        if account is None:
            self._show(self.invitation)
        elif await asyncio.to_thread(store.get_setting, AWAITING):  # closed while waiting
            await self._wait_for_certificate(account)
        else:  # enrolled before: open it, as the keychain path does (offline too)
            self.ready.emit(store)

    def enrol(self, relay: str, text: str) -> None:
        self.notice.hide()
        # -- device name: a name the rules refuse is said under its field, nothing is sent --
        name = self.invitation.device_name.checked()
        if name is None:
            self.invitation.device_name.edit.setFocus()
            return
        # -- end device name --
        self.invitation.set_busy(True)
        self.ops.run(self._enrol(relay, text, name))

    async def _enrol(self, relay: str, text: str, name: str) -> None:
        assert self.store is not None
        try:
            invitation = Invitation.parse(text)
            typed = invitation.relay_url or relay
            if not typed:
                self.invitation.ask_for_relay()
                return
            url = relay_url(typed)  # 「meet.example.jp」 → wss://… (net/relay_address.py)
            self.invitation.relay.setText(url)  # what enrols is what the field shows
            account = await off_gui_thread(enrol(self.store, url, invitation, name))
            await asyncio.to_thread(self.store.set_setting, AWAITING, "1")
        finally:
            self.invitation.set_busy(False)
        await self._wait_for_certificate(account)

    async def _wait_for_certificate(self, account: Account) -> None:
        """Show the fingerprint, then ask the relay until the administrator has certified us.
        A relay that cannot be reached is said once and asked again; the wait goes on."""
        assert self.store is not None
        self.account = account
        self.waiting.show_fingerprint(await asyncio.to_thread(device_fingerprint, account))
        self._show(self.waiting)
        said_unreachable = False
        while True:
            try:
                state = await check_certification(account, self.store)
            except FuranoError as exc:
                if exc.fault is not Fault.ENVIRONMENT:
                    raise
                if not said_unreachable:
                    self.errors.present(exc)
                said_unreachable, state = True, Certification.WAITING
            if state is Certification.CERTIFIED:
                await asyncio.to_thread(self.store.set_setting, AWAITING, None)
                await self._offer_recovery_code()
                return
            self.waiting.show_state(state)
            await asyncio.sleep(self.poll_seconds)

    async def _offer_recovery_code(self) -> None:
        """Make the recovery code with a short-lived engine and show it (see the docstring)."""
        assert self.store is not None
        self._show(self.recovery)
        engine = await asyncio.to_thread(SyncEngine, self.store)
        try:
            async with running(engine):
                await engine.wait_online(ONLINE_SECONDS)
                code = await engine.set_up_recovery()
        except (FuranoError, TimeoutError) as exc:
            self.recovery.unavailable()
            if isinstance(exc, FuranoError):
                self.errors.present(exc)
            return
        self.recovery.show_code(code)

    def _finish(self) -> None:
        self.ops.cancel_all()  # 「後で」 while the code is still being made
        self.ready.emit(self.store)

    # -- the invitation file ----------------------------------------------------------------

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("招待ファイルを開く"),
            "",
            self.tr("招待 (*.txt *.furano-invite);;すべて (*)"),
        )
        if path:
            self.load_invitation_file(Path(path))

    def load_invitation_file(self, path: Path) -> None:
        """Read the file off the GUI thread; its first line is the invitation (text or link)."""

        def read() -> str:
            lines = path.read_text(encoding="utf-8-sig").strip().splitlines()
            return lines[0].strip() if lines else ""

        self.ops.run(asyncio.to_thread(read), on_done=self.invitation.invitation.setText)

    # -- helpers ------------------------------------------------------------------------------

    def _show(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page.parentWidget() or page)

    @property
    def steps(self) -> tuple[QWidget, ...]:
        return (self.opening, self.passphrase, self.invitation, self.waiting, self.recovery)

    @property
    def current(self) -> QWidget:
        """The visible step: one of :attr:`steps`."""
        holder = self.pages.currentWidget()
        return next(p for p in self.steps if p.parent() is holder)

    async def close_ops(self) -> None:
        """Stop polling and wait for every op to end (before the loop or the test ends)."""
        self.ops.cancel_all()
        await self.ops.settle()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.ops.cancel_all()
        super().closeEvent(event)


async def prepare_profile(
    data: Path | None, profile: str, errors: ErrorPresenter, *, tried: bool = False
) -> LocalStore | None:
    """The profile's store, ready for the engine: at once when it is enrolled (and opens
    without asking), else after the first-run window; ``None`` if the user closed it.
    ``tried``: the caller already ran :func:`.profile_open.open_enrolled` and it said no (the
    app's entry path does, before it imports this module), so the window opens at once."""
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not tried:
        store = await asyncio.to_thread(open_enrolled, data, profile, passphrase)
        if store is not None:
            return store
    window = FirstRunWindow(data, profile, errors)
    done: asyncio.Future[LocalStore | None] = asyncio.get_running_loop().create_future()

    def finish(store: LocalStore | None) -> None:
        if not done.done():
            done.set_result(store)

    window.ready.connect(finish)
    window.destroyed.connect(lambda *_: finish(None))
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.resize(900, 760)
    window.show()
    window.start(passphrase)
    result = await done
    await window.close_ops()
    if result is not None:
        window.ready.disconnect()
        window.close()
    elif window.store is not None:
        await asyncio.to_thread(window.store.close)
    return result
