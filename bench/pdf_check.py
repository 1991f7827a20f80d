"""The clerk's PDF check on the 612-page budget book, against a bare open and page count.

Theory of operation
-------------------
Publishing runs :func:`~furano_meet.sync.documents.inspect_pdf` once, on the clerk's PC, before
encrypting (:mod:`furano_meet.sync.pdf_check`: the header, the open, a walk of what every page
draws with its streams decoded and counted, then each page interpreted, its text extracted and
a thumbnail rendered). The baseline is the least a publisher could do: ``pymupdf.open`` from
bytes and ``page_count``. Both run in this process, alternating, after one warm-up of each (the
first render in a process loads the CJK fonts); wall and thread CPU time are reported, median
and worst. The book must stay practical to publish: well under 2 s.

Run it small and niced: ``nice -n 10 python -m bench.pdf_check --rounds 3``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pymupdf

from furano_meet.sync import documents as docs

BUDGET_BOOK = Path("/work/shared/pdfs/fuji__R6_bugget.pdf")


def bare(pdf: bytes) -> int:
    """The baseline: open from bytes, count the pages."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    try:
        return int(doc.page_count)
    finally:
        doc.close()


def checked(pdf: bytes) -> int:
    """The publish path's check."""
    return docs.inspect_pdf(pdf, BUDGET_BOOK.name).page_count


def timed(step: Callable[[bytes], int], pdf: bytes) -> tuple[float, float]:
    """(wall seconds, thread CPU seconds) for one call."""
    wall, cpu = time.perf_counter(), time.thread_time()
    step(pdf)
    return time.perf_counter() - wall, time.thread_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each (default 3)")
    args = parser.parse_args()
    if not BUDGET_BOOK.is_file():
        print(f"skipped: {BUDGET_BOOK} is absent")
        return
    pdf = BUDGET_BOOK.read_bytes()
    assert bare(pdf) == checked(pdf) == 612  # the warm-up, and a check of the subject
    results: dict[str, list[tuple[float, float]]] = {"bare open + page_count": [], "check": []}
    for _ in range(args.rounds):
        results["bare open + page_count"].append(timed(bare, pdf))
        results["check"].append(timed(checked, pdf))
    print(f"{BUDGET_BOOK.name}: {len(pdf) / 1e6:.1f} MB, 612 pages, {args.rounds} rounds")
    print(f"{'':24} {'wall median':>12} {'wall max':>10} {'CPU median':>11} {'CPU max':>9}")
    for label, runs in results.items():
        walls, cpus = [run[0] for run in runs], [run[1] for run in runs]
        print(
            f"{label:24} {statistics.median(walls) * 1e3:10.1f}ms {max(walls) * 1e3:8.1f}ms"
            f" {statistics.median(cpus) * 1e3:9.1f}ms {max(cpus) * 1e3:7.1f}ms"
        )


if __name__ == "__main__":
    main()
