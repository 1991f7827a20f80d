"""Reconnect delays: exponential back-off with full jitter.

Why jitter: after a relay restart every tablet in the council chamber reconnects at once; random
delays spread them out instead of stampeding the relay in synchronised waves (the "full jitter"
scheme: a uniform draw between 0 and the exponential ceiling).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 0.5
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        return self.rng.uniform(0.0, ceiling)

    def reset(self) -> None:
        self.attempt = 0
