"""The annotation toolbar beside the page, and the 付箋 panel under the page or beside it.

Both only show state and emit intents; the :class:`~.annotator.Annotator` acts on them. Big
targets in a two-column block beside the page (pages are mostly portrait, so the width beside
a fitted page is free), colours named for screen readers and shown as large swatches, and a
share toggle that says in words whether the next mark is 「自分だけ」 or 「全員に共有」. The note panel
is non-modal: the meeting goes on while a member writes.

*Folded while reading*: the open block is ~300 px wide, which at 1280×860 left the chair a page
of ~370 px. Most of a meeting is reading, so by default the bar is one tall, narrow 「✎ 書き込む」
button (vertical text, ~70 px: beside a portrait page width is what is spare, height is not, so
the bottom bar was no place for it). A tap opens the block; 「✎ 書き込みを終える」 at its top folds
it and puts the tool down (reading again). Choosing a tool in code opens it too, and while a 付箋
is being written it cannot fold (:meth:`AnnotationBar.hold_open`). The reader's choice is
remembered by :mod:`.write_toggle`.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QFont, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .appearance import KEEP
from .ink_tools import SWATCHES, WIDTHS, Tool, ToolState

TOOL_NAMES = {
    Tool.PEN: QT_TRANSLATE_NOOP("AnnotationBar", "ペン"),
    Tool.HIGHLIGHTER: QT_TRANSLATE_NOOP("AnnotationBar", "蛍光ペン"),
    Tool.NOTE: QT_TRANSLATE_NOOP("AnnotationBar", "付箋"),
    Tool.ERASER: QT_TRANSLATE_NOOP("AnnotationBar", "消しゴム"),
}
COLOUR_NAMES = (
    QT_TRANSLATE_NOOP("AnnotationBar", "黒"),
    QT_TRANSLATE_NOOP("AnnotationBar", "赤"),
    QT_TRANSLATE_NOOP("AnnotationBar", "青"),
    QT_TRANSLATE_NOOP("AnnotationBar", "黄"),
)
WIDTH_NAMES = (
    QT_TRANSLATE_NOOP("AnnotationBar", "細"),
    QT_TRANSLATE_NOOP("AnnotationBar", "中"),
    QT_TRANSLATE_NOOP("AnnotationBar", "太"),
)
SHARED_STYLE = "QPushButton:checked { background: #0b6e3b; border-color: #0b6e3b; }"
TOGGLE_STYLE = """
#writeToggle { font-size: 17pt; font-weight: bold; color: #1a4fa0; border: 3px solid #1a4fa0;
    padding: 10px 18px; }
"""
UNBOUNDED = 16777215  # Qt's QWIDGETSIZE_MAX (not exported by PySide6)
"""The folded toggle's width: one large character of vertical text with its border (more if
a language's word needs it)."""
NOTE_TEXT_HEIGHT = 120
"""The 付箋's text box under the page (at least this beside it): four lines of 18 pt."""
BESIDE_WIDTH = 340
"""The 付箋 panel's width beside the page: its title in two or three wrapped lines with large
text, 保存 and 閉じる side by side, ~13 characters of 18 pt a line — and a page still wide."""


