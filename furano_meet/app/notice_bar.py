"""The banner that shows what the error presenter says, and how it floats over the page.

Why calm rather than loud: a notice must never stop a meeting (no modal box), and it must
never hide the page a councillor is reading for longer than it is worth. So:

- a notice that only says what the app is already doing about it (server unreachable — it
  reconnects by itself; :attr:`.Notice.needs_action` is false) folds away by itself after
  :data:`FOLD_AFTER_MS`, a time long enough for a slow reader, and never while the pointer or a
  finger is on it or it holds the keyboard focus;
- a notice that asks something of the reader stays until 閉じる;
- floating over the page, a notice that would cover more than :data:`COVER_AT_MOST` of it
  (English, large text, a short page) shrinks to the height of its buttons — the message in at
  most two lines, cut with 「…」, and 「詳しく」, which opens the whole of it again. (One line
  was tried first: beside the buttons it left 「表示中の資料は…」, which says nothing.)

Screen readers always get the whole notice: the banner's accessible name is the message and
its description the next step, whatever is folded on the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QEnterEvent,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QHideEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from .error_presenter import Notice

FOLD_AFTER_MS = 12_000
"""How long a notice that needs nothing of the reader stays: two short sentences read slowly,
twice (≈ 5 characters a second for an older reader, ~60 characters)."""

COVER_AT_MOST = 1 / 3
"""The share of the page a floating notice may cover before it shrinks to two lines."""

SHORT_LINES = 2
"""The lines of the message a shrunk notice shows: as tall as its buttons, at any text size."""


class NoticeBar(QFrame):
    """The error presenter's banner; never blocks the meeting (see the module docstring)."""

    reshaped = Signal()
    """Its words changed while shown (「詳しく」, one line or whole): it must be placed again —
    a banner outside any layout gets no layout request of its own."""

    def __init__(self, parent: QWidget | None = None, fold_after_ms: int = FOLD_AFTER_MS) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.notice: Notice | None = None
        self.compact = False
        """Shown shrunk: the message in two lines with 「詳しく」 (set by :class:`FloatingNotice`)."""
        self.expanded = False
        """The reader tapped 「詳しく」: the whole notice until the next one."""
        self.pointer_on = False
        self.keyboard_on = False
        """The reader moved the keyboard focus onto the notice (see :meth:`_focus_changed`)."""
        self._came_by = Qt.FocusReason.OtherFocusReason
        self.row = QHBoxLayout(self)
        self.text = QLabel(self)
        self.text.setObjectName("noticeText")
        self.text.setWordWrap(True)
        self.text.installEventFilter(self)  # its width decides where a one-line notice is cut
        self.more = QPushButton(self.tr("詳しく"), self)
        self.more.setObjectName("compact")
        self.more.setAccessibleName(self.tr("お知らせを詳しく表示"))
        self.more.clicked.connect(self.expand)
        self.more.hide()
        self.close_button = QPushButton(self.tr("閉じる"), self)
        self.close_button.setAccessibleName(self.tr("お知らせを閉じる"))
        self.close_button.clicked.connect(self.hide)
        self.row.addWidget(self.text, 1)
        self.row.addWidget(self.more)
        self.row.addWidget(self.close_button)
        self.fold_timer = QTimer(self)
        self.fold_timer.setSingleShot(True)
        self.fold_timer.setInterval(fold_after_ms)
        self.fold_timer.timeout.connect(self.fold)
        for button in (self.more, self.close_button):
            button.installEventFilter(self)  # how the focus came (FocusIn's reason)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        self.hide()

    def show_notice(self, notice: Notice) -> None:
        self.notice, self.expanded = notice, False
        self.setAccessibleName(notice.message)
        self.setAccessibleDescription(notice.next_step)
        self.text.setAccessibleName(f"{notice.message} {notice.next_step}")
        self._fill()
        self.show()
        if notice.needs_action:
            self.fold_timer.stop()
        else:
            self.fold_timer.start()

    def set_compact(self, compact: bool) -> None:
        """Shrunk with 「詳しく」, or the whole notice; a no-op when nothing changes (it is
        called on every placement, and a change of text asks for another)."""
        if compact != self.compact:
            self.compact = compact
            self._fill()

    def expand(self) -> None:
        """「詳しく」: the whole notice, and a fresh reading time if it folds by itself."""
        self.expanded = True
        self._fill()
        if self.fold_timer.isActive():
            self.fold_timer.start()

    def fold(self) -> None:
        """The reading time is up: fold, unless the reader is at the notice right now."""
        if self.held():
            self.fold_timer.start()  # look again later; it never folds under a finger
        else:
            self.hide()

    def held(self) -> bool:
        """Whether the pointer or a finger is on the notice or the reader's keyboard is."""
        return self.pointer_on or self.keyboard_on

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        """Focus on the notice holds it only when the reader moved it there (Tab, a shortcut)
        from a widget still shown. Why: when the focused widget is hidden — the 付箋 panel
        closed after 保存 — Qt moves the focus to the next in the chain, often the notice's
        button, with the same reason as a Tab; and a tap on 「詳しく」 focuses it too. Either
        would have kept a notice that needs nothing on the page until the reader tapped
        elsewhere."""
        keyboard = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason)
        came_by_keys = self._came_by in (*keyboard, Qt.FocusReason.ShortcutFocusReason)
        inside = new is not None and self.isAncestorOf(new)
        self.keyboard_on = inside and came_by_keys and old is not None and old.isVisible()

    def full_height(self, width: int) -> int:
        """How tall the whole notice would be at ``width`` — measured, not laid out, so that
        deciding whether to shrink never changes the text (which would ask again)."""
        if self.notice is None:
            return 0
        self.ensurePolished()
        self.text.ensurePolished()
        margins = self.row.contentsMargins()
        spacing = max(0, self.row.spacing())
        button = self.close_button.sizeHint()
        frame = 2 * self.frameWidth()
        words = width - margins.left() - margins.right() - spacing - button.width() - frame
        text = f"{self.notice.message}\n{self.notice.next_step}"
        flags = Qt.TextFlag.TextWordWrap.value
        box = QFontMetrics(self.text.font()).boundingRect(
            QRect(0, 0, max(1, words), 10**6), flags, text
        )
        inner = max(box.height() + 2 * self.text.margin(), button.height())
        return inner + margins.top() + margins.bottom() + frame

    def _fill(self) -> None:
        if self.notice is None:
            return
        short = self.compact and not self.expanded
        self.more.setVisible(short)
        self.text.setWordWrap(not short)  # shrunk, the lines are cut here (first_lines)
        # shrunk, it takes the width left beside the buttons, never asks for its own
        # (its policy is changed, not replaced: word wrap keeps its height-for-width flag there)
        policy = self.text.sizePolicy()
        policy.setHorizontalPolicy(
            QSizePolicy.Policy.Ignored if short else QSizePolicy.Policy.Preferred
        )
        self.text.setSizePolicy(policy)
        if short:
            width = self.text.contentsRect().width()
            self.text.setText(first_lines(self.notice.message, self.text.font(), width))
        else:
            self.text.setText(f"{self.notice.message}\n{self.notice.next_step}")
        self.reshaped.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.text and event.type() == QEvent.Type.Resize and self.compact:
            self._fill()
        elif isinstance(event, QFocusEvent) and event.type() == QEvent.Type.FocusIn:
            self._came_by = event.reason()  # before focusChanged, which reads it
        return False

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 - Qt's name
        self.pointer_on = True
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        self.pointer_on = False
        super().leaveEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        self.fold_timer.stop()
        self.pointer_on = False
        super().hideEvent(event)


