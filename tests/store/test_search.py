"""Full-text search: trigram MATCH for 3+ characters, gram-filtered LIKE for 1-2, NFKC, snippets."""

from __future__ import annotations

import pytest

from furano_meet.store import MARK_CLOSE, MARK_OPEN, LocalStore, SearchHit, UnknownDocument, search
from furano_meet.store.search import like_pattern, like_snippet, normalise, phrase_query

from .conftest import add_meeting_with_document

PAGES = [
    (0, "令和7年度富良野市一般会計補正予算について、市長から説明があった。"),
    (1, "議案第12号　ＦＵＲＡＮＯ　ﾗﾍﾞﾝﾀﾞｰ観光振興条例の一部改正。"),
    (2, "除雪費の増額（前年比120%）と、予算_残額の確認。"),
    (3, '資料は "別紙" を参照。アクセス数は100件。'),
]


@pytest.fixture
def indexed(store: LocalStore) -> LocalStore:
    add_meeting_with_document(store)
    assert store.index_pages("d1", 1, PAGES) == len(PAGES)
    return store


def pages(hits: list[SearchHit]) -> list[int]:
    return [hit.page_no for hit in hits]


def test_three_or_more_characters_use_the_trigram_index(indexed: LocalStore) -> None:
    hits = indexed.search("補正予算")
    assert pages(hits) == [0]
    hit = hits[0]
    assert (hit.meeting_id, hit.doc_id, hit.version, hit.title) == (
        "m1",
        "d1",
        1,
        "一般会計補正予算書",
    )
    assert f"{MARK_OPEN}補正予算{MARK_CLOSE}" in hit.snippet
    assert pages(indexed.search("存在しない言葉")) == []


def test_one_and_two_characters_use_like(indexed: LocalStore) -> None:
    assert pages(indexed.search("市")) == [0]
    assert pages(indexed.search("予算")) == [0, 2]
    assert pages(indexed.search("鬱")) == []
    hit = indexed.search("市長")[0]
    assert f"{MARK_OPEN}市長{MARK_CLOSE}" in hit.snippet
    assert hit.fragments()[1] == ("市長", True)


def test_width_variants_are_folded_on_both_sides(indexed: LocalStore) -> None:
    # Indexed full-width ＦＵＲＡＮＯ and half-width ﾗﾍﾞﾝﾀﾞｰ; searched in the other widths.
    assert pages(indexed.search("FURANO")) == [1]
    assert pages(indexed.search("furano")) == [1]  # case-insensitive like the trigram index
    assert pages(indexed.search("ラベンダー")) == [1]
    assert pages(indexed.search("ﾗﾍﾞﾝﾀﾞｰ")) == [1]
    assert pages(indexed.search("１２号")) == [1]
    assert pages(indexed.search("ＦＵ")) == [1]  # two characters after NFKC -> LIKE path
    assert pages(indexed.search("fu")) == [1]


def test_like_wildcards_are_literal(indexed: LocalStore) -> None:
    assert pages(indexed.search("%")) == [2]
    assert pages(indexed.search("_")) == [2]
    assert pages(indexed.search("0%")) == [2]
    assert pages(indexed.search("算_")) == [2]
    assert pages(indexed.search("_a")) == []
    assert like_pattern("5%_\\") == "%5\\%\\_\\\\%"


def test_match_syntax_is_literal(indexed: LocalStore) -> None:
    assert pages(indexed.search('"別紙"')) == [3]
    assert pages(indexed.search("別紙 OR 市長")) == []
    assert pages(indexed.search("120%")) == [2]
    assert phrase_query('a"b') == '"a""b"'


def test_snippet_marks_the_match(indexed: LocalStore) -> None:
    long_page = "前置き" * 40 + "特別委員会" + "後書き" * 40
    indexed.index_pages("d1", 1, [(9, long_page)])
    for query in ("特別委員会", "特別"):
        hit = indexed.search(query)[0]
        assert hit.page_no == 9
        matched = [text for text, is_match in hit.fragments() if is_match]
        assert matched and all(query.startswith(m) or m.startswith(query) for m in matched)
        assert len(hit.snippet) < len(long_page)


