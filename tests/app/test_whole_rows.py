"""Issue #9, seen by a councillor of seventy: a list row never loses its last words to 「…」.

The meeting list's state line at the side column's width, and an outline title that just fits
one line until the list grows a scroll bar. The lists are the app's own (window style, icons,
spacing) and the check is :func:`tools.screen_check.clipped`, which ``test_fit`` runs on every
window; each case is also shown to bite a plain word-wrapped list, so the check can fail."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap, QTextLayout, QTextOption
from PySide6.QtWidgets import QApplication, QListWidget, QListWidgetItem, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from furano_meet.app.appearance import BLACK, YELLOW, Appearance
from furano_meet.app.states import ICON_SIZE, Badge, State
from furano_meet.app.whole_rows import WORD_JOINER, WholeRows, kept_whole, wrap_whole
from furano_meet.app.window import STYLE
from furano_meet.preferences import Preferences
from tests.app.test_first_run import shot
from tools.screen_check import clipped

MEETING = "2026年12月8日\u3000総務文教委員会\n令和8年第4回富良野市議会定例会\n" + (
    "オフラインで閲覧できます（資料3件）"  # the row as the meeting list words it
)
TITLES = ["議事日程", "市道の認定について", "富良野市一般会計補正予算（第3号）", "議案第1号"] * 6


def listing(qtbot: QtBot, whole: bool, icon: bool) -> QListWidget:
    view = QListWidget()
    qtbot.addWidget(view)
    view.setStyleSheet(STYLE)
    view.setWordWrap(True)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    if icon:
        view.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        view.setSpacing(4)
    if whole:
        wrap_whole(view)
    return view


def cut_at(
    qtbot: QtBot, *, whole: bool, texts: list[str], icon: bool, widths: range
) -> dict[int, list[str]]:
    """``{width: what clipped() finds}`` for a list of ``texts`` shown at each width."""
    found = {}
    picture = QPixmap(ICON_SIZE, ICON_SIZE)
    picture.fill(QColor("#137333"))
    for width in widths:
        view = listing(qtbot, whole, icon)
        for text in texts:
            view.addItem(QListWidgetItem(QIcon(picture), text) if icon else QListWidgetItem(text))
        view.resize(width, 300)
        view.show()
        QApplication.sendPostedEvents()  # the layout requests; a resize lays the rows out
        if problems := clipped(view):
            found[width] = problems
        view.close()
    return found


async def test_the_meeting_lists_state_line_wraps_whole(qtbot: QtBot) -> None:
    widths = range(330, 460, 2)  # the side column's list, narrow to wide
    plain = cut_at(qtbot, whole=False, texts=[MEETING], icon=True, widths=widths)
    assert plain, "the check sees the cut line of a plain list"
    assert cut_at(qtbot, whole=True, texts=[MEETING], icon=True, widths=widths) == {}


async def test_an_outline_title_that_just_fits_keeps_its_words_beside_a_scroll_bar(
    qtbot: QtBot,
) -> None:
    widths = range(200, 330, 2)
    plain = cut_at(qtbot, whole=False, texts=TITLES, icon=False, widths=widths)
    assert any("市道の認定について" in " ".join(p) for p in plain.values())
    assert cut_at(qtbot, whole=True, texts=TITLES, icon=False, widths=widths) == {}
    view = listing(qtbot, whole=True, icon=False)
    view.addItems(TITLES)
    view.resize(250, 400)
    view.show()
    QApplication.sendPostedEvents()
    assert view.verticalScrollBar().isVisible()
    shot(view, "rows-outline-whole")


def lines_at(view: QListWidget, text: str, width: int) -> list[str]:
    """``text`` wrapped as the list's rows wrap it (word boundary, else anywhere), ``width``
    px wide, in the list's font: its lines, word joiners left out."""
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout = QTextLayout(text, view.font())
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        lines.append(text[line.textStart() : line.textStart() + line.textLength()])
    layout.endLayout()
    return [line.replace(WORD_JOINER, "") for line in lines]


async def test_a_wrapped_state_line_keeps_its_bracket_whole(qtbot: QtBot) -> None:
    """「…（資料3」「件）」 was a state line at some widths; the row shows （資料3件） whole."""
    view = listing(qtbot, whole=True, icon=True)
    view.show()
    state = "オフラインで閲覧できます（資料3件）"
    widths = range(120, 400, 2)
    cut = [w for w in widths if "（資料3件）" not in "\n".join(lines_at(view, state, w))]
    assert cut, "plain, the bracket is split at some widths"
    shown = Badge(State.READY, state).shown
    assert shown.replace(WORD_JOINER, "") == state
    for width in widths:
        lines = lines_at(view, shown, width)
        assert "".join(lines) == state and "（資料3件）" in lines[-1], (width, lines)


async def test_scroll_bars_are_touch_sized_and_seen_in_high_contrast(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        for prefs in (Preferences(), Preferences(large_text=True), Preferences(high_contrast=True)):
            Appearance.of(app).apply(prefs)
            view = listing(qtbot, whole=True, icon=False)
            view.addItems(TITLES)
            view.resize(260, 300)
            view.show()
            QApplication.sendPostedEvents()
            bar = view.verticalScrollBar()
            assert bar.isVisible() and bar.width() >= 20, bar.width()
            picture = bar.grab().toImage()
            handle = picture.pixelColor(bar.width() // 2, 12)  # the list is at its top
            trough = picture.pixelColor(bar.width() // 2, bar.height() - 4)
            if prefs.high_contrast:
                assert (handle.name(), trough.name()) == (YELLOW, BLACK)
            else:  # a grey handle on a light trough
                assert handle.lightness() < trough.lightness() - 60
            shot(view, f"rows-scroll-bar-{'contrast' if prefs.high_contrast else 'normal'}")
            view.close()
    finally:
        Appearance.of(app).apply(Preferences())


async def test_a_title_row_keeps_its_bracketed_number_whole_at_any_width(qtbot: QtBot) -> None:
    """「…補正予算（第3」「号）」 was a search result (and agenda, review, desk) row at some
    widths; every wrap_whole row is drawn with （第3号） on one line, and the row's own text —
    what is copied, searched, read out — keeps no joiner."""
    title = "富良野市一般会計補正予算（第3号）"
    view = listing(qtbot, whole=True, icon=False)
    view.addItem(title)
    view.show()
    widths = range(120, 420, 2)
    split = [w for w in widths if "（第3号）" not in "\n".join(lines_at(view, title, w))]
    assert split, "plain, the bracket is split at some widths"
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    delegate = view.itemDelegate()
    assert isinstance(delegate, WholeRows)
    delegate.initStyleOption(option, view.model().index(0, 0))  # as painting and measuring do
    drawn = option.text
    assert drawn != title and drawn.replace(WORD_JOINER, "") == title
    for width in widths:
        lines = lines_at(view, drawn, width)
        assert "".join(lines) == title and any("（第3号）" in line for line in lines), (
            width,
            lines,
        )
    assert view.item(0).text() == title  # display only
    assert kept_whole(drawn) == drawn  # a state line already joined is drawn the same
