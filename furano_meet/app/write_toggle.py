"""Remembering whether a reader keeps the annotation bar open or folded to 「✎ 書き込む」.

Why remembered: a member who writes on every page should not have to open the bar at each
meeting, and one who only reads keeps the whole width for the page. The choice is the reader's
layout, so it lives beside the side column's in the encrypted store's app settings
(:data:`SETTING`, read and written through ``session.ops``, the engine's store hop). Only the
reader's taps on the toggle are remembered, not a bar opened because a tool was chosen in code.
This module also keeps the bar open while a 付箋 is being written.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QObject

from .session import Session
from .setting_writer import SettingWriter
from .tool_bar import AnnotationBar, NotePanel

SETTING = "app:write_bar"
"""The app setting holding ``{"open": bool}`` (absent: folded, the reading layout)."""


class WriteBarSetting(QObject):
    """Restores ``bar``'s remembered folding, saves the reader's changes, holds it open for
    ``panel``."""

    def __init__(self, session: Session, bar: AnnotationBar, panel: NotePanel) -> None:
        super().__init__(bar)
        self.session, self.bar = session, bar
        self.restored = False
        """The remembered choice has been read (tests wait for it)."""
        self._chosen = False
        self._writer = SettingWriter(session, SETTING)
        bar.open_toggled.connect(self._save)
        panel.shown.connect(bar.hold_open)
        session.ops.run(session.engine.app_setting(SETTING), on_done=self._restore)

    def _restore(self, saved: str | None) -> None:
        try:
            data = json.loads(saved) if saved else {}
        except ValueError:
            data = {}  # an unreadable choice is only a comfort lost
        if not self._chosen and isinstance(data, dict) and data.get("open") is True:
            self.bar.set_open(True)  # a tap before the store answered wins
        self.restored = True

    def _save(self, is_open: bool) -> None:
        self._chosen = True
        self._writer.write(json.dumps({"open": is_open}))
