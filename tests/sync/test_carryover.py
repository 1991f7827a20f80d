from __future__ import annotations

from furano_meet.sync.carryover import match_pages


def test_unchanged_pages_follow_an_inserted_page() -> None:
    old = {0: "表紙", 1: "議事日程", 2: "議案第1号 補正予算", 3: "議案第2号 条例"}
    new = {
        0: "表紙",
        1: "差し替えのお知らせ",
        2: "議事日程",
        3: "議案第1号  補正予算",
        4: "議案第2号 改正後",
    }
    assert match_pages(old, new) == {0: 0, 1: 2, 2: 3}  # page 3 changed: not carried


def test_identical_pages_are_used_once_and_nearest_first() -> None:
    old = {0: "白紙", 5: "白紙"}
    new = {1: "白紙", 6: "白紙"}
    assert match_pages(old, new) == {0: 1, 5: 6}


def test_pages_without_text_never_match() -> None:
    assert match_pages({0: "", 1: "  "}, {0: "", 1: " "}) == {}
