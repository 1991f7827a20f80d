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


def test_delay_paces_a_sender_to_the_rate_whatever_the_frame_size() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=1000, burst=4000, clock=clock)
    assert bucket.delay(4000) == 0.0  # the burst passes at once
    assert bucket.delay(500) == 0.5  # then each byte waits its turn
    clock.now += 0.5
    assert bucket.delay(1000) == 1.0
    clock.now += 1000
    assert bucket.delay(1) == 0.0  # debt repaid, burst restored (never beyond it)
    assert bucket.delay(4000) == 0.001


def test_failed_attempts_are_limited_per_key_and_forgotten_after_the_window() -> None:
    from server.ratelimit import AttemptLimiter

    clock = Clock()
    limiter = AttemptLimiter(limit=3, window=60, clock=clock, max_keys=2)
    for _ in range(3):
        assert limiter.allowed("10.0.0.1")
        limiter.failed("10.0.0.1")
    assert not limiter.allowed("10.0.0.1") and limiter.allowed("10.0.0.2")
    assert limiter.retry_after("10.0.0.1") == 60
    clock.now += 61
    assert limiter.allowed("10.0.0.1") and limiter.retry_after("10.0.0.1") == 0
    for key in ("a", "b", "c"):
        limiter.failed(key)
    assert len(limiter._failures) == 2  # noqa: SLF001 - memory stays bounded
