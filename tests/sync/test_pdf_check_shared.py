"""Every real-world file in ``/work/shared/pdfs/`` through the clerk's PDF check.

The expected outcome comes from ``manifest.tsv`` (page counts, which files need a password or
fail to open) and from what the check was observed to do; the files it must refuse, and the
ones it accepts with a warning, are listed below with the reason. Each file has a timeout: no
file may hang the check.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from furano_meet.sync import documents as docs
from furano_meet.sync.pdf_check import PdfWarning

SHARED = Path("/work/shared/pdfs")

#: Files that must be refused: the code, and why.
REFUSED = {
    "pdfjs__issue6010_2.pdf": ("pdf_password", "user password (UTF-8 'æøå')"),
    "pdfminer__rc4-40.pdf": ("pdf_password", "user password, RC4 40-bit"),
    "pdfplumber__password-example.pdf": ("pdf_password", "user password"),
    "pypdf__libreoffice-writer-password.pdf": ("pdf_password", "user password"),
    "pdfjs__poppler-67295-0.pdf": ("pdf_broken", "fuzzed: no valid page count"),
    "pdfjs__poppler-742-0-fuzzed.pdf": ("pdf_broken", "fuzzed: cannot be opened at all"),
    "pdfplumber__empty.pdf": ("pdf_empty", "0 bytes"),
}

#: Damaged files MuPDF repairs without losing a page: accepted, and the clerk is told.
REPAIRED = {
    "pdfjs__PDFBOX-3148-2-fuzzed.pdf": "fuzzed form; the one page is intact",
    "pdfjs__scan-bad.pdf": "no %%EOF and no xref; the scan is complete",
    "pdfjs__xref_command_missing.pdf": "no 'xref' keyword",
    "pdfminer__175.pdf": "broken xref offsets; both scanned pages are intact",
}


def _manifest() -> dict[str, dict[str, str]]:
    with (SHARED / "manifest.tsv").open(encoding="utf-8", newline="") as table:
        return {row["filename"]: row for row in csv.DictReader(table, delimiter="\t")}


def _files() -> list[object]:
    if not (SHARED / "manifest.tsv").is_file():
        reason = f"{SHARED} is absent: the shared real-world PDFs are not on this machine"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="shared-pdfs")]
    return [pytest.param(path, id=path.name) for path in sorted(SHARED.glob("*.pdf"))]


def test_the_tables_agree_with_the_manifest() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the shared real-world PDFs are not on this machine")
    manifest = _manifest()
    assert REFUSED.keys() <= manifest.keys() and REPAIRED.keys() <= manifest.keys()
    for name, row in manifest.items():
        if row["encryption"].startswith("needs-password"):
            assert REFUSED[name][0] == "pdf_password", name
        if "fails-open" in row["category"]:
            assert name in REFUSED, name


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", _files())
def test_every_shared_file(path: Path) -> None:
    data = path.read_bytes()
    if path.name in REFUSED:
        code, _why = REFUSED[path.name]
        with pytest.raises(docs.DocumentUnreadable) as caught:
            docs.inspect_pdf(data, path.name)
        assert caught.value.code == code
        assert path.name in caught.value.message
        return
    inspection = docs.inspect_pdf(data, path.name)
    expected_pages = _manifest().get(path.name, {}).get("pages", "")
    if expected_pages.isdigit():
        assert inspection.page_count == int(expected_pages)
    warned = (PdfWarning.REPAIRED,) if path.name in REPAIRED else ()
    assert inspection.warnings == warned
