"""「書き込み入りで保存」: save the open document with my notes as a PDF of my own.

The copy holds the reader's own notes (private ones included) and the meeting's shared ones,
as real PDF annotations (:mod:`furano_meet.annotations.export`). Whether a meeting allows it is
the core's answer (``engine.export_rule``: the clerk's rule in the signed roster, see
:mod:`furano_meet.sync.policy`); the button is only enabled when it does. When the clerk forbids
it, the bar says so calmly beside the greyed button — the reader should know it is the
meeting's setting, not a fault — and it asks again whenever a newer roster arrives.

Nothing blocks: the file dialog is opened non-modally (``QFileDialog.open``), decrypting and
reading the notes are the engine's async calls, the PDF is written by PyMuPDF where the render
service runs it (``RenderService.call``), and the file is saved on a worker thread. Failures go
to the one error presenter, like every op.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from furano_meet.annotations.export import export_annotated, placed
from furano_meet.store.records import Visibility
from furano_meet.sync.events import RosterAccepted, SyncEvent
from furano_meet.sync.policy import ExportRule

from .session import Session
from .viewer import Viewer


class ExportBar(QWidget):
    """The save button and a calm line saying where the copy went."""

    exported = Signal(str)
    """The path of a saved copy."""

    def __init__(self, session: Session, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.viewer = session, viewer
        self.allowed = False
        self.dialog: QFileDialog | None = None
        self.button = QPushButton(self.tr("書き込み入りで保存"), self)
        self.button.setAccessibleName(self.tr("自分の書き込みを入れたPDFとして保存"))
        self.button.clicked.connect(self.choose_file)
        self.done = QLabel(self)
        self.done.setWordWrap(True)
        self.done.setStyleSheet("font-size: 13pt; color: #0b6e3b;")
        self.reason = QLabel(self)
        """Why the button is greyed (empty while saving is allowed)."""
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("font-size: 13pt; color: #3c4043;")
        self.reason.hide()
        column = QVBoxLayout(self)  # the reason on a line of its own: the button keeps its words
        column.setContentsMargins(0, 0, 0, 0)
        layout = QHBoxLayout()
        layout.addWidget(self.button)
        layout.addWidget(self.done, 1)
        column.addLayout(layout)
        column.addWidget(self.reason)
        viewer.document_shown.connect(lambda _doc, _version: self.check_allowed())
        session.engine_event.connect(self._on_event)
        self.check_allowed()

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, RosterAccepted) and event.meeting_id == self.viewer.meeting_id:
            self.check_allowed()  # the clerk may have changed the rule

    def check_allowed(self) -> None:
        """Ask the core whether this meeting allows exporting; enable the button if so."""
        self.button.setEnabled(False)
        meeting_id = self.viewer.meeting_id
        if not meeting_id or self.viewer.document is None:
            self.reason.setText("")
            self.reason.hide()
            return

        def show(rule: ExportRule) -> None:
            self.allowed = rule is ExportRule.ALLOWED
            self.button.setEnabled(self.allowed)
            why = {
                ExportRule.ALLOWED: "",
                ExportRule.FORBIDDEN: self.tr("この会議では保存できません（事務局の設定）"),
                ExportRule.NOTHING_HERE: self.tr("この会議では保存できません"),
            }[rule]
            self.button.setToolTip(why)
            self.reason.setText(why)
            self.reason.setVisible(bool(why))

        self.session.ops.run(self.session.engine.export_rule(meeting_id), on_done=show)

    def choose_file(self) -> None:
        doc = self.viewer.document
        if doc is None or not self.allowed:
            return
        dialog = QFileDialog(self, self.tr("書き込み入りのPDFを保存"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("PDF (*.pdf)"))
        dialog.setDefaultSuffix("pdf")
        dialog.selectFile(self.tr("{doc}-書き込み入り.pdf").format(doc=doc.doc_id))
        dialog.fileSelected.connect(self.export_to)
        self.dialog = dialog
        dialog.open()  # not exec(): the meeting goes on while the reader picks a folder

    def export_to(self, path: str) -> None:
        doc, meeting_id = self.viewer.document, self.viewer.meeting_id
        if doc is None:
            return
        self.done.setText(self.tr("保存しています…"))
        session = self.session

        async def export() -> str:
            try:
                return await write()
            except BaseException:
                self.done.setText("")  # the error presenter says what went wrong
                raise

        async def write() -> str:
            pdf = await session.engine.open_document(doc.doc_id, doc.version)
            notes = await session.engine.annotations(doc.doc_id, doc.version)
            mine = placed(
                n
                for n in notes
                if n.meeting_id == meeting_id
                and (n.visibility is Visibility.SHARED or n.author == session.user_id)
            )
            data = await session.render.call(functools.partial(export_annotated, pdf, mine))
            await asyncio.to_thread(Path(path).write_bytes, data)
            return path

        def saved(where: str) -> None:
            self.done.setText(self.tr("保存しました：{name}").format(name=Path(where).name))
            self.exported.emit(where)

        self.session.ops.run(export(), on_done=saved)
