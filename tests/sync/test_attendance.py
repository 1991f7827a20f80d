"""Who is where, folded from per-device presence into one row per person."""

from __future__ import annotations

from dataclasses import replace

from furano_meet.protocol import messages as m
from furano_meet.sync.attendance import Attendance, Whereabouts, attendance, counts, split
from furano_meet.sync.follow import FollowState
from furano_meet.sync.presenting import MeetingView

MEMBERS = (
    m.MemberInfo(user_id="iincho", display_name="委員長 富良野", role="chair"),
    m.MemberInfo(user_id="giin1", display_name="委員 北野", role="member"),
    m.MemberInfo(user_id="giin2", display_name="委員 東山", role="member"),
    m.MemberInfo(user_id="giin3", display_name="委員 中央", role="member"),
)


def room(*presence: tuple[str, str, bool]) -> MeetingView:
    follow = FollowState()
    follow.reset(m.PresenterState(seq=1, presenter_user_id="iincho", document_id="d", page=2))
    return MeetingView(
        meeting_id="m",
        joined=True,
        my_role="chair",
        view=follow.view(),
        presenting=True,
        members=MEMBERS,
        presence=tuple(m.Presence(user_id=u, device_id=d, following=f) for u, d, f in presence),
    )


def test_one_row_per_member_in_roster_order_with_where_they_are() -> None:
    rows = attendance(room(("iincho", "c1", True), ("giin1", "t1", True), ("giin2", "t2", False)))
    assert [(r.name, r.where) for r in rows] == [
        ("委員長 富良野", Whereabouts.PRESENTING),
        ("委員 北野", Whereabouts.FOLLOWING),
        ("委員 東山", Whereabouts.BROWSING),
        ("委員 中央", Whereabouts.OFFLINE),
    ]
    assert counts(rows) == {
        Whereabouts.PRESENTING: 1,
        Whereabouts.FOLLOWING: 1,
        Whereabouts.BROWSING: 1,
        Whereabouts.OFFLINE: 1,
    }


def test_two_devices_count_once_and_follow_if_either_follows() -> None:
    rows = attendance(room(("giin1", "tablet", False), ("giin1", "laptop", True)))
    kitano = next(r for r in rows if r.user_id == "giin1")
    assert kitano == Attendance("giin1", "委員 北野", "member", Whereabouts.FOLLOWING, 2)
    assert len(rows) == len(MEMBERS)
    both_browse = attendance(room(("giin1", "tablet", False), ("giin1", "laptop", False)))
    assert both_browse[1].where is Whereabouts.BROWSING


def test_someone_present_who_is_not_on_the_roster_is_still_shown_by_id() -> None:
    rows = attendance(room(("stranger", "x", True)))
    assert rows[-1] == Attendance("stranger", "stranger", "member", Whereabouts.FOLLOWING, 1)
    assert rows[0].where is Whereabouts.OFFLINE  # the presenter without a device is offline


def test_the_clerk_is_staff_apart_from_the_members_and_not_counted_with_them() -> None:
    clerk = m.MemberInfo(user_id="jimukyoku", display_name="議会事務局 書記", role="clerk")
    with_clerk = room(("jimukyoku", "pc", True), ("giin1", "t1", True))
    rows = attendance(replace(with_clerk, members=(*MEMBERS[:2], clerk, *MEMBERS[2:])))
    members, staff = split(rows)
    assert [r.user_id for r in staff] == ["jimukyoku"] and staff[0].staff
    assert [r.user_id for r in members] == ["iincho", "giin1", "giin2", "giin3"]
    assert counts(members)[Whereabouts.FOLLOWING] == 1  # 北野, not the clerk
