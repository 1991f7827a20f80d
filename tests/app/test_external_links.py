"""Issue #9: a web link in a document is offered — after 「外部のサイトを開きますか？」, showing
where it really goes — and nothing else a document holds ever runs or opens.

A hostile page: over one link it *shows* the city's address but goes elsewhere; its other
links would start a program (Launch), run JavaScript, open a ``file:`` address, a
``javascript:`` address, an embedded file, or hide the real host behind a user name
(``https://city…@evil.example/``). The real relay, the clerk's real engine publishing it, a
councillor's real window; the desktop's browser is replaced by Qt's own hook for it
(``QDesktopServices.setUrlHandler``), so what *would* be opened is recorded, not opened."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pymupdf
from PySide6.QtCore import QObject, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QListWidgetItem
from pytestqt.qtbot import QtBot

from furano_meet.app.external_links import LinkConfirm, emphasised
from furano_meet.app.tour import expect_paint, until
from furano_meet.app.viewer import Fit, Viewer
from furano_meet.pagespace import Rect
from furano_meet.render import WebLink
from furano_meet.render.web import web_address
from server.demo import MEETING_ID
from tests.app.conftest import app_council
from tests.app.test_accessibility import problems
from tests.app.test_first_run import shot
from tests.app.test_tiles import on_canvas

WAIT = 20
SHEET = ("hostile-links", 1)
INSIDE, WEB, PLAIN = (pymupdf.Rect(60, y, 520, y + 40) for y in (60, 120, 180))
LAUNCH, SCRIPT, FILE, JS_URI, USERINFO, EMBEDDED = (
    pymupdf.Rect(60, y, 520, y + 40) for y in (240, 300, 360, 420, 480, 540)
)
TARGET = "https://evil.example.com/login?next=/a&b=1"
SHOWN = "https://www.city.furano.hokkaido.jp/"


def hostile_sheet(marker: Path) -> bytes:
    """Two pages; the first holds every kind of link (see the module docstring)."""
    doc = pymupdf.open()
    for number in (1, 2):
        doc.new_page().insert_text((300, 30), f"PAGE {number}", fontsize=16)
    first = doc[0]
    for rect, text in (
        (INSIDE, "GO TO PAGE 2"),
        (WEB, SHOWN),  # what the page says …
        (PLAIN, "http://example.org/plain"),
        (LAUNCH, "LAUNCH"),
        (SCRIPT, "SCRIPT"),
        (FILE, "FILE"),
        (JS_URI, "JS"),
        (USERINFO, "CITY"),
        (EMBEDDED, "EMBEDDED"),
    ):
        first.insert_text((rect.x0 + 4, rect.y1 - 12), text, fontsize=16)
    first.insert_link({"kind": pymupdf.LINK_GOTO, "from": INSIDE, "page": 1})
    first.insert_link({"kind": pymupdf.LINK_URI, "from": WEB, "uri": TARGET})  # … not where
    first.insert_link({"kind": pymupdf.LINK_URI, "from": PLAIN, "uri": "http://example.org/plain"})
    script = marker.with_suffix(".sh")
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    first.insert_link({"kind": pymupdf.LINK_LAUNCH, "from": LAUNCH, "file": str(script)})
    for rect, uri in (
        (SCRIPT, "https://script.example/"),
        (FILE, f"file://{marker}"),
        (JS_URI, f"javascript:app.launchURL('file://{marker}')"),
        (USERINFO, "https://www.city.furano.hokkaido.jp@evil.example/"),
        (EMBEDDED, "https://embedded.example/"),
    ):
        first.insert_link({"kind": pymupdf.LINK_URI, "from": rect, "uri": uri})
    doc.embfile_add("payload.sh", script.read_bytes(), filename="payload.sh")
    for needle, action in (
        ("script.example", f"<</S/JavaScript/JS(app.launchURL\\('file://{marker}'\\))>>"),
        ("embedded.example", "<</S/GoToE/NewWindow true/T<</R/C/N(payload.sh)>>>>"),
    ):
        xref = next(x for x, *_ in first.annot_xrefs() if needle in doc.xref_object(x))
        doc.xref_set_key(xref, "A", action)
    data = bytes(doc.tobytes())
    doc.close()
    return data


class Browser(QObject):
    """Stands for the desktop's browser through Qt's URL-handler hook: records, opens nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))


def tap(viewer: Viewer, rect: pymupdf.Rect) -> None:
    QTest.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton, pos=on_canvas(viewer, rect))


