"""Rate limits: a token bucket per connection, and failed attempts per address.

Text frames over the bucket are refused (and a flood disconnected); binary frames are *paced*
instead (:meth:`TokenBucket.delay`): the reader waits before it reads on, so TCP slows the
sender down and an honest upload loses nothing.  Guesses at secrets (enrolment codes) are
counted per connection and per address (:class:`AttemptLimiter`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; refusals are counted over a sliding window.

    Why a window and not "refusals in a row": a flooding client gets a token back every
    ``1/rate`` seconds, which would reset a streak counter forever; counting refusals per window
    catches a sustained flood whatever the interleaving.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        window: float = 10.0,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.window = window
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()
        self._window_start = self._stamp
        self.refused_in_window = 0
        self._last_notice = float("-inf")

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return now

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self._refill()
        if now - self._window_start > self.window:
            self._window_start = now
            self.refused_in_window = 0
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.refused_in_window += 1
        return False

    def should_notify(self) -> bool:
        """Tell the client it is being limited at most once a second, not once per frame."""
        now = self._clock()
        if now - self._last_notice >= 1.0:
            self._last_notice = now
            return True
        return False

    def retry_after(self) -> float:
        return max(1.0 / self.rate, (1.0 - self._tokens) / self.rate)

    def delay(self, cost: float) -> float:
        """Spend ``cost`` tokens, into debt if need be; the seconds to wait before going on.

        For pacing rather than refusing: the caller sleeps this long, so a sender is held to
        ``rate`` on average whatever the size of each frame.
        """
        self._refill()
        self._tokens -= cost
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class AttemptLimiter:
    """At most ``limit`` failed attempts per key (an address) in any ``window`` seconds.

    Remembers at most ``max_keys`` keys (the least recently failing are forgotten first), so
    an attacker with many addresses cannot grow the relay's memory without bound.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def allowed(self, key: str) -> bool:
        failures = self._recent(key)
        return failures is None or len(failures) < self.limit

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        failures = self._recent(key)
        if failures is None or len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[0] + self.window - self._clock())

    def failed(self, key: str) -> None:
        failures = self._recent(key) or deque()
        self._failures.pop(key, None)
        self._failures[key] = failures  # most recent last, so the oldest go first
        failures.append(self._clock())
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]
