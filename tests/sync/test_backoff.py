from __future__ import annotations

import random

from furano_meet.sync.backoff import Backoff


def test_delays_grow_are_capped_and_jittered() -> None:
    backoff = Backoff(base=0.5, cap=8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(12)]
    assert all(0 <= d <= 8.0 for d in delays)
    assert max(delays[:2]) <= 1.0
    assert len({round(d, 6) for d in delays}) == 12  # jittered, not lock-step
    backoff.reset()
    assert backoff.next_delay() <= 0.5
