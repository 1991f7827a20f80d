"""The UI font: a Japanese one on every machine, and large enough for a councillor of seventy.

Windows and most desktops have a Japanese font (Yu Gothic, Meiryo, Noto Sans CJK); a bare
Linux box or the offscreen platform of the tests has none, and Japanese labels would turn into
boxes. PyMuPDF — already a dependency for rendering — carries Droid Sans Fallback (Apache-2.0,
kana and kanji), which Qt can register, so the app never ships a font of its own.

Start-up: PyMuPDF costs the app's process ~0.15 s of CPU to import (and ~37 MB it otherwise
never needs: pages render in the render process), and its font is 3.5 MB. So the font is
copied once into the user's cache folder (:func:`fallback_font_path`) and every later start
registers that file (~1 ms; Qt reads a native font file itself, no copy in Python); only the
first start on a machine without a Japanese font imports PyMuPDF for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import platformdirs
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from furano_meet.store.layout import APP_NAME

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
FALLBACK_FILE = "DroidSansFallback.ttf"
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
    loaded = _register(QFontDatabase.addApplicationFont(str(fallback_font_path())))
    if not loaded:  # first start here (or a damaged copy): from PyMuPDF, and keep a copy
        import pymupdf

        data = pymupdf.Font("japan").buffer
        _keep_copy(data)
        loaded = _register(QFontDatabase.addApplicationFontFromData(data))
    if not loaded:
        log.warning("no Japanese font found and the fallback could not be registered")
        return QApplication.font().family()
    return loaded[0]


def fallback_font_path() -> Path:
    """Where PyMuPDF's Japanese font is kept between starts (the user's cache folder)."""
    return platformdirs.user_cache_path(APP_NAME, appauthor=False) / "fonts" / FALLBACK_FILE


def _register(font_id: int) -> list[str]:
    return [str(f) for f in QFontDatabase.applicationFontFamilies(font_id)] if font_id >= 0 else []


def _keep_copy(data: bytes) -> None:
    """Write the font for the next start, whole or not at all (another app process may be
    reading it: a temporary file renamed over it). A read-only home only costs the next start
    PyMuPDF's import again."""
    path = fallback_font_path()
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as exc:
        log.info("the Japanese font could not be kept for the next start: %s", exc)
        with contextlib.suppress(OSError):
            partial.unlink()


def install_ui_font(app: QApplication) -> QFont:
    """Make the Japanese family the application font, at a comfortable size."""
    font = QFont(japanese_family())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    return font
