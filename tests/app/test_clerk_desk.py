"""The clerk's desk (資料の管理), end to end: the demo council's real relay, the clerk's real
engine behind a real window and desk, and a councillor's window watching what arrives.

A refused file (not a PDF; a password) is said in plain words and the desk stays usable; a PDF
dropped on the desk is checked, described and published, and the councillor's agenda shows it,
as does the clerk's own (its device keeps what it publishes);
who-has-it turns to 受領済み once their device has it; a 差し替え reaches the councillor as 更新;
the export rule greys the councillor's save button; a withdrawal (after a confirmation naming
the document) marks it withdrawn in the councillor's agenda and takes it off the desk. Every
control is named and Tab-reachable; screenshots in Japanese and English go to /tmp/shots."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QListWidgetItem, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from furano_meet.app.clerk_delivery import NOT_RECEIVED, RECEIVED
from furano_meet.app.clerk_desk import ClerkDesk
from furano_meet.app.clerk_publish import FileTooLarge, FileUnreadable, read_and_check
from furano_meet.app.error_presenter import ErrorPresenter
from furano_meet.app.language import set_language
from furano_meet.app.meetings import STATE_ROLE
from furano_meet.app.session import Session
from furano_meet.app.states import State
from furano_meet.app.tour import FIRST_DOCUMENT, until
from furano_meet.app.window import MainWindow
from furano_meet.sync.documents import DocumentUnreadable
from server.demo import MEETING_ID, PEOPLE
from tests.app.conftest import Windows, app_council
from tests.app.test_accessibility import problems
from tests.app.test_first_run import shot
from tests.app.test_translation import japanese_outside, shown_texts
from tests.app.test_viewer import WAIT
from tests.pdfs import generate_agenda_pack


def make_files(folder: Path) -> dict[str, Path]:
    """(Worker thread) The files the clerk picks: a good PDF, a repaired one (accepted with a
    warning), a text file named .pdf, and a password-protected PDF."""
    good = generate_agenda_pack(title="補足資料", pages=3, seed=7)
    newer = generate_agenda_pack(title="補足資料（修正）", pages=4, seed=8)
    newer = newer[: newer.rindex(b"\nxref\n")]  # damaged, repaired with nothing lost: a warning
    doc = pymupdf.open(stream=good, filetype="pdf")
    try:
        locked = doc.tobytes(
            encryption=pymupdf.mupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o"
        )
    finally:
        doc.close()
    files = {
        "good": (folder / "補足資料.pdf", good),
        "newer": (folder / "補足資料_修正版.pdf", newer),
        "text": (folder / "メモ.pdf", "これはPDFではありません\n".encode()),
        "locked": (folder / "鍵つき.pdf", locked),
    }
    for path, data in files.values():
        path.write_bytes(data)
    return {key: path for key, (path, _) in files.items()}


def drop_on(widget: QWidget, path: Path) -> None:
    """A file dragged from the desktop and dropped (events built by hand, ``sendEvent``)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = QPoint(widget.width() // 2, widget.height() // 2)
    copy, none = Qt.DropAction.CopyAction, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(centre, copy, mime, Qt.MouseButton.NoButton, none)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), copy, mime, Qt.MouseButton.LeftButton, none)
    QApplication.sendEvent(widget, drop)


async def clerk_window(windows: Windows, qtbot: QtBot) -> MainWindow:
    """The demo clerk's running engine behind a real window (closed with the council)."""
    clerk = windows.council.clerk
    assert clerk is not None
    session = Session(clerk)  # already running: not started again
    windows.sessions.append(session)
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(1280, 860)
    window.show()
    window.choose_meeting(MEETING_ID)
    return window


def agenda_row(window: MainWindow, document_id: str) -> QListWidgetItem | None:
    """The councillor's agenda row of a document's newest version."""
    rows = [
        r for r in window.agenda.entries() if r.data(Qt.ItemDataRole.UserRole)[0] == document_id
    ]
    return max(rows, key=lambda r: r.data(Qt.ItemDataRole.UserRole)[1], default=None)


def pack_ids(desk: ClerkDesk) -> list[str]:
    rows = (desk.pack.item(i) for i in range(desk.pack.count()))
    return [r.data(Qt.ItemDataRole.UserRole) for r in rows if r.data(Qt.ItemDataRole.UserRole)]


def choose(desk: ClerkDesk, document_id: str) -> None:
    row = next(
        desk.pack.item(i)
        for i in range(desk.pack.count())
        if desk.pack.item(i).data(Qt.ItemDataRole.UserRole) == document_id
    )
    desk.pack.setCurrentItem(row)
    assert desk.right.currentWidget() is desk.page


