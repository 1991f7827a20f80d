"""The meeting app's benchmarks (issue #9 "Performance"), each beside a baseline from the same run.

Theory of operation
-------------------
The app is Qt on a qasync loop, so the measuring runs in a child process of its own
(``python -m bench.app --json FILE``, offscreen) and :func:`measure` — what ``python -m bench``
calls on its plain asyncio loop — reads its rows back. In the child, one demo council
(:mod:`bench.app_council`: the real relay, administrator and clerk in-process) serves, in order:

1. the chair and 30 follower engines (:mod:`bench.app_follow`): chair's turn → painted on the
   follower's window, and a shared stroke → painted there (with the 30 engines, then with the
   two devices alone, where the target is judged); baseline: bare ``websockets`` broadcast to
   30 clients;
2. then, with those sessions closed, a second clerk device publishes the 612-page budget book
   and an A3 page, and a reader's window measures page turns (prefetched, and not prefetched
   against bare PyMuPDF) on the demo pack and the book, and a 400 % zoom of the A3 page
   (:mod:`bench.app_viewer`);
3. then the reader's profile is handed to the app run as a process (:mod:`bench.app_process`):
   start → meeting list shown (baseline: a bare Qt window), and RSS with the book open and 200
   pages visited (baseline: the same process before the book opens).

Between 2. and the deep zoom, the same reader's window measures pen input → ink painted
(:mod:`bench.app_pen`): a real tablet move event to the canvas's paint holding the new segment.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import report
from .client_fixtures import budget_book

if TYPE_CHECKING:  # the Qt modules load in the measuring child only
    from .app_viewer import Turns

MS, MB = 1000.0, 1 / 2**20
BOOK = ("budget", 1)
PLAN_DOC = ("a3-plan", 1)


@dataclass(frozen=True)
class Plan:
    followers: int
    turns: int
    strokes: int
    demo_prefetched: int
    book_prefetched: int
    book_jumps: int
    visit_pages: int
    book: bool
    demo_documents: int = 3
    demo_jumps: int = 10
    pen_strokes: int = 10
    pen_moves: int = 30
    starts: int = 5


FULL = Plan(30, 100, 50, 30, 60, 60, 200, True)
QUICK = Plan(
    1, 2, 1, 2, 0, 0, 3, False,
    demo_documents=1, demo_jumps=1, pen_strokes=1, pen_moves=10, starts=1,
)  # fmt: skip


def _p(samples: list[float], q: float, scale: float = MS) -> float:
    return report.percentile(samples, q) * scale


def _turn_rows(label: str, turns: Turns) -> list[report.Row]:
    rows = []
    for q in (50, 95):
        if turns.prefetched:
            rows.append(
                report.Row("app", f"{label}: key → painted, prefetched, p{q}", "ms",
                           _p(turns.bare, q), _p(turns.prefetched, q), "≤ 16 ms", 16.0,
                           per_ratio=False)
            )  # fmt: skip
        rows.append(
            report.Row("app", f"{label}: turn → painted, not prefetched, p{q} "
                       f"({len(turns.jumped)} pages)", "ms", _p(turns.bare, q),
                       _p(turns.jumped, q), "≤ 1.3×", 1.3)
        )  # fmt: skip
    return rows


async def _in_qt(plan: Plan) -> tuple[list[report.Row], dict[str, Any]]:
    from furano_meet.demo import DEMO_PASSPHRASE
    from furano_meet.samples.demo import demo_documents

    from .app_council import MEETING_ID, bench_council
    from .app_follow import measure_follow, window
    from .app_pen import pen_to_ink
    from .app_process import start_seconds, visit_rss
    from .app_viewer import Turns, a3_plan, deep_zoom, page_turns

    rows: list[report.Row] = []
    phases: dict[str, float] = {}
    details: dict[str, Any] = {
        "plan": dataclasses.asdict(plan),
        "phase_s": phases,
    }
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = round(now - clock, 2)
        clock = now

    book = budget_book() if plan.book else None
    if plan.book and book is None:
        details["book"] = "skipped: /work/shared/pdfs/fuji__R6_bugget.pdf is absent"
    with tempfile.TemporaryDirectory(prefix="furano-bench-app-") as tmp:
        extra = [f"bench{i:02d}" for i in range(max(0, plan.followers - 3))]
        async with bench_council(Path(tmp), len(extra)) as council:
            phase("council")
            follow = await measure_follow(
                council, extra, count=plan.followers, turns=plan.turns, strokes=plan.strokes
            )
            for session in list(council.sessions):
                await council.hand_over(session)
            phase("follow")
            n = plan.followers
            rows += [
                report.Row("app", f"chair's turn → follower painted, {n} engines, p50", "ms",
                           _p(follow.bare, 50), _p(follow.turns, 50), ""),
                report.Row("app", f"chair's turn → follower painted, {n} engines, p95", "ms",
                           _p(follow.bare, 95), _p(follow.turns, 95), "≤ 50 ms", 50.0,
                           per_ratio=False),
                report.Row("app", f"shared stroke → painted on another device, {n} engines in "
                           "the app's process (informative), p95", "ms",
                           _p(follow.bare, 95), _p(follow.strokes, 95), ""),
                report.Row("app", "shared stroke → painted on another device, the 2 devices "
                           "alone (target judged here), p50", "ms",
                           _p(follow.bare, 50), _p(follow.strokes_two, 50), ""),
                report.Row("app", "shared stroke → painted on another device, the 2 devices "
                           "alone (target judged here), p95", "ms",
                           _p(follow.bare, 95), _p(follow.strokes_two, 95), "≤ 100 ms", 100.0,
                           per_ratio=False),
            ]  # fmt: skip
            details["follow"] = _summaries(
                turns=follow.turns,
                strokes=follow.strokes,
                strokes_two_devices=follow.strokes_two,
                bare=follow.bare,
            )
            details["follow"]["setup_s"] = follow.setup_s

            clerk = await council.session("jimukyoku", "clerk")
            published = 3
            for doc_id, title, pdf in (
                (PLAN_DOC[0], "庁舎 平面図 (A3)", a3_plan()),
                *([(BOOK[0], "令和6年度 一般会計予算書", book)] if book else []),
            ):
                await clerk.engine.publish_document(
                    MEETING_ID, pdf, title=title, document_id=doc_id
                )
                published += 1
            reader = await council.session("giin2", documents=published)
            phase("publish")
            win = window(reader)
            try:
                demo = Turns()
                documents = demo_documents()[: plan.demo_documents]
                for index, (_title, pdf) in enumerate(documents, start=1):
                    got = await page_turns(
                        win.viewer, (f"demo-{index}", 1), pdf,
                        prefetched=plan.demo_prefetched if index == 1 else 0, jumps=plan.demo_jumps,
                    )  # fmt: skip
                    demo.prefetched += got.prefetched
                    demo.jumped += got.jumped
                    demo.bare += got.bare
                rows += _turn_rows("demo pack", demo)
                details["demo_pack_turns"] = _summaries(**dataclasses.asdict(demo))
                if book is not None:
                    got = await page_turns(
                        win.viewer, BOOK, book,
                        prefetched=plan.book_prefetched, jumps=plan.book_jumps,
                    )  # fmt: skip
                    rows += _turn_rows("612-page book", got)
                    details["book_turns"] = _summaries(**dataclasses.asdict(got))
                pen = await pen_to_ink(win.viewer, plan.pen_strokes, plan.pen_moves)
                rows += [
                    report.Row("app", f"pen input → ink painted, p{q} ({len(pen)} moves)", "ms",
                               float("nan"), _p(pen, q), "≤ 16 ms" if q == 95 else "",
                               16.0 if q == 95 else None, per_ratio=False)
                    for q in (50, 95)
                ]  # fmt: skip
                details["pen"] = _summaries(pen=pen)
                zoom = await deep_zoom(win.viewer, PLAN_DOC)
            finally:
                win.close()
                win.deleteLater()
            details["zoom"] = zoom
            phase("viewer")
            rows += [
                report.Row("app", "A3 at 400 %, scrolled: page share of the largest pixmap", "%",
                           float("nan"), 100 * zoom["largest_request_covers_page_fraction"],
                           "< 100 % (tiles)", 99.99, per_ratio=False),
                report.Row("app", "A3 at 400 %: largest pixmap vs the whole page at 400 %", "MP",
                           zoom["full_page_at_zoom_px"] / 1e6, zoom["largest_request_px"] / 1e6,
                           ""),
            ]  # fmt: skip

            data, profile = await council.hand_over(reader)
            bare_s, app_s = await start_seconds(data, profile, DEMO_PASSPHRASE, plan.starts)
            phase("start")
            rows.append(
                report.Row("app", f"app start → meeting list shown (own process, median of {plan.starts})",
                           "s", bare_s, app_s, "≤ 1.5 s", 1.5, per_ratio=False)
            )  # fmt: skip
            visited = BOOK if book else ("demo-1", 1)
            pages = plan.visit_pages if book else min(plan.visit_pages, 12)
            before, after = await visit_rss(data, profile, DEMO_PASSPHRASE, visited, pages)
            label = "612-page book" if book else "議案書"
            rows.append(
                report.Row("app", f"RSS, {label} open, {pages} pages visited (app + workers)",
                           "MB", before * MB, after * MB, "≤ 300 MB", 300.0, per_ratio=False)
            )  # fmt: skip
            details["rss_bytes"] = {"meeting_list": before, "visited": after, "pages": pages}
            phase("rss")
    return rows, details


def _summaries(**samples: list[float]) -> dict[str, Any]:
    return {
        name: {
            "n": len(values),
            "p50_ms": round(_p(values, 50), 2),
            "p95_ms": round(_p(values, 95), 2),
            "max_ms": round(max(values) * MS, 2),
            "mean_ms": round(statistics.fmean(values) * MS, 2),
        }
        for name, values in samples.items()
        if values
    }


def run_in_qt(plan: Plan) -> tuple[list[report.Row], dict[str, Any]]:
    """Measure on a qasync loop in this process (offscreen)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QT_API", "pyside6")
    import qasync

    from furano_meet.app.__main__ import make_app

    app = make_app(sys.argv[:1])
    rows, details = qasync.run(_in_qt(plan))
    app.shutdown()
    return rows, details


async def measure(*, quick: bool = False) -> tuple[list[report.Row], dict[str, Any]]:
    """For ``python -m bench``: the measuring runs in a child (a Qt loop of its own)."""
    with tempfile.TemporaryDirectory(prefix="furano-bench-app-") as tmp:
        out = Path(tmp) / "app.json"
        command = [sys.executable, "-m", "bench.app", "--json", str(out)]
        child = await asyncio.create_subprocess_exec(*command, *(["--quick"] if quick else []))
        if await child.wait() != 0:
            raise RuntimeError(f"the app benchmark failed (exit status {child.returncode})")
        payload = json.loads(out.read_text(encoding="utf-8"))
    rows = [report.Row(**row) for row in payload["rows"]]
    return rows, payload["details"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--json", help="write the rows here (for python -m bench)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows, details = run_in_qt(QUICK if args.quick else FULL)
    if args.json:
        payload = {"rows": [dataclasses.asdict(r) for r in rows], "details": details}
        Path(args.json).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return 0
    seconds = time.perf_counter() - started
    report.write_json(f"app{'-quick' if args.quick else ''}", rows, details, seconds)
    print(report.markdown_table(rows))
    print(f"{seconds:.1f} s")
    return 1 if any(r.met is False for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