def first_lines(text: str, font: QFont, width: int, count: int = SHORT_LINES) -> str:
    """``text`` wrapped as a label wraps it ``width`` px wide, its first ``count`` lines, the
    last cut with 「…」 when more would follow."""
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout = QTextLayout(text, font)
    layout.setTextOption(option)
    layout.beginLayout()
    lines: list[str] = []
    taken = 0
    while len(lines) < count - 1 and (line := layout.createLine()).isValid():
        line.setLineWidth(max(1, width))
        lines.append(text[taken : taken + line.textLength()].rstrip())
        taken += line.textLength()
    layout.endLayout()
    if rest := text[taken:].strip():
        elide = Qt.TextElideMode.ElideRight
        lines.append(QFontMetrics(font).elidedText(rest, elide, max(1, width)))
    return "\n".join(lines)


class FloatingNotice(QObject):
    """Keeps the window's notice floating over the top of the page, not in the column above it.

    Why: in the column it took two or three lines (≈ 90–130 px with large text) from a height
    the open write bar beside the page already needs nearly all of: at 1280×800 the window grew
    to 907 px (1105 with large text) when both showed. Floating, it covers the page's top edge
    — the bars above the page and the write bar stay where they were, and the window keeps its
    size. It is as wide as the page and as tall as its wrapped words, or two lines and 「詳しく」
    when those would cover more than :data:`COVER_AT_MOST` of the page."""

    def __init__(self, notice: NoticeBar, host: QWidget, page: QWidget) -> None:
        super().__init__(notice)
        self.notice, self.host, self.page = notice, host, page
        notice.setParent(host)
        for watched in (notice, page):
            watched.installEventFilter(self)
        notice.reshaped.connect(self.place)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        moved = (QEvent.Type.Show, QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.LayoutRequest)
        if event.type() in moved:
            self.place()
        return False

    def place(self) -> None:
        if self.notice.isHidden():
            return
        corner = self.page.mapTo(self.host, QPoint(0, 0))
        width = self.page.width()
        self.notice.set_compact(self.notice.full_height(width) > self.page.height() * COVER_AT_MOST)
        height = self.notice.heightForWidth(width)
        if height < 0:
            height = self.notice.sizeHint().height()
        # a page squeezed lower than the notice (large text, the 付箋 panel open below it):
        # the notice rises over the bars above rather than covering the note being written
        top = max(0, min(corner.y(), corner.y() + self.page.height() - height))
        self.notice.setGeometry(corner.x(), top, width, height)
        self.notice.raise_()
