"""Run every benchmark, write ``bench/results/*.json`` and print one markdown table.

    python -m bench            # the full set (about 3 minutes on the 2-core reference machine)
    python -m bench --quick    # a smoke run of the harness (about a minute; docs/testing.md)
    python -m bench --only fanout blobs
    python -m bench --only crypto_transfer open_render search     # the client core only

Relay: ``fanout``, ``blobs``, ``memory``.  Client core: ``crypto_transfer`` (encrypt + upload,
download + verify + decrypt), ``open_render`` (tap a cached document → page 1 rendered),
``search`` (full-text search over 10,000 cached pages), ``render_service`` (a page through the
render service vs bare PyMuPDF), ``signed_ops`` (signing and checking annotation ops).
The meeting app: ``app`` (page turns, follow the chair with 30 engines, shared ink, start,
memory, deep zoom; see :mod:`bench.app`).  Each also runs alone, e.g.
``python -m bench.fanout`` or ``python -m bench.search --quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any

from . import (
    app,
    blobs,
    crypto_transfer,
    fanout,
    memory,
    open_render,
    render_service,
    report,
    search,
    signed_ops,
)
from .processes import raise_open_file_limit

Measure = Callable[..., Coroutine[Any, Any, tuple[list[report.Row], dict[str, Any]]]]
BENCHMARKS: dict[str, Measure] = {
    "fanout": fanout.measure,
    "blobs": blobs.measure,
    "memory": memory.measure,
    "crypto_transfer": crypto_transfer.measure,
    "open_render": open_render.measure,
    "search": search.measure,
    "render_service": render_service.measure,
    "signed_ops": signed_ops.measure,
    "app": app.measure,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args(argv)
    raise_open_file_limit()
    suffix = "-quick" if args.quick else ""
    all_rows: list[report.Row] = []
    durations: dict[str, float] = {}
    for name in args.only:
        print(f"running {name}{' (quick)' if args.quick else ''} …", flush=True)
        started = time.perf_counter()
        rows, details = asyncio.run(BENCHMARKS[name](quick=args.quick))
        durations[name] = round(time.perf_counter() - started, 1)
        report.write_json(f"{name}{suffix}", rows, details, durations[name])
        all_rows += rows
    summary = {
        "machine": report.machine(),
        "quick": args.quick,
        "seconds": durations,
        "rows": [
            {
                "benchmark": r.benchmark,
                "metric": r.metric,
                "unit": r.unit,
                "baseline": report.finite(r.baseline),
                "relay": r.relay,
                "ratio": round(r.ratio, 3),
                "target": r.target,
                "met": r.met,
            }
            for r in all_rows
        ],
    }
    report.RESULTS_DIR.mkdir(exist_ok=True)
    path = report.RESULTS_DIR / f"summary{suffix}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print(report.markdown_table(all_rows))
    print()
    print(", ".join(f"{name} {seconds:.1f} s" for name, seconds in durations.items()))
    print(f"results: {report.RESULTS_DIR}")
    missed = [r for r in all_rows if r.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
