"""Every screen of the app as a councillor of seventy would meet it: ``python -m tools.screens DIR``.

The demo council runs in this process (real relay, real engines, offscreen); the chair presents
page 2. For Japanese and English, each with normal text, large text and high contrast, it saves
``DIR/<language>-<look>-<screen>.png`` — first run (passphrase, invitation, waiting, recovery
code), the meeting list, the viewer following and browsing (the return bar), the write bar open
and folded, the lists opened beside the page by the reader, a notice (an error said calmly), 設定 (its whole scrolled body), the app lock, the
chair with the presenter panel and folded, the administrator's screen with a waiting device —
and ``DIR/findings.txt``: what :mod:`tools.screen_check` finds on each (clipped words, targets
under 44 px). Why a tool and not a test: the point is to *look* at the pictures (≈ 150 of them,
≈ 1 min); ``tests/app/test_fit.py`` asserts the part a machine can judge.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from furano_meet.app.admin_screen import AdminScreen
from furano_meet.app.appearance import MARK, Appearance
from furano_meet.app.council import MEETING_ID, demo_council, member_session
from furano_meet.app.error_presenter import ErrorPresenter
from furano_meet.app.first_run import FirstRunWindow
from furano_meet.app.language import set_language
from furano_meet.app.session import Session
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.preferences import Preferences
from furano_meet.store import PassphraseRequired
from furano_meet.sync.admin import PendingDevice
from tools.screen_check import clipped, small_targets

TABLET = (1280, 800)
LOOKS = {
    "normal": Preferences(),
    "large": Preferences(large_text=True),
    "contrast": Preferences(high_contrast=True),
}
FINGERPRINT = "K7QX-2M9D-PL4A-W8RT-6HZN-C3VB"
"""A made-up fingerprint and recovery code: the first-run pages are shown, not played."""
CODE = "TQ4M7-XK2PD-9WLRA-3HN8C-V6BZE-J5Y2S"
DEVICE_NAME = "北野のタブレット（第二委員会室・会議用 12）"
"""The waiting page's device name: a long one (of the 40 allowed), to see that it wraps."""


class Camera:
    """Saves ``<tag>-<name>.png`` and notes what the checks find on each."""

    def __init__(self, out: Path) -> None:
        self.out, self.tag, self.findings = out, "", list[str]()

    def __call__(self, widget: QWidget, name: str) -> None:
        for _ in range(4):  # what was just shown or switched is laid out (cascading requests)
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
        widget.grab().save(str(self.out / f"{self.tag}-{name}.png"))
        if isinstance(widget, MainWindow) and (widget.width(), widget.height()) != TABLET:
            self.findings.append(f"{self.tag}-{name}: grew to {widget.width()}×{widget.height()}")
        for problem in clipped(widget) + small_targets(widget):
            self.findings.append(f"{self.tag}-{name}: {problem}")


async def photograph(out: Path) -> list[str]:
    """Every screen in every language and look (see the module docstring); the findings."""
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    camera = Camera(out)
    with tempfile.TemporaryDirectory(prefix="furano-screens-") as scratch:
        root = Path(scratch)
        async with demo_council(root / "demo") as council:
            chair = await member_session(council, root / "devices", "iincho")
            member = await member_session(council, root / "devices", "giin1")
            try:
                await chair.engine.take_presenter(MEETING_ID)
                await chair.engine.present_page(MEETING_ID, *FIRST_DOCUMENT, 1)

                def followed() -> bool:  # the member's engine has the chair's page
                    page = member.engine.view(MEETING_ID).view.page
                    return page is not None and page.page == 1

                await until(followed)
                for language in ("ja", "en"):
                    set_language(app, language)
                    for look, prefs in LOOKS.items():
                        Appearance.of(app).apply(prefs)
                        camera.tag = f"{language}-{look}"
                        await first_run(camera, root / f"first-{camera.tag}")
                        await member_screens(camera, member)
                        await chair_screens(camera, chair)
            finally:
                set_language(app, "ja")
                Appearance.of(app).apply(Preferences())
                for session in (chair, member):
                    await session.close()
    return camera.findings


