"""First run in the real app: passphrase without a keychain, enrolment, the visible wait, and
the administrator certifying the device on the administrator's screen — real relay, real
engines, real SQLCipher, offscreen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import keyring
import keyring.backends.fail
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from furano_meet.app.admin_screen import AdminScreen
from furano_meet.app.error_presenter import ErrorPresenter
from furano_meet.app.first_run import FirstRunWindow, prepare_profile
from furano_meet.app.invitation_page import InvitationPage
from furano_meet.app.language import set_language
from furano_meet.app.meetings import STATE_ROLE
from furano_meet.app.profile_open import enrolled_and_certified
from furano_meet.app.session import Session
from furano_meet.app.states import State
from furano_meet.app.tour import until
from furano_meet.app.waiting_page import WaitingPage
from furano_meet.app.window import MainWindow
from furano_meet.store import LocalStore
from furano_meet.sync.admin import certify, device_fingerprint
from furano_meet.sync.engine import SyncEngine
from server import demo
from server.relay import Relay
from tests.app.test_accessibility import problems
from tests.conftest import keyring_backend, relay_config
from tests.e2e.council import Council, Device
from tests.e2e.test_sync_security import published
from tests.pdfs import generate_agenda_pack

DEVICE_NAME = "会議室タブレット 12"
WAIT = 30  # seconds: generous on a shared machine; every wait is on a positive marker
SHOTS = Path("/tmp/shots")


def shot(widget: object, name: str) -> None:
    """Keep a screenshot to look at (the tests judge by widgets' state, not by pixels)."""
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def first_run_window(tmp_path: Path, qtbot: QtBot) -> FirstRunWindow:
    window = FirstRunWindow(
        tmp_path / "new-device", "giin1-tablet", ErrorPresenter(), poll_seconds=0.2
    )
    qtbot.addWidget(window)
    window.resize(900, 760)
    window.show()
    return window


async def test_a_new_device_enrols_waits_and_is_certified_on_the_admin_screen(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with certified_by_hand(tmp_path) as (council, admin):
        await enrol_wait_and_certify(council, admin.store, tmp_path, qtbot)


@contextlib.asynccontextmanager
async def certified_by_hand(tmp_path: Path) -> AsyncIterator[tuple[Council, Device]]:
    """The demo relay with a published pack and an administrator whose engine has stopped:
    from here on a new device is certified by hand only (the administrator's screen, or
    ``certify``). Everything is closed when the block ends."""
    async with Relay(relay_config(tmp_path)) as relay:
        await relay.store.run(demo.seed, relay.store)
        council = Council(relay, tmp_path / "devices")
        admin = await council.setup_admin()
        try:
            await published(council, generate_agenda_pack(title="議案書", pages=3))
            await admin.stop()
            yield council, admin
        finally:
            await council.close()


async def enrol_wait_and_certify(
    council: Council, admin_store: LocalStore, tmp_path: Path, qtbot: QtBot
) -> None:
    admin_session = Session(SyncEngine(admin_store))
    admin_window = MainWindow(admin_session)
    qtbot.addWidget(admin_window)
    first_run = first_run_window(tmp_path, qtbot)
    ready: asyncio.Future[LocalStore] = asyncio.get_running_loop().create_future()
    first_run.ready.connect(ready.set_result)
    sessions = [admin_session]
    try:
        screen = admin_window.open_admin_screen()
        assert isinstance(screen, AdminScreen)
        qtbot.addWidget(screen)
        screen.timer.setInterval(200)
        await until(lambda: screen.summary.text() == "承認を待っている端末はありません。", WAIT)

        first_run.start()
        await until(lambda: first_run.current is first_run.invitation, WAIT)
        invitation = await council.invitation("giin1")
        invitation_file = tmp_path / "招待.txt"
        invitation_file.write_text(invitation.link() + "\n", encoding="utf-8")
        first_run.load_invitation_file(invitation_file)  # a link: it names the relay too
        await until(lambda: first_run.invitation.invitation.text() == invitation.link(), WAIT)
        assert first_run.invitation.relay.text() == council.url
        # the device's name: a default is offered; a name the rules refuse is said, not sent
        name_field = first_run.invitation.device_name
        assert name_field.edit.text() and name_field.checked() == name_field.edit.text()
        name_field.edit.setText("議長\u202egnp.exe")  # a bidi override: looks like 議長exe.png
        QTest.mouseClick(first_run.invitation.enrol, Qt.MouseButton.LeftButton)
        assert "見えない文字" in name_field.problem.text() and name_field.problem.isVisible()
        assert first_run.current is first_run.invitation
        assert [first_run.account] == [None]  # nothing enrolled (a list: mypy keeps the type)
        name_field.edit.setText("x" * 500)
        assert "40文字まで" in name_field.problem.text()
        shot(first_run, "first_run_device_name_too_long")
        name_field.edit.setText(DEVICE_NAME)
        assert not name_field.problem.isVisible()
        shot(first_run, "first_run_invitation")
        QTest.mouseClick(first_run.invitation.enrol, Qt.MouseButton.LeftButton)

        await until(lambda: first_run.current is first_run.waiting, WAIT)
        assert first_run.account is not None
        fingerprint = device_fingerprint(first_run.account)
        assert first_run.waiting.value == fingerprint
        assert first_run.waiting.fingerprint.text().replace("\n", "") == fingerprint
        waiting = first_run.waiting.status.text()
        assert f"管理者がこの端末を認証するのを待っています（指紋 {fingerprint}）" in waiting
        # the name this device asked for, so the councillor can say which device is theirs
        assert first_run.waiting.device_name.text() == f"この端末の名前：{DEVICE_NAME}"
        assert first_run.waiting.device_name.isVisible()
        shot(first_run, "first_run_waiting")

        await until(lambda: len(screen.cards) == 1, WAIT)  # the live refresh shows it
        card = screen.cards[0]
        assert (card.device.user_id, card.device.role) == ("giin1", "member")
        assert card.device.device_name == DEVICE_NAME  # signed by the device, checked here
        title = card.findChild(QLabel, "deviceTitle")
        assert title is not None and title.text() == DEVICE_NAME
        assert card.device.claimed_user_id == "giin1" and card.device.fingerprint == fingerprint
        assert not card.device.problem  # its invitation checks out; only the comparison is left
        card.entered.setText(fingerprint[:-4] + "AAAA")  # a misread: no certifying
        assert not card.certify.isEnabled() and "一致しません" in card.match.text()
        card.entered.setText(first_run.waiting.value.lower())  # as read out
        assert card.certify.isEnabled()
        shot(screen, "admin_screen")
        assert problems(screen) == [] and problems(admin_window) == []  # keyboard and names
        assert not ready.done()  # still waiting: only the administrator certifies
        QTest.mouseClick(card.certify, Qt.MouseButton.LeftButton)

        # certified: the recovery code, large, once (made online by a short-lived engine)
        recovery = first_run.recovery
        await until(lambda: first_run.current is recovery and recovery.value != "", WAIT)
        code = recovery.value
        assert recovery.code.text().replace("\n", "") == code and len(code.split("-")) >= 6
        assert recovery.written.isEnabled() and recovery.later.isVisible()
        shot(first_run, "first_run_recovery_code")
        assert not ready.done()  # the code is on screen until the person has written it down
        QTest.mouseClick(recovery.written, Qt.MouseButton.LeftButton)

        store = await asyncio.wait_for(ready, WAIT)
        await until(lambda: screen.summary.text() == "承認を待っている端末はありません。", WAIT)
        await until(lambda: DEVICE_NAME in screen.certified.names(), WAIT)  # from its certificate
        assert "admin" in screen.certified.names()  # the administrator's own device, named too
        shot(screen, "admin_screen_certified")
        member = Session(await asyncio.to_thread(SyncEngine, store))
        sessions.append(member)
        window = MainWindow(member)
        qtbot.addWidget(window)
        window.resize(1280, 860)
        window.show()
        member.start()

        def ready_offline() -> bool:
            rows = [window.meetings.item(i) for i in range(window.meetings.count())]
            return any(row.data(STATE_ROLE) == State.READY for row in rows)

        await until(ready_offline, WAIT)
        assert "オフラインで閲覧できます" in window.meetings.entries()[0].text()
        shot(window, "first_run_meeting_list")
        settings = window.open_settings()
        qtbot.addWidget(settings)
        assert settings.device_name.text() == f"この端末の名前：{DEVICE_NAME}"
        settings.close()
        # the code shown is the one that opens the member's recovery box (another code raises
        # RecoveryCodeWrong); the box was sealed from this device's keys, so no meeting gains one
        await member.engine.wait_online(WAIT)
        assert await member.engine.recover_private_notes(code) == 0
    finally:
        admin_window.close()
        await first_run.close_ops()
        for session in sessions:
            await session.close()


async def test_without_a_keychain_the_first_run_asks_for_a_passphrase_and_says_why(
    tmp_path: Path, qtbot: QtBot
) -> None:
    keyring.set_keyring(keyring_backend(keyring.backends.fail.Keyring))  # restored by conftest
    first_run = first_run_window(tmp_path, qtbot)
    page = first_run.passphrase
    try:
        first_run.start()
        await until(lambda: first_run.current is page, WAIT)
        assert "キーチェーン" in page.explain.text() and page.second.isVisible()
        shot(first_run, "first_run_passphrase")

        page.first.setText("ふらのの丘で朝の会議")
        page.second.setText("ふらのの丘で夕の会議")
        QTest.mouseClick(page.ok, Qt.MouseButton.LeftButton)
        assert "一致しません" in page.mismatch.text()

        for field in (page.first, page.second):
            field.setText("1234567890")
        QTest.mouseClick(page.ok, Qt.MouseButton.LeftButton)
        await until(first_run.notice.isVisible, WAIT)
        assert first_run.errors.last is not None
        assert first_run.errors.last.code == "passphrase_too_weak"
        assert "推測されやすい" in first_run.notice.text.text()
        assert first_run.current is page  # asked again, nothing created
        shot(first_run, "first_run_passphrase_weak")

        for field in (page.first, page.second):
            field.setText("ふらのの丘で朝の会議")
        QTest.mouseClick(page.ok, Qt.MouseButton.LeftButton)
        await until(lambda: first_run.current is first_run.invitation, WAIT)
        assert not first_run.notice.isVisible()
        assert first_run.store is not None
        await asyncio.to_thread(first_run.store.close)
    finally:
        await first_run.close_ops()


def shown() -> FirstRunWindow | None:
    """The first-run window :func:`prepare_profile` opened, once it is visible."""
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, FirstRunWindow)]
    return next((w for w in windows if w.isVisible()), None)


