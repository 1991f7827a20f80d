"""Large text and high contrast, for every window and every widget, switched at run time.

Why one mechanism rather than an edit in every widget: the app's look comes from style sheets
set by many modules (the window's :data:`~.window.STYLE`, the follow bar's per-state colours,
the status area, the search field …), several of them re-set whenever a state changes. Each
sheet states sizes in points and colours in hex. :class:`Appearance` watches the application
for ``StyleChange`` (every ``setStyleSheet`` sends one) and rewrites the sheet it sees with
:func:`restyle` — point sizes and minimum heights scaled, colours mapped to black, white and
yellow with thick focus rings — keeping the original in a widget property so a later switch
starts from it again. The rewrite waits for the next turn of the event loop: a sheet changed
inside its own ``StyleChange`` does not reach the widget's children. With the defaults the
filter is not installed at all, so the normal look costs nothing.

The application font (:mod:`.fonts`) is scaled too (for widgets no sheet sizes), and high
contrast sets a black/white/yellow palette for what is painted from the palette.

Scroll bars are the application's own sheet (:data:`SCROLL_BARS`, through the same
:func:`restyle`): the platform's ≈12 px bar is too thin for a finger that trembles, and its
grey handle vanished in high contrast. They are 22 px wide with a handle at least 48 px long
(yellow on black in high contrast), and no arrows — the whole bar is the target.
"""

from __future__ import annotations

import re

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from furano_meet.preferences import Preferences

from .fonts import BASE_POINT_SIZE

MARK = "\n/* furano-appearance */"
"""Ends every sheet :class:`Appearance` wrote (so it is not rewritten again)."""
ORIGINAL = "furanoOriginalSheet"
"""The widget property keeping the sheet as its module set it."""

BLACK, WHITE, YELLOW, GREY = "#000000", "#ffffff", "#ffd600", "#b0b0b0"
CONTRAST_EXTRA = f"""
QPushButton:focus, QLineEdit:focus, QListWidget:focus, QComboBox:focus, QCheckBox:focus,
QRadioButton:focus, QSlider:focus, QAbstractScrollArea:focus {{
    border: 4px solid {YELLOW}; }}
QRadioButton::indicator, QCheckBox::indicator {{ border: 3px solid {WHITE}; background: {BLACK}; }}
QRadioButton::indicator {{ border-radius: 14px; }}
QRadioButton::indicator:checked, QCheckBox::indicator:checked {{ background: {YELLOW}; }}
"""
"""Thick yellow focus rings and visible check marks (appended to every rewritten sheet that
has rules: a native indicator would be drawn black on black)."""

SCROLL_BAR_WIDTH = 22
"""A scroll bar's thickness in px: touch-sized (the platform's was ≈12 px)."""
SCROLL_BARS = f"""
QScrollBar:vertical {{ width: {SCROLL_BAR_WIDTH}px; margin: 0; border: none;
    border-left: 1px solid #dadce0; background: #f1f3f4; }}
QScrollBar:horizontal {{ height: {SCROLL_BAR_WIDTH}px; margin: 0; border: none;
    border-top: 1px solid #dadce0; background: #f1f3f4; }}
QScrollBar::handle:vertical {{ min-height: 48px; margin: 3px; border-radius: 7px;
    background: #80868b; }}
QScrollBar::handle:horizontal {{ min-width: 48px; margin: 3px; border-radius: 7px;
    background: #80868b; }}
QScrollBar::handle:pressed {{ background: #1a4fa0; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
"""
"""Every scroll bar of the app (the application's sheet; see the module docstring)."""

KEEP = "/* keep */"
"""Written before a declaration (``/* keep */ background: red``), keeps its colour in high
contrast: the colour is what the control says (polish: the pen's four swatches all turned
black)."""
_BLOCK = re.compile(r"([^{}]*)\{([^{}]*)\}")
_POINTS = re.compile(r"(font-size\s*:\s*)(\d+(?:\.\d+)?)pt")
_PIXELS = re.compile(r"(min-height\s*:\s*)(\d+)px")
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")


def _scaled(text: str, scale: float) -> str:
    text = _POINTS.sub(lambda m: f"{m[1]}{round(float(m[2]) * scale)}pt", text)
    return _PIXELS.sub(lambda m: f"{m[1]}{round(int(m[2]) * scale)}px", text)


