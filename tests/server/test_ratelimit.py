from __future__ import annotations

from server.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bursts_pass_floods_are_refused_and_tokens_come_back() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert all(bucket.take() for _ in range(5))
    assert not bucket.take()
    assert bucket.refused_in_window == 1
    assert 0 < bucket.retry_after() <= 0.1
    clock.now += 0.25  # 2.5 tokens
    assert bucket.take() and bucket.take()
    assert not bucket.take()
    clock.now += 100
    assert sum(bucket.take() for _ in range(20)) == 5  # never more than the burst


def test_a_sustained_flood_is_counted_even_when_tokens_trickle_back() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=100, burst=10, clock=clock, window=10)
    for _ in range(5000):  # 5,000 messages in 0.5 s: some pass as tokens come back
        bucket.take()
        clock.now += 0.0001
    assert bucket.refused_in_window > 4000
    clock.now += 11
    bucket.take()
    assert bucket.refused_in_window == 0


def test_the_client_is_told_at_most_once_a_second() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=1, burst=1, clock=clock)
    assert bucket.should_notify()
    assert not bucket.should_notify()
    clock.now += 1.0
    assert bucket.should_notify()