async def test_the_clerk_publishes_replaces_sets_the_rule_and_withdraws(
    tmp_path: Path, qtbot: QtBot
) -> None:
    files = await asyncio.to_thread(make_files, tmp_path)
    async with app_council(tmp_path, qtbot) as windows:
        member = await windows.open("giin1")
        window = await clerk_window(windows, qtbot)
        button = next(
            b for b in window.statusBar().findChildren(QPushButton) if b.text() == "資料の管理…"
        )
        button.click()
        desk = window.clerk_desk
        assert isinstance(desk, ClerkDesk)
        qtbot.addWidget(desk)
        desk.feed.timer.setInterval(300)  # receipts arrive as no event: ask often in the test
        await until(lambda: len(pack_ids(desk)) == 3, WAIT)  # the demo pack, agenda order
        assert pack_ids(desk) == ["demo-1", "demo-2", "demo-3"]
        shot(window, "clerk-window")
        await until(desk.export.check.isEnabled, WAIT)
        assert desk.export.check.isChecked()

        # refused: not a PDF (the file dialog), then a password (dropped); the desk stays usable
        form = desk.start_new()
        form.choose.click()
        assert form.dialog is not None and form.dialog.isVisible()  # non-modal
        form.dialog.selectFile(str(files["text"]))
        form.dialog.accept()
        await until(lambda: desk.notice.isVisible() and form.step == "choose", WAIT)
        assert "PDFではありません" in desk.notice.text.text()
        assert "「メモ.pdf」は配布できません" in form.file.text()
        shot(desk, "clerk-refused")
        drop_on(desk, files["locked"])
        await until(lambda: "パスワード" in desk.notice.text.text(), WAIT)
        await until(lambda: form.step == "choose" and form.choose.isEnabled(), WAIT)
        assert "「鍵つき.pdf」は配布できません" in form.file.text()

        # a good PDF dropped: checked, described, published; the councillor's agenda shows it
        drop_on(desk, files["good"])
        await until(lambda: form.step == "describe", WAIT)
        assert form.title.text() == "補足資料" and "3ページ" in form.file.text()
        form.item.setEditText("議案第3号")
        assert form.position.value() == 4  # after the demo's three
        assert problems(desk) == []  # the form's fields are named and Tab-reachable
        shot(desk, "clerk-describe")
        form.send.click()
        await until(lambda: form.step == "done", WAIT)
        assert (
            form.progress.value() == 100 and "配布しました：補足資料（第1版）" in form.file.text()
        )
        shot(desk, "clerk-published")
        await until(lambda: len(pack_ids(desk)) == 4, WAIT)
        new_id = pack_ids(desk)[3]  # at its place, after the demo's three
        await until(lambda: agenda_row(member, new_id) is not None, WAIT)
        await until(
            lambda: (row := agenda_row(member, new_id)) is not None and "補足資料" in row.text(),
            WAIT,
        )
        # ... and so does the clerk's own window: its device kept what it published
        await until(
            lambda: (row := agenda_row(window, new_id)) is not None and "補足資料" in row.text(),
            WAIT,
        )

        # who has it: the councillor's device after it arrived; giin2 has no device at all
        form.back.click()
        choose(desk, new_id)
        rows = desk.page.delivery.rows_by_user
        await until(lambda: rows().get("giin1") == RECEIVED, WAIT)
        assert rows()["giin2"] == NOT_RECEIVED
        shown = desk.page.delivery.rows.item(list(rows()).index("giin1")).text()
        # the device by the name its root-signed certificate carries (the demo enrols
        # 「giin1 (app)」); a device certified before names by the end of its id
        assert shown.startswith("委員 北野　✓ 受領済み（第1版）\n　giin1 (app)：第1版"), shown
        assert "署名なし" not in shown  # signed by the device, verified on the clerk's
        # The same row had the signature been stripped (a 1.4 app, or a hostile relay): the
        # report's own data with nothing verified never reads 受領済み.
        panel = desk.page.delivery
        found = panel.delivery()
        assert found is not None
        real = next(m for m in found.members if m.user_id == "giin1")
        assert real.latest_verified
        stripped = replace(
            real,
            latest_verified=False,
            devices=tuple(replace(r, verified=False) for r in real.devices),
        )
        unsigned = panel._row(stripped, found.version).text()  # noqa: SLF001 - the row's words
        assert unsigned.startswith("委員 北野　✓ 受領の報告あり（署名なし・第1版）\n"), unsigned
        assert "受領済み" not in unsigned
        assert "（署名なし：古いアプリからの報告です）" in unsigned
        nameless = replace(real, devices=tuple(replace(r, device_name="") for r in real.devices))
        (device,) = real.devices
        old_line = panel._row(nameless, found.version).text().splitlines()[1]  # noqa: SLF001
        assert old_line.startswith(f"　端末 …{device.device_id[-4:]}：第1版")
        assert "jimukyoku" not in rows()  # the clerk at the desk is not a recipient
        shot(desk, "clerk-delivery")

        # 差し替え: the councillor sees 更新
        desk.start_replace()
        assert "差し替え：補足資料（いまは第1版）" in form.heading.text()
        drop_on(desk, files["newer"])
        await until(lambda: form.step == "describe", WAIT)
        assert form.title.text() == "補足資料" and form.item.currentText() == "議案第3号"
        assert form.warning.isVisible() and "自動で修復しました" in form.warning.text()
        assert form.send.isEnabled()  # said before confirming, not a refusal
        shot(desk, "clerk-replace")
        form.send.click()
        await until(lambda: form.step == "done", WAIT)
        await until(
            lambda: (
                (row := agenda_row(member, new_id)) is not None
                and row.data(STATE_ROLE) == State.UPDATED
            ),
            WAIT,
        )
        assert "更新" in (agenda_row(member, new_id) or QListWidgetItem()).text()

        # the export rule: the councillor's save button greys
        member.viewer.open_document(*FIRST_DOCUMENT)
        member.side.show_panel("document")
        await until(member.export.button.isEnabled, WAIT)
        desk.export.check.click()
        await until(lambda: not member.export.button.isEnabled(), WAIT)
        await until(desk.export.check.isEnabled, WAIT)
        assert not desk.export.check.isChecked() and "保存できません" in desk.export.now.text()

        # withdraw: the confirmation names the document; gone for the councillor and the desk
        form.back.click()
        choose(desk, new_id)
        confirm = desk.ask_withdraw()
        assert confirm is not None and confirm.isVisible()
        assert "「補足資料」（第2版）を取り下げますか？" in [
            w.text() for w in confirm.findChildren(type(desk.empty))
        ]
        assert problems(confirm) == []
        shot(confirm, "clerk-withdraw-confirm")
        confirm.withdraw.click()
        await until(
            lambda: (
                (row := agenda_row(member, new_id)) is not None
                and row.data(STATE_ROLE) == State.WITHDRAWN
            ),
            WAIT,
        )
        await until(lambda: new_id not in pack_ids(desk), WAIT)
        assert desk.right.currentWidget() is desk.empty
        assert problems(desk) == [] and problems(window) == []
        shot(desk, "clerk-after-withdraw")

        # in English: nothing but the council's own words stays Japanese
        await english_desk(window.session, qtbot)
        for session in windows.sessions:
            await session.ops.settle()


