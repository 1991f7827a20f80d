"""The benchmark harness keeps working (a smoke run; timings are not asserted here).

Speed is judged in BENCHMARKS.md from full runs, never in tests; this only catches a harness
that no longer runs against the current code. Exit status 1 means "a target was missed in this
tiny quick run", which is expected on a busy CI machine; anything else is a failure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.run_all import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_benchmark_run_completes() -> None:
    # The app benchmark has its own smoke test (tests/bench/test_app.py): running it here too
    # would take this test near its time limit on a busy machine.
    others = [name for name in BENCHMARKS if name != "app"]
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", *others],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-4000:]
    assert "Traceback" not in done.stderr
    for benchmark in ("fan-out", "blobs", "memory", "crypto", "open+render", "search"):
        assert f"| {benchmark} |" in done.stdout
    # The quick plans are small (bench/transfer_rounds.py, bench/open_render.py: QUICK), not
    # partial: every kind of row the full run reports is still there.
    for row in QUICK_ROWS:
        assert row in done.stdout, row


QUICK_ROWS = (
    "crypto alone vs bare transfer (median)",
    "app pipeline vs the same without crypto (median)",
    "app pipeline vs bare transfer (median)",
    "client-process CPU (all threads)",
    "engine pair, publish_document",
    "engine pair, published → DocumentReady (incl. text + index)",
    "engine pair, the clerk keeps its publication (no download)",
    "one-shot AES-GCM encrypt vs DocumentEncryptor",
    "one-shot AES-GCM decrypt vs DocumentDecryptor (+ hash)",
    "tap → page 1 at 1920×1200, p50",
    "tap → page 1 at 1920×1200, p95",
    "first tap in a fresh process (cold)",
)
"""Rows of ``crypto`` and ``open+render`` a quick run must print (what the full run gates)."""
