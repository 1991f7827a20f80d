"""The docs keep up with the code: every module of the app is named in docs/app.md's structure
table, and every module of the sync engine in docs/sync.md's.

Why a test: modules were added and split faster than the table grew (the sixth session found
seven of the app's missing), and a reader — or a new helper — takes the table as the map."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "furano_meet" / "app"
SYNC = ROOT / "furano_meet" / "sync"
DOCS = ROOT / "docs"


def structure_table(text: str) -> set[str]:
    """The names in the first column of docs/app.md's "## Structure" table."""
    start = text.index("## Structure")
    end = text.index("\n## ", start + 1) if "\n## " in text[start + 1 :] else len(text)
    section = text[start:end]
    return set(re.findall(r"^\| `([^`]+)`", section, re.MULTILINE))


def unnamed(modules: list[str], named: set[str]) -> list[str]:
    return [module for module in modules if module not in named]


def test_every_app_module_is_in_the_structure_table() -> None:
    named = structure_table((DOCS / "app.md").read_text(encoding="utf-8"))
    modules = sorted(path.name for path in APP.glob("*.py"))
    assert len(modules) > 60
    assert unnamed(modules, named) == []
    stale = [n for n in named if re.fullmatch(r"\w+\.py", n) and not (APP / n).exists()]
    assert stale == [], "the table names modules that are gone"


def test_the_check_sees_a_missing_module() -> None:
    table = "## Structure\n\n| module | owns |\n|---|---|\n| `window.py` | the window |\n"
    assert unnamed(["window.py", "notice_bar.py"], structure_table(table)) == ["notice_bar.py"]


def test_every_sync_module_is_in_its_structure_table() -> None:
    named = structure_table((DOCS / "sync.md").read_text(encoding="utf-8"))
    modules = sorted(p.name for p in SYNC.glob("*.py") if p.name != "__init__.py")
    assert len(modules) > 20
    assert unnamed(modules, named) == []
    stale = [n for n in named if not (SYNC / n).exists()]
    assert stale == [], "the table names modules that are gone"
