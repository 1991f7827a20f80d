"""The presenter's panel: who follows, who reads on their own, who is offline — live.

What it shows is the engine's room state (:meth:`SyncEngine.view`: the members from the join
snapshot, per-device presence with ``following``) folded into one row per person by
:func:`furano_meet.sync.attendance.attendance` — names from the roster, never device ids; a
person with two devices counts once. Rows keep the roster's order, so nobody's row jumps while
the chair looks for them, and each says its state in words *and* a calm colour:
追従中 (green), 自分で閲覧中 (amber), オフライン (grey), 発表中 (blue). Clerks are staff: their rows come last
under 事務局 and the counts above are the members' only. It refreshes on
``PresenceUpdated``, ``PresenterMoved`` and ``StatusChanged`` (when this device goes offline
nobody's presence is known, and the panel says so instead of showing stale rows).

It is shown to whoever may present (the chair, clerks) and to the presenter, and it owns the
role intents of the app: a member's 「発表をお願いする」, the chair's 「許可」 on a request row
(:mod:`.role_requests`) and 「発表を引き継ぐ」, and 「発表を終える」 — which hands the role back to
the chair, or, for the chair, pauses (their own turns become private; 「発表に戻る」 resumes).
Failures go to the one error presenter (a refusal is ``not_presenter``).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from furano_meet.sync.attendance import Attendance, Whereabouts, attendance, counts, split
from furano_meet.sync.events import (
    PresenceUpdated,
    PresenterMoved,
    PresenterRequested,
    StatusChanged,
    SyncEvent,
)
from furano_meet.sync.presenting import MeetingView

from .role_requests import RoleRequests
from .session import Session
from .viewer import Viewer

CONTEXT = "PresenterPanel"
PANEL_WIDTH = 280
LOOKS: dict[Whereabouts, tuple[str, str, object]] = {
    Whereabouts.PRESENTING: ("#e8f0fe", "#1a4fa0", QT_TRANSLATE_NOOP("PresenterPanel", "発表中")),
    Whereabouts.FOLLOWING: ("#e6f4ea", "#0b6e3b", QT_TRANSLATE_NOOP("PresenterPanel", "追従中")),
    Whereabouts.BROWSING: (
        "#fff4d6",
        "#6b4e00",
        QT_TRANSLATE_NOOP("PresenterPanel", "自分で閲覧中"),
    ),
    Whereabouts.OFFLINE: ("#f1f3f4", "#5f6368", QT_TRANSLATE_NOOP("PresenterPanel", "オフライン")),
}
"""(background, text colour, words) of each state: calm, and never colour alone."""


def words(where: Whereabouts) -> str:
    return QCoreApplication.translate(CONTEXT, str(LOOKS[where][2]))


class AttendanceRow(QFrame):
    """One person: ● name, and under it the state in words, large enough to read from arm's
    length (two lines, so a long name never pushes the words out of the narrow panel)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attendanceRow")
        self.setMinimumHeight(56)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        self.dot = QLabel("●", self)
        self.dot.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.name = QLabel(self)
        self.name.setObjectName("attendanceName")
        self.name.setWordWrap(True)
        self.state = QLabel(self)
        self.state.setObjectName("attendanceState")
        lines = QVBoxLayout()
        lines.setSpacing(0)
        lines.addWidget(self.name)
        lines.addWidget(self.state)
        layout.addWidget(self.dot)
        layout.addLayout(lines, 1)
        self.where = Whereabouts.OFFLINE

    def show_row(self, row: Attendance, *, me: bool) -> None:
        self.where = row.where
        background, colour, _ = LOOKS[row.where]
        state = (
            words(row.where)
            if not me
            else self.tr("{state}（あなた）").format(state=words(row.where))
        )
        self.name.setText(row.name)
        self.state.setText(state)
        self.setAccessibleName(f"{row.name} {state}")
        self.setStyleSheet(
            f"#attendanceRow {{ background: {background}; border-radius: 8px; }}"
            f"QLabel {{ color: {colour}; font-size: 15pt; }}"
            "#attendanceName { color: #202124; font-weight: bold; }"
            "#attendanceState { font-size: 14pt; }"
        )


