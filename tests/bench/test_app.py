"""The app benchmark's harness keeps working: ``python -m bench.app --quick`` (timings not judged).

The quick plan is the smallest that still goes through every part — the demo council, a chair
and one follower engine, a shared stroke, a jump and key turns on the demo pack, pen moves on
its first page, the A3 zoom, the app started as a process and its memory read — so a harness
that no longer fits the app fails here, not in the next full run. With ``--json`` the run exits 0 whether or not this tiny
run met its targets (the A3 zoom is not tiled yet): speed is judged in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from bench.app import QUICK

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_app_benchmark_measures_every_part(tmp_path: Path) -> None:
    out = tmp_path / "app.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.app", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    payload = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["metric"]: row for row in payload["rows"]}
    for part in (
        "chair's turn → follower painted",
        "shared stroke → painted",
        "the 2 devices alone (target judged here)",
        "key → painted, prefetched",
        "not prefetched",
        "pen input → ink painted",
        "A3 at 400 %",
        "app start → meeting list shown",
        "RSS",
    ):
        matching = [row for metric, row in rows.items() if part in metric]
        assert matching, f"no row for {part!r}: {sorted(rows)}"
        assert all(math.isfinite(row["relay"]) and row["relay"] > 0 for row in matching)
    assert payload["details"]["pen"]["pen"]["n"] == QUICK.pen_strokes * QUICK.pen_moves
