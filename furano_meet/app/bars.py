"""The bars above the page: whom I follow (or how to get back), and the presenter's tools.

Both only *show* a :class:`~furano_meet.sync.presenting.MeetingView` and emit intents; the
viewer (page intents) and the presenter panel (role intents: ask, take, hand back) turn them
into engine calls. Colours carry the state for those who glance (green: following the chair;
amber: reading on my own; blue: I am presenting), and the words say it for those who read —
never colour alone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from furano_meet.sync.follow import Mode
from furano_meet.sync.presenting import MeetingView

from .appearance import MARK, ORIGINAL
from .flow_layout import FlowLayout

BAR_HEIGHT = 76
STATES = {
    "following": ("#0b6e3b", "#ffffff"),
    "browsing": ("#ffe8a3", "#3d2e00"),
    "presenting": ("#1a4fa0", "#ffffff"),
    "idle": ("#e8eaed", "#202124"),
}


class FollowBar(QFrame):
    """「委員長に追従中」, or 「委員長は12ページです — 戻る」 while reading on one's own."""

    return_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("followBar")
        self.setFixedHeight(BAR_HEIGHT)  # the page must not jump when the state changes
        layout = self.row = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 8, 8)
        self.label = QLabel(self)
        self.label.setObjectName("followLabel")
        # A long text wraps onto a second line rather than widening the viewer (and squeezing
        # the page); the bar is two lines of its font high (polish: large text cut it).
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setWordWrap(True)
        self.back = QPushButton(self.tr("戻る"), self)
        self.back.setObjectName("returnButton")
        self.back.setAccessibleName(self.tr("委員長のページに戻る"))
        self.back.clicked.connect(self.return_clicked)
        for grows in (self.label, self.back):  # their fonts set the bar's height
            grows.installEventFilter(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.back)
        self.state = "idle"
        self.show_view(None)
        for grows in (self.label, self.back):  # its own sheet now: no change when shown, so a
            grows.ensurePolished()  # page opened at once is not rendered twice
        self._fit_height()

    def show_view(self, view: MeetingView | None) -> None:
        presenter_page = view.view.presenter_page if view is not None else None
        self.back.setVisible(False)
        if view is None or presenter_page is None:
            self.state = "idle"
            text = self.tr("発表はまだ始まっていません — 資料を自由に読めます")
        elif view.presenting and view.view.mode is Mode.FOLLOWING:
            self.state = "presenting"
            # two phrases on two lines: at large text beside the open write bar one line
            # cannot hold the whole, and Japanese wraps anywhere (「…ペー」「ジ…」) otherwise
            text = self.tr("発表中 — 全員が\nあなたのページを見ています")
        elif view.presenting:  # the presenter paused: their own turns are private now
            self.state = "browsing"
            text = self.tr("一時停止中 — 皆さんは{page}ページ").format(page=presenter_page.page + 1)
            self.back.setText(self.tr("発表に戻る"))
            self.back.setVisible(True)
        elif view.view.mode is Mode.FOLLOWING:
            self.state = "following"
            text = self.tr("● {who}に追従中").format(who=self._who(view))
        else:
            self.state = "browsing"
            mine = view.view.page
            if mine is None or mine.document_id == presenter_page.document_id:
                text = self.tr("{who}は{page}ページです")
            else:  # the page number alone would point into the wrong document
                text = self.tr("{who}は別の資料の{page}ページです")
            text = text.format(who=self._who(view), page=presenter_page.page + 1)
            self.back.setText(self.tr("戻る"))
            self.back.setVisible(True)
        self.label.setText(text[:1].upper() + text[1:])  # English: 「the chair is …」 starts it
        self.updateGeometry()  # its longest word is its narrowest (minimumSizeHint)
        background, foreground = STATES[self.state]
        sheet = (
            f"#followBar {{ background: {background}; border-radius: 8px; }}"
            f"#followLabel {{ color: {foreground}; font-size: 20pt; font-weight: bold; }}"
        )
        # perf (issue #9): the same sheet again re-polished the bar on every page turn (~2 ms
        # of the GUI thread while the page's pixels were on their way). With large text or high
        # contrast the sheet in force is appearance.py's rewrite: compare what this bar set, or
        # every turn set the plain sheet again — the label at normal size until the next turn
        current = self.styleSheet()
        if current.endswith(MARK):
            current = str(self.property(ORIGINAL) or "")
        if sheet != current:
            self.setStyleSheet(sheet)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """The label's or the button's font changed (their sheets, large text): two lines of
        the label, or the button, is the bar's height — fixed, so the page never jumps when the
        words change."""
        changes = (QEvent.Type.FontChange, QEvent.Type.Polish, QEvent.Type.StyleChange)
        if watched in (self.label, self.back) and event.type() in changes:
            self._fit_height()
        return False

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """At least the label's longest word (a run of Japanese between spaces) beside the
        button: with the write bar open the bar is only as wide as the page, and a narrower
        one cut 「あなたのページを見ています」 (the room folds a panel instead)."""
        hint = super().minimumSizeHint()
        metrics = self.label.fontMetrics()
        words = self.label.text().replace("\n", " ").split(" ")
        longest = max(metrics.horizontalAdvance(word) for word in words)
        margins = self.contentsMargins() + self.row.contentsMargins()
        width = longest + margins.left() + margins.right() + 2
        if not self.back.isHidden():
            width += self.row.spacing() + self.back.sizeHint().width()
        return QSize(max(hint.width(), width), hint.height())

    def _fit_height(self) -> None:
        # two lines as the label lays them out: a pixel of rounding a line over the font's
        lines = 2 * (self.label.fontMetrics().lineSpacing() + 1) + 16
        height = max(BAR_HEIGHT, lines, self.back.sizeHint().height() + 16)
        if height != self.height():
            self.setFixedHeight(height)

    def _who(self, view: MeetingView) -> str:
        """How the presenter is named: 委員長 for the chair, else their display name."""
        user_id = view.view.presenter_user_id
        member = next((m for m in view.members if m.user_id == user_id), None)
        if member is None or member.role == "chair":
            return self.tr("委員長")
        return self.tr("{name}さん").format(name=member.display_name)


