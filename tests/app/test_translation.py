"""The English UI is whole: every marked string has its English (checked against the sources,
and against what ``pyside6-lupdate`` finds), and a real main window in English shows Japanese
only where the text is the council's own data. Screenshots: /tmp/shots/i18n-*.png."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from furano_meet.app.language import set_language
from furano_meet.app.tour import FIRST_DOCUMENT, expect_paint, until
from furano_meet.app.window import MainWindow
from furano_meet.sync.committee import committee_of, session_of
from server.demo import MEETING_ID, PEOPLE
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_viewer import chair_and_follower
from tools.translations import (
    JAPANESE,
    NOT_TRANSLATED,
    TS,
    lupdate_keys,
    needs_english,
    placeholder_mismatches,
    read_entries,
    scan,
    stale,
)

WAIT = 20
ORG_NAME = "富良野市"
LANGUAGE_CHOOSER = {*NOT_TRANSLATED, "Language / 言語"}
"""The language setting names itself in both languages, so a reader lost in the wrong one
finds it; 「日本語」 is the choice's own name."""


# -- (a) the translation file against the sources --


def test_every_marked_string_has_english_with_its_placeholders() -> None:
    marked, problems = scan()
    entries = read_entries(TS)
    assert problems == [], "run `python -m tools.translations` (docs/dev/translations.md)"
    missing = [f"{m.where} [{m.context}] {m.source!r}" for m in needs_english(marked, entries)]
    assert missing == [], "these need English: run `python -m tools.translations`"
    assert placeholder_mismatches(entries) == []
    assert stale(marked, entries) == []


def test_the_scan_finds_exactly_what_lupdate_finds() -> None:
    """So the check above and Qt's own tool agree on what there is to translate."""
    ours = {(m.context, m.source) for m in scan()[0]}
    theirs = lupdate_keys()
    assert sorted(theirs - ours) == [], "lupdate sees these; tools/translations.py does not"
    assert sorted(ours - theirs) == [], "lupdate cannot see these: tr() inside an f-string?"


def test_the_scan_catches_each_kind_of_miss(tmp_path: Path) -> None:
    module = tmp_path / "new_panel.py"
    module.write_text(
        "from PySide6.QtCore import QCoreApplication, QObject\n"
        "CONTEXT = 'NewPanel'\n"
        "class NewPanel(QObject):\n"
        "    def words(self, n: int) -> list[str]:\n"
        "        return [\n"
        "            self.tr('まだ英語のない言葉'),\n"
        "            self.tr(f'{n}件'),\n"
        "            QCoreApplication.translate(CONTEXT, '変数の文脈'),\n"
        "            '印のない日本語',\n"
        "            '日本語',\n"  # the language's own name: shown as it is
        "        ]\n",
        encoding="utf-8",
    )
    marked, problems = scan([module])
    assert [(m.context, m.source) for m in needs_english(marked, read_entries(TS))] == [
        ("NewPanel", "まだ英語のない言葉")
    ]
    assert [p.split(": ", 1)[1] for p in problems] == [
        "f-string in tr(); use {name} and .format()",
        "translate() needs a literal context for lupdate: '変数の文脈'",
        "not marked for translation: '印のない日本語'",
    ]


def test_a_translation_that_drops_a_placeholder_is_reported(tmp_path: Path) -> None:
    ts = tmp_path / "broken.ts"
    ts.write_text(
        '<?xml version="1.0" encoding="utf-8"?><TS version="2.1" language="en">'
        "<context><name>X</name>"
        "<message><source>{n}件</source><translation>some</translation></message>"
        "<message><source>{a}と{b}</source><translation>{b} and {a}</translation></message>"
        "</context></TS>",
        encoding="utf-8",
    )
    assert placeholder_mismatches(read_entries(ts)) == ["X: '{n}件' → 'some'"]


# -- (b) a real window in English --