async def first_run(camera: Camera, data: Path) -> None:
    """Each step of the first run, filled as a person would see it (nothing enrolled)."""
    window = FirstRunWindow(data, "screens", ErrorPresenter())
    window.resize(900, 760)
    window.show()
    await restyled(window)
    window.passphrase.ask(PassphraseRequired("no keychain", new_store=True))
    for name, page in (
        ("first-passphrase", window.passphrase),
        ("first-invitation", window.invitation),
        ("first-waiting", window.waiting),
        ("first-recovery", window.recovery),
    ):
        if page is window.waiting:
            window.waiting.show_device_name(DEVICE_NAME, "dev-0000a1b2")
            window.waiting.show_fingerprint(FINGERPRINT)
        if page is window.recovery:
            window.recovery.show_code(CODE)
        window.pages.setCurrentWidget(page.parentWidget() or page)
        camera(window, name)
    window.close()
    window.deleteLater()


async def restyled(widget: QWidget) -> None:
    """A window just opened has its sheets rewritten on the next turn (appearance.py)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if not Appearance.of(app).default:
        await until(lambda: widget.styleSheet().endswith(MARK))


async def opened(session: Session) -> MainWindow:
    window = MainWindow(session)
    window.resize(*TABLET)
    window.show()
    painted = expect_paint(window.viewer, 1)  # the chair's page, followed
    window.choose_meeting(MEETING_ID)
    await asyncio.wait_for(painted, 20)
    return window


async def member_screens(camera: Camera, session: Session) -> None:
    window = await opened(session)
    side, viewer = window.side, window.viewer
    side.show_panel("meetings")
    camera(window, "member-meetings")
    side.show_panel("agenda")
    camera(window, "member-following")
    side.show_panel("document")
    camera(window, "member-this-document")
    browsed = expect_paint(viewer, 0)
    QTest.keyClick(viewer, Qt.Key.Key_Left)  # a page turn of one's own: browsing
    await asyncio.wait_for(browsed, 20)
    await until(lambda: viewer.follow_bar.state == "browsing")
    await restyled(viewer.follow_bar)
    camera(window, "member-browsing")
    viewer.follow_bar.back.click()  # 戻る: following again (the next window starts there)
    await until(lambda: viewer.follow_bar.state == "following")
    await restyled(viewer.follow_bar)  # its new colours, at the look's size (the next turn)
    viewer.annotation_bar.set_open(True)
    camera(window, "member-write-open")
    session.errors.present_code("document_withdrawn")
    viewer.note_panel.open_note("", new=True)  # the tallest: a 付箋 being written, a notice
    camera(window, "member-writing-notice")
    viewer.note_panel.hide()
    viewer.annotation_bar.set_open(False)
    camera(window, "member-notice")
    window.notice.hide()
    if not side.shown_open:  # folded by the room: the reader opens the lists beside the page
        side.toggle.click()
    camera(window, "member-lists-opened")
    settings = window.open_settings()
    settings.resize(760, TABLET[1])
    await restyled(settings)
    camera(settings, "settings")
    scroll = settings.findChild(QScrollArea)
    body = scroll.widget() if scroll is not None else None
    if body is not None:
        camera(body, "settings-whole")
    settings.close()
    window.lock.lock()
    camera(window, "member-locked")
    window.close()
    await session.ops.settle()
    window.deleteLater()


async def chair_screens(camera: Camera, session: Session) -> None:
    window = await opened(session)
    camera(window, "chair-presenting")
    window.presenter_panel.set_folded_by_reader(True)
    camera(window, "chair-panel-folded")
    window.presenter_panel.set_folded_by_reader(False)
    admin = AdminScreen(session)
    admin.refresh = lambda: None  # type: ignore[method-assign] # shown, not asked: no admin here
    admin.resize(900, 700)
    admin.show()
    await restyled(admin)
    admin._show(  # noqa: SLF001 - a waiting device, as the relay would list it
        [
            PendingDevice(
                "dev-7f3a",
                "giin2",
                "member",
                FINGERPRINT,
                claimed_user_id="giin2",
                claimed_role="member",
            )
        ]
    )
    await until(lambda: all(card.isVisible() for card in admin.cards))  # shown on a turn
    camera(admin, "admin")
    admin.close()
    window.close()
    await session.ops.settle()
    window.deleteLater()
    admin.deleteLater()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screens", description=__doc__)
    parser.add_argument("dir", help="folder for the PNGs and findings.txt")
    args = parser.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import qasync  # noqa: PLC0415 - after the platform is chosen

    from furano_meet.app.__main__ import make_app  # noqa: PLC0415

    app = make_app(sys.argv[:1])
    out = Path(args.dir)
    findings = qasync.run(photograph(out))
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    app.shutdown()
    (out / "findings.txt").write_text("".join(f"{f}\n" for f in findings), encoding="utf-8")
    print(f"screens written to {out}; {len(findings)} findings (findings.txt)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
