"""Turning measurements into results: percentiles, rows, JSON files and a markdown table.

Every benchmark returns a list of :class:`Row` (one line of the table: what was measured, the
baseline, the measured value — the relay's, or the client path's — their ratio and the target)
plus free-form details; :func:`write_json` stores both with a description of the machine under
``bench/results/``.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from websockets.version import version as websockets_version

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100): a value that was actually measured."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Row:
    benchmark: str
    metric: str
    unit: str
    baseline: float
    """The reference measured in the same run (``nan`` when there is none)."""
    relay: float
    """The measured value: the relay's, or for client benchmarks the client path's."""
    target: str
    """Human-readable target, e.g. ``≤ 1.3×``; empty when the row is informative only."""
    limit: float | None = None
    """The target as a number to compare ``value_for_target`` against; ``None`` = no target."""
    per_ratio: bool = True
    """True when the target applies to relay/baseline; False when it applies to ``relay``."""

    @property
    def ratio(self) -> float:
        return self.relay / self.baseline if self.baseline else math.nan

    @property
    def met(self) -> bool | None:
        if self.limit is None:
            return None
        value = self.ratio if self.per_ratio else self.relay
        return value <= self.limit


def machine() -> dict[str, Any]:
    """What the numbers were measured on (they mean little without it)."""
    model = ""
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        model = platform.processor()
    memory = ""
    try:
        import psutil  # type: ignore[import-untyped]

        memory = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:  # pragma: no cover - psutil is a dev dependency
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": sys.version.split()[0],
        "websockets": websockets_version,
        **_library_versions(),
        "os": platform.platform(),
        "load_average": os.getloadavg(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _library_versions() -> dict[str, str]:
    """Versions of the libraries the client benchmarks exercise (absent ones are left out)."""
    versions: dict[str, str] = {}
    for name in ("cryptography", "pymupdf", "sqlcipher3", "keyring"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    try:
        import pymupdf

        versions["mupdf"] = str(pymupdf.mupdf_version)
        from sqlcipher3 import dbapi2

        connection = dbapi2.connect(":memory:")
        try:
            versions["sqlcipher"] = str(connection.execute("PRAGMA cipher_version").fetchone()[0])
            versions["sqlite"] = str(dbapi2.sqlite_version)
        finally:
            connection.close()
    except ImportError:  # pragma: no cover - the relay-only install has no client libraries
        pass
    return versions


def write_json(name: str, rows: Sequence[Row], details: dict[str, Any], seconds: float) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "machine": machine(),
        "seconds": round(seconds, 1),
        "rows": [
            {
                **asdict(row),
                "baseline": finite(row.baseline),
                "ratio": _round(row.ratio),
                "met": row.met,
            }
            for row in rows
        ],
        "details": details,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def markdown_table(rows: Sequence[Row]) -> str:
    lines = [
        "| benchmark | metric | baseline | measured | ratio | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        met = {None: "", True: "yes", False: "**no**"}[row.met]
        lines.append(
            f"| {row.benchmark} | {row.metric} | {_with_unit(row.baseline, row.unit)} "
            f"| {_with_unit(row.relay, row.unit)} | {_ratio(row.ratio)} | {row.target} | {met} |"
        )
    return "\n".join(lines)


def _with_unit(value: float, unit: str) -> str:
    return "–" if math.isnan(value) else f"{_fmt(value)} {unit}"


def _ratio(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}×"


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def finite(value: float) -> float | None:
    """``value`` for JSON, with ``nan`` (no baseline) as ``null``."""
    return None if math.isnan(value) else value


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)
