"""Meetings and their members, and the presenter state saved lazily between page turns.

Serves the meeting handlers (join, presence, presenter) and the admin-change watcher.
"""

from __future__ import annotations

from collections.abc import Sequence

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from ..errors import Refusal
from .database import Database, utc_now

PRESENTER_SEQ_MARGIN = 1_000_000
"""More presenter changes than one meeting can make between two lazy saves (a rate-limited
presenter makes at most ``rate_per_second`` a second; saves run every second)."""


class MeetingQueries(Database):
    """Who belongs to which meeting, and where its presenter was."""

    def create_meeting(
        self, meeting_id: str, org_id: str, title: str, starts_at: str = "", expires_at: str = ""
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO meetings (meeting_id, org_id, title, starts_at, expires_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (meeting_id, org_id, title, starts_at, expires_at, utc_now()),
            )

    def set_members(self, meeting_id: str, user_ids: Sequence[str]) -> None:
        """Replace the member list (one transaction: nobody is briefly a non-member)."""
        self._members.clear()
        with self._tx() as db:
            if not db.execute(
                "SELECT 1 FROM meetings WHERE meeting_id = ?", (meeting_id,)
            ).fetchone():
                raise Refusal(ErrorCode.NOT_FOUND, f"no meeting {meeting_id!r}")
            db.execute("DELETE FROM meeting_members WHERE meeting_id = ?", (meeting_id,))
            db.executemany(
                "INSERT INTO meeting_members (meeting_id, user_id) VALUES (?, ?)",
                [(meeting_id, u) for u in dict.fromkeys(user_ids)],
            )

    def meetings_for(self, user_id: str) -> list[m.MeetingInfo]:
        rows = self.db.execute(
            "SELECT mt.meeting_id, mt.title, mt.starts_at, mt.expires_at, u.role"
            " FROM meeting_members mm JOIN meetings mt USING (meeting_id)"
            " JOIN users u ON u.user_id = mm.user_id"
            " WHERE mm.user_id = ? ORDER BY mt.starts_at, mt.meeting_id",
            (user_id,),
        )
        return [
            m.MeetingInfo(
                meeting_id=r[0], title=r[1], starts_at=r[2], expires_at=r[3], my_role=r[4]
            )
            for r in rows
        ]

    def meeting_for_member(self, meeting_id: str, user_id: str) -> m.MeetingInfo:
        """The meeting if ``user_id`` is a member; otherwise the same refusal as a missing one."""
        for info in self.meetings_for(user_id):
            if info.meeting_id == meeting_id:
                return info
        # One message for "no such meeting" and "not yours": do not reveal which meetings exist.
        raise Refusal(ErrorCode.FORBIDDEN, "You are not a member of this meeting.")

    def members(self, meeting_id: str) -> list[m.MemberInfo]:
        """The member list, cached until this store or another process (the CLI) changes it."""
        version = self.data_version()
        if version != self._members_version:
            self._members.clear()
            self._members_version = version
        cached = self._members.get(meeting_id)
        if cached is None:
            rows = self.db.execute(
                "SELECT u.user_id, u.display_name, u.role FROM meeting_members mm"
                " JOIN users u USING (user_id) WHERE mm.meeting_id = ? ORDER BY u.user_id",
                (meeting_id,),
            )
            cached = [m.MemberInfo(user_id=r[0], display_name=r[1], role=r[2]) for r in rows]
            self._members[meeting_id] = cached
        return list(cached)

    def member_ids(self, meeting_id: str) -> set[str]:
        return {
            r[0]
            for r in self.db.execute(
                "SELECT user_id FROM meeting_members WHERE meeting_id = ?", (meeting_id,)
            )
        }

    # -- presenter (saved lazily) -------------------------------------------------------------

    def save_presenter(self, meeting_id: str, state: m.PresenterState) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO presenter VALUES (?,?,?,?,?,?)",
                (
                    meeting_id,
                    state.seq,
                    state.presenter_user_id,
                    state.document_id,
                    state.version,
                    state.page,
                ),
            )

    def load_presenter(self, meeting_id: str) -> m.PresenterState | None:
        """The saved presenter state, its ``seq`` lifted by :data:`PRESENTER_SEQ_MARGIN`.

        The state is saved lazily, so after a crash the saved ``seq`` can be lower than what
        followers already saw; they would then drop every new page turn as stale.  Starting well
        above anything the crashed relay can have sent keeps ``seq`` growing.
        """
        row = self.db.execute(
            "SELECT seq, presenter_user_id, document_id, version, page FROM presenter"
            " WHERE meeting_id = ?",
            (meeting_id,),
        ).fetchone()
        if row is None:
            return None
        return m.PresenterState(
            seq=row[0] + PRESENTER_SEQ_MARGIN,
            presenter_user_id=row[1],
            document_id=row[2],
            version=row[3],
            page=row[4],
        )
