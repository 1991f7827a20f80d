from __future__ import annotations

from furano_meet.protocol import messages as m
from furano_meet.sync.follow import FollowState, Mode, PageRef


def state(seq: int, page: int, pointer: m.Pointer | None = None) -> m.PresenterState:
    return m.PresenterState(
        seq=seq,
        presenter_user_id="iincho",
        document_id="pack",
        version=1,
        page=page,
        pointer=pointer,
    )


def test_following_mirrors_the_presenter_and_ignores_stale_updates() -> None:
    follow = FollowState()
    assert follow.reset(state(5, 2)).page == PageRef("pack", 1, 2)
    view = follow.on_presenter(state(6, 3, m.Pointer(x=1.0, y=2.0)))
    assert view is not None and view.page == PageRef("pack", 1, 3) and view.pointer is not None
    assert follow.on_presenter(state(4, 0)) is None  # delayed frame: never drags the reader back
    assert follow.view().page == PageRef("pack", 1, 3)


def test_browsing_keeps_my_page_and_following_again_jumps_to_the_room() -> None:
    follow = FollowState()
    follow.reset(state(1, 2))
    mine = PageRef("pack", 1, 40)
    assert follow.browse(mine).page == mine
    view = follow.on_presenter(state(2, 3, m.Pointer(x=5.0, y=5.0)))
    assert view is not None
    assert (view.mode, view.page, view.presenter_page, view.pointer) == (
        Mode.BROWSING,
        mine,
        PageRef("pack", 1, 3),
        None,
    )
    assert follow.follow().page == PageRef("pack", 1, 3)


def test_a_join_snapshot_is_authoritative_after_a_relay_restart() -> None:
    follow = FollowState()
    follow.reset(state(900, 10))
    assert follow.reset(state(3, 1)).page == PageRef("pack", 1, 1)
    assert follow.on_presenter(state(4, 2)) is not None


def test_nobody_presenting_yet() -> None:
    view = FollowState().reset(m.PresenterState(seq=0))
    assert view.page is None and view.presenter_user_id == ""
