"""The byte-bounded LRU cache on its own."""

from __future__ import annotations

import pytest

from furano_meet.render.cache import ByteLRU


def test_evicts_least_recently_used_until_under_the_byte_bound() -> None:
    cache: ByteLRU[str, str] = ByteLRU(100)
    assert cache.put("a", "A", 40) and cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # a is now the most recent
    assert cache.put("c", "C", 40)
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.size == 80 and cache.evictions == 1


def test_exactly_full_is_allowed() -> None:
    cache: ByteLRU[int, int] = ByteLRU(100)
    for key in range(4):
        cache.put(key, key, 25)
    assert len(cache) == 4 and cache.size == 100 and cache.evictions == 0


def test_an_item_larger_than_the_cache_is_not_kept_and_evicts_nothing() -> None:
    cache: ByteLRU[str, str] = ByteLRU(100)
    cache.put("a", "A", 60)
    assert not cache.put("huge", "H", 101)
    assert "a" in cache and cache.size == 60


def test_replacing_a_key_counts_its_bytes_once() -> None:
    cache: ByteLRU[str, str] = ByteLRU(100)
    cache.put("a", "A", 60)
    cache.put("a", "A2", 30)
    assert cache.get("a") == "A2" and cache.size == 30


def test_discard_where_drops_matching_keys() -> None:
    cache: ByteLRU[tuple[str, int], int] = ByteLRU(1000)
    for doc in ("x", "y"):
        for page in range(3):
            cache.put((doc, page), page, 10)
    assert cache.discard_where(lambda k: k[0] == "x") == 3
    assert cache.size == 30 and all(("y", p) in cache for p in range(3))


def test_zero_capacity_keeps_nothing_and_negative_is_refused() -> None:
    assert not ByteLRU[str, str](0).put("a", "A", 1)
    with pytest.raises(ValueError):
        ByteLRU[str, str](-1)
