"""The meeting's rules the clerk sets at the desk: whether members may save annotated copies
(「書き込み入りで保存」, :class:`ExportRuleBox`) and the meeting's committee (会議体,
:class:`CommitteeBox`), which members' meeting lists show — together :class:`MeetingSettings`
(「会議の設定」), on the desk's right side when the clerk asks for it, summed up in two short lines
under the pack (:meth:`MeetingSettings.summary`) so the pack keeps the height to show it whole.

The rule lives in the meeting's roster, signed on the clerk's device (see
:mod:`furano_meet.sync.policy`); the box never decides or remembers it, it shows what the core
answers (``engine.export_rule``) and asks the core to sign a change
(``engine.set_export_allowed``), reading the rule back afterwards — also when a newer roster
arrives from another clerk's device (``RosterAccepted``). Members' save buttons follow when
their devices accept the new roster.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from furano_meet.sync.events import RosterAccepted, SyncEvent
from furano_meet.sync.policy import ExportRule

from .labels import label
from .session import Session


class RosterBox(QWidget):
    """A setting the clerk signs into the meeting's roster: read again when the meeting changes
    and whenever a new roster is accepted (another clerk's device may have changed it)."""

    shown = Signal()
    """The box shows what the core answered (the desk's summary and chooser follow)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.meeting_id = ""
        session.engine_event.connect(self._on_event)

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.read()

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, RosterAccepted) and event.meeting_id == self.meeting_id:
            self.read()

    def read(self) -> None:
        raise NotImplementedError


class ExportRuleBox(RosterBox):
    """Members may save annotated copies: yes / no — the clerk's signed rule (see
    :mod:`furano_meet.sync.policy`), read back from the core after every change."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.rule: ExportRule | None = None
        """The rule as the core last answered (``None`` until read)."""
        self.check = QCheckBox(self.tr("委員が書き込み入りの資料を保存できる"), self)
        self.check.toggled.connect(self._chosen)
        self.now = label("", "explain")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(label(self.tr("書き込み入りの保存"), "section"))
        column.addWidget(self.check)
        column.addWidget(self.now)

    def read(self) -> None:
        self.check.setEnabled(False)
        if self.meeting_id:
            self.session.ops.run(self.session.engine.export_rule(self.meeting_id), self._show)

    def _show(self, rule: ExportRule) -> None:
        self.rule = rule
        self.check.blockSignals(True)  # showing the rule is not choosing it
        self.check.setChecked(rule is ExportRule.ALLOWED)
        self.check.blockSignals(False)
        self.check.setEnabled(rule is not ExportRule.NOTHING_HERE)
        self.now.setText(
            self.tr("いまは、委員が自分のメモを入れたPDFを保存できます。")
            if rule is ExportRule.ALLOWED
            else self.tr("いまは、委員は保存できません（秘密会などのとき）。")
        )
        self.shown.emit()

    def _chosen(self, allowed: bool) -> None:
        """Sign the next roster with the rule; members' buttons follow when it arrives."""
        self.check.setEnabled(False)
        self.now.setText(self.tr("設定を配っています…"))
        self.session.ops.run(
            self.session.engine.set_export_allowed(self.meeting_id, allowed),
            on_done=lambda _version: self.read(),
            on_failed=self.read,  # the rule as it still is
        )


class CommitteeBox(RosterBox):
    """The meeting's committee (会議体, 「総務文教委員会」): shown as the signed roster says
    (``engine.committee``), changed by signing the next roster (``engine.set_committee``);
    members' meeting lists show it once their devices accept that roster. Empty removes it
    (members' lists then read the committee from the title again)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.committee: str | None = None
        """The committee as the core last answered (``None``: none signed)."""
        self.field = QLineEdit(self)
        self.field.setAccessibleName(self.tr("会議体"))
        self.field.setPlaceholderText(self.tr("例：総務文教委員会"))
        self.field.setMaxLength(200)  # the roster's limit (crypto/roster.py)
        self.field.returnPressed.connect(self.save)
        self.apply = QPushButton(self.tr("変更する"), self)
        self.apply.setAccessibleName(self.tr("会議体を変更する"))
        self.apply.clicked.connect(self.save)
        self.now = label("", "explain")
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.apply)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(label(self.tr("会議体"), "section"))
        column.addLayout(row)
        column.addWidget(self.now)
        self._enable(False)  # until the signed roster has been read

    def read(self) -> None:
        self._enable(False)
        if self.meeting_id:
            self.session.ops.run(self.session.engine.committee(self.meeting_id), self._show)

    def _enable(self, enabled: bool) -> None:
        self.field.setEnabled(enabled)
        self.apply.setEnabled(enabled)

    def _show(self, committee: str | None) -> None:
        self.committee = committee
        self.field.setText(committee or "")
        self._enable(True)
        self.now.setText(
            self.tr("委員の会議一覧に「{name}」と表示されます。").format(name=committee)
            if committee
            else self.tr("まだ設定されていません（委員の一覧では会議名から表示します）。")
        )
        self.shown.emit()

    def save(self) -> None:
        """Sign the next roster with the committee; members' lists follow when it arrives."""
        self._enable(False)
        self.now.setText(self.tr("設定を配っています…"))
        self.session.ops.run(
            self.session.engine.set_committee(self.meeting_id, self.field.text().strip()),
            on_done=lambda _version: self.read(),
            on_failed=self.read,  # the committee as it still is
        )


class MeetingSettings(QFrame):
    """「会議の設定」: the export rule and the committee, on the desk's right side; each change
    is signed into the meeting's roster and reaches every member's device."""

    shown = Signal()
    """A box shows what the core answered: :meth:`summary` may read differently."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskPanel")
        self.export = ExportRuleBox(session, self)
        self.committee = CommitteeBox(session, self)
        for box in (self.export, self.committee):
            box.shown.connect(self.shown.emit)
        column = QVBoxLayout(self)
        column.addWidget(label(self.tr("会議の設定"), "docTitle"))
        column.addWidget(
            label(self.tr("変更は署名して配られ、委員全員の端末に届きます。"), "explain")
        )
        column.addSpacing(8)
        column.addWidget(self.export)
        column.addSpacing(8)
        column.addWidget(self.committee)
        column.addStretch(1)

    def set_meeting(self, meeting_id: str) -> None:
        self.export.set_meeting(meeting_id)
        self.committee.set_meeting(meeting_id)

    def summary(self) -> str:
        """Two short lines for under the pack: 「委員の保存：できる」 over 「会議体：総務文教委員会」."""
        rule = self.export.rule
        saving = (
            self.tr("確かめています…")
            if rule is None
            else self.tr("できる")
            if rule is ExportRule.ALLOWED
            else self.tr("できない")
        )
        name = self.committee.committee or self.tr("未設定")
        return self.tr("委員の保存：{saving}\n会議体：{name}").format(saving=saving, name=name)
