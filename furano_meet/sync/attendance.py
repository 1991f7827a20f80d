"""Who is where in a meeting room: presenting, following, browsing on their own, or offline.

The relay reports presence per *device* (``Presence``: user, device, following); a presenter
wants to know about *people*.  :func:`attendance` folds a :class:`~.presenting.MeetingView`
into one row per member of the meeting (the roster from the join snapshot, in its order, so a
row never jumps when someone's state changes): a person with two devices counts once, and
follows if any of their devices follows — the tablet on the desk may follow while the laptop
browses, and the presenter needs to know the person is with them.

*Staff apart*: clerks (and administrators) are in the room to run it — the clerk's device
publishes and follows along — but a chair counting "who is with me" counts the committee.
:func:`split` puts them in a group of their own (the panel's 事務局 heading), and the counts
are taken over the members only.

Pure and Qt-free: the app's presenter panel only shows the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from furano_meet.protocol import messages as m

from .presenting import MeetingView

STAFF: frozenset[str] = frozenset({"clerk", "admin"})
"""Roles that run the meeting rather than sit in it (shown under 事務局, not counted)."""


class Whereabouts(StrEnum):
    PRESENTING = "presenting"
    FOLLOWING = "following"
    BROWSING = "browsing"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Attendance:
    user_id: str
    name: str
    """The display name from the meeting's members (the user id only for a stranger)."""
    role: m.Role
    where: Whereabouts
    devices: int
    """Devices of this person in the room now."""

    @property
    def staff(self) -> bool:
        return self.role in STAFF


def attendance(view: MeetingView) -> tuple[Attendance, ...]:
    """One row per member (roster order), then anyone present who is not on it."""
    devices: dict[str, list[m.Presence]] = {}
    for presence in view.presence:
        devices.setdefault(presence.user_id, []).append(presence)
    people = [(x.user_id, x.display_name, x.role) for x in view.members]
    known = {user_id for user_id, _, _ in people}
    people += [(u, u, "member") for u in sorted(devices) if u not in known]
    presenter = view.view.presenter_user_id
    rows = []
    for user_id, name, role in people:
        mine = devices.get(user_id, [])
        rows.append(Attendance(user_id, name, role, _where(mine, user_id == presenter), len(mine)))
    return tuple(rows)


def _where(devices: list[m.Presence], presents: bool) -> Whereabouts:
    if not devices:
        return Whereabouts.OFFLINE
    if presents:
        return Whereabouts.PRESENTING
    if any(d.following for d in devices):
        return Whereabouts.FOLLOWING
    return Whereabouts.BROWSING


def counts(rows: tuple[Attendance, ...]) -> dict[Whereabouts, int]:
    """How many people are in each state (every state present, zeros included)."""
    tally = dict.fromkeys(Whereabouts, 0)
    for row in rows:
        tally[row.where] += 1
    return tally


def split(rows: tuple[Attendance, ...]) -> tuple[tuple[Attendance, ...], tuple[Attendance, ...]]:
    """(the members — chair included — , the staff), each in roster order."""
    return tuple(r for r in rows if not r.staff), tuple(r for r in rows if r.staff)