class PresenterBar(QFrame):
    """The presenter's tools (present this page, pointer, shared pen, bring everyone here)
    for the presenter, the chair and clerks; for everyone else only 「発表をお願いする」.
    (Taking and handing back the role are in the presenter panel, beside the page.)"""

    present_clicked = Signal()
    bring_clicked = Signal()
    pointer_toggled = Signal(bool)
    pen_toggled = Signal(bool)
    request_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presenterBar")
        layout = FlowLayout(self)  # a second row when narrow, never cut words (flow_layout.py)
        self.present = QPushButton(self.tr("このページを表示"), self)
        self.pointer = QPushButton(self.tr("ポインター"), self)
        self.pen = QPushButton(self.tr("共有ペン"), self)
        self.bring = QPushButton(self.tr("全員をこのページへ"), self)
        self.request = QPushButton(self.tr("発表をお願いする"), self)
        self.request.setStyleSheet("QPushButton:disabled { color: #3c4043; }")  # still legible
        self.bring.setAccessibleName(self.tr("自分で閲覧中の人も含めて、全員をこのページへ"))
        for button in (self.pointer, self.pen):
            button.setCheckable(True)
        self.present.clicked.connect(self.present_clicked)
        self.bring.clicked.connect(self.bring_clicked)
        self.pointer.toggled.connect(self._pointer)
        self.pen.toggled.connect(self._pen)
        self.request.clicked.connect(self.request_clicked)
        for button in (self.present, self.pointer, self.pen, self.bring, self.request):
            layout.addWidget(button)
        self._asked_of: str | None = None
        """The presenter when this member asked for the role: asked again only once it moved."""

    def show_role(self, view: MeetingView) -> None:
        """Which tools this person has: the presenter's for the presenter, the chair and the
        clerks; for everyone else only 「発表をお願いする」 (while in the room)."""
        presenter = view.view.presenter_user_id
        member = not (view.may_moderate or view.presenting)
        self.setVisible(not member or view.joined)
        for button in (self.present, self.pointer, self.pen, self.bring):
            button.setVisible(not member)
        self.request.setVisible(member)
        if self._asked_of is not None and self._asked_of != presenter:
            self._asked_of = None
        self._show_request()

    def asked(self, presenter_user_id: str) -> None:
        """The request reached the chair: say so until the presenter changes."""
        self._asked_of = presenter_user_id
        self._show_request()

    def _show_request(self) -> None:
        asked = self._asked_of is not None
        self.request.setEnabled(not asked)
        self.request.setText(
            self.tr("お願いしました — 許可をお待ちください")
            if asked
            else self.tr("発表をお願いする")
        )

    def show_state(self, *, has_page: bool, presenting: bool) -> None:
        """Only what can work now is enabled: nothing without a page, no pointer unless
        presenting (the pointer belongs to the presented page)."""
        for button in (self.present, self.pen, self.bring):
            button.setEnabled(has_page)
        self.pointer.setEnabled(has_page and presenting)
        for button in (self.pointer, self.pen):
            if button.isChecked() and not button.isEnabled():
                button.setChecked(False)

    def _pointer(self, on: bool) -> None:
        if on:
            self.pen.setChecked(False)
        self.pointer_toggled.emit(on)

    def _pen(self, on: bool) -> None:
        if on:
            self.pointer.setChecked(False)
        self.pen_toggled.emit(on)