def shown_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every visible label, button, tab, list row, tooltip and accessible
    name under ``root`` — the words a reader or a screen reader meets."""
    found: list[tuple[str, str]] = [("window title", root.windowTitle())]
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        where = widget.objectName() or type(widget).__name__
        texts = [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription()]
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        if isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())  # what the reader typed is theirs
        if isinstance(widget, QTabBar):
            for i in range(widget.count()):
                texts += [widget.tabText(i), widget.tabToolTip(i)]
        if isinstance(widget, QListWidget):
            for i in range(widget.count()):
                item = widget.item(i)
                if not item.isHidden():
                    texts += [item.text(), item.toolTip()]
        found += [(where, text) for text in texts if text]
    return found


def japanese_outside(data: set[str], texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The texts still holding kana or kanji once every piece of council data is taken out."""
    pieces = sorted((piece for piece in data if piece), key=len, reverse=True)
    left = []
    for where, text in texts:
        rest = text
        for piece in pieces:
            rest = rest.replace(piece, "")
        if JAPANESE.search(rest):
            left.append((where, text))
    return left


async def council_data(window: MainWindow) -> set[str]:
    """The allowlist: what the council wrote, not the app — the meeting's and documents'
    titles and agenda items, the people's and the organisation's names, and the open
    document's own outline (the PDF's bookmarks)."""
    engine = window.session.engine
    data = {ORG_NAME, *(name for _, name, _ in PEOPLE)}
    for meeting in await engine.meetings():  # the list splits a title into 会議体 and session
        committee = committee_of(meeting.title, await engine.committee(meeting.meeting_id))
        data |= {meeting.title, session_of(meeting.title, committee)}
        data |= {committee.name} if committee else set()
    for doc in await engine.documents(MEETING_ID):
        data |= {doc.title, doc.agenda_item or ""}
    outline = await window.session.render.outline(*FIRST_DOCUMENT)
    return data | {entry.title for entry in outline}


async def every_tab_in_english(window: MainWindow, name: str) -> None:
    """Each panel of the side column in turn, and each of the document tabs (only the
    current one is visible)."""
    data = await council_data(window)
    side, tabs = window.side, window.contents
    for panel in side.panels:
        side.show_panel(panel.key)
        await until(panel.widget.isVisible, WAIT)
        assert japanese_outside(data, shown_texts(window)) == [], f"{name}, {panel.key}"
    side.show_panel("document")
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        await until(lambda: tabs.currentWidget().isVisible(), WAIT)
        assert japanese_outside(data, shown_texts(window)) == [], f"{name}, tab {index}"
    shot(window, f"i18n-{name}")


async def test_the_window_in_english_shows_japanese_only_in_council_data(
    tmp_path: Path, qtbot: QtBot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert set_language(app, "en") == "en"
    try:
        async with app_council(tmp_path, qtbot) as windows:
            chair, member = await chair_and_follower(windows)
            await until(lambda: member.viewer.follow_bar.state == "following", WAIT)
            await until(lambda: chair.viewer.follow_bar.state == "presenting", WAIT)
            assert "Following" in member.viewer.follow_bar.label.text()
            await every_tab_in_english(member, "member")
            await every_tab_in_english(chair, "chair")
            browsed = expect_paint(member.viewer, 0)
            QTest.keyClick(member.viewer, Qt.Key.Key_Left)  # a page turn of one's own
            await asyncio.wait_for(browsed, WAIT)
            await until(lambda: member.viewer.follow_bar.state == "browsing", WAIT)
            assert member.viewer.follow_bar.label.text() == "The chair is on page 2"
            assert member.viewer.follow_bar.back.text() == "Back to the chair's page"
            assert japanese_outside(await council_data(member), shown_texts(member)) == []
            shot(member, "i18n-member-browsing")
            settings = member.open_settings()
            await until(settings.isVisible, WAIT)
            assert japanese_outside(LANGUAGE_CHOOSER, shown_texts(settings)) == []
            shot(settings, "i18n-settings")
            settings.close()
            assert japanese_outside(set(), [("demo", PEOPLE[2][1])]) != []  # the scan sees kanji
            for window in (chair, member):
                await window.session.ops.settle()
    finally:
        set_language(app, "ja")