async def test_a_profile_without_a_device_opens_the_first_run_window(
    tmp_path: Path, qtbot: QtBot
) -> None:
    errors = ErrorPresenter()
    task = asyncio.ensure_future(prepare_profile(tmp_path / "data", "giin2", errors))
    await until(lambda: (w := shown()) is not None and w.current is w.invitation, WAIT)
    window = shown()
    assert window is not None
    window.close()  # the user closes it: no profile to open
    assert await asyncio.wait_for(task, WAIT) is None


async def test_a_device_closed_while_waiting_opens_on_the_waiting_screen_again(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with certified_by_hand(tmp_path) as (council, admin):
        first_run = first_run_window(tmp_path, qtbot)
        first_run.start()
        await until(lambda: first_run.current is first_run.invitation, WAIT)
        first_run.invitation.invitation.setText((await council.invitation("giin1")).link())
        QTest.mouseClick(first_run.invitation.enrol, Qt.MouseButton.LeftButton)
        await until(lambda: first_run.current is first_run.waiting, WAIT)
        account, fingerprint = first_run.account, first_run.waiting.value
        named = (
            first_run.waiting.device_name.text()
        )  # the default name: the host's, or 「このタブレット」
        assert named.startswith("この端末の名前：") and named != "この端末の名前："
        assert account is not None and first_run.store is not None
        await first_run.close_ops()  # the app is closed while waiting
        first_run.close()
        await asyncio.to_thread(first_run.store.close)

        task = asyncio.ensure_future(
            prepare_profile(tmp_path / "new-device", "giin1-tablet", ErrorPresenter())
        )
        await until(lambda: (w := shown()) is not None and w.current is w.waiting, WAIT)
        window = shown()
        assert window is not None and window.waiting.value == fingerprint
        assert window.waiting.device_name.text() == named  # the name, read back from the store
        assert not task.done()  # not the meeting list: still waiting for the certificate
        await certify(admin.engine.account, admin.store, account.device_id, fingerprint)
        recovery = window.recovery
        await until(lambda: window.current is recovery and recovery.value != "", WAIT)
        QTest.mouseClick(recovery.later, Qt.MouseButton.LeftButton)  # 「後で」
        store = await asyncio.wait_for(task, WAIT)
        assert store is not None
        assert await asyncio.to_thread(enrolled_and_certified, store)  # next start: at once
        await asyncio.to_thread(store.close)


def test_the_waiting_page_names_the_device_in_japanese_and_english(qtbot: QtBot) -> None:
    """The name the device asked for, with its label in the language shown; a device enrolled
    before names is called by the end of its id; a name is shown as text, never as markup."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    fingerprint = "K7QX-2M9D-PL4A-W8RT-6HZN-C3VB"
    shown: dict[str, tuple[str, str]] = {}
    try:
        for language in ("ja", "en"):
            assert set_language(app, language) == language
            page = WaitingPage()
            qtbot.addWidget(page)
            page.show_device_name("北野のタブレット", "dev-0000a1b2")
            page.show_fingerprint(fingerprint)
            named = page.device_name.text()
            assert page.value == fingerprint  # the fingerprint is shown as before
            page.show_device_name("", "dev-0000a1b2")
            shown[language] = (named, page.device_name.text())
    finally:
        set_language(app, "ja")
    assert shown == {
        "ja": ("この端末の名前：北野のタブレット", "この端末の名前：端末 …a1b2"),
        "en": ("This device's name: 北野のタブレット", "This device's name: Device …a1b2"),
    }
    assert page.device_name.textFormat() == Qt.TextFormat.PlainText


def test_the_invitation_steps_hint_takes_room_only_with_words(qtbot: QtBot) -> None:
    """Empty, the hint under the fields pushed 「この端末を登録する」 below the fold with large
    text (seen in tools.screens); it shows when it has something to say."""
    page = InvitationPage()
    qtbot.addWidget(page)
    page.show()
    assert page.hint.isHidden()
    page.ask_for_relay()
    assert not page.hint.isHidden() and page.hint.text()
    page.set_busy(True)
    assert page.hint.isHidden()