def test_limit_meeting_filter_and_blank_queries(indexed: LocalStore) -> None:
    add_meeting_with_document(indexed, "m2", "d2", doc_title="別の資料")
    indexed.index_pages("d2", 1, [(0, "富良野市の予算")])
    assert len(indexed.search("予算")) == 3
    assert len(indexed.search("予算", limit=1)) == 1
    assert [h.meeting_id for h in indexed.search("予算", meeting_id="m2")] == ["m2"]
    assert [h.meeting_id for h in indexed.search("富良野", meeting_id="m2")] == ["m2"]
    assert indexed.search("   ") == []
    assert indexed.search("") == []
    assert indexed.search("予算", limit=0) == []


def test_reindexing_a_page_replaces_its_text(indexed: LocalStore) -> None:
    indexed.index_pages("d1", 1, [(0, "差し替え後の本文")])
    assert pages(indexed.search("補正予算")) == []
    assert pages(indexed.search("差し替え")) == [0]
    assert pages(indexed.search("差")) == [0]


def test_withdrawn_documents_leave_the_index(indexed: LocalStore) -> None:
    indexed.withdraw_document("d1", 1)
    assert indexed.search("補正予算") == []
    assert indexed.search("市") == []


def test_marker_characters_in_text_are_dropped(indexed: LocalStore) -> None:
    indexed.index_pages("d1", 1, [(5, f"偽{MARK_OPEN}マーカー{MARK_CLOSE}入り")])
    hit = indexed.search("偽マーカー")[0]
    assert hit.snippet.count(MARK_OPEN) == 1


def test_lone_surrogates_from_pdf_extraction_do_not_break_indexing(indexed: LocalStore) -> None:
    indexed.index_pages("d1", 1, [(6, "壊れた\ud800文字列")])
    assert pages(indexed.search("壊れた")) == [6]
    assert pages(indexed.search("\udfff")) == [6]  # both sides became "?"


def test_indexing_needs_a_known_document(store: LocalStore) -> None:
    add_meeting_with_document(store)
    for doc_id, version in (("nope", 1), ("d1", 7)):
        with pytest.raises(UnknownDocument) as refused:
            store.index_pages(doc_id, version, [(0, "x")])
        said = str(refused.value)  # names the version it was asked about, and what to do
        assert repr(doc_id) in said and f"version {version}" in said
        assert "announce it before indexing its pages" in said


def test_phrases_on_many_pages_come_in_page_order_selective_ones_ranked(
    store: LocalStore,
) -> None:
    """bm25 is only worth its cost for selective phrases (see RANK_AT_MOST)."""
    add_meeting_with_document(store)
    dense = "補正予算。" * 20  # short page, many hits: bm25 puts it first
    sparse = "本日の会議では、" * 40 + "補正予算について審議した。"
    store.index_pages("d1", 1, [(0, sparse), (1, dense), (2, "関係のない頁。")])
    assert pages(store.search("補正予算")) == [1, 0]  # 2 matching pages ≤ RANK_AT_MOST: ranked
    unranked = search.search(store._db, "補正予算", rank_at_most=1)
    assert pages(unranked) == [0, 1]  # more matches than the cap: page order
    assert all(f"{MARK_OPEN}補正予算{MARK_CLOSE}" in hit.snippet for hit in unranked)


def test_hits_on_the_like_path_carry_every_field(indexed: LocalStore) -> None:
    hit = indexed.search("除雪")[0]
    assert (hit.meeting_id, hit.doc_id, hit.version, hit.title, hit.page_no) == (
        "m1",
        "d1",
        1,
        "一般会計補正予算書",
        2,
    )
    body = normalise(PAGES[2][1])  # the match opens the page: 16 characters after it, then "…"
    assert hit.snippet == f"{MARK_OPEN}除雪{MARK_CLOSE}{body[2:18]}…"


def test_snippets_are_cut_around_the_match_on_both_paths(indexed: LocalStore) -> None:
    before, after = "前置き" * 40, "後書き" * 40
    indexed.index_pages("d1", 1, [(9, before + "特別委員会" + after)])
    like = indexed.search("特別")[0].snippet  # two characters: cut by like_snippet
    assert like == f"…{before[-16:]}{MARK_OPEN}特別{MARK_CLOSE}委員会{after[:13]}…"
    for query in ("特別委", "特別委員会"):  # three or more: FTS5 cuts about 32 trigrams
        snippet = indexed.search(query)[0].snippet
        assert snippet.startswith("…") and snippet.endswith("…")
        assert f"{MARK_OPEN}{query}{MARK_CLOSE}" in snippet
        assert 30 <= len(snippet.strip("…").replace(MARK_OPEN, "").replace(MARK_CLOSE, "")) <= 34


