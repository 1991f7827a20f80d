# mypy: untyped-calls-exclude=pymupdf
"""A page rendered through the render service, against bare ``page.get_pixmap`` of the same page.

Theory of operation
-------------------
Two documents: the 612-page budget book from ``/work/shared/pdfs`` (skipped, with the reason
printed, when that folder is absent) and a generated 24-page agenda pack
(:func:`furano_meet.samples.generate_agenda_pack`). Each page is fitted to 1920×1200, as the
viewer shows it.

Every service figure is taken for both backends in the same run: ``process`` (the app's: PyMuPDF
in a render process, pixels back through shared memory) and ``thread`` (one render thread).

* **Page turn, not prefetched** — the service's first render of a page: from the caller's
  thread, :meth:`RenderService.render` → the renderer (queue, drawn straight from the page) →
  the future's result. Pixel cache off, and the pages visited in order through more pages than the
  service keeps display lists for, so nothing is reused.
* **Zoom change** — the same page again at a new scale: its display list is built now (the
  first draw went straight from the page, the faster way for the page turn the reader waits
  for); every later zoom or tile of the page only rasterises that list.
* **Cache hit** — the same request again, answered from the byte-bounded cache.
* **Draw code alone** — the service's own drawing code (:class:`~furano_meet.render.pages.
  OpenDocument`, another copy of the document) called on the baseline's thread: the service's
  rendering without the hand-off, to tell our code from the OS scheduler.
* **Hop** — :meth:`RenderService.call` of ``os.getpid``, there and back: the fixed cost of
  putting PyMuPDF elsewhere (two thread wake-ups; for the process a pipe both ways too).
* **GUI-thread stall** — while a deliberately slow page renders (hundreds of transparent
  curves, ``tests/render/jobs.py``), a thread of this process ticks every millisecond; the
  longest gap between two ticks is how long a GUI thread would have frozen. The baseline
  column is that render's duration.

The baseline is the least work that gives the same pixels: ``doc.load_page(i).get_pixmap(
matrix=…, alpha=False)`` on the caller's thread, no queue and no copy out (the figure in
``SETUP-NOTES.md``). Service and baseline alternate page by page after a warm-up (the first
render in a process loads fonts); the baseline's document is opened from the same bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import pymupdf

from furano_meet.render import Priority, RenderRequest, RenderService
from furano_meet.render.pages import DISPLAY_LISTS, OpenDocument
from furano_meet.render.service import Backend
from furano_meet.samples import generate_agenda_pack
from tests.render.jobs import slow_page

from . import report
from .client_fixtures import BUDGET_BOOK, budget_book

SCREEN = (1920, 1200)
BACKENDS: tuple[Backend, ...] = ("process", "thread")
TARGET_RATIO = 1.3
"""Issue #9: a page turn that was not prefetched within 1.3× the bare PyMuPDF render."""


@dataclass(frozen=True, slots=True)
class Plan:
    pages: int
    rounds: int


FULL = Plan(pages=60, rounds=3)
QUICK = Plan(pages=2 * DISPLAY_LISTS + 2, rounds=1)


def _fit(page: Any) -> float:
    return float(min(SCREEN[0] / page.rect.width, SCREEN[1] / page.rect.height))


def _bare(doc: Any, index: int, scale: float) -> float:
    start = time.perf_counter()
    page = doc.load_page(index)
    page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
    return time.perf_counter() - start


def _service(service: RenderService, request: RenderRequest) -> float:
    start = time.perf_counter()
    service.render(request, Priority.VISIBLE).result()
    return time.perf_counter() - start


def _hop(service: RenderService) -> float:
    start = time.perf_counter()
    service.call(os.getpid, Priority.VISIBLE).result()
    return time.perf_counter() - start


