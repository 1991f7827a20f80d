from __future__ import annotations

import pytest

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


def test_an_update_with_the_same_sequence_number_is_stale() -> None:
    follow = FollowState()
    follow.reset(state(7, 2))
    assert follow.on_presenter(state(7, 9)) is None  # a duplicate frame changes nothing
    assert follow.view().page == PageRef("pack", 1, 2)
    view = follow.on_presenter(state(8, 9))
    assert view is not None and view.page == PageRef("pack", 1, 9)


def test_a_live_update_before_any_snapshot_is_applied() -> None:
    follow = FollowState()
    view = follow.on_presenter(state(0, 4, m.Pointer(x=3.0, y=4.0)))
    assert view is not None
    assert (view.mode, view.page, view.presenter_user_id) == (
        Mode.FOLLOWING,
        PageRef("pack", 1, 4),
        "iincho",
    )
    assert view.pointer == m.Pointer(x=3.0, y=4.0)


def test_a_fresh_reader_sees_nothing_and_has_no_pointer() -> None:
    view = FollowState().view()
    assert (view.mode, view.page, view.presenter_page, view.pointer) == (
        Mode.FOLLOWING,
        None,
        None,
        None,
    )
    assert view.presenter_user_id == ""


def test_following_again_shows_the_pointer_and_the_mode() -> None:
    follow = FollowState()
    follow.reset(state(1, 2, m.Pointer(x=1.0, y=1.0)))
    browsing = follow.browse(PageRef("other", 2, 0))
    assert (browsing.mode, browsing.pointer) == (Mode.BROWSING, None)
    assert browsing.presenter_page == PageRef("pack", 1, 2)
    following = follow.follow()
    assert following.mode is Mode.FOLLOWING and follow.mode is Mode.FOLLOWING
    assert following.pointer == m.Pointer(x=1.0, y=1.0)
    assert following.presenter_user_id == "iincho"


def test_browsing_without_a_page_of_my_own_shows_the_presenters() -> None:
    follow = FollowState(mode=Mode.BROWSING)
    view = follow.reset(state(1, 6))
    assert (view.mode, view.page) == (Mode.BROWSING, PageRef("pack", 1, 6))


def summoned(seq: int, page: int, summon: int) -> m.PresenterState:
    return m.PresenterState(
        seq=seq, presenter_user_id="iincho", document_id="pack", version=1, page=page, summon=summon
    )


def test_a_new_summons_brings_a_browsing_reader_back_once() -> None:
    follow = FollowState()
    follow.reset(summoned(1, 2, 0))
    mine = PageRef("pack", 1, 40)
    follow.browse(mine)
    view = follow.on_presenter(summoned(2, 3, 0))  # a plain turn: the reader stays
    assert view is not None and (view.mode, view.page) == (Mode.BROWSING, mine)
    view = follow.on_presenter(summoned(3, 6, 1))  # bring everyone here
    assert view is not None and (view.mode, view.page) == (Mode.FOLLOWING, PageRef("pack", 1, 6))
    assert follow.browse(mine).mode is Mode.BROWSING  # no lock: turning away works at once
    view = follow.on_presenter(summoned(4, 7, 1))  # the same summons does not call again
    assert view is not None and (view.mode, view.page) == (Mode.BROWSING, mine)


def test_a_summons_older_than_the_join_snapshot_is_history() -> None:
    follow = FollowState()
    follow.browse(PageRef("pack", 1, 40))
    follow.reset(summoned(5, 2, 3))  # summoned three times before this reader joined
    assert follow.view().mode is Mode.BROWSING
    view = follow.on_presenter(summoned(6, 3, 3))
    assert view is not None and view.mode is Mode.BROWSING


def test_a_stale_frame_with_a_higher_summons_is_ignored() -> None:
    follow = FollowState()
    follow.reset(summoned(9, 2, 0))
    follow.browse(PageRef("pack", 1, 40))
    assert follow.on_presenter(summoned(8, 6, 1)) is None
    assert follow.view().mode is Mode.BROWSING


def test_a_summons_counted_again_from_zero_after_a_relay_restart() -> None:
    """The relay does not save the count: its snapshot says 0, and the next summons is 1."""
    follow = FollowState()
    follow.reset(summoned(3, 2, 7))
    follow.reset(summoned(1_000_003, 2, 0))
    follow.browse(PageRef("pack", 1, 40))
    view = follow.on_presenter(summoned(1_000_004, 5, 1))
    assert view is not None and (view.mode, view.page) == (Mode.FOLLOWING, PageRef("pack", 1, 5))


def test_a_summons_while_following_changes_only_the_page() -> None:
    follow = FollowState()
    follow.reset(summoned(1, 2, 0))
    view = follow.on_presenter(summoned(2, 8, 1))
    assert view is not None and (view.mode, view.page) == (Mode.FOLLOWING, PageRef("pack", 1, 8))


# -- 全員をこのページへ right after a page turn: two ops, any order, any loss but the newest --
#
# The chair on page index 3 turns to 4 (a plain turn) and at once brings everyone there (a
# summons that names page 4 itself). The relay may handle them in either order (it numbers them
# ``seq`` as it does), coalescing may drop any frame but the newest, and a reader may get what
# is left in any order: every reader ends on page 4, following.

TURN, BRING = "turn", "bring"


def handled(order: tuple[str, ...], page_of_bring: int = 4) -> dict[str, m.PresenterState]:
    """The frames the relay broadcasts when it handles ``order`` after the state (seq 1,
    page 3 shown, no summons yet)."""
    frames, summon = {}, 0
    for seq, op in enumerate(order, start=2):
        summon += op == BRING
        page = page_of_bring if op == BRING else 4
        frames[op] = summoned(seq, page, summon)
    return frames


def arrivals(frames: dict[str, m.PresenterState]) -> list[tuple[m.PresenterState, ...]]:
    """Every order a reader may get the frames in, with any but the newest lost."""
    newest = max(frames.values(), key=lambda f: f.seq)
    older = [f for f in frames.values() if f is not newest]
    return [(newest,), (*older, newest), (newest, *older)]


@pytest.mark.parametrize("order", [(TURN, BRING), (BRING, TURN)])
def test_a_bring_before_or_after_its_turn_ends_every_reader_on_the_new_page(
    order: tuple[str, ...],
) -> None:
    for frames in arrivals(handled(order)):
        for mode in Mode:
            follow = FollowState()
            follow.reset(summoned(1, 3, 0))
            if mode is Mode.BROWSING:
                follow.browse(PageRef("pack", 1, 40))
            for frame in frames:
                follow.on_presenter(frame)
            view = follow.view()
            assert (view.mode, view.page) == (Mode.FOLLOWING, PageRef("pack", 1, 4)), frames


def test_a_bring_from_an_older_chair_that_names_the_page_before_the_turn_wins_as_before() -> None:
    """A 1.6 chair's engine named the page it had last heard presented, so a bring pressed
    right after a turn could name the page before it. Readers treat it as today: the newest
    frame wins (docs/protocol.md, 1.6 compatibility)."""
    frames = handled((TURN, BRING), page_of_bring=2)
    follow = FollowState()
    follow.reset(summoned(1, 2, 0))
    follow.browse(PageRef("pack", 1, 40))
    for frame in frames.values():
        follow.on_presenter(frame)
    assert (follow.mode, follow.view().page) == (Mode.FOLLOWING, PageRef("pack", 1, 2))