def test_like_snippet_ellipses_only_where_text_was_cut() -> None:
    assert like_snippet("予算書", "予算", context=2) == f"{MARK_OPEN}予算{MARK_CLOSE}書"
    assert like_snippet("ab予算cd", "予算", context=2) == f"ab{MARK_OPEN}予算{MARK_CLOSE}cd"
    assert like_snippet("xab予算cdx", "予算", context=2) == f"…ab{MARK_OPEN}予算{MARK_CLOSE}cd…"
    assert like_snippet("The Budget", "budget", context=4) == f"The {MARK_OPEN}Budget{MARK_CLOSE}"
    assert like_snippet("一二三四五六", "無", context=2) == "一二三四"  # no match: the start


def test_fragments_split_marked_snippets() -> None:
    def hit(snippet: str) -> SearchHit:
        return SearchHit("m", "d", 1, "t", 0, snippet)

    assert hit("plain").fragments() == [("plain", False)]
    assert hit("").fragments() == []
    assert hit(f"{MARK_OPEN}a{MARK_CLOSE}b{MARK_OPEN}c{MARK_CLOSE}").fragments() == [
        ("a", True),
        ("b", False),
        ("c", True),
    ]
    assert hit(f"x{MARK_OPEN}open to the end").fragments() == [
        ("x", False),
        ("open to the end", True),
    ]


def test_the_indexed_text_is_normalised_and_pages_are_zero_based(indexed: LocalStore) -> None:
    texts = search.page_texts(indexed._db, "d1", 1)  # noqa: SLF001
    assert sorted(texts) == [0, 1, 2, 3]
    assert texts[1] == normalise(PAGES[1][1]) and "FURANO" in texts[1]
    assert normalise(f"ｶﾅ{MARK_OPEN}\ud800") == "カナ?"
    with pytest.raises(ValueError, match="0-based; got -1"):
        indexed.index_pages("d1", 1, [(-1, "x")])
    assert indexed.index_pages("d1", 1, []) == 0


def test_three_characters_are_a_phrase_and_spaces_are_no_gram(indexed: LocalStore) -> None:
    assert pages(indexed.search("富良野", limit=-1)) == []
    assert pages(indexed.search(" 市 ")) == [0]  # stripped to one character
    assert pages(indexed.search("件。")) == [3]
    grams = search._grams("a b")  # noqa: SLF001
    assert " ".join(sorted(grams.split())) == " ".join(sorted(["61", "62", "6120", "2062"]))


def test_a_phrase_on_exactly_rank_at_most_pages_is_still_ranked(store: LocalStore) -> None:
    add_meeting_with_document(store)
    dense = "補正予算。" * 20
    sparse = "本日の会議では、" * 40 + "補正予算について審議した。"
    store.index_pages("d1", 1, [(0, sparse), (1, dense)])
    assert pages(search.search(store._db, "補正予算", rank_at_most=2)) == [1, 0]  # noqa: SLF001


def test_the_first_match_is_the_one_in_the_snippet() -> None:
    text = "予算" + "あ" * 40 + "予算"
    assert like_snippet(text, "予算", context=2) == f"{MARK_OPEN}予算{MARK_CLOSE}ああ…"


def test_a_stray_closing_mark_before_a_match_is_plain_text() -> None:
    hit = SearchHit("m", "d", 1, "t", 0, f"a{MARK_CLOSE}b{MARK_OPEN}c{MARK_CLOSE}")
    assert hit.fragments() == [(f"a{MARK_CLOSE}b", False), ("c", True)]


def test_at_most_fifty_hits_unless_asked(store: LocalStore) -> None:
    add_meeting_with_document(store)
    store.index_pages("d1", 1, [(n, f"{n}頁目の予算") for n in range(60)])
    assert len(store.search("予算")) == 50  # the LIKE path
    assert len(store.search("頁目の予算")) == 50  # the trigram path
    assert len(store.search("予算", limit=55)) == 55
    assert len(search.search(store._db, "予算")) == 50  # noqa: SLF001 - its own default
