"""Lists whose rows wrap their words whole, at the width the list really has.

Why: Qt's list view measures a word-wrapped row *without* a width (its option's rectangle is
empty, so the text is measured on one unbounded line) and lays the rows out once, at the width
the viewport had then. A row whose words are wider than the list was given one line's height
per line break and drawn cut with 「…」 (the meeting list's state line at the side column's
default width), and a title that just fitted lost its last characters once the list grew a
scroll bar (the outline's 「市道の認定につい…」). :class:`WholeRows` measures each row at the
viewport's width (less the list's spacing), and :func:`wrap_whole` lays the rows out again
whenever that width changes — the scroll bar appearing included. An icon grid (the page
thumbnails) wraps its captions at the cell's width, and :func:`fit_cells` makes the cells as
tall as the widest caption needs. Every row is drawn with its brackets kept whole
(:func:`kept_whole`): a title's 「（第3号）」 never splits into 「（第3」「号）」 — on the screen
only; the row's text (what is copied, searched, read out) is left as it is.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

__all__ = ["WORD_JOINER", "WholeRows", "fit_cells", "kept_whole", "wrap_whole"]

WORD_JOINER = "\u2060"
"""No line break on either side, and nothing drawn (Qt's line breaker honours it)."""
_BRACKETED = re.compile(r"[（(][^（）()]*[）)]")


def kept_whole(text: str) -> str:
    """``text`` with the characters of each （…） joined, so a wrapped line moves the bracket
    to the next line whole. Why: Japanese may break between any two characters, and a state
    line in a narrow list left 「件）」 alone on its last line (「…（資料3」「件）」), a search
    result 「（第3」「号）」. A bracket longer than a line still wraps (Qt breaks anywhere then).
    For display only — never for text that is copied, searched or stored. Joining twice
    gives the same text (a state line already joined is drawn by :class:`WholeRows` too)."""
    return _BRACKETED.sub(
        lambda bracket: WORD_JOINER.join(bracket.group(0).replace(WORD_JOINER, "")), text
    )


class WholeRows(QStyledItemDelegate):
    """A row's size measured at the list's own width, so wrapped words get their lines."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self.view = view

    def initStyleOption(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """The row's text as drawn and measured: its brackets kept whole (the model's text,
        what a screen reader reads and a copy takes, is untouched)."""
        super().initStyleOption(option, index)
        if option.features & QStyleOptionViewItem.ViewItemFeature.HasDisplay:
            option.text = kept_whole(option.text)

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        grid = self.view.gridSize()
        if self.view.viewMode() is QListView.ViewMode.IconMode and grid.isValid():
            return grid  # a grid's cells are alike: its owner sizes them (fit_cells)
        width = self.view.viewport().width() - 2 * self.view.spacing()
        if width <= 0:  # not laid out yet: the plain measure
            return super().sizeHint(option, index)
        return self.measure(option, index, width)

    def measure(
        self,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        width: int,
    ) -> QSize:
        """``index``'s row (or cell) laid out ``width`` px wide, its words wrapped whole."""
        measured = QStyleOptionViewItem(option)
        self.initStyleOption(measured, index)
        measured.rect = QRect(0, 0, self._wrap_width(measured, width), 1)
        hint = super().sizeHint(measured, index)
        return QSize(min(hint.width(), width), hint.height())

    def _wrap_width(self, option: QStyleOptionViewItem, width: int) -> int:
        """The rectangle width whose measure wraps the text as painting a row ``width`` wide
        does. The style measures within the rectangle less the icon and its margins but —
        through a style sheet — not less the row's padding, which painting does take
        (``SE_ItemViewItemText``): so measure at the painted text's width plus the icon's."""
        option.rect = QRect(0, 0, width, 1)
        style = self.view.style()
        text = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, self.view)
        wrap = text.width()
        beside = option.decorationPosition in (
            QStyleOptionViewItem.Position.Left,
            QStyleOptionViewItem.Position.Right,
        )
        if beside and option.features & QStyleOptionViewItem.ViewItemFeature.HasDecoration:
            margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view)
            wrap += option.decorationSize.width() + 2 * (margin + 1)
        return max(min(wrap, width), 1)


def fit_cells(view: QListView, width: int, least: int) -> None:
    """An icon grid's cells ``width`` px wide and as tall as its widest caption needs wrapped
    whole (at least ``least``). One size for every cell, measured once on the widest caption:
    a grid of uniform items lays a 612-page book out in ≈ 0.2 ms, measuring each cell took
    ≈ 56 ms at every layout. Call it after the items change and when the font does."""
    model = view.model()
    delegate = view.itemDelegate()
    if model is None or not isinstance(delegate, WholeRows) or model.rowCount() == 0:
        return
    metrics = view.fontMetrics()
    rows = range(model.rowCount())
    widest = max(rows, key=lambda row: metrics.horizontalAdvance(str(model.index(row, 0).data())))
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    needed = delegate.measure(option, model.index(widest, 0), width - 2 * view.spacing())
    size = QSize(width, max(least, needed.height() + 2 * view.spacing()))
    if size != view.gridSize():
        view.setGridSize(size)


def wrap_whole(view: QListView) -> None:
    """Make ``view``'s rows wrap whole (see the module docstring); never a sideways scroll."""
    view.setWordWrap(True)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setResizeMode(QListView.ResizeMode.Adjust)  # a new width lays the rows out again
    view.setItemDelegate(WholeRows(view))
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
