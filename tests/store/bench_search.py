"""Quick local check of store speed (not a test; pytest does not collect it).

    .venv/bin/python tests/store/bench_search.py [pages]

Builds a cache with ``pages`` pages (default 10,000) of ~1,500 characters of Japanese text, then
reports: open time (raw key from an in-memory keychain), indexing time, database size, and search
latency p50/p95 for trigram MATCH queries (3+ characters) and gram-filtered LIKE queries (1-2
characters). The text comes from the Japanese PDFs in ``../shared/pdfs`` when present (budget book,
meeting minutes), shuffled line by line into pages; otherwise from a synthetic council vocabulary.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import keyring
import keyring.backend

from furano_meet.store import DocumentInfo, LocalStore

PDFS = Path(__file__).resolve().parents[2] / ".." / "shared" / "pdfs"
JAPANESE_PDFS = (
    "fuji__R6_bugget.pdf",
    "jpgov__第２５回消費者教育推進会議_議事録.pdf",
    "jpgov__第４回デジタル社会推進会議_議事録.pdf",
    "fuji__R8_99_附属資料.pdf",
)
PAGE_CHARS = 1500
_VOCABULARY = (
    "予算 議案 市長 教育 福祉 道路 補正 条例 委員会 議会 報告 事業 計画 整備 住民 地域 観光 "
    "農業 施設 医療 子育て 公園 上下水道 防災 除雪 交通 文化 環境 富良野 令和 年度 について "
    "の を に は が で と から 及び する した 推進 検討 実施 確認 説明 質疑 答弁 賛成 可決"
)


class _MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


def corpus_lines() -> tuple[list[str], str]:
    lines: list[str] = []
    try:
        import pymupdf

        for name in JAPANESE_PDFS:
            path = PDFS / name
            if not path.exists():
                continue
            with pymupdf.open(path) as doc:
                for page in doc:
                    lines.extend(line for line in page.get_text().splitlines() if line.strip())
    except ImportError:
        pass
    if len(lines) > 1000:
        return lines, f"{len(lines)} lines from {PDFS.resolve()}"
    words = _VOCABULARY.split()
    rng = random.Random(7)
    lines = ["".join(rng.choice(words) for _ in range(12)) + "。" for _ in range(20_000)]
    return lines, "synthetic council vocabulary"


def make_pages(lines: list[str], count: int, rng: random.Random) -> list[str]:
    pages = []
    for _ in range(count):
        parts: list[str] = []
        size = 0
        while size < PAGE_CHARS:
            line = rng.choice(lines)
            parts.append(line)
            size += len(line) + 1
        pages.append("\n".join(parts)[:PAGE_CHARS])
    return pages


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label:<34} p50 {statistics.median(samples):7.2f} ms   "
        f"p95 {percentile(samples, 0.95):7.2f} ms   max {max(samples):7.2f} ms   n={len(samples)}"
    )


def main() -> None:
    page_count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    keyring.set_keyring(_MemoryKeyring())
    rng = random.Random(1)
    lines, source = corpus_lines()
    pages = make_pages(lines, page_count, rng)
    text = "".join(pages)
    print(f"corpus: {source}; {page_count} pages, {len(text):,} characters")

    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore.open(tmp, "bench")
        store.upsert_meeting("m1", title="定例会", starts_at=datetime.now(UTC))
        per_doc = 100
        start = time.perf_counter()
        for first in range(0, page_count, per_doc):
            doc_id = f"doc-{first // per_doc:04}"
            store.upsert_document(
                DocumentInfo(meeting_id="m1", doc_id=doc_id, version=1, title=doc_id, manifest=b"")
            )
            store.index_pages(doc_id, 1, enumerate(pages[first : first + per_doc]))
        print(f"indexing: {time.perf_counter() - start:.1f} s")
        store.close()
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        print(f"data folder: {size / 1e6:.1f} MB")

        opens: list[float] = []
        for _ in range(200):
            start = time.perf_counter()
            opened = LocalStore.open(tmp, "bench")
            opens.append((time.perf_counter() - start) * 1000)
            opened.close()
        report("open (raw key from keychain)", opens)

        store = LocalStore.open(tmp, "bench")
        try:

            def sample(length: int, n: int) -> list[str]:
                queries = []
                while len(queries) < n:
                    page = rng.choice(pages)
                    at = rng.randrange(0, len(page) - length)
                    query = page[at : at + length]
                    if query.strip() == query and "\n" not in query:
                        queries.append(query)
                return queries

            long_queries = sample(3, 100) + sample(4, 100) + sample(6, 50)
            long_queries += ["存在しない言葉", "ラベンダー畑", "富良野市議会"]
            short_queries = sample(1, 100) + sample(2, 150)
            short_queries += ["鬱", "麒麟", "予算", "市", "々", "z", "ZZ"]
            for query in long_queries[:20] + short_queries[:20]:  # warm the page cache
                store.search(query, limit=20)
            for label, queries in (
                ("MATCH (3+ chars), limit 20", long_queries),
                ("LIKE via grams (1-2 chars), limit 20", short_queries),
            ):
                times = [timed(lambda q=q: store.search(q, limit=20)) for q in queries]
                report(label, times)
            common = ["予算", "市", "の", "年度"]
            report(
                "LIKE, most common terms",
                [timed(lambda q=q: store.search(q, limit=20)) for q in common * 25],
            )
            common3 = ["につい", "令和6", "予算額"]
            report(
                "MATCH, common terms (bm25 over all)",
                [timed(lambda q=q: store.search(q, limit=20)) for q in common3 * 25],
            )
            counts = [len(store.search(q, limit=10_000)) for q in ("予算", "について", "鬱")]
            print(f"hit counts (予算, について, 鬱): {counts}")
        finally:
            store.close()


if __name__ == "__main__":
    main()