def _contrast_block(selector: str, body: str) -> str:
    """Map one rule's colours: text white on black; a checked or selected state (or a
    slider's handle) yellow with black text; disabled text grey; borders white; a slider's
    groove grey (its track on a black window must still show where the handle can go)."""
    marked = any(s in selector for s in (":checked", ":selected", "::handle"))
    disabled = ":disabled" in selector
    groove = "::groove" in selector  # a slider's track: grey, or it vanishes into the black
    out = []
    for declaration in body.split(";"):
        name, colon, value = declaration.partition(":")
        prop = name.strip().lower()
        if KEEP in name:  # the colour is the information (a pen colour's swatch)
            out.append(declaration)
            continue
        if prop in ("background", "background-color"):
            value = _HEX.sub(YELLOW if marked else GREY if groove else BLACK, value)
        elif prop in ("color", "selection-color"):
            value = _HEX.sub(BLACK if marked else GREY if disabled else WHITE, value)
        elif prop == "selection-background-color":
            value = _HEX.sub(YELLOW, value)
        elif prop.startswith("border"):
            value = _HEX.sub(GREY if disabled else WHITE, value)
        out.append(f"{name}:{value}" if colon else declaration)
    return f"{selector}{{{';'.join(out)}}}"


def restyle(sheet: str, scale: float, contrast: bool) -> str:
    """``sheet`` with sizes × ``scale`` and, if ``contrast``, black/white/yellow colours."""
    sheet = _scaled(sheet, scale)
    if not contrast:
        return sheet
    if "{" not in sheet:  # a bare declaration list: the widget's own properties
        return _contrast_block("", sheet)[1:-1]
    return _BLOCK.sub(lambda m: _contrast_block(m[1], m[2]), sheet) + CONTRAST_EXTRA


def contrast_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, BLACK),
        (roles.WindowText, WHITE),
        (roles.Base, BLACK),
        (roles.AlternateBase, "#1a1a1a"),
        (roles.Text, WHITE),
        (roles.Button, BLACK),
        (roles.ButtonText, WHITE),
        (roles.Highlight, YELLOW),
        (roles.HighlightedText, BLACK),
        (roles.ToolTipBase, BLACK),
        (roles.ToolTipText, WHITE),
        (roles.PlaceholderText, GREY),
        (roles.Link, YELLOW),
    ):
        palette.setColor(role, QColor(colour))
    return palette


class Appearance(QObject):
    """The app's current look; one per application (:meth:`of`)."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("furanoAppearance")
        self.app = app
        self.scale = 1.0
        self.contrast = False
        self._default_palette = app.palette()
        self._pending: list[QWidget] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self.flush)
        self._filtering = False

    @classmethod
    def of(cls, app: QApplication) -> Appearance:
        found = app.findChild(Appearance, "furanoAppearance")
        return found if isinstance(found, Appearance) else cls(app)

    @property
    def default(self) -> bool:
        return self.scale == 1.0 and not self.contrast

    def apply(self, prefs: Preferences) -> None:
        """Switch to ``prefs``' text size and contrast, for every widget, now."""
        self.scale, self.contrast = prefs.text_scale, prefs.high_contrast
        font = QFont(self.app.font())
        font.setPointSize(round(BASE_POINT_SIZE * self.scale))
        self.app.setFont(font)
        self.app.setPalette(contrast_palette() if self.contrast else self._default_palette)
        self.app.setStyleSheet(restyle(SCROLL_BARS, self.scale, self.contrast))
        if not self._filtering and not self.default:
            self.app.installEventFilter(self)
            self._filtering = True
        self._pending = [w for w in QApplication.allWidgets() if w.styleSheet()]
        self.flush()
        if self._filtering and self.default:
            self.app.removeEventFilter(self)
            self._filtering = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.StyleChange and isinstance(watched, QWidget):
            sheet = watched.styleSheet()
            if sheet and not sheet.endswith(MARK):
                self._pending.append(watched)
                self._flush_timer.start()
        return False

    def flush(self) -> None:
        """Rewrite the sheets set since the last flush (see the module docstring)."""
        pending, self._pending = self._pending, []
        for widget in pending:
            if shiboken6.isValid(widget):
                self._restyle(widget)

    def _restyle(self, widget: QWidget) -> None:
        current = widget.styleSheet()
        if current.endswith(MARK):
            original = str(widget.property(ORIGINAL) or "")
        else:
            original = current
            widget.setProperty(ORIGINAL, original)
        target = original if self.default else restyle(original, self.scale, self.contrast) + MARK
        if target != current:
            widget.setStyleSheet(target)