async def english_desk(session: Session, qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    set_language(app, "en")
    try:
        desk = ClerkDesk(session, MEETING_ID)
        qtbot.addWidget(desk)
        desk.resize(1180, 820)
        desk.show()
        await until(lambda: len(pack_ids(desk)) == 3, WAIT)
        choose(desk, "demo-1")
        await until(lambda: desk.page.delivery.rows.count() > 0, WAIT)
        data = {name for _, name, _ in PEOPLE}
        data |= {mt.title for mt in await session.engine.meetings()}
        report = desk.feed.report
        assert report is not None
        data |= {piece for d in report.documents for piece in (d.title, d.agenda_item)}
        assert japanese_outside(data, shown_texts(desk)) == []
        shot(desk, "clerk-en-document")
        desk.start_new()
        assert japanese_outside(data, shown_texts(desk)) == []
        shot(desk, "clerk-en-publish")
        desk.close()
    finally:
        set_language(app, "ja")


def test_a_file_too_large_or_broken_is_refused_before_publishing(tmp_path: Path) -> None:
    """The desk's reading step (what runs on the worker thread): too large is refused before
    the file is read; a broken PDF by the PDF check; a folder as unreadable — each a code the
    error presenter words."""
    big = tmp_path / "大きな資料.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * 4096)
    with pytest.raises(FileTooLarge) as too_large:
        read_and_check(big, max_bytes=4000)
    broken = tmp_path / "壊れた資料.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with pytest.raises(DocumentUnreadable) as unreadable:
        read_and_check(broken)
    with pytest.raises(FileUnreadable) as folder:
        read_and_check(tmp_path)
    codes = [too_large.value.code, unreadable.value.code, folder.value.code]
    assert codes == ["upload_too_large", "pdf_broken", "file_unreadable"]
    presenter = ErrorPresenter()
    words = [presenter.present(e.value).message for e in (too_large, unreadable, folder)]
    assert words == [
        "このファイルは大きすぎて配布できません。",
        "このPDFは壊れていて読めません。",
        "選んだファイルを読み込めませんでした。",
    ]
