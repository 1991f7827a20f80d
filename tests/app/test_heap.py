"""The app's process keeps large blocks (page pixmaps) as mappings of their own (heap.py)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from furano_meet.app.heap import LARGE_BLOCK, large_blocks_mapped


class _Mallinfo2(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes' own declaration
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mapped_blocks() -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("not glibc 2.33 or later")
    libc.mallinfo2.restype = _Mallinfo2
    return int(libc.mallinfo2().hblks)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_a_pixmap_sized_block_stays_mapped_after_a_larger_one_was_freed() -> None:
    assert large_blocks_mapped()
    # Freeing an 8 MB mapping would raise glibc's own threshold to 8 MB: a page-sized block
    # would then come from the heap, where freed holes stay resident.
    big = bytearray(8 << 20)
    del big
    before = _mapped_blocks()
    block = bytearray(2 * LARGE_BLOCK)
    assert _mapped_blocks() == before + 1
    del block
    assert _mapped_blocks() == before
