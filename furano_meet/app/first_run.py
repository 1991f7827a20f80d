"""First run: open the profile, ask for a passphrase if there is no keychain, enrol, and wait.

What a councillor meets before the meeting list, one calm screen at a time:

1. **Passphrase** (:mod:`.passphrase_page`) — only when the OS keychain is missing
   (``PassphraseRequired``): the screen says why the app asks, and asks twice for a new cache.
   A weak one is refused by the store (``passphrase_too_weak``) and the error presenter says
   what would do.
2. **Invitation** (:mod:`.invitation_page`) — the relay's address and the invitation from the
   clerk's office: pasted as ``CODE/FINGERPRINT/ORG``, as a ``furano-meet://invite?…`` link
   (which may carry the relay's address too), or read from the invitation file; and the
   device's name (the host name or 「このタブレット」, editable; :mod:`.device_name`), signed
   into the enrolment claim.
3. **Waiting** (:mod:`.waiting_page`) — this device's name (「この端末の名前：…」, so the
   councillor can tell the administrator which device is theirs) and its key fingerprint,
   large, for the administrator to compare, and 「管理者がこの端末を認証するのを待っています」 until
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
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from furano_meet.cli import PASSPHRASE_ENV
from furano_meet.commands.common import running
from furano_meet.errors import Fault, FuranoError
from furano_meet.net.relay_address import relay_url
from furano_meet.store import LocalStore, PassphraseRequired
from furano_meet.sync.account import Account, Invitation, enrol
from furano_meet.sync.admin import device_fingerprint
from furano_meet.sync.certification import Certification, check_certification
from furano_meet.sync.engine import SyncEngine

from .error_presenter import ErrorPresenter
from .invitation_page import InvitationPage
from .labels import label
from .notice_bar import NoticeBar
from .offload import off_gui_thread
from .passphrase_page import PassphrasePage
from .profile_open import AWAITING, open_enrolled, open_store
from .recovery_code import RECOVERY_STYLE, RecoveryPage
from .screen_fit import resize_within_screen
from .session import Ops
from .waiting_page import WaitingPage
from .window import STYLE

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
#deviceName { font-size: 18pt; font-weight: bold; color: #202124; }
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


def _scroller(pages: QStackedWidget) -> QScrollArea:
    """The steps in a frameless vertical scroll area: the window never asks more than a screen.

    Why: with large text a step can be taller than a 1280×800 tablet less its task bar; the
    window then grew past the screen and its button — 「この端末を登録する」 — sat below the
    edge. Within a scroll area the step keeps its words whole and scrolls instead.
    """
    scroller = QScrollArea()
    scroller.setWidget(pages)
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QFrame.Shape.NoFrame)
    scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroller


class FirstRunWindow(QWidget):
    """The steps of the module docstring. :attr:`ready` emits the open, enrolled, certified store."""

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
        self.scroller = _scroller(self.pages)
        self.pages.currentChanged.connect(self._size_to_current)
        self._size_to_current()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(self.notice)
        layout.addWidget(self.scroller, 1)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._keep_focus_in_view)
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
        fingerprint = await asyncio.to_thread(device_fingerprint, account)
        self.waiting.show_device_name(account.device_name, account.device_id)
        self.waiting.show_fingerprint(fingerprint)
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

    def _size_to_current(self, *_: object) -> None:
        """The stack asks for the shown step's size, not its tallest step's.

        Why: with large text each step is tall on its own (the invitation step ~900 px with a
        notice above it); a stack sized for the tallest would make every step scroll.
        """
        shown = self.pages.currentWidget()
        for index in range(self.pages.count()):
            page = self.pages.widget(index)
            assert page is not None
            policy = QSizePolicy.Policy.Preferred if page is shown else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.pages.updateGeometry()
        self.scroller.verticalScrollBar().setValue(0)  # a new step starts at its title

    def _keep_focus_in_view(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Tab to a field below the fold and the step scrolls to it (keyboard, screen reader)."""
        if new is not None and self.pages.isAncestorOf(new):
            self.scroller.ensureWidgetVisible(new, 16, 16)

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
    resize_within_screen(window, 900, 760)
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
