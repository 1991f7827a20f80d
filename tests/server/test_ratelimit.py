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
    assert bucket.refused_in_a_row == 1
    assert 0 < bucket.retry_after() <= 0.1
    clock.now += 0.25  # 2.5 tokens
    assert bucket.take() and bucket.take()
    assert not bucket.take()
    clock.now += 100
    assert sum(bucket.take() for _ in range(20)) == 5  # never more than the burst
