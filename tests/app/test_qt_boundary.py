"""Qt stays in the app: no module outside ``furano_meet/app/`` imports PySide6 or qasync."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT = {"PySide6", "qasync", "shiboken6"}


def qt_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [name for name in names if name.split(".")[0] in QT]
    return found


def test_only_the_app_package_imports_qt() -> None:
    app = ROOT / "furano_meet" / "app"
    offenders = {
        str(path.relative_to(ROOT)): names
        for folder in ("furano_meet", "server")
        for path in (ROOT / folder).rglob("*.py")
        if app not in path.parents and (names := qt_imports(path))
    }
    assert offenders == {}
    assert qt_imports(app / "viewer.py")  # the check can see an import when there is one
