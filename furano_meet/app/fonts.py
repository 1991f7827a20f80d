"""The UI font: a Japanese one on every machine, and large enough for a councillor of seventy.

Windows and most desktops have a Japanese font (Yu Gothic, Meiryo, Noto Sans CJK); a bare
Linux box or the offscreen platform of the tests has none, and Japanese labels would turn into
boxes. PyMuPDF — already a dependency for rendering — carries Droid Sans Fallback (Apache-2.0,
kana and kanji), which Qt can register from memory, so the app never ships a font of its own.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

log = logging.getLogger("furano.app.fonts")

PREFERRED = (
    "Yu Gothic UI",
    "Yu Gothic",
    "Meiryo UI",
    "Meiryo",
    "Hiragino Sans",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "IPAexGothic",
    "TakaoGothic",
)
"""System Japanese fonts, best first."""

FALLBACK = "Droid Sans Fallback"
BASE_POINT_SIZE = 14
"""Larger than the platform default (9–10 pt): the readers are often older."""


def japanese_family() -> str:
    """The family to use for Japanese text: a system font if there is one, else PyMuPDF's."""
    families = set(QFontDatabase.families())
    for family in PREFERRED:
        if family in families:
            return family
    if FALLBACK in families:
        return FALLBACK
    import pymupdf

    font_id = QFontDatabase.addApplicationFontFromData(pymupdf.Font("japan").buffer)
    loaded = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not loaded:
        log.warning("no Japanese font found and the fallback could not be registered")
        return QApplication.font().family()
    return str(loaded[0])


def install_ui_font(app: QApplication) -> QFont:
    """Make the Japanese family the application font, at a comfortable size."""
    font = QFont(japanese_family())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    return font