class AnnotationBar(QFrame):
    """Tools, colours, widths, 共有, 元に戻す / やり直し; see the module docstring."""

    tool_chosen = Signal(object)
    """A :class:`Tool`, or ``None`` for reading (no tool)."""
    colour_chosen = Signal(str)
    width_chosen = Signal(float)
    shared_toggled = Signal(bool)
    undo_clicked = Signal()
    redo_clicked = Signal()
    open_toggled = Signal(bool)
    """The reader opened (``True``) or folded the bar with the toggle (what is remembered)."""
    shown_open = Signal(bool)
    """The bar is opening (``True``, just before its body shows) or has folded, whoever
    asked: the viewer places it (``Viewer._place_write_bar``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("annotationBar")
        self.is_open = False
        self._held = False
        self._fold_layout()
        grid = QGridLayout(self.body)
        grid.setContentsMargins(0, 0, 0, 0)
        self.tools: dict[Tool, QPushButton] = {}
        for i, tool in enumerate(Tool):
            button = self._button(self.tr(str(TOOL_NAMES[tool])), checkable=True)
            button.clicked.connect(lambda on, t=tool: self._tool(t, on))
            self.tools[tool] = button
            grid.addWidget(button, 1 + i // 2, i % 2)
        self.swatches: list[QPushButton] = []
        self._colours = QButtonGroup(self)
        swatch_row = QHBoxLayout()
        for colour, name in zip(SWATCHES, COLOUR_NAMES, strict=True):
            button = self._button("", checkable=True, compact=True)
            button.setAccessibleName(self.tr(str(name)))
            button.setToolTip(self.tr(str(name)))
            button.setStyleSheet(
                f"QPushButton {{ {KEEP} background: {colour}; border-radius: 26px;"
                f" min-width: 52px; max-width: 52px; }}"
                f" QPushButton:checked {{ {KEEP} background: {colour};"
                " border: 5px solid #1a4fa0; }"
                " QPushButton:disabled { background: #e4e4e4; border-color: #e4e4e4; }"
            )  # greyed when the tool takes no colour, so no swatch seems to be in force
            button.clicked.connect(lambda _=False, c=colour: self.colour_chosen.emit(c))
            self._colours.addButton(button)
            self.swatches.append(button)
            swatch_row.addWidget(button)
        self.widths: list[QPushButton] = []
        self._widths = QButtonGroup(self)
        width_row = QHBoxLayout()
        for width, name in zip(WIDTHS, WIDTH_NAMES, strict=True):
            button = self._button(self.tr(str(name)), checkable=True, compact=True)
            button.setAccessibleName(self.tr("線の太さ: {name}").format(name=self.tr(str(name))))
            button.clicked.connect(lambda _=False, w=width: self.width_chosen.emit(w))
            self._widths.addButton(button)
            self.widths.append(button)
            width_row.addWidget(button)
        self.share = self._button(self.tr("自分だけ"), checkable=True)
        self.share.setStyleSheet(SHARED_STYLE)
        self.share.toggled.connect(self._shared)
        self.undo = self._button(self.tr("↶ 元に戻す"))
        self.undo.setAccessibleName(self.tr("元に戻す"))
        self.redo = self._button(self.tr("↷ やり直す"))
        self.undo.clicked.connect(self.undo_clicked)
        self.redo.clicked.connect(self.redo_clicked)
        rows = 1 + len(Tool) // 2
        grid.addLayout(swatch_row, rows, 0, 1, 2)
        grid.addLayout(width_row, rows + 1, 0, 1, 2)
        grid.addWidget(self.share, rows + 2, 0, 1, 2)
        grid.addWidget(self.undo, rows + 3, 0)
        grid.addWidget(self.redo, rows + 3, 1)
        grid.setRowStretch(rows + 4, 1)
        self._show_open()

    def _fold_layout(self) -> None:
        """The toggle on top of the bar's body (hidden while folded)."""
        self.setStyleSheet(TOGGLE_STYLE)
        self.toggle = self._button("")
        self.body = QWidget(self)
        self.toggle.setObjectName("writeToggle")
        self.toggle.clicked.connect(self._toggled)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 0, 0, 0)
        column.addWidget(self.toggle)
        column.addWidget(self.body, 1)
        column.addStretch(0)  # folded: the toggle stays at the top, beside the page's head

    def _button(self, text: str, *, checkable: bool = False, compact: bool = False) -> QPushButton:
        button = QPushButton(text, self)
        button.setCheckable(checkable)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # arrow keys keep turning pages
        if compact:
            button.setObjectName("compact")
        return button

    # -- folding -------------------------------------------------------------------------------

    def set_open(self, is_open: bool) -> None:
        """Show the whole bar, or fold it to the toggle (putting any tool down: reading)."""
        if not is_open and self._held:
            return
        self.is_open = is_open
        self._show_open()
        if not is_open and any(button.isChecked() for button in self.tools.values()):
            self.tool_chosen.emit(None)

    def hold_open(self, held: bool) -> None:
        """While a 付箋 is being written the bar stays open (its toggle waits)."""
        self._held = held
        if held and not self.is_open:
            self.set_open(True)
        self.toggle.setEnabled(not held)

    def _toggled(self) -> None:
        self.set_open(not self.is_open)
        self.open_toggled.emit(self.is_open)

    def _show_open(self) -> None:
        # placed where the open bar fits before it opens, and moved back only once folded:
        # the tall body shown (or still shown) beside the page alone grew the window
        if self.is_open:
            self.shown_open.emit(True)
        self.body.setVisible(self.is_open)
        if not self.is_open:
            self.shown_open.emit(False)
        self.toggle.setText(
            self.tr("✎ 書き込みを終える") if self.is_open else self.tr("✎\n書\nき\n込\nむ")
        )
        # open: the whole bar's width, for its one line of text; folded: its own words' width,
        # ≥ 64 px from the padding — no fixed number, which large text or English outgrew (polish)
        self.toggle.setMinimumWidth(0)
        self.toggle.setMaximumWidth(UNBOUNDED)
        horizontal = QSizePolicy.Policy.Minimum if self.is_open else QSizePolicy.Policy.Fixed
        self.toggle.setSizePolicy(horizontal, QSizePolicy.Policy.Fixed)
        self.toggle.setAccessibleName(
            self.tr("書き込みを終えて読むだけに戻る")
            if self.is_open
            else self.tr("書き込む（ペン・蛍光ペン・付箋・消しゴムを出す）")
        )
        self.toggle.setToolTip(self.toggle.accessibleName())
        self.updateGeometry()

    # -- state ---------------------------------------------------------------------------------

    def show_state(self, state: ToolState, *, can_undo: bool, can_redo: bool) -> None:
        """Check what ``state`` says; colours and widths only where the tool uses them. A tool
        chosen while folded (in code, or by a shortcut) opens the bar, so it shows in use."""
        if state.tool is not None and not self.is_open:
            self.set_open(True)
        for tool, button in self.tools.items():
            button.setChecked(state.tool is tool)
        inked = state.tool in (Tool.PEN, Tool.HIGHLIGHTER)
        for colour, button in zip(SWATCHES, self.swatches, strict=True):
            button.setEnabled(inked)
            button.setChecked(inked and colour == state.colour)
        for width, button in zip(WIDTHS, self.widths, strict=True):
            button.setEnabled(state.tool is Tool.PEN)
            button.setChecked(state.tool is Tool.PEN and width == state.width)
        self.share.blockSignals(True)
        self.share.setChecked(state.shared)
        self.share.blockSignals(False)
        self._label_share(state.shared)
        self.undo.setEnabled(can_undo)
        self.redo.setEnabled(can_redo)

    def _tool(self, tool: Tool, on: bool) -> None:
        self.tool_chosen.emit(tool if on else None)

    def _shared(self, on: bool) -> None:
        self._label_share(on)
        self.shared_toggled.emit(on)

    def _label_share(self, on: bool) -> None:
        self.share.setText(self.tr("全員に共有") if on else self.tr("自分だけ"))
        self.share.setAccessibleName(
            self.tr("書き込みを会議で共有する") if on else self.tr("書き込みは自分だけに見える")
        )


