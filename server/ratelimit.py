"""A token bucket per connection: bursts are fine, a flood is refused and then disconnected."""

from __future__ import annotations

import time
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

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
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
