"""A least-recently-used cache bounded in bytes, for rendered pixels.

Why bytes and not entries: a thumbnail is 30 KB and a 1920×1200 page 6.9 MB; a count bound
would either hold too little or let memory run away on a 612-page budget book. Not thread-safe
by itself: the service calls it under its own lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByteLRU(Generic[K, V]):
    """Holds values up to ``capacity`` bytes in total; the least recently used go first.

    A value larger than the whole capacity is not stored (storing it would evict everything
    for one item that could not stay anyway).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        self.capacity = capacity
        self.size = 0
        self.evictions = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: K) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first (looking does not count as a use)."""
        return iter(list(self._items))

    def get(self, key: K) -> V | None:
        """The value, now the most recently used; ``None`` when absent."""
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, nbytes: int) -> bool:
        """Store ``value`` (``nbytes`` large); returns whether it was kept."""
        self.discard(key)
        if nbytes > self.capacity:
            return False
        self._items[key] = (value, nbytes)
        self.size += nbytes
        while self.size > self.capacity:
            _, (_, dropped) = self._items.popitem(last=False)
            self.size -= dropped
            self.evictions += 1
        return True

    def discard(self, key: K) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self.size -= found[1]

    def discard_where(self, predicate: Callable[[K], bool]) -> int:
        """Drop every entry whose key matches (a closed document's pages); returns how many."""
        doomed = [key for key in self._items if predicate(key)]
        for key in doomed:
            self.discard(key)
        return len(doomed)