def ready(rows: list[QListWidgetItem]) -> bool:
    return any(
        r.data(Qt.ItemDataRole.UserRole) == SHEET and r.flags() & Qt.ItemFlag.ItemIsEnabled
        for r in rows
    )


def asked(viewer: Viewer) -> LinkConfirm | None:
    return viewer.links.external.confirm


def test_only_plain_web_addresses_are_ever_offered() -> None:
    assert web_address(TARGET) == TARGET
    assert web_address("HTTPS://Example.org/a b") is None  # a space: not an address
    for refused in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "mailto:giin@example.jp",
        "ftp://example.org/",
        "https://city.example@evil.example/",
        "https:///nohost",
        "https://example.org:99999/",
        "https://example.org/\x00",
        "https://example.org/" + "a" * 3000,
    ):
        assert web_address(refused) is None, refused
    rich = emphasised(TARGET)
    assert "<b>evil.example.com</b>" in rich and "&amp;" in rich  # escaped, the site in bold


async def test_a_web_link_asks_first_and_nothing_else_runs(tmp_path: Path, qtbot: QtBot) -> None:
    marker = tmp_path / "launched"
    browser = Browser()
    for scheme in ("http", "https", "file"):  # file: too — nothing may reach it
        QDesktopServices.setUrlHandler(scheme, browser, "open")  # type: ignore[arg-type]  # the stub says bytes, the binding takes str
    try:
        async with app_council(tmp_path, qtbot) as windows:
            clerk = windows.council.clerk
            assert clerk is not None
            sheet = await asyncio.to_thread(hostile_sheet, marker)
            await clerk.publish_document(
                MEETING_ID, sheet, title="リンクの確認", document_id=SHEET[0]
            )
            window = await windows.open("giin1")
            viewer = window.viewer
            await until(lambda: ready(window.agenda.entries()), WAIT)  # received, checked
            painted = expect_paint(viewer, 0, SHEET)
            viewer.open_document(*SHEET, 0)
            await asyncio.wait_for(painted, WAIT)
            viewer.set_fit(Fit.PAGE)
            await until(lambda: len(viewer.links.web) == 2 and len(viewer.links.links) == 1, WAIT)
            offered = sorted(link.url for link in viewer.links.web)
            assert offered == ["http://example.org/plain", TARGET]
            (web,) = [link for link in viewer.links.web if link.url == TARGET]
            assert web == WebLink(
                Rect(WEB.x0, WEB.y0, WEB.x1, WEB.y1), TARGET
            )  # the area in page points

            # Launch, JavaScript, file:, javascript:, a user name before the host, an embedded
            # file: no question, no page turn, nothing opened, nothing run
            for rect in (LAUNCH, SCRIPT, FILE, JS_URI, USERINFO, EMBEDDED):
                tap(viewer, rect)
                assert asked(viewer) is None, rect
            assert viewer.page == 0 and browser.opened == [] and not marker.exists()

            # the web link: the question shows the target, the site emphasised; やめる opens nothing
            tap(viewer, WEB)
            confirm = asked(viewer)
            assert confirm is not None and confirm.isVisible()
            assert confirm.site.text() == "evil.example.com"
            assert "<b>evil.example.com</b>" in confirm.address.text()
            words = " ".join(w.text() for w in confirm.findChildren(type(confirm.site)))
            assert "外部のサイトを開きますか？" in words and "city.furano" not in words
            assert confirm.keep.isDefault() and problems(confirm) == []
            shot(confirm, "external-link-confirm")
            confirm.keep.click()
            await until(lambda: asked(viewer) is None, WAIT)
            assert browser.opened == [] and viewer.page == 0

            # asked again and accepted: handed to the browser exactly as the link says
            tap(viewer, WEB)
            confirm = asked(viewer)
            assert confirm is not None
            confirm.open_button.click()
            await until(lambda: browser.opened == [TARGET], WAIT)

            # a finger's tap asks too (the gestures take touches: no mouse click)
            assert viewer.links.tap(QPointF(on_canvas(viewer, PLAIN)))
            confirm = asked(viewer)
            assert confirm is not None and confirm.site.text() == "example.org"
            confirm.open_button.click()
            await until(lambda: browser.opened == [TARGET, "http://example.org/plain"], WAIT)

            # the page's own link still turns the page, and nothing ever ran
            turned = expect_paint(viewer, 1, SHEET)
            tap(viewer, INSIDE)
            await asyncio.wait_for(turned, WAIT)
            assert not marker.exists()
            window.close()
    finally:
        for scheme in ("http", "https", "file"):
            QDesktopServices.unsetUrlHandler(scheme)
