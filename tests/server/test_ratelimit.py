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


def test_refusals_are_counted_over_ten_seconds_by_default() -> None:
    assert TokenBucket(rate=1, burst=1).window == 10.0


def test_the_refusal_window_rolls_over_only_after_it_has_fully_passed() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=0.001, burst=1, clock=clock, window=10)
    assert bucket.take()  # exactly one token: it is spent, not refused
    assert not bucket.take()
    clock.now = 10.0  # the window's last instant still belongs to it
    assert not bucket.take()
    assert bucket.refused_in_window == 2
    clock.now = 10.5  # past it: a new window starts now, counting afresh
    assert not bucket.take()
    assert bucket.refused_in_window == 1
    clock.now = 20.0  # 9.5 s into the new window, measured from the roll-over, not from 0
    assert not bucket.take()
    assert bucket.refused_in_window == 2
    clock.now = 20.6
    assert not bucket.take()
    assert bucket.refused_in_window == 1


def test_one_token_is_enough_and_costs_exactly_one() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=4, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.25  # exactly one token back
    assert bucket.take()
    assert not bucket.take()
    assert bucket.refused_in_window == 2


def test_retry_after_is_the_time_for_one_token() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=2, clock=clock)
    assert bucket.retry_after() == 0.1  # even with tokens left, never less than one interval
    bucket.take()
    bucket.take()
    assert bucket.retry_after() == 0.1
    assert TokenBucket(rate=0.5, burst=1, clock=clock).retry_after() == 2.0


def test_notices_are_spaced_from_the_last_one_given() -> None:
    clock = Clock()
    clock.now = 5.0
    bucket = TokenBucket(rate=1, burst=1, clock=clock)
    assert bucket.should_notify()  # the first one at any time
    clock.now = 5.9
    assert not bucket.should_notify()
    clock.now = 6.0
    assert bucket.should_notify()
    clock.now = 6.5
    assert not bucket.should_notify()  # measured from 6.0, the last notice


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