class PresenterPanel(QFrame):
    """See the module docstring. ``set_meeting`` first; then the engine's events drive it."""

    opened_by_reader = Signal()
    """The reader unfolded the panel: the room makes space for it (room.py)."""

    def __init__(self, session: Session, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.viewer = session, viewer
        self.meeting_id = ""
        self.setObjectName("presenterPanel")
        self._build_folding()
        self.heading = QLabel(self.tr("参加者の様子"), self)
        self.heading.setObjectName("heading")
        self.summary = QLabel(self)
        self.summary.setObjectName("attendanceSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("#attendanceSummary { font-size: 14pt; }")
        self.requests = RoleRequests(self)
        self.take = QPushButton(self.tr("発表を引き継ぐ"), self)
        self.take.setAccessibleName(self.tr("発表者の役割を自分に移す"))
        self.stop = QPushButton(self.tr("発表を終える"), self)
        self.rows: dict[str, AttendanceRow] = {}
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self.staff_heading = QLabel(self.tr("事務局"), self._list)
        self.staff_heading.setObjectName("heading")
        self.staff_heading.hide()
        self._list_layout.addWidget(self.staff_heading)
        self._list_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._list)
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.fold)
        layout.addLayout(top)
        for widget in (self.take, self.stop, self.requests, self.summary):
            layout.addWidget(widget)
        layout.addWidget(scroll, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.unfold, 0, Qt.AlignmentFlag.AlignTop)
        outer.addWidget(self.body, 1)
        self._show_folded()
        bar = viewer.presenter_bar
        bar.request_clicked.connect(self.ask_for_role)
        self.take.clicked.connect(self.take_role)
        self.stop.clicked.connect(self.stop_presenting)
        self.requests.grant_requested.connect(self.grant)
        session.engine_event.connect(self._on_event)
        self.hide()

    # -- folding -------------------------------------------------------------------------------

    def _build_folding(self) -> None:
        """A strip 「◂ 参加者」 where the window is narrow (room.py), and 「▸」 to fold."""
        self.body = QWidget(self)
        self.user_folded = False
        self.room_folded = False
        self.fold = QPushButton(self.tr("▸"), self.body)
        self.fold.setAccessibleName(self.tr("参加者の様子を閉じてページを広く表示する"))
        self.fold.setToolTip(self.fold.accessibleName())
        self.unfold = QPushButton(self.tr("◂\n参加者"), self)
        self.unfold.setAccessibleName(self.tr("参加者の様子を開く"))
        self.unfold.setToolTip(self.unfold.accessibleName())
        self.fold.clicked.connect(lambda: self.set_folded_by_reader(True))
        self.unfold.clicked.connect(lambda: self.set_folded_by_reader(False))

    @property
    def folded(self) -> bool:
        return self.user_folded or self.room_folded

    def folded_width(self) -> int:
        return self.unfold.sizeHint().width() + 8

    def set_folded_by_reader(self, folded: bool) -> None:
        self.user_folded = folded
        if not folded:
            self.room_folded = False
            self.opened_by_reader.emit()
        self._show_folded()

    def set_room_folded(self, folded: bool) -> None:
        """Fold (or give back) the panel because the window is narrow; the reader's choice
        stays."""
        if folded != self.room_folded:
            self.room_folded = folded
            self._show_folded()

    def _show_folded(self) -> None:
        folded = self.folded
        self.body.setVisible(not folded)
        self.unfold.setVisible(folded)
        # exactly its size hint, open or folded: the strip's width follows its font (large
        # text); the room folds the panel before an open one would not fit (room.py)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.folded_width() if self.folded else PANEL_WIDTH, 400)

    # -- what it shows -------------------------------------------------------------------------

    def set_meeting(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.requests.clear()
        self.refresh()

    def where(self) -> dict[str, Whereabouts]:
        """Each person's state as shown (by user id; for tests and screen readers' summaries)."""
        return {user_id: row.where for user_id, row in self.rows.items() if row.isVisible()}

    def refresh(self) -> None:
        view = self.session.engine.view(self.meeting_id) if self.meeting_id else None
        self.setVisible(view is not None and (view.may_moderate or view.presenting))
        if view is None or not self.isVisible():
            return
        self.requests.presenter_is(view.view.presenter_user_id)
        self.take.setVisible(view.may_moderate and not view.presenting)
        self.stop.setVisible(view.presenting)
        self.take.setEnabled(view.joined)
        self.stop.setEnabled(view.joined)
        if not view.joined:
            self.summary.setText(
                self.tr("この端末はオフラインです — 参加者の様子は、つながると表示されます")
            )
            for row in (*self.rows.values(), self.staff_heading):
                row.hide()
            return
        members, staff = split(attendance(view))  # the clerks run the room: apart, not counted
        tally = counts(members)
        self.summary.setText(  # one count a line: a number never wraps away from its words
            "\n".join(
                self.tr("{state} {n}人").format(state=words(where), n=tally[where])
                for where in (Whereabouts.FOLLOWING, Whereabouts.BROWSING, Whereabouts.OFFLINE)
            )
        )
        for index, person in enumerate((*members, None, *staff)):
            if person is None:  # 事務局, above the staff's rows
                self._list_layout.insertWidget(index, self.staff_heading)
                self.staff_heading.setVisible(bool(staff))
                continue
            if person.user_id not in self.rows:
                self.rows[person.user_id] = AttendanceRow(self._list)
            row = self.rows[person.user_id]
            self._list_layout.insertWidget(index, row)  # roster order, stretch last
            row.show_row(person, me=person.user_id == self.session.user_id)
            row.show()

    def _on_event(self, event: SyncEvent) -> None:
        if isinstance(event, StatusChanged):
            self.refresh()
        elif getattr(event, "meeting_id", None) != self.meeting_id:
            return
        elif isinstance(event, PresenterRequested):
            self.requests.add(event.user_id, self._name(event.user_id))
        elif isinstance(event, PresenceUpdated | PresenterMoved):
            self.refresh()

    def _name(self, user_id: str) -> str:
        members = self.session.engine.view(self.meeting_id).members
        return next((x.display_name for x in members if x.user_id == user_id), user_id)

    # -- role intents --------------------------------------------------------------------------

    def ask_for_role(self) -> None:
        presenter = self._view().view.presenter_user_id
        bar = self.viewer.presenter_bar
        self.session.ops.run(
            self.session.engine.request_presenter(self.meeting_id),
            on_done=lambda _: bar.asked(presenter),
        )

    def take_role(self) -> None:
        self.session.ops.run(self.session.engine.take_presenter(self.meeting_id))

    def grant(self, user_id: str) -> None:
        self.session.ops.run(
            self.session.engine.grant_presenter(self.meeting_id, user_id),
            on_done=lambda _: self.requests.remove(user_id),
        )

    def stop_presenting(self) -> None:
        """Hand the role back to the chair; the chair themselves pauses instead (the protocol
        has no "nobody presents"): their own turns stay private until 「発表に戻る」."""
        view = self._view()
        chair = next((x.user_id for x in view.members if x.role == "chair"), "")
        engine = self.session.engine
        if chair and chair != self.session.user_id:
            self.session.ops.run(engine.grant_presenter(self.meeting_id, chair))
        elif view.view.page is not None:
            self.session.ops.run(engine.browse(self.meeting_id, view.view.page))

    def _view(self) -> MeetingView:
        return self.session.engine.view(self.meeting_id)
