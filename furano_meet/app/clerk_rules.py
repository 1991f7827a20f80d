"""The meeting's rules the clerk sets at the desk: today, whether members may save annotated
copies (「書き込み入りで保存」).

The rule lives in the meeting's roster, signed on the clerk's device (see
:mod:`furano_meet.sync.policy`); the box never decides or remembers it, it shows what the core
answers (``engine.export_rule``) and asks the core to sign a change
(``engine.set_export_allowed``), reading the rule back afterwards — also when a newer roster
arrives from another clerk's device (``RosterAccepted``). Members' save buttons follow when
their devices accept the new roster.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from furano_meet.sync.events import RosterAccepted, SyncEvent
from furano_meet.sync.policy import ExportRule

from .labels import label
from .session import Session


class ExportRuleBox(QWidget):
    """Members may save annotated copies: yes / no — the clerk's signed rule (see
    :mod:`furano_meet.sync.policy`), read back from the core after every change."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.meeting_id = ""
        self.check = QCheckBox(self.tr("委員が書き込み入りの資料を保存できる"), self)
        self.check.toggled.connect(self._chosen)
        self.now = label("", "explain")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(label(self.tr("書き込み入りの保存"), "section"))
        column.addWidget(self.check)
        column.addWidget(self.now)
        session.engine_event.connect(self._on_event)

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.read()

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, RosterAccepted) and event.meeting_id == self.meeting_id:
            self.read()

    def read(self) -> None:
        self.check.setEnabled(False)
        if self.meeting_id:
            self.session.ops.run(self.session.engine.export_rule(self.meeting_id), self._show)

    def _show(self, rule: ExportRule) -> None:
        self.check.blockSignals(True)  # showing the rule is not choosing it
        self.check.setChecked(rule is ExportRule.ALLOWED)
        self.check.blockSignals(False)
        self.check.setEnabled(rule is not ExportRule.NOTHING_HERE)
        self.now.setText(
            self.tr("いまは、委員が自分のメモを入れたPDFを保存できます。")
            if rule is ExportRule.ALLOWED
            else self.tr("いまは、委員は保存できません（秘密会などのとき）。")
        )

    def _chosen(self, allowed: bool) -> None:
        """Sign the next roster with the rule; members' buttons follow when it arrives."""
        self.check.setEnabled(False)
        self.now.setText(self.tr("設定を配っています…"))
        self.session.ops.run(
            self.session.engine.set_export_allowed(self.meeting_id, allowed),
            on_done=lambda _version: self.read(),
            on_failed=self.read,  # the rule as it still is
        )
