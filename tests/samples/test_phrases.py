"""The phrase bank's prose: deterministic, Japanese, sized to a page."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from furano_meet.samples import furano, generate_pages_text
from furano_meet.samples.phrases import PAGE_TEXT_CHARS, compose_paragraphs, sample_budget_lines


def test_pages_text_has_the_requested_count_and_size() -> None:
    pages = generate_pages_text(50, seed=7)
    assert len(pages) == 50
    for page in pages:
        assert 1_000 <= len(page) <= PAGE_TEXT_CHARS
        assert "であります" in page or "おります" in page
    assert len(set(pages)) == 50


def test_pages_text_is_deterministic_per_seed() -> None:
    assert generate_pages_text(5, seed=1) == generate_pages_text(5, seed=1)
    assert generate_pages_text(5, seed=1) != generate_pages_text(5, seed=2)


def test_pages_text_speaks_the_bank_with_latin_terms() -> None:
    text = "\n".join(generate_pages_text(30, seed=0))
    assert any(topic in text for topic in furano.TOPICS)
    assert any(place in text for place in furano.PLACES)
    for term in ("ICT", "KPI", "FY20"):
        assert term in text


def test_negative_page_count_is_refused() -> None:
    with pytest.raises(ValueError, match="n_pages"):
        generate_pages_text(-1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(), n_pages=st.integers(min_value=0, max_value=3))
def test_any_seed_gives_bounded_pages(seed: int, n_pages: int) -> None:
    pages = generate_pages_text(n_pages, seed=seed)
    assert len(pages) == n_pages
    assert all(0 < len(page) <= PAGE_TEXT_CHARS for page in pages)


@pytest.mark.parametrize("limit", [1, 200, 800, 3_000])
def test_paragraphs_fit_their_budget(limit: int) -> None:
    paragraphs = compose_paragraphs(random.Random(limit), limit, topics=("市道の認定",))
    assert paragraphs
    # Only a single paragraph may exceed the budget (it is never split mid-sentence).
    assert len(paragraphs) == 1 or sum(map(len, paragraphs)) <= limit
    assert all(paragraph.endswith("。") for paragraph in paragraphs)


def test_sampled_budget_lines_use_distinct_bank_heads_and_never_go_negative() -> None:
    for seed in range(50):
        lines = sample_budget_lines(random.Random(seed), 4)
        heads = [(line.kan, line.kou, line.moku) for line in lines]
        assert len(set(heads)) == 4
        assert all(head in furano.BUDGET_HEADS for head in heads)
        assert all(line.after_yen >= 0 for line in lines)
