"""Every real-world PDF in ../shared/pdfs opens, renders page 1 and yields words — or fails with
a clear typed error (password-protected, broken beyond repair), and none hangs."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pytest

from furano_meet.errors import Fault
from furano_meet.render import (
    DocumentDamaged,
    DocumentLocked,
    RenderFailed,
    RenderRequest,
    RenderService,
)

from ..conftest import SHARED_PDFS
from .conftest import BACKENDS

TIMEOUT = 60  # seconds per step; the slowest file here takes well under one


def _manifest() -> dict[str, dict[str, str]]:
    path = SHARED_PDFS / "manifest.tsv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {row["filename"]: row for row in csv.DictReader(f, delimiter="\t")}


MANIFEST = _manifest()
FILES = sorted(p.name for p in SHARED_PDFS.glob("*.pdf")) if SHARED_PDFS.is_dir() else []


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest) -> Iterator[RenderService]:
    with RenderService(cache_bytes=0, backend=request.param) as running:
        yield running


def test_the_folder_is_there_or_the_skip_says_why() -> None:
    if not FILES:
        pytest.skip(f"{SHARED_PDFS.resolve()} is absent: the real-world PDF checks are skipped")
    assert len(FILES) == len([n for n in MANIFEST if n.endswith(".pdf")])


@pytest.mark.parametrize("name", FILES or ["(none)"])
def test_open_render_page_one_and_words(service: RenderService, name: str) -> None:
    if name == "(none)":
        pytest.skip(f"{SHARED_PDFS.resolve()} is absent")
    row = MANIFEST.get(name, {})
    data = (SHARED_PDFS / name).read_bytes()
    opened = service.open(name, 1, data)
    if row.get("encryption", "").startswith("needs-password"):
        with pytest.raises(DocumentLocked) as locked:
            opened.result(TIMEOUT)
        assert "password" in locked.value.message and locked.value.fault is Fault.THEIRS
        return
    if "fails-open" in row.get("category", ""):
        with pytest.raises(DocumentDamaged) as damaged:
            opened.result(TIMEOUT)
        assert damaged.value.next_step
        return
    info = opened.result(TIMEOUT)
    assert info.page_count >= 1
    first = info.pages[0]
    scale = min(1.0, 800 / max(first.width, first.height))  # a thumbnail-to-screen size
    try:
        pixels = service.render(RenderRequest(name, 1, 0, scale)).result(TIMEOUT)
    except RenderFailed as failed:  # a page MuPDF cannot draw: a clear message, not a crash
        assert failed.page == 0 and "Page 1" in failed.message
        return
    assert (pixels.width, pixels.height) == first.pixel_size(scale)
    words = service.words(name, 1, 0).result(TIMEOUT)
    assert all(w.text for w in words)
    service.close(name, 1).result(TIMEOUT)
