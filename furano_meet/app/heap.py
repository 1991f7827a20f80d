"""How the app's process gives page pixels' memory back: each large block its own mapping.

Why: a page pixmap is a large block (0.8 MB at fit-page in a laptop window, 9 MB on a 4K
screen) made when a render arrives and freed when the pixmap budget lets it go. glibc's
``malloc`` serves blocks above its *mmap threshold* as mappings of their own, returned to the
system the moment they are freed — but it raises that threshold to the size of every such block
freed (up to 32 MB), so after the first pixmap leaves the cache every later one comes from the
heap, where the holes between live pixmaps stay resident. Measured with the 612-page budget
book and 200 pages visited: 7–9 MB of freed heap still resident, and growing with the pages
read. Fixing the threshold (:data:`LARGE_BLOCK`) makes new pixmaps mappings of their own
(unless a free chunk already in the heap fits: glibc looks there first), so the app's memory
follows the pixmap budget: 4–5 MB less in that measurement, and ``malloc_trim`` then finds
nothing more to return. The cost is a fresh mapping per pixmap (the kernel
zeroes its pages: ~0.1 ms for a laptop page), paid when a render arrives, never on a
prefetched page turn.

Other C libraries (macOS, Windows, musl) return large blocks without being told; there this is
a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

__all__ = ["LARGE_BLOCK", "large_blocks_mapped"]

log = logging.getLogger("furano.app.heap")

LARGE_BLOCK = 512 * 1024
"""Blocks from this size up are mappings of their own (a thumbnail is 52 KB, a page ≥ 0.5 MB)."""
_M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter number (glibc's ``malloc.h``)."""


def large_blocks_mapped(threshold: int = LARGE_BLOCK) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes (see the module docstring); returns
    whether it was set (``False`` off glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl has no mallopt: nothing to fix there
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(_M_MMAP_THRESHOLD, threshold))
    if not done:
        log.warning("mallopt(M_MMAP_THRESHOLD) refused; freed pixmaps may stay resident")
    return done
