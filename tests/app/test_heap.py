"""The app's process keeps large blocks (page pixmaps) as mappings of their own (heap.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Run in a fresh interpreter: in a long-lived one (the test session) a large free chunk left in
# the heap serves a large request before glibc ever considers a mapping, threshold or not.
_CHECK = """
import ctypes, ctypes.util, sys
from furano_meet.app.heap import LARGE_BLOCK, large_blocks_mapped

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
if not hasattr(libc, "mallinfo2"):
    print("skip"); sys.exit(0)
libc.mallinfo2.restype = Mallinfo2
if sys.argv[1] == "fixed":
    assert large_blocks_mapped()
big = bytearray(8 << 20)  # freeing an 8 MB mapping raises glibc's own threshold to 8 MB
del big
before = libc.mallinfo2().hblks
block = bytearray(2 * LARGE_BLOCK)
print(libc.mallinfo2().hblks - before)
"""


def _new_mappings(mode: str) -> str:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, mode], cwd=root, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_a_pixmap_sized_block_stays_mapped_after_a_larger_one_was_freed() -> None:
    fixed, default = _new_mappings("fixed"), _new_mappings("default")
    if "skip" in (fixed, default):
        pytest.skip("not glibc 2.33 or later")
    assert (fixed, default) == ("1", "0")  # a mapping of its own; glibc alone: from the heap