class NotePanel(QFrame):
    """Writing a 付箋: large text, 保存 and 閉じる; never a modal dialog."""

    saved = Signal(str)
    closed = Signal()
    shown = Signal(bool)
    """The panel appeared (``True``) or went away: the tool bar stays open meanwhile."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notePanel")
        self.setStyleSheet(
            "#notePanel { background: #fff8d6; border: 2px solid #f9ab00; border-radius: 8px; }"
        )
        self.title = QLabel(self.tr("付箋"), self)
        self.title.setObjectName("heading")
        self.title.setWordWrap(True)  # beside the page, or under it by the write bar: words wrap
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName(self.tr("付箋の文字"))
        font = QFont(self.text.font())
        font.setPointSize(18)
        self.text.setFont(font)
        self.text.setFixedHeight(NOTE_TEXT_HEIGHT)
        save = QPushButton(self.tr("保存"), self)
        close = QPushButton(self.tr("閉じる"), self)
        save.clicked.connect(lambda: self.saved.emit(self.text.toPlainText()))
        close.clicked.connect(self.closed)
        self.save_button = save
        self.close_button = close
        self._buttons = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._buttons.addWidget(save)
        self._buttons.addWidget(close)
        self._row = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._column = QVBoxLayout()
        self._column.addWidget(self.title)
        self._column.addWidget(self.text, 1)
        self._row.addLayout(self._column, 1)
        self._row.addLayout(self._buttons)
        self.beside = False
        """Standing beside the page (:meth:`set_beside`), else under it."""
        self.hide()

    def set_beside(self, beside: bool) -> None:
        """Under the page (a wide, short panel: the text with 保存 and 閉じる stacked at its
        right) or beside it (a narrow, tall one of :data:`BESIDE_WIDTH`: the text over the two
        buttons side by side, and taller, since beside the page height is what is spare). The
        viewer decides which (``Viewer._place_note_panel``); the widgets, their order for Tab
        and their accessible names stay the same."""
        if beside == self.beside:
            return
        self.beside = beside
        self._row.setDirection(
            QBoxLayout.Direction.TopToBottom if beside else QBoxLayout.Direction.LeftToRight
        )
        self._buttons.setDirection(
            QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom
        )
        if beside:
            self.setFixedWidth(BESIDE_WIDTH)
            self.text.setMinimumHeight(NOTE_TEXT_HEIGHT)
            self.text.setMaximumHeight(UNBOUNDED)
        else:
            self.setMinimumWidth(0)
            self.setMaximumWidth(UNBOUNDED)
            self.text.setFixedHeight(NOTE_TEXT_HEIGHT)

    def height_under(self, width: int) -> int:
        """How tall the panel is under a page ``width`` px wide: its wrapped title, the text
        box and the margins — what the viewer weighs against standing it beside the page."""
        margins = self._row.contentsMargins()
        buttons = max(self.save_button.sizeHint().width(), self.close_button.sizeHint().width())
        title_width = width - margins.left() - margins.right() - self._row.spacing() - buttons
        title = self.title.heightForWidth(max(1, title_width))
        if title < 0:
            title = self.title.sizeHint().height()
        column = title + self._column.spacing() + NOTE_TEXT_HEIGHT
        stacked = self.save_button.sizeHint().height() + self.close_button.sizeHint().height()
        return max(column, stacked) + margins.top() + margins.bottom()

    def open_note(self, text: str, *, new: bool) -> None:
        self.title.setText(
            self.tr("新しい付箋（ページの印の場所に貼ります）")
            if new
            else self.tr("付箋を直す（ページの付箋を引っぱると動かせます）")
        )
        self.text.setPlainText(text)
        self.show()
        self.text.setFocus()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not event.spontaneous():  # not the window coming back from the task bar
            self.shown.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        super().hideEvent(event)
        if not event.spontaneous():
            self.shown.emit(False)