def _measure_document(
    slug: str, pdf: bytes, plan: Plan
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    per_backend = [f"{k}_{b}" for k in ("first", "zoom", "hop") for b in BACKENDS]
    times: dict[str, list[float]] = {k: [] for k in ("bare", "bare_zoom", "hit", "direct")}
    times.update({k: [] for k in per_backend})
    try:
        count = min(plan.pages, doc.page_count)
        scales = [_fit(doc.load_page(i)) for i in range(count)]
        direct = OpenDocument(slug, 1, pdf, None)
        with contextlib.ExitStack() as stack:
            cold = {
                b: stack.enter_context(RenderService(cache_bytes=0, backend=b)) for b in BACKENDS
            }
            warm = stack.enter_context(RenderService())
            for service in (*cold.values(), warm):
                service.open(slug, 1, pdf).result()
            _bare(doc, 0, scales[0])  # warm-up: fonts, MuPDF's resource store
            for service in cold.values():
                service.render(RenderRequest(slug, 1, 0, scales[0] / 2)).result()
            for _ in range(plan.rounds):
                for i in range(count):
                    request = RenderRequest(slug, 1, i, scales[i])
                    zoomed = RenderRequest(slug, 1, i, scales[i] * 1.25)
                    if i % 2:
                        times["bare"].append(_bare(doc, i, scales[i]))
                    for backend, service in cold.items():
                        times[f"first_{backend}"].append(_service(service, request))
                    if not i % 2:
                        times["bare"].append(_bare(doc, i, scales[i]))
                    start = time.perf_counter()
                    direct.draw(request)
                    times["direct"].append(time.perf_counter() - start)
                    for backend, service in cold.items():
                        times[f"zoom_{backend}"].append(_service(service, zoomed))
                    times["bare_zoom"].append(_bare(doc, i, scales[i] * 1.25))
                    warm.render(request).result()
                    times["hit"].append(_service(warm, request))
                    for backend, service in cold.items():
                        times[f"hop_{backend}"].append(_hop(service))
            stats = {b: dataclasses.asdict(s.stats()) for b, s in cold.items()}
        direct.close()
    finally:
        doc.close()
    return times, {"pages": count, "stats": stats}


def _stall(backend: Backend, pdf: bytes) -> tuple[float, float]:
    """(seconds to render the slow page, longest gap between ticks of a thread that ticks
    every millisecond meanwhile) — how long a GUI thread would freeze."""
    with RenderService(cache_bytes=0, backend=backend) as service:
        service.open("slow", 1, pdf).result()
        service.render(RenderRequest("slow", 1, 0, 0.1)).result()  # display list, fonts: warm
        gaps: list[float] = []
        stop = threading.Event()

        def tick() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                time.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticker = threading.Thread(target=tick)
        ticker.start()
        try:
            elapsed = _service(service, RenderRequest("slow", 1, 0, 1.0))
        finally:
            stop.set()
            ticker.join()
    return elapsed, max(gaps)


def _rows(label: str, times: dict[str, list[float]], *, gated: bool) -> list[report.Row]:
    ms = {k: [1000 * v for v in vs] for k, vs in times.items()}

    def row(metric: str, measured: str, baseline: str = "bare", q: float = 50) -> report.Row:
        return report.Row(
            benchmark="render service",
            metric=f"{label}: {metric}",
            unit="ms",
            baseline=report.percentile(ms[baseline], q),
            relay=report.percentile(ms[measured], q),
            target="",
        )

    turns = [
        dataclasses.replace(
            row(f"page turn, not prefetched, {backend}, p{q}", f"first_{backend}", q=q),
            target=f"≤ {TARGET_RATIO}×" if gated and backend == "process" else "",
            limit=TARGET_RATIO if gated and backend == "process" else None,
        )
        for backend in BACKENDS
        for q in (50, 95)
    ]
    return [
        *turns,
        row("draw code alone, no hand-off, p50", "direct"),
        *(
            row(f"first zoom change (display list built), {b}, p50", f"zoom_{b}", "bare_zoom")
            for b in BACKENDS
        ),
        row("cache hit, p50", "hit"),
        *(row(f"hop alone (no-op call), {b}, p50", f"hop_{b}") for b in BACKENDS),
    ]


def _stall_rows(pdf: bytes) -> tuple[list[report.Row], dict[str, Any]]:
    rows: list[report.Row] = []
    details: dict[str, Any] = {}
    for backend in BACKENDS:
        elapsed, gap = _stall(backend, pdf)
        details[backend] = {
            "render_ms": round(1000 * elapsed, 1),
            "max_gap_ms": round(1000 * gap, 1),
        }
        rows.append(
            report.Row(
                benchmark="render service",
                metric=f"slow page: GUI-thread stall (longest gap of 1 ms ticks), {backend}",
                unit="ms",
                baseline=1000 * elapsed,
                relay=1000 * gap,
                target="",
            )
        )
    return rows, details


async def measure(*, quick: bool = False) -> tuple[list[report.Row], dict[str, Any]]:
    plan = QUICK if quick else FULL
    subjects: list[tuple[str, str, bytes]] = []
    skipped: list[str] = []
    book = budget_book()
    if book is None:
        skipped.append(f"budget book skipped: {BUDGET_BOOK.resolve()} is absent")
        print(f"  {skipped[-1]}", flush=True)
    else:
        subjects.append(("book", "612-page budget book", book))
    pack = await asyncio.to_thread(generate_agenda_pack, title="議案書（ベンチマーク）", pages=24)
    subjects.append(("pack", "24-page agenda pack", pack))
    rows: list[report.Row] = []
    details: dict[str, Any] = {
        "plan": dataclasses.asdict(plan),
        "screen": SCREEN,
        "skipped": skipped,
    }
    for slug, label, pdf in subjects:
        times, facts = await asyncio.to_thread(_measure_document, slug, pdf, plan)
        rows += _rows(label, times, gated=not quick)
        details[slug] = {
            **facts,
            "median_ms": {k: round(1000 * statistics.median(v), 3) for k, v in times.items()},
        }
    stall_rows, details["stall"] = await asyncio.to_thread(_stall_rows, slow_page())
    return rows + stall_rows, details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="18 pages, one round (smoke run)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows, details = asyncio.run(measure(quick=args.quick))
    seconds = time.perf_counter() - started
    name = "render_service-quick" if args.quick else "render_service"
    report.write_json(name, rows, details, seconds)
    print(report.markdown_table(rows))
    print(f"\nrender service benchmark: {seconds:.1f} s")


if __name__ == "__main__":
    main()
