"""What a councillor of seventy stumbles on, found in a live widget tree (no pixels needed).

Used by ``tests/app/test_fit.py`` (every window fits 1280×800 without clipped words) and by
``python -m tools.screens`` (every screen photographed, with these findings beside the PNGs).
Why measure rather than only look: a word cut by one character ("Previou") is easy to miss on
a screenshot and obvious to a reader holding the tablet; a button 40 px high is too small for a
finger that trembles, and looks fine in a picture.

* :func:`clipped` — a ``QLabel`` or button whose text is wider than the room its widget gives
  it (or, for a wrapping label, taller), a tab squeezed below the size its title needs, and a
  list's word-wrapped row drawn cut (「…」: wider than the list, or lower than its lines);
* :func:`small_targets` — something to tap (button, tab, field) under :data:`TARGET` px.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QTabBar,
    QWidget,
)

TARGET = 44
"""The smallest tap target, in px, on either side (the usual guidance for older hands)."""
SLACK = 1
"""A pixel of rounding between the font's advance and the rectangle Qt draws into."""


def shown(root: QWidget, kind: type[QWidget]) -> list[QWidget]:
    """The visible widgets of ``kind`` in ``root``'s window (``root`` itself included)."""
    found = [root] if isinstance(root, kind) else []
    found += root.findChildren(kind)
    return [w for w in found if w.isVisible() and w.width() > 0]


def text_width(widget: QWidget, text: str) -> int:
    metrics = widget.fontMetrics()
    return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)


_UNBREAKABLE = re.compile(r"[^\s\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+|\S")
"""A run Qt's word wrap keeps on one line: a word of Latin letters or digits, or one Japanese
character (Qt breaks Japanese between any two characters, spaces or not)."""


def _name(widget: QWidget, text: str) -> str:
    return f"{type(widget).__name__}({widget.objectName() or '-'}) {text!r}"


def _label_problem(label: QLabel) -> str:
    text = label.text()
    if not text or label.textFormat() == Qt.TextFormat.RichText or "<" in text:
        return ""
    room = label.contentsRect().width() - 2 * label.margin()
    if label.wordWrap():
        longest = max(_UNBREAKABLE.findall(text), key=lambda run: text_width(label, run))
        needed = label.heightForWidth(label.width())
        if needed > label.height() + SLACK:
            return f"{_name(label, text)}: needs {needed} px high, has {label.height()}"
        if " " in text and text_width(label, longest) > room + SLACK:  # one word too wide
            return f"{_name(label, text)}: {longest!r} wider than {room} px"
        return ""
    needed = text_width(label, text)
    if needed > room + SLACK:
        return f"{_name(label, text)}: needs {needed} px, has {room}"
    return ""


def _button_room(button: QAbstractButton) -> int:
    """The width a button's style leaves for its text (borders, padding, an indicator off)."""
    option = QStyleOptionButton()
    option.initFrom(button)
    option.text = button.text()
    element = QStyle.SubElement.SE_PushButtonContents
    if isinstance(button, QCheckBox):
        element = QStyle.SubElement.SE_CheckBoxContents
    elif isinstance(button, QRadioButton):
        element = QStyle.SubElement.SE_RadioButtonContents
    room = button.style().subElementRect(element, option, button).width()
    if isinstance(button, QPushButton) and not button.icon().isNull():
        room -= button.iconSize().width() + 4
    return room


def _row_problems(view: QListView) -> list[str]:
    """Word-wrapped rows in view that Qt would draw cut: wider than the viewport, or with
    fewer lines of height than their words need at the width the style gives the text."""
    delegate, model = view.itemDelegate(), view.model()
    if not view.wordWrap() or not isinstance(delegate, QStyledItemDelegate) or model is None:
        return []
    style, viewport = view.style(), view.viewport().rect()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    problems = []
    for row in range(model.rowCount(view.rootIndex())):
        index = model.index(row, view.modelColumn(), view.rootIndex())
        rect = view.visualRect(index)
        text = str(index.data() or "")
        if not text or view.isRowHidden(row) or not rect.intersects(viewport):
            continue
        painted = viewport.width() - 2 * view.spacing()  # a row is drawn at most this wide
        if rect.width() > painted + SLACK:
            problems.append(f"{_name(view, text)}: row {rect.width()} px, drawn in {painted}")
            continue
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        delegate.initStyleOption(option, index)
        option.rect = rect
        room = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, view)
        room.adjust(margin, 0, -margin, 0)
        flags = Qt.TextFlag.TextWordWrap.value
        lines = QRect(0, 0, room.width(), 100_000)
        needed = option.fontMetrics.boundingRect(lines, flags, option.text).height()
        if needed > room.height() + SLACK:
            problems.append(f"{_name(view, text)}: needs {needed} px high, has {room.height()}")
    return problems


def clipped(root: QWidget) -> list[str]:
    """Texts cut short in ``root`` (see the module docstring); empty when every word shows."""
    problems = [p for label in shown(root, QLabel) if (p := _label_problem(label))]  # type: ignore[arg-type]
    for button in shown(root, QAbstractButton):
        assert isinstance(button, QAbstractButton)
        text = button.text().replace("&&", "&")
        if not text:
            continue
        needed, room = text_width(button, text), _button_room(button)
        if needed > room + SLACK:
            problems.append(f"{_name(button, text)}: needs {needed} px, has {room}")
    for tabs in shown(root, QTabBar):
        assert isinstance(tabs, QTabBar)
        for index in range(tabs.count()):
            rect, wanted = tabs.tabRect(index), tabs.tabSizeHint(index)
            cut = rect.right() > tabs.width() + SLACK and not tabs.usesScrollButtons()
            if (cut or rect.width() + SLACK < wanted.width()) and tabs.isTabVisible(index):
                text = tabs.tabText(index)
                problems.append(f"{_name(tabs, text)}: {rect.width()} px < {wanted.width()}")
    for view in shown(root, QListView):
        assert isinstance(view, QListView)
        problems += _row_problems(view)
    return problems


def small_targets(root: QWidget) -> list[str]:
    """Buttons, tabs and fields under :data:`TARGET` px high or wide in ``root``."""
    problems = []
    for widget in (*shown(root, QAbstractButton), *shown(root, QLineEdit)):
        high = widget.height()
        if isinstance(widget, QCheckBox | QRadioButton):
            high = max(high, widget.sizeHint().height())
        if min(widget.width(), high) < TARGET:
            text = widget.text() if isinstance(widget, QAbstractButton | QLineEdit) else ""
            problems.append(f"{_name(widget, text)}: {widget.width()}×{widget.height()} px")
    for tabs in shown(root, QTabBar):
        assert isinstance(tabs, QTabBar)
        for index in range(tabs.count()):
            rect = tabs.tabRect(index)
            if min(rect.width(), rect.height()) < TARGET:
                text = tabs.tabText(index)
                problems.append(f"{_name(tabs, text)}: {rect.width()}×{rect.height()} px")
    return problems
