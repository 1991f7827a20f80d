"""A token bucket per connection: bursts are fine, a flood is refused and then disconnected."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()
        self.refused_in_a_row = 0

    def take(self) -> bool:
        """Spend one token if there is one. Counts consecutive refusals for flood detection."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False

    def retry_after(self) -> float:
        return max(0.0, (1.0 - self._tokens) / self.rate)
