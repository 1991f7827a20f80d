"""Small text helpers the calm screens share: a named, wrapping label, and long codes on two
lines (fingerprints and recovery codes are read out or copied by hand, a group at a time)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


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
