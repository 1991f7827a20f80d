"""Small helpers the calm screens share: a named, wrapping label, long codes on two lines
(fingerprints and recovery codes are read out or copied by hand, a group at a time), and a
confirmation's two answers."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton


def label(text: str, name: str) -> QLabel:
    """A word-wrapping label styled by its object ``name`` (``title``, ``explain`` …)."""
    widget = QLabel(text)
    widget.setObjectName(name)
    widget.setWordWrap(True)
    return widget


def two_lines(grouped: str) -> str:
    """``AAAA-BBBB-CCCC-DDDD`` as two lines split between groups, so no group is broken."""
    groups = grouped.split("-")
    half = (len(groups) + 1) // 2
    return "-".join(groups[:half]) + "-\n" + "-".join(groups[half:])


def answers(dialog: QDialog, act: str, keep: str) -> tuple[QPushButton, QPushButton, QHBoxLayout]:
    """A confirmation's row: ``act`` (accepts) on the left, ``keep`` (rejects) on the right and
    the default — the safe answer is what Enter gives (取り下げる / ブラウザで開く … やめる)."""
    act_button = QPushButton(act, dialog)
    act_button.clicked.connect(dialog.accept)
    keep_button = QPushButton(keep, dialog)
    keep_button.clicked.connect(dialog.reject)
    keep_button.setDefault(True)
    row = QHBoxLayout()
    row.addWidget(act_button)
    row.addStretch(1)
    row.addWidget(keep_button)
    return act_button, keep_button, row
