"""What the crypto/transfer benchmark reports: the rows, each gated by the issue's "≤ 20 %"
where it applies, and the medians and rounds kept in the details."""

from __future__ import annotations

import statistics
from typing import Any

from . import report
from .transfer_rounds import WARMUP_ROUNDS, Plan, Subject
from .transfer_sides import Sample


def medians_ms(runs: dict[str, dict[str, list[Sample]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for slug, sides in runs.items():
        out[slug] = {}
        for side, samples in sides.items():
            entry: dict[str, float] = {
                "total": round(1000 * statistics.median(s.seconds for s in samples), 2),
                "client_cpu": round(1000 * statistics.median(s.client_cpu for s in samples), 2),
                "relay_cpu": round(1000 * statistics.median(s.server_cpu for s in samples), 2),
            }
            for step in samples[0].steps:
                entry[step] = round(1000 * statistics.median(s.steps[step] for s in samples), 2)
            out[slug][side] = entry
    return out


def report_rows(
    chosen: list[Subject],
    runs: dict[str, dict[str, list[Sample]]],
    engine_runs: dict[str, list[dict[str, float]]],
    raw: dict[str, dict[str, float]],
    *,
    quick: bool,
) -> list[report.Row]:
    rows: list[report.Row] = []
    gated = not quick

    def med(samples: list[Sample]) -> float:
        return 1000 * statistics.median(s.seconds for s in samples)

    both = (("encrypt + upload", "upload"), ("download + verify + decrypt", "download"))
    for subject in chosen:
        r = runs[subject.slug]
        name = subject.label
        # What the cryptography adds, two ways — each gated by the "≤ 20 %": on the
        # bare transfer itself (crypto alone, into memory), and on the app's own pipeline
        # (PDF check before publishing, durable store on receipt) with vs without crypto.
        for comparison, measured, baseline, gate in (
            ("crypto alone vs bare transfer", "crypto", "bare", gated),
            ("app pipeline vs the same without crypto", "full", "plain", gated),
            ("app pipeline vs bare transfer", "full", "bare", False),
        ):
            for what, side in both:
                rows.append(
                    report.Row(
                        benchmark="crypto",
                        metric=f"{name}: {what}, {comparison} (median)",
                        unit="ms",
                        baseline=med(r[f"{baseline}_{side}"]),
                        relay=med(r[f"{measured}_{side}"]),
                        target="≤ 1.2×" if gate else "",
                        limit=1.2 if gate else None,
                    )
                )
        for what, side in both:
            rows.append(
                report.Row(
                    benchmark="crypto",
                    metric=f"{name}: {what}, client-process CPU (all threads)",
                    unit="ms",
                    baseline=1000 * statistics.median(s.client_cpu for s in r[f"bare_{side}"]),
                    relay=1000 * statistics.median(s.client_cpu for s in r[f"full_{side}"]),
                    target="",
                )
            )
        if subject.slug not in engine_runs:  # a shaped-link pass: the ratios only
            continue
        engine = engine_runs[subject.slug]
        rows += [
            report.Row(
                benchmark="crypto",
                metric=f"{name}: engine pair, publish_document",
                unit="ms",
                baseline=med(r["bare_upload"]),
                relay=1000 * statistics.median(e["publish"] for e in engine),
                target="",
            ),
            report.Row(
                benchmark="crypto",
                metric=f"{name}: engine pair, published → DocumentReady (incl. text + index)",
                unit="ms",
                baseline=med(r["bare_download"]),
                relay=1000 * statistics.median(e["published_to_ready"] for e in engine),
                target="",
            ),
            report.Row(
                benchmark="crypto",
                metric=f"{name}: engine pair, the clerk keeps its publication (no download)",
                unit="ms",
                baseline=float("nan"),
                relay=1000 * statistics.median(e["keep"] for e in engine),
                target="",
            ),
            report.Row(
                benchmark="crypto",
                metric=f"{name}: one-shot AES-GCM encrypt vs DocumentEncryptor",
                unit="ms",
                baseline=1000 * raw[subject.slug]["aes_oneshot_enc"],
                relay=1000 * raw[subject.slug]["stream_enc"],
                target="",
            ),
            report.Row(
                benchmark="crypto",
                metric=f"{name}: one-shot AES-GCM decrypt vs DocumentDecryptor (+ hash)",
                unit="ms",
                baseline=1000 * raw[subject.slug]["aes_oneshot_dec"],
                relay=1000 * raw[subject.slug]["stream_dec"],
                target="",
            ),
        ]
    return rows


def details_of(
    plan: Plan,
    chosen: list[Subject],
    skipped: list[str],
    *,
    runs: dict[str, dict[str, list[Sample]]],
    engine_runs: dict[str, list[dict[str, float]]],
    after_verify: dict[str, dict[str, float]],
    raw: dict[str, dict[str, float]],
    load_before: tuple[float, float, float],
    documents_build_s: float,
    council_setup_s: float,
) -> dict[str, Any]:
    """Every round, the medians and the setup, for the results file (the rows are the summary)."""
    details: dict[str, Any] = {
        "load_average_before": load_before,
        "skipped": skipped,
        "documents": {s.slug: {"label": s.label, "bytes": len(s.pdf)} for s in chosen},
        "repeats": plan.repeats,
        "small_repeats": plan.small_repeats,
        "engine_repeats": plan.engine_repeats,
        "warmup_rounds": WARMUP_ROUNDS,
        "documents_build_s": round(documents_build_s, 2),
        "council_setup_s": round(council_setup_s, 2),
        "rounds": {
            slug: {
                side: [
                    {
                        "seconds": round(s.seconds, 4),
                        "client_cpu_s": round(s.client_cpu, 4),
                        "relay_cpu_s": round(s.server_cpu, 4),
                        "steps": {k: round(v, 4) for k, v in s.steps.items()},
                    }
                    for s in samples
                ]
                for side, samples in sides.items()
            }
            for slug, sides in runs.items()
        },
        "engine_pair": {
            slug: [{k: round(v, 4) for k, v in r.items()} for r in rounds]
            for slug, rounds in engine_runs.items()
        },
        "after_verify_once": {
            slug: {k: round(v, 4) for k, v in steps.items()} for slug, steps in after_verify.items()
        },
        "raw_crypto_median_s": {
            slug: {k: round(v, 5) for k, v in r.items()} for slug, r in raw.items()
        },
        "medians_ms": medians_ms(runs),
    }
    return details
